//! Group commit for reservations.
//!
//! Concurrent reservations of one tenant are gathered into a batch and sent as one
//! `inventory.reserve_batch` call: one round trip and one commit for the whole
//! batch, instead of each reservation queueing on a hot SKU's row lock for a WAL
//! flush of its own.
//!
//! A caller that finds its shard idle starts a task that leads it: the task takes
//! every pending reservation of the shard (the caller's included) into one batch,
//! answers each through its oneshot, and repeats while reservations are pending.
//! Under load, reservations arriving while a batch runs wait for the next one.
//! Nothing of a batch lives in a request's future: a request only awaits its
//! answer, so a client that hangs up (its request dropped at any await) cannot
//! interrupt a batch or leave the shard led by nobody. The hand-off costs one
//! task spawn per batch, microseconds against the database round trip.
//!
//! Tenants are spread over a fixed number of shards; a batch holds reservations of
//! several tenants of one shard and runs one call per tenant, concurrently.
//! Nothing grows with the number of tenants.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use souk_tenants::fault::Failure;
use souk_tenants::TenantId;
use sqlx::PgPool;
use tokio::sync::oneshot;

use crate::store::reservations;
pub use crate::store::reservations::{reserve_batch, BatchEntry, Reserved};

const SHARDS: usize = 16;
/// The most reservations one batch takes.
const MAX_BATCH: usize = 64;

#[derive(Debug)]
struct Job {
    tenant: TenantId,
    entry: BatchEntry,
    reply: oneshot::Sender<Result<Reserved, Failure>>,
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
    /// failed batch, with its fault class.
    pub async fn reserve(&self, tenant: TenantId, entry: BatchEntry) -> Result<Reserved, Failure> {
        let (reply, answer) = oneshot::channel();
        let index = shard_of(tenant);
        self.inner.shards[index]
            .pending
            .lock()
            .map_err(|_| Failure::internal("the reservation queue is poisoned"))?
            .push(Job {
                tenant,
                entry,
                reply,
            });
        self.inner.lead(index);
        answer
            .await
            .map_err(|_| Failure::internal("the reservation batch was dropped"))?
    }
}

fn shard_of(tenant: TenantId) -> usize {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    tenant.hash(&mut hasher);
    usize::try_from(hasher.finish() % SHARDS as u64).unwrap_or(0)
}

impl Inner {
    /// Makes sure somebody leads the shard: when nobody does, a task is started to
    /// lead it. The batches run in that task, not in any request's future, so a
    /// request that is dropped (its client hung up) cannot stop a batch half-way,
    /// strand the reservations batched with it, or leave the shard marked as led.
    fn lead(self: &Arc<Self>, index: usize) {
        if let Some(lead) = Lead::take(self, index) {
            tokio::spawn(lead.drain());
        }
    }
}

/// The lead of one shard, held by the task that runs its batches. If that task
/// ends without giving the lead back (it panicked, or the runtime is shutting
/// down), dropping the lead gives it back, so the shard is never left led by
/// nobody; after a panic, a new task takes the reservations still pending.
struct Lead {
    inner: Arc<Inner>,
    index: usize,
    held: bool,
}

impl Lead {
    /// The shard's lead, unless somebody holds it.
    fn take(inner: &Arc<Inner>, index: usize) -> Option<Self> {
        let mut lead = Self {
            inner: Arc::clone(inner),
            index,
            held: false,
        };
        lead.retake().then_some(lead)
    }

    fn retake(&mut self) -> bool {
        self.held = self.inner.shards[self.index]
            .leading
            .compare_exchange(false, true, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok();
        self.held
    }

    fn give_back(&mut self) {
        self.inner.shards[self.index]
            .leading
            .store(false, Ordering::SeqCst);
        self.held = false;
    }

    /// Runs batch after batch while reservations are pending. A reservation
    /// queued while the lead was held counts on this task to run it, so after
    /// giving the lead back the queue is checked once more.
    async fn drain(mut self) {
        let inner = Arc::clone(&self.inner);
        let shard = &inner.shards[self.index];
        loop {
            let batch = shard.take();
            if batch.is_empty() {
                self.give_back();
                if shard.has_pending() && self.retake() {
                    continue;
                }
                return;
            }
            inner.run(batch).await;
        }
    }
}

impl Drop for Lead {
    fn drop(&mut self) {
        if !self.held {
            return;
        }
        self.give_back();
        if std::thread::panicking() && self.inner.shards[self.index].has_pending() {
            self.inner.lead(self.index);
        }
    }
}

impl Inner {
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
            let cause = Failure::of(&err);
            for job in jobs {
                let _ = job.reply.send(Err(cause.clone()));
            }
        }
    }
}
