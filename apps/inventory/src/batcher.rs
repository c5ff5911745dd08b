//! Group commit for reservations.
//!
//! Concurrent reservations of one tenant are gathered into a batch and sent as one
//! `inventory.reserve_batch` call: one round trip and one commit for the whole
//! batch, instead of each reservation queueing on a hot SKU's row lock for a WAL
//! flush of its own.
//!
//! There is no background task: the caller that finds its shard idle leads, taking
//! every pending reservation of the shard (its own included) into one batch and
//! answering the others. A lone reservation therefore runs in its caller's task
//! with no hand-off; under load, reservations arriving while a batch runs wait for
//! the next one. A leader that leaves jobs behind starts a task to lead them, so
//! no reservation is ever stranded.
//!
//! Tenants are spread over a fixed number of shards; a batch holds reservations of
//! several tenants of one shard and runs one call per tenant, concurrently.
//! Nothing grows with the number of tenants.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use souk_tenants::TenantId;
use sqlx::PgPool;
use tokio::sync::oneshot;

use crate::store::reservations::{self, BatchEntry, Reserved};

const SHARDS: usize = 16;
/// The most reservations one batch takes.
const MAX_BATCH: usize = 64;

#[derive(Debug)]
struct Job {
    tenant: TenantId,
    entry: BatchEntry,
    reply: oneshot::Sender<Result<Reserved, String>>,
}

#[derive(Debug, Default)]
struct Shard {
    pending: Mutex<Vec<Job>>,
    leading: AtomicBool,
}

#[derive(Debug)]
struct Inner {
    pool: PgPool,
    shards: [Shard; SHARDS],
}

/// Batches reservations per tenant.
#[derive(Debug, Clone)]
pub struct ReserveBatcher {
    inner: Arc<Inner>,
}

impl ReserveBatcher {
    pub fn new(pool: PgPool) -> Self {
        Self {
            inner: Arc::new(Inner {
                pool,
                shards: std::array::from_fn(|_| Shard::default()),
            }),
        }
    }

    /// Reserves one order, in whichever batch it joins. The error is the cause of a
    /// failed batch, for the log.
    pub async fn reserve(&self, tenant: TenantId, entry: BatchEntry) -> Result<Reserved, String> {
        let (reply, answer) = oneshot::channel();
        let index = shard_of(tenant);
        self.inner.shards[index]
            .pending
            .lock()
            .map_err(|_| "the reservation queue is poisoned".to_string())?
            .push(Job {
                tenant,
                entry,
                reply,
            });
        Inner::lead(&self.inner, index).await;
        answer
            .await
            .map_err(|_| "the reservation batch was dropped".to_string())?
    }
}

fn shard_of(tenant: TenantId) -> usize {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    tenant.hash(&mut hasher);
    usize::try_from(hasher.finish() % SHARDS as u64).unwrap_or(0)
}

impl Inner {
    /// Runs one batch of the shard's pending reservations unless someone already
    /// leads it; then, if reservations are still pending, leaves a task to lead.
    /// Every leader checks for pending work after it stops leading, so a
    /// reservation queued while it led is never left behind.
    async fn lead(self: &Arc<Self>, index: usize) {
        if self.lead_once(index).await && self.shards[index].has_pending() {
            tokio::spawn(Self::drain(Arc::clone(self), index));
        }
    }

    /// Leads batch after batch while reservations are pending and nobody else leads.
    async fn drain(self: Arc<Self>, index: usize) {
        while self.lead_once(index).await && self.shards[index].has_pending() {}
    }

    /// Runs one batch if nobody leads the shard; `false` when somebody does.
    async fn lead_once(&self, index: usize) -> bool {
        let shard = &self.shards[index];
        if shard
            .leading
            .compare_exchange(false, true, Ordering::SeqCst, Ordering::SeqCst)
            .is_err()
        {
            return false;
        }
        let batch = shard.take();
        if !batch.is_empty() {
            self.run(batch).await;
        }
        shard.leading.store(false, Ordering::SeqCst);
        true
    }

    async fn run(&self, batch: Vec<Job>) {
        let mut by_tenant: HashMap<TenantId, Vec<Job>> = HashMap::new();
        for job in batch {
            by_tenant.entry(job.tenant).or_default().push(job);
        }
        futures::future::join_all(
            by_tenant
                .into_iter()
                .map(|(tenant, jobs)| run_tenant(&self.pool, tenant, jobs)),
        )
        .await;
    }
}

impl Shard {
    fn take(&self) -> Vec<Job> {
        let Ok(mut pending) = self.pending.lock() else {
            return Vec::new();
        };
        let oldest = pending.len().min(MAX_BATCH);
        pending.drain(..oldest).collect()
    }

    fn has_pending(&self) -> bool {
        self.pending.lock().map(|p| !p.is_empty()).unwrap_or(false)
    }
}

async fn run_tenant(pool: &PgPool, tenant: TenantId, jobs: Vec<Job>) {
    let entries: Vec<BatchEntry> = jobs.iter().map(|job| job.entry.clone()).collect();
    match reservations::reserve_batch(pool, tenant, &entries).await {
        Ok(outcomes) => {
            for (job, outcome) in jobs.into_iter().zip(outcomes) {
                let _ = job.reply.send(Ok(outcome));
            }
        }
        Err(err) => {
            let cause = err.to_string();
            for job in jobs {
                let _ = job.reply.send(Err(cause.clone()));
            }
        }
    }
}
