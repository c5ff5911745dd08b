//! Files no image row names: an upload stores its files before its row
//! commits, and one interrupted in between (a crash, a lost connection) leaves
//! them behind. The sweep deletes them once they are older than any upload in
//! flight, under the same per-file lock as a deletion.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use souk_tenants::TenantTx;
use sqlx::PgPool;

use crate::storage::{Key, MediaStorage};
use crate::{store, Media, MediaError};

/// Deletes the files no image of their tenant uses that were last written
/// longer than `older_than` ago; how many files went.
pub(crate) async fn orphans(
    pool: &PgPool,
    storage: &MediaStorage,
    older_than: Duration,
) -> Result<usize, MediaError> {
    let cutoff =
        Utc::now() - chrono::Duration::from_std(older_than).unwrap_or(chrono::Duration::MAX);
    let mut swept = 0;
    for tenant in storage.tenants().await? {
        // One tenant's failure (a file the store refuses to delete, say) does
        // not keep the others from being swept.
        match tenant_orphans(pool, storage, tenant, cutoff).await {
            Ok(files) => swept += files,
            Err(err) => {
                tracing::warn!(error = %err, tenant = %tenant, "sweeping a tenant's image files failed");
            }
        }
    }
    Ok(swept)
}

async fn tenant_orphans(
    pool: &PgPool,
    storage: &MediaStorage,
    tenant: souk_tenants::TenantId,
    cutoff: DateTime<Utc>,
) -> Result<usize, MediaError> {
    let mut swept = 0;
    let mut by_hash: BTreeMap<String, (Vec<Key>, DateTime<Utc>)> = BTreeMap::new();
    for (key, written) in storage.files_of(tenant).await? {
        let entry = by_hash
            .entry(key.hash.clone())
            .or_insert_with(|| (Vec::new(), written));
        entry.1 = entry.1.max(written);
        entry.0.push(key);
    }
    // A hash with any file written since the cutoff may be an upload in
    // flight: it waits for a later sweep.
    by_hash.retain(|_, (_, written)| *written < cutoff);
    if by_hash.is_empty() {
        return Ok(0);
    }
    let hashes: Vec<String> = by_hash.keys().cloned().collect();
    let used = {
        let mut tx = TenantTx::begin(pool, tenant).await?;
        let used = store::used_of(&mut tx, &hashes).await?;
        tx.commit().await?;
        used
    };
    for hash in used {
        by_hash.remove(&hash);
    }
    for (hash, (keys, _)) in by_hash {
        // Under the hash's lock, as a deletion: an upload of the same
        // content that stored its files meanwhile finds them gone and
        // stores them again before its row commits.
        let mut tx = TenantTx::begin(pool, tenant).await?;
        store::lock_hash(&mut tx, &hash).await?;
        if !store::in_use(&mut tx, &hash).await? {
            storage.delete_keys(&keys).await?;
            swept += keys.len();
        }
        tx.commit().await?;
    }
    Ok(swept)
}

/// Sweeps orphaned files every `every`, for as long as `stop` is not cancelled.
/// Any number of gateways may sweep at once: each file is deleted under its
/// hash's lock, and a file already gone is fine.
pub async fn run_sweeper(
    media: Arc<dyn Media>,
    every: Duration,
    older_than: Duration,
    stop: tokio_util::sync::CancellationToken,
) {
    let mut ticks = souk_tenants::ticks::Ticks::new(every, stop);
    while ticks.next().await {
        match media.sweep(older_than).await {
            Ok(0) => {}
            Ok(swept) => tracing::info!(files = swept, "deleted image files no image uses"),
            Err(err) => {
                tracing::warn!(error = %err, "the image file sweep failed; retrying next tick")
            }
        }
    }
}
