//! The media boundary and its implementation over PostgreSQL and object storage.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use souk_tenants::{PlatformPool, TenantId, TenantTx};
use sqlx::PgPool;
use uuid::Uuid;

use crate::process::{self, Format};
use crate::storage::{File, Key, MediaStorage, Stored};
use crate::store::{self, ImageRow, NewImage};
use crate::MediaError;

/// The default most bytes one upload may have (`SOUK_MEDIA_MAX_BYTES`).
pub const DEFAULT_MAX_BYTES: usize = 10 * 1024 * 1024;
/// The most images one product keeps.
pub const MAX_PER_PRODUCT: usize = 20;
/// How old files no image uses must be before the sweep deletes them: far
/// longer than any upload takes between storing its files and its row.
pub const ORPHAN_AFTER: std::time::Duration = std::time::Duration::from_secs(3600);
/// The longest alt text, in characters.
pub const MAX_ALT_CHARS: usize = 300;

/// One stored image of a product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    pub id: Uuid,
    pub tenant: TenantId,
    pub product: String,
    /// The variant it shows, when it shows one.
    pub variant_sku: Option<String>,
    pub hash: String,
    pub format: Format,
    pub width: u32,
    pub height: u32,
    pub bytes: u64,
    /// The widths of its WebP renditions, narrowest first.
    pub renditions: Vec<u32>,
    pub alt: String,
    pub position: u32,
    pub created_at: DateTime<Utc>,
}

impl Image {
    /// The file to show at `width` pixels: the narrowest rendition at least
    /// that wide (else the widest), or the original when no width is asked.
    pub fn file(&self, width: Option<u32>) -> Key {
        let file = match width {
            None => File::Original(self.format),
            Some(wanted) => self
                .renditions
                .iter()
                .copied()
                .find(|w| *w >= wanted)
                .or_else(|| self.renditions.last().copied())
                .map_or(File::Original(self.format), File::Rendition),
        };
        Key {
            tenant: self.tenant,
            hash: self.hash.clone(),
            file,
        }
    }
}

impl TryFrom<ImageRow> for Image {
    type Error = MediaError;

    fn try_from(row: ImageRow) -> Result<Self, MediaError> {
        let corrupt =
            || MediaError::Internal(souk_tenants::InternalError::msg("a corrupt image row"));
        Ok(Self {
            id: row.id,
            tenant: TenantId::from_uuid(row.tenant_id),
            product: row.product_id,
            variant_sku: row.variant_sku,
            hash: row.hash,
            format: Format::parse(&row.format).ok_or_else(corrupt)?,
            width: u32::try_from(row.width).map_err(|_| corrupt())?,
            height: u32::try_from(row.height).map_err(|_| corrupt())?,
            bytes: u64::try_from(row.bytes).map_err(|_| corrupt())?,
            renditions: row
                .renditions
                .into_iter()
                .map(|w| u32::try_from(w).map_err(|_| corrupt()))
                .collect::<Result<_, _>>()?,
            alt: row.alt,
            position: u32::try_from(row.position).map_err(|_| corrupt())?,
            created_at: row.created_at,
        })
    }
}

/// An upload, as the API hands it over.
#[derive(Debug)]
pub struct Upload<'a> {
    pub product: &'a str,
    pub variant_sku: Option<&'a str>,
    pub alt: &'a str,
    pub bytes: Vec<u8>,
}

/// Everything media does. The caller has checked that the product (and the
/// variant) belong to the tenant.
#[async_trait]
pub trait Media: Send + Sync + 'static {
    async fn upload(&self, tenant: TenantId, upload: Upload<'_>) -> Result<Image, MediaError>;
    /// The images of each `(tenant, product)`, in their order.
    async fn images(&self, of: &[(TenantId, String)]) -> Result<Vec<Image>, MediaError>;
    async fn image(&self, tenant: TenantId, id: Uuid) -> Result<Image, MediaError>;
    async fn set_alt(&self, tenant: TenantId, id: Uuid, alt: &str) -> Result<Image, MediaError>;
    /// Puts the product's images in the order of `ids`, which must name each of
    /// them once.
    async fn reorder(
        &self,
        tenant: TenantId,
        product: &str,
        ids: &[Uuid],
    ) -> Result<Vec<Image>, MediaError>;
    async fn delete(&self, tenant: TenantId, id: Uuid) -> Result<Image, MediaError>;
    /// Deletes every image of a product (a deleted product's); how many.
    async fn delete_all(&self, tenant: TenantId, product: &str) -> Result<usize, MediaError>;
    /// A stored file, for serving.
    async fn stored(&self, key: &Key) -> Result<Option<Stored>, MediaError>;
    /// Deletes the files no image uses that were last written longer than
    /// `older_than` ago (an upload that stored its files and then never
    /// committed its row left them); how many files went.
    async fn sweep(&self, older_than: std::time::Duration) -> Result<usize, MediaError>;
    /// The most bytes one upload may have.
    fn max_bytes(&self) -> usize;
}

impl std::fmt::Debug for dyn Media {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("dyn Media")
    }
}

/// Media over PostgreSQL (the rows) and object storage (the files).
#[derive(Debug, Clone)]
pub struct PgMedia {
    pool: PgPool,
    platform: PlatformPool,
    storage: MediaStorage,
    max_bytes: usize,
    /// Bounds the decodes that run at once (one per core): uploads wait for a
    /// permit rather than taking every core and the memory of many decodes.
    decoding: std::sync::Arc<tokio::sync::Semaphore>,
}

impl PgMedia {
    pub fn new(
        pool: PgPool,
        platform: PlatformPool,
        storage: MediaStorage,
        max_bytes: usize,
    ) -> Self {
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        Self {
            pool,
            platform,
            storage,
            max_bytes,
            decoding: std::sync::Arc::new(tokio::sync::Semaphore::new(cores)),
        }
    }

    async fn held(&self, tenant: TenantId, product: &str) -> Result<i64, MediaError> {
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        let held = store::count(&mut tx, product).await?;
        tx.commit().await?;
        Ok(held)
    }

    /// Checks and prepares `bytes` on the blocking pool, one decode per core at
    /// a time. The permit moves into the work, so a client that hangs up does
    /// not free it before the decode ends.
    async fn prepare(&self, bytes: Vec<u8>) -> Result<process::Prepared, MediaError> {
        let permit = self
            .decoding
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| MediaError::Internal(souk_tenants::InternalError::new(e)))?;
        match tokio::task::spawn_blocking(move || {
            let _permit = permit;
            process::prepare(&bytes)
        })
        .await
        {
            Ok(prepared) => prepared,
            // A decoder that panics on a file has met a file it cannot read.
            Err(err) if err.is_panic() => Err(MediaError::Unreadable(
                "the decoder gave up on this file".into(),
            )),
            Err(err) => Err(MediaError::Internal(souk_tenants::InternalError::new(err))),
        }
    }
}

/// Alt text, checked.
pub fn alt_text(raw: &str) -> Result<String, MediaError> {
    let alt = raw.trim();
    if alt.chars().count() > MAX_ALT_CHARS {
        return Err(MediaError::Invalid(
            "alt",
            format!("at most {MAX_ALT_CHARS} characters"),
        ));
    }
    if alt.chars().any(char::is_control) {
        return Err(MediaError::Invalid("alt", "no control characters".into()));
    }
    Ok(alt.to_string())
}

fn to_i32(value: u32) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

#[async_trait]
impl Media for PgMedia {
    async fn upload(&self, tenant: TenantId, upload: Upload<'_>) -> Result<Image, MediaError> {
        if upload.bytes.len() > self.max_bytes {
            return Err(MediaError::TooLarge {
                max: self.max_bytes,
            });
        }
        let alt = alt_text(upload.alt)?;
        process::sniff(&upload.bytes)?;
        // A product already full costs no decode (checked again under its lock).
        if self.held(tenant, upload.product).await? >= MAX_PER_PRODUCT as i64 {
            return Err(MediaError::TooMany {
                max: MAX_PER_PRODUCT,
            });
        }
        let prepared = self.prepare(upload.bytes).await?;
        let renditions: Vec<i32> = prepared
            .renditions
            .iter()
            .map(|(w, _)| to_i32(*w))
            .collect();
        // The files first, holding no connection: content-addressed, so files of
        // an upload whose row never commits are this image's files.
        self.storage.put(tenant, &prepared).await?;
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        store::lock_product(&mut tx, upload.product).await?;
        if store::count(&mut tx, upload.product).await? >= MAX_PER_PRODUCT as i64 {
            return Err(MediaError::TooMany {
                max: MAX_PER_PRODUCT,
            });
        }
        // Under the hash's lock no deletion of these files runs; one that ran
        // between the put and the lock took them, so they go in again.
        store::lock_hash(&mut tx, &prepared.hash).await?;
        if !self.storage.has_original(tenant, &prepared).await? {
            self.storage.put(tenant, &prepared).await?;
        }
        let row = store::insert(
            &mut tx,
            NewImage {
                id: Uuid::now_v7(),
                product: upload.product,
                variant_sku: upload.variant_sku,
                hash: &prepared.hash,
                format: prepared.format.as_str(),
                width: to_i32(prepared.width),
                height: to_i32(prepared.height),
                bytes: i64::try_from(prepared.original.len()).unwrap_or(i64::MAX),
                renditions: &renditions,
                alt: &alt,
            },
        )
        .await?;
        tx.commit().await?;
        Image::try_from(row)
    }

    async fn images(&self, of: &[(TenantId, String)]) -> Result<Vec<Image>, MediaError> {
        if of.is_empty() {
            return Ok(Vec::new());
        }
        let tenants: Vec<Uuid> = of.iter().map(|(t, _)| t.as_uuid()).collect();
        let products: Vec<String> = of.iter().map(|(_, p)| p.clone()).collect();
        // One statement, so no transaction around it: one round trip.
        let mut conn = self.platform.pool().acquire().await?;
        let rows = store::of_products(&mut conn, &tenants, &products).await?;
        rows.into_iter().map(Image::try_from).collect()
    }

    async fn image(&self, tenant: TenantId, id: Uuid) -> Result<Image, MediaError> {
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        let row = store::get(&mut tx, id).await?;
        tx.commit().await?;
        Image::try_from(row.ok_or(MediaError::NotFound)?)
    }

    async fn set_alt(&self, tenant: TenantId, id: Uuid, alt: &str) -> Result<Image, MediaError> {
        let alt = alt_text(alt)?;
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        let row = store::set_alt(&mut tx, id, &alt).await?;
        tx.commit().await?;
        Image::try_from(row.ok_or(MediaError::NotFound)?)
    }

    async fn reorder(
        &self,
        tenant: TenantId,
        product: &str,
        ids: &[Uuid],
    ) -> Result<Vec<Image>, MediaError> {
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        store::lock_product(&mut tx, product).await?;
        let current = store::of_product(&mut tx, product).await?;
        let mut wanted = ids.to_vec();
        wanted.sort();
        wanted.dedup();
        let mut held: Vec<Uuid> = current.iter().map(|r| r.id).collect();
        held.sort();
        if wanted.len() != ids.len() || wanted != held {
            return Err(MediaError::Invalid(
                "imageIds",
                "must name each of the product's images once".into(),
            ));
        }
        for (position, id) in ids.iter().enumerate() {
            store::set_position(&mut tx, *id, i32::try_from(position).unwrap_or(i32::MAX)).await?;
        }
        let rows = store::of_product(&mut tx, product).await?;
        tx.commit().await?;
        rows.into_iter().map(Image::try_from).collect()
    }

    async fn delete(&self, tenant: TenantId, id: Uuid) -> Result<Image, MediaError> {
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        let Some(found) = store::get(&mut tx, id).await? else {
            return Err(MediaError::NotFound);
        };
        // The product's lock, then the file's: as an upload takes them.
        store::lock_product(&mut tx, &found.product_id).await?;
        store::lock_hash(&mut tx, &found.hash).await?;
        let row = store::delete(&mut tx, id)
            .await?
            .ok_or(MediaError::NotFound)?;
        // The images after it move up: positions stay 0, 1, 2, …
        store::close_gap(&mut tx, &row.product_id, row.position).await?;
        let image = Image::try_from(row)?;
        if !store::in_use(&mut tx, &image.hash).await? {
            // Under the hash's lock, so no upload of the same image is between
            // its files and its row meanwhile.
            self.storage
                .delete(tenant, &image.hash, image.format, &image.renditions)
                .await?;
        }
        tx.commit().await?;
        Ok(image)
    }

    async fn delete_all(&self, tenant: TenantId, product: &str) -> Result<usize, MediaError> {
        let ids: Vec<Uuid> = {
            let mut tx = TenantTx::begin(&self.pool, tenant).await?;
            let rows = store::of_product(&mut tx, product).await?;
            tx.commit().await?;
            rows.into_iter().map(|r| r.id).collect()
        };
        for id in &ids {
            match self.delete(tenant, *id).await {
                Ok(_) | Err(MediaError::NotFound) => {}
                Err(err) => return Err(err),
            }
        }
        Ok(ids.len())
    }

    async fn stored(&self, key: &Key) -> Result<Option<Stored>, MediaError> {
        self.storage.get(key).await
    }

    async fn sweep(&self, older_than: std::time::Duration) -> Result<usize, MediaError> {
        crate::sweep::orphans(&self.pool, &self.storage, older_than).await
    }

    fn max_bytes(&self) -> usize {
        self.max_bytes
    }
}
