//! Checking, cleaning and resizing an uploaded image: CPU work, run on the
//! blocking pool by the service. Renditions are lossy WebP (libwebp, through
//! the `webp` crate); originals keep their format.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::codecs::webp::WebPEncoder;
use image::imageops::FilterType;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use sha2::{Digest, Sha256};

use crate::headers;
use crate::MediaError;

/// The widths of the WebP renditions made beside each original.
pub const WIDTHS: [u32; 3] = [160, 480, 1200];
/// The largest width or height accepted, in pixels.
pub const MAX_SIDE: u32 = 8_000;
/// The most pixels accepted (25 megapixels: a 6000 × 4000 photo).
pub const MAX_PIXELS: u64 = 25_000_000;
/// The most memory one decode may take (metadata chunks included).
const MAX_DECODE_BYTES: u64 = 256 * 1024 * 1024;

/// The formats accepted, recognised by their content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Jpeg,
    Png,
    WebP,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Jpeg => "jpeg",
            Format::Png => "png",
            Format::WebP => "webp",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [Format::Jpeg, Format::Png, Format::WebP]
            .into_iter()
            .find(|f| f.as_str() == raw)
    }

    /// The file extension of a stored original.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Jpeg => "jpg",
            Format::Png => "png",
            Format::WebP => "webp",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Jpeg => "image/jpeg",
            Format::Png => "image/png",
            Format::WebP => "image/webp",
        }
    }
}

/// An image ready to store: the original re-encoded without its metadata, and
/// its renditions.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub format: Format,
    pub width: u32,
    pub height: u32,
    /// SHA-256 of `original`, hex: the image's name in storage.
    pub hash: String,
    pub original: Vec<u8>,
    /// (width, WebP bytes), narrowest first.
    pub renditions: Vec<(u32, Vec<u8>)>,
}

/// The format of `bytes` by their content; `UnsupportedMedia` for anything but
/// JPEG, PNG and WebP.
pub fn sniff(bytes: &[u8]) -> Result<Format, MediaError> {
    match image::guess_format(bytes) {
        Ok(ImageFormat::Jpeg) => Ok(Format::Jpeg),
        Ok(ImageFormat::Png) => Ok(Format::Png),
        Ok(ImageFormat::WebP) => Ok(Format::WebP),
        _ => Err(MediaError::UnsupportedMedia),
    }
}

/// Decodes `bytes` (within the size limits, turned upright by its EXIF
/// orientation), re-encodes it without any metadata (EXIF, GPS, XMP, ICC and
/// text chunks do not survive a decode), and makes its renditions.
pub fn prepare(bytes: &[u8]) -> Result<Prepared, MediaError> {
    let format = sniff(bytes)?;
    let image_format = match format {
        Format::Jpeg => ImageFormat::Jpeg,
        Format::Png => ImageFormat::Png,
        Format::WebP => ImageFormat::WebP,
    };
    if format == Format::WebP {
        if let Some((width, height)) = headers::webp_canvas(bytes) {
            if width > MAX_SIDE || height > MAX_SIDE {
                return Err(MediaError::TooManyPixels { max: MAX_SIDE });
            }
        }
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    let mut reader = ImageReader::with_format(Cursor::new(bytes), image_format);
    reader.limits(limits.clone());
    let mut decoder = reader.into_decoder().map_err(decode_error)?;
    let (width, height) = decoder.dimensions();
    if width == 0
        || height == 0
        || width > MAX_SIDE
        || height > MAX_SIDE
        || u64::from(width) * u64::from(height) > MAX_PIXELS
    {
        return Err(MediaError::TooManyPixels { max: MAX_SIDE });
    }
    if decoder.total_bytes() > MAX_DECODE_BYTES {
        return Err(MediaError::TooManyPixels { max: MAX_SIDE });
    }
    if format == Format::Jpeg {
        headers::jpeg_whole(bytes, width, height)?;
    }
    decoder.set_limits(limits).map_err(decode_error)?;
    let orientation = decoder.orientation().map_err(decode_error)?;
    let mut image = DynamicImage::from_decoder(decoder).map_err(decode_error)?;
    image.apply_orientation(orientation);
    let original = encode(&image, format)?;
    let hash = hex(&Sha256::digest(&original));
    let mut renditions = Vec::new();
    for width in widths_for(image.width()) {
        let resized = image.resize(width, u32::MAX, FilterType::CatmullRom);
        renditions.push((width, rendition(&resized)));
    }
    Ok(Prepared {
        format,
        width: image.width(),
        height: image.height(),
        hash,
        original,
        renditions,
    })
}

/// The rendition widths an image `width` pixels wide gets: each of [`WIDTHS`]
/// narrower than it, or its own width when it is narrower than all.
pub fn widths_for(width: u32) -> Vec<u32> {
    let narrower: Vec<u32> = WIDTHS.into_iter().filter(|w| *w < width).collect();
    if narrower.is_empty() {
        vec![width]
    } else {
        narrower
    }
}

fn encode(image: &DynamicImage, format: Format) -> Result<Vec<u8>, MediaError> {
    let mut out = Cursor::new(Vec::new());
    let written = match format {
        Format::Jpeg => DynamicImage::ImageRgb8(image.to_rgb8())
            .write_with_encoder(JpegEncoder::new_with_quality(&mut out, 90)),
        Format::Png => image.write_to(&mut out, ImageFormat::Png),
        Format::WebP => {
            let rgba = DynamicImage::ImageRgba8(image.to_rgba8());
            rgba.write_with_encoder(WebPEncoder::new_lossless(&mut out))
        }
    };
    written.map_err(|e| {
        MediaError::Internal(souk_tenants::InternalError::msg(format!(
            "encoding {}: {e}",
            format.as_str()
        )))
    })?;
    Ok(out.into_inner())
}

/// The quality of the lossy WebP renditions (libwebp's scale, 0–100): a
/// photo's rendition is a tenth of what a lossless one would be.
pub const RENDITION_QUALITY: f32 = 80.0;

/// A lossy WebP of `image`, with its alpha channel when it has one.
fn rendition(image: &DynamicImage) -> Vec<u8> {
    let encoded = if image.color().has_alpha() {
        let rgba = image.to_rgba8();
        webp::Encoder::from_rgba(&rgba, rgba.width(), rgba.height()).encode(RENDITION_QUALITY)
    } else {
        let rgb = image.to_rgb8();
        webp::Encoder::from_rgb(&rgb, rgb.width(), rgb.height()).encode(RENDITION_QUALITY)
    };
    encoded.to_vec()
}

fn decode_error(err: image::ImageError) -> MediaError {
    match err {
        image::ImageError::Limits(limit)
            if matches!(limit.kind(), image::error::LimitErrorKind::DimensionError) =>
        {
            MediaError::TooManyPixels { max: MAX_SIDE }
        }
        image::ImageError::Limits(_) => {
            MediaError::Unreadable("it would take more memory to decode than an image may".into())
        }
        image::ImageError::Unsupported(_) => MediaError::UnsupportedMedia,
        other => MediaError::Unreadable(other.to_string()),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let image = DynamicImage::ImageRgb8(image::RgbImage::from_fn(width, height, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
        }));
        let mut out = Cursor::new(Vec::new());
        image.write_to(&mut out, ImageFormat::Png).expect("png");
        out.into_inner()
    }

    #[test]
    fn an_image_is_kept_in_its_format_with_narrower_webp_renditions() {
        let prepared = prepare(&png(640, 400)).expect("a png");
        assert_eq!(prepared.format, Format::Png);
        assert_eq!((prepared.width, prepared.height), (640, 400));
        let widths: Vec<u32> = prepared.renditions.iter().map(|(w, _)| *w).collect();
        assert_eq!(widths, [160, 480]);
        for (width, bytes) in &prepared.renditions {
            assert_eq!(sniff(bytes).expect("webp"), Format::WebP);
            let decoded = image::load_from_memory(bytes).expect("decodes");
            assert_eq!(decoded.width(), *width);
            assert_eq!(decoded.height(), width * 400 / 640);
        }
        assert_eq!(prepared.hash.len(), 64);
        assert_eq!(prepare(&png(640, 400)).expect("again").hash, prepared.hash);
    }

    #[test]
    fn renditions_are_lossy_and_a_fraction_of_a_lossless_one() {
        // Something like a photo: gradients with grain.
        let mut state = 0x9E37_79B9_u32;
        let photo = DynamicImage::ImageRgb8(image::RgbImage::from_fn(1600, 1000, |x, y| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let grain = (state % 24) as u8;
            image::Rgb([
                ((x / 7) as u8).wrapping_add(grain),
                ((y / 4) as u8).wrapping_add(grain),
                (((x + y) / 11) as u8).wrapping_add(grain),
            ])
        }));
        let prepared = prepare(&encode(&photo, Format::Png).expect("png")).expect("a photo");
        let (width, lossy) = prepared.renditions.last().expect("renditions");
        assert_eq!(*width, 1200);
        let lossless = encode(
            &photo.resize(1200, u32::MAX, FilterType::CatmullRom),
            Format::WebP,
        )
        .expect("lossless");
        assert!(
            lossy.len() * 3 < lossless.len(),
            "lossy {} bytes, lossless {}",
            lossy.len(),
            lossless.len()
        );
    }

    /// PNG's CRC-32 of a chunk's type and data.
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFF_u32;
        for byte in bytes {
            crc ^= u32::from(*byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    #[test]
    fn text_and_exif_metadata_do_not_survive() {
        // A PNG with a tEXt chunk naming a place, inserted before IEND.
        let mut bytes = png(20, 10);
        let text = b"tEXtLocation\0Casablanca 33.57N 7.58W";
        let data = &text[4..];
        let mut chunk = Vec::new();
        chunk.extend_from_slice(&(data.len() as u32).to_be_bytes());
        chunk.extend_from_slice(text);
        chunk.extend_from_slice(&crc32(text).to_be_bytes());
        let end = bytes.len() - 12;
        bytes.splice(end..end, chunk);
        assert!(bytes.windows(10).any(|w| w == b"Casablanca"));
        let prepared = prepare(&bytes).expect("a png with a text chunk");
        assert!(!prepared.original.windows(10).any(|w| w == b"Casablanca"));
        assert_eq!(prepared.renditions.len(), 1, "its own width");
        assert_eq!(prepared.renditions[0].0, 20);
        // A JPEG with an EXIF segment.
        let image = DynamicImage::ImageRgb8(image::RgbImage::new(32, 16));
        let mut jpeg = Cursor::new(Vec::new());
        image
            .write_with_encoder(JpegEncoder::new_with_quality(&mut jpeg, 80))
            .expect("jpeg");
        let mut jpeg = jpeg.into_inner();
        let exif = b"Exif\0\0GPS 33.57N 7.58W secret";
        let mut segment = vec![0xFF, 0xE1];
        segment.extend_from_slice(&((exif.len() + 2) as u16).to_be_bytes());
        segment.extend_from_slice(exif);
        jpeg.splice(2..2, segment);
        let prepared = prepare(&jpeg).expect("a jpeg");
        assert_eq!(prepared.format, Format::Jpeg);
        assert!(!prepared.original.windows(6).any(|w| w == b"secret"));
    }

    #[test]
    fn other_content_is_refused_whatever_it_is_called() {
        for bytes in [
            b"GIF89a\x01\x00\x01\x00".as_slice(),
            b"<svg xmlns='http://www.w3.org/2000/svg'/>",
            b"%PDF-1.7",
            b"",
            b"\0\0\0\0",
        ] {
            assert!(matches!(prepare(bytes), Err(MediaError::UnsupportedMedia)));
        }
        // A PNG signature with nothing after it.
        assert!(matches!(
            prepare(b"\x89PNG\r\n\x1a\n"),
            Err(MediaError::Unreadable(_))
        ));
    }

    #[test]
    fn an_image_too_large_is_refused_before_it_is_decoded() {
        // A PNG header claiming 100000 × 100000 pixels.
        let claim = |width: u32, height: u32| {
            let mut bytes = png(1, 1);
            bytes[16..20].copy_from_slice(&width.to_be_bytes());
            bytes[20..24].copy_from_slice(&height.to_be_bytes());
            let sum = crc32(&bytes[12..29]);
            bytes[29..33].copy_from_slice(&sum.to_be_bytes());
            bytes
        };
        for (width, height) in [(100_000, 100_000), (8_000, 8_000), (7_000, 4_000)] {
            assert!(
                matches!(
                    prepare(&claim(width, height)),
                    Err(MediaError::TooManyPixels { .. })
                ),
                "{width} × {height}"
            );
        }
        assert_eq!(widths_for(100), [100]);
        assert_eq!(widths_for(2000), [160, 480, 1200]);
    }
}
