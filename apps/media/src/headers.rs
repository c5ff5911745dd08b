//! What a file's own header claims, checked before (or beside) a decoder that
//! would otherwise take it at its word: a WebP canvas's size, a JPEG's end and
//! its least possible size for the pixels it claims.

use crate::MediaError;

/// Refuses a JPEG the decoder would fill in rather than refuse: one cut short
/// (no end-of-image marker after its scans), or one too small for the pixels
/// its header claims (every 8 × 8 block of a Huffman-coded JPEG takes at least
/// one bit), which would otherwise cost a whole decode of a made-up image.
pub(crate) fn jpeg_whole(bytes: &[u8], width: u32, height: u32) -> Result<(), MediaError> {
    let blocks = u64::from(width.div_ceil(8)) * u64::from(height.div_ceil(8));
    if (bytes.len() as u64).saturating_mul(8) < blocks {
        return Err(MediaError::Unreadable(
            "the file is too small to hold the pixels its header claims".into(),
        ));
    }
    let ended = jpeg_scan_start(bytes)
        .is_some_and(|scan| bytes[scan..].windows(2).any(|w| w == [0xFF, 0xD9]));
    if !ended {
        return Err(MediaError::Unreadable(
            "the file ends before its image does".into(),
        ));
    }
    Ok(())
}

/// Where a JPEG's first scan begins (just after its SOS segment), found by
/// walking the marker segments from SOI; `None` when the file ends first.
fn jpeg_scan_start(bytes: &[u8]) -> Option<usize> {
    if bytes.get(0..2)? != [0xFF, 0xD8] {
        return None;
    }
    let mut at = 2;
    loop {
        if *bytes.get(at)? != 0xFF {
            return None;
        }
        let marker = *bytes.get(at + 1)?;
        match marker {
            // Fill bytes before a marker.
            0xFF => at += 1,
            // Markers that stand alone (TEM, RSTn).
            0x01 | 0xD0..=0xD7 => at += 2,
            _ => {
                let length = usize::from(u16::from_be_bytes([
                    *bytes.get(at + 2)?,
                    *bytes.get(at + 3)?,
                ]));
                if length < 2 {
                    return None;
                }
                let end = at + 2 + length;
                if marker == 0xDA {
                    return (end <= bytes.len()).then_some(end);
                }
                at = end;
            }
        }
    }
}

/// The canvas size an extended WebP (`VP8X`) declares, read before any
/// decoder sees it.
pub(crate) fn webp_canvas(bytes: &[u8]) -> Option<(u32, u32)> {
    if bytes.get(12..16)? != b"VP8X" {
        return None;
    }
    let side = |at: usize| -> Option<u32> {
        let b = bytes.get(at..at + 3)?;
        Some(u32::from_le_bytes([b[0], b[1], b[2], 0]) + 1)
    };
    Some((side(24)?, side(27)?))
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use image::codecs::jpeg::JpegEncoder;
    use image::DynamicImage;

    use crate::process::prepare;
    use crate::MediaError;

    fn jpeg(width: u32, height: u32) -> Vec<u8> {
        let image = DynamicImage::ImageRgb8(image::RgbImage::from_fn(width, height, |x, y| {
            image::Rgb([
                (x * 7 % 256) as u8,
                (y * 3 % 256) as u8,
                ((x ^ y) % 256) as u8,
            ])
        }));
        let mut out = Cursor::new(Vec::new());
        image
            .write_with_encoder(JpegEncoder::new_with_quality(&mut out, 85))
            .expect("jpeg");
        out.into_inner()
    }

    #[test]
    fn a_jpeg_cut_short_or_claiming_more_pixels_than_it_holds_is_refused() {
        let whole = jpeg(400, 300);
        assert!(prepare(&whole).is_ok());
        let cut = &whole[..whole.len() / 4];
        assert!(
            matches!(prepare(cut), Err(MediaError::Unreadable(_))),
            "a quarter of a JPEG"
        );
        // A small JPEG whose frame header (SOF0) claims 5000 × 5000.
        let mut liar = jpeg(16, 16);
        let sof = liar
            .windows(2)
            .position(|w| w == [0xFF, 0xC0])
            .expect("a baseline frame");
        liar[sof + 5..sof + 7].copy_from_slice(&5000_u16.to_be_bytes());
        liar[sof + 7..sof + 9].copy_from_slice(&5000_u16.to_be_bytes());
        assert!(
            matches!(prepare(&liar), Err(MediaError::Unreadable(_))),
            "{:?}",
            prepare(&liar).map(|p| (p.width, p.height))
        );
    }

    #[test]
    fn a_webp_canvas_too_large_is_refused_by_its_size() {
        let mut webp = Vec::new();
        webp.extend_from_slice(b"RIFF");
        webp.extend_from_slice(&30_u32.to_le_bytes());
        webp.extend_from_slice(b"WEBPVP8X");
        webp.extend_from_slice(&10_u32.to_le_bytes());
        webp.extend_from_slice(&[0, 0, 0, 0]);
        webp.extend_from_slice(&[0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);
        assert!(matches!(
            prepare(&webp),
            Err(MediaError::TooManyPixels { .. })
        ));
    }
}
