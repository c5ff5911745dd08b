//! Where image files live: any `object_store` store, under
//! `{tenant}/{hash}/original.{ext}` and `{tenant}/{hash}/w{width}.webp`.
//! Keys are content-addressed inside the tenant's prefix: the same image
//! uploaded twice is one set of files, and no tenant's upload can land on
//! another's.

use std::sync::Arc;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::stream::{BoxStream, StreamExt, TryStreamExt};
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::prefix::PrefixStore;
use object_store::{ObjectStore, PutPayload};
use souk_tenants::TenantId;

use crate::process::{Format, Prepared};
use crate::MediaError;

/// Image files in object storage.
#[derive(Clone)]
pub struct MediaStorage {
    store: Arc<dyn ObjectStore>,
}

impl std::fmt::Debug for MediaStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MediaStorage({})", self.store)
    }
}

/// A stored file on its way out: its size and its bytes as they come.
pub struct Stored {
    pub size: u64,
    pub body: BoxStream<'static, object_store::Result<Bytes>>,
}

impl std::fmt::Debug for Stored {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Stored({} bytes)", self.size)
    }
}

/// The file of one stored image: its original, or a rendition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum File {
    Original(Format),
    Rendition(u32),
}

impl File {
    pub fn name(self) -> String {
        match self {
            File::Original(format) => format!("original.{}", format.extension()),
            File::Rendition(width) => format!("w{width}.webp"),
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            File::Original(format) => format.content_type(),
            File::Rendition(_) => Format::WebP.content_type(),
        }
    }

    /// A file name as [`File::name`] writes it; `None` for anything else.
    pub fn parse(name: &str) -> Option<Self> {
        if let Some(ext) = name.strip_prefix("original.") {
            return [Format::Jpeg, Format::Png, Format::WebP]
                .into_iter()
                .find(|f| f.extension() == ext)
                .map(File::Original);
        }
        let width = name.strip_prefix('w')?.strip_suffix(".webp")?;
        if width.is_empty() || width.len() > 5 || !width.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        width.parse().ok().filter(|w| *w > 0).map(File::Rendition)
    }
}

/// A stored file's key, checked: a tenant id, a SHA-256 in hex, a file name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    pub tenant: TenantId,
    pub hash: String,
    pub file: File,
}

impl Key {
    pub fn path(&self) -> Path {
        Path::from(format!(
            "{}/{}/{}",
            self.tenant.as_uuid(),
            self.hash,
            self.file.name()
        ))
    }

    /// `tenant/hash/file` as [`Key::path`] writes it; `None` for anything else
    /// (so a request path can never name a file outside the media layout).
    pub fn parse(raw: &str) -> Option<Self> {
        let mut parts = raw.split('/');
        let (tenant, hash, file) = (parts.next()?, parts.next()?, parts.next()?);
        // One spelling per file: the tenant's id as `Key::path` writes it.
        if parts.next().is_some()
            || !is_hash(hash)
            || tenant.len() != 36
            || tenant.bytes().any(|b| b.is_ascii_uppercase())
        {
            return None;
        }
        Some(Self {
            tenant: TenantId::parse(tenant).ok()?,
            hash: hash.to_string(),
            file: File::parse(file)?,
        })
    }
}

pub fn is_hash(raw: &str) -> bool {
    raw.len() == 64 && raw.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

impl MediaStorage {
    pub fn new(store: Arc<dyn ObjectStore>) -> Self {
        Self { store }
    }

    /// Files in a local folder (created when missing).
    pub fn local(dir: &std::path::Path) -> Result<Self, MediaError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| MediaError::Internal(souk_tenants::InternalError::new(e)))?;
        Ok(Self::new(Arc::new(LocalFileSystem::new_with_prefix(dir)?)))
    }

    /// The store a URL names (`s3://bucket/prefix`, `file:///dir`, …); S3
    /// credentials and region come from the usual `AWS_*` variables.
    pub fn from_url(raw: &str) -> Result<Self, String> {
        let url = url::Url::parse(raw).map_err(|e| format!("SOUK_MEDIA_URL: {e}"))?;
        let options = std::env::vars()
            .filter(|(key, _)| key.starts_with("AWS_"))
            .map(|(key, value)| (key.to_ascii_lowercase(), value));
        let (store, prefix) = object_store::parse_url_opts(&url, options)
            .map_err(|e| format!("SOUK_MEDIA_URL: {e}"))?;
        let store: Arc<dyn ObjectStore> = Arc::from(store);
        Ok(Self::new(Arc::new(PrefixStore::new(store, prefix))))
    }

    /// Stores an image's files; files already there (the same content) stay.
    pub async fn put(&self, tenant: TenantId, image: &Prepared) -> Result<(), MediaError> {
        let key = |file| Key {
            tenant,
            hash: image.hash.clone(),
            file,
        };
        let mut files = vec![(key(File::Original(image.format)), image.original.clone())];
        for (width, bytes) in &image.renditions {
            files.push((key(File::Rendition(*width)), bytes.clone()));
        }
        for (key, bytes) in files {
            self.store
                .put(&key.path(), PutPayload::from(Bytes::from(bytes)))
                .await?;
        }
        Ok(())
    }

    /// Whether an image's original is stored.
    pub async fn has_original(
        &self,
        tenant: TenantId,
        image: &Prepared,
    ) -> Result<bool, MediaError> {
        let key = Key {
            tenant,
            hash: image.hash.clone(),
            file: File::Original(image.format),
        };
        match self.store.head(&key.path()).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(err) => Err(err.into()),
        }
    }

    /// A stored file as it streams from the store, with its size; `None` when
    /// there is none. Nothing is held in memory but the chunk in flight.
    pub async fn get(&self, key: &Key) -> Result<Option<Stored>, MediaError> {
        match self.store.get(&key.path()).await {
            Ok(found) => Ok(Some(Stored {
                size: found.meta.size,
                body: found.into_stream().boxed(),
            })),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(err) => Err(err.into()),
        }
    }

    /// The tenants that have files.
    pub async fn tenants(&self) -> Result<Vec<TenantId>, MediaError> {
        let listed = self.store.list_with_delimiter(None).await?;
        Ok(listed
            .common_prefixes
            .iter()
            .filter_map(|prefix| TenantId::parse(prefix.as_ref()).ok())
            .collect())
    }

    /// Every file of one tenant's, by its key, with when it was last written
    /// (names outside the media layout are left out).
    pub async fn files_of(
        &self,
        tenant: TenantId,
    ) -> Result<Vec<(Key, DateTime<Utc>)>, MediaError> {
        let prefix = Path::from(tenant.as_uuid().to_string());
        let listed: Vec<_> = self.store.list(Some(&prefix)).try_collect().await?;
        Ok(listed
            .into_iter()
            .filter_map(|meta| Some((Key::parse(meta.location.as_ref())?, meta.last_modified)))
            .collect())
    }

    /// Deletes the files named (those missing are fine), originals first: a
    /// deletion stopped half-way leaves no original, so an upload of the same
    /// image (which checks for its original) stores all its files again.
    pub async fn delete_keys(&self, keys: &[Key]) -> Result<(), MediaError> {
        let originals = keys.iter().filter(|k| matches!(k.file, File::Original(_)));
        let renditions = keys.iter().filter(|k| !matches!(k.file, File::Original(_)));
        for key in originals.chain(renditions) {
            match self.store.delete(&key.path()).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(err) => return Err(err.into()),
            }
        }
        Ok(())
    }

    /// Deletes an image's files (those missing are fine).
    pub async fn delete(
        &self,
        tenant: TenantId,
        hash: &str,
        format: Format,
        renditions: &[u32],
    ) -> Result<(), MediaError> {
        let keys: Vec<Key> = std::iter::once(File::Original(format))
            .chain(renditions.iter().map(|w| File::Rendition(*w)))
            .map(|file| Key {
                tenant,
                hash: hash.to_string(),
                file,
            })
            .collect();
        self.delete_keys(&keys).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_media_layout_parses() {
        let tenant = "0190a1b2-0000-7000-8000-0000000000aa";
        let hash = "a".repeat(64);
        let key = Key::parse(&format!("{tenant}/{hash}/w480.webp")).expect("a rendition");
        assert_eq!(key.file, File::Rendition(480));
        assert_eq!(key.path().as_ref(), format!("{tenant}/{hash}/w480.webp"));
        assert!(Key::parse(&format!("{tenant}/{hash}/original.jpg")).is_some());
        for bad in [
            format!("{tenant}/{hash}/../../etc/passwd"),
            format!("{tenant}/{hash}/original.gif"),
            format!("{tenant}/{hash}/w0.webp"),
            format!("{tenant}/{hash}/w.webp"),
            format!("{tenant}/{hash}/w-1.webp"),
            format!("{tenant}/{hash}/w123456.webp"),
            format!("{tenant}/{}/w480.webp", "A".repeat(64)),
            format!("{tenant}/{hash}"),
            format!("../{hash}/w480.webp"),
            format!("{tenant}/{hash}/w480.webp/x"),
            format!("{}/{hash}/w480.webp", tenant.to_uppercase()),
            String::new(),
        ] {
            assert_eq!(Key::parse(&bad), None, "{bad}");
        }
    }
}
