//! Keeps the read model in step with the catalog and inventory, and rebuilds it.
//!
//! Every replica runs [`Projector::run`]; the one holding a PostgreSQL advisory
//! lock does the work, the others wait to take over (a replica that dies drops
//! its session, and with it the lock). The leader, every tick:
//! * takes the SKUs whose availability crossed zero (noted by a trigger in the
//!   same transaction as the stock change) and sets their listings' flag;
//! * checks again the flag of listings written in the last seconds;
//! * every second, reads the catalog's products changed since its checkpoint
//!   (by `updated_at`, re-reading a short overlap so a write stamped a little
//!   earlier is not missed) and writes any listing that is behind.

use souk_tenants::IntErr;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use mongodb::bson::{doc, Document};
use mongodb::Collection;
use sqlx::pool::PoolConnection;
use sqlx::{PgConnection, Postgres};
use tokio_util::sync::CancellationToken;

use super::{write, PgListings};
use crate::domain::{InternalError, Product};
use crate::store::products::{self, to_bson};

/// The advisory lock the leading projector holds.
const LEADER_LOCK: i64 = 0x536f_756b_4c69_7374;
const CHECKPOINT: &str = "catalog";
/// How far back each catalog pass reads again.
const OVERLAP: chrono::Duration = chrono::Duration::seconds(2);
const CATALOG_EVERY: Duration = Duration::from_secs(1);
/// Listings written this recently have their in-stock flag checked again.
const RECHECK_SECONDS: f64 = 5.0;
const BATCH: i64 = 500;

/// The projector of one replica.
#[derive(Debug, Clone)]
pub struct Projector {
    listings: PgListings,
    products: Collection<Document>,
    interval: Duration,
}

enum Turn {
    Stopped,
    NotLeader,
}

impl Projector {
    /// A projector over the catalog database's products, ticking every
    /// `interval` while it leads.
    pub fn new(listings: PgListings, catalog: &mongodb::Database, interval: Duration) -> Self {
        Self {
            listings,
            products: catalog.collection(products::COLLECTION),
            interval,
        }
    }

    /// Projects until `stop`, leading when no other replica does.
    pub async fn run(self, stop: CancellationToken) {
        let mut failing = false;
        loop {
            let wait = match self.lead(&stop).await {
                Ok(Turn::Stopped) => return,
                Ok(Turn::NotLeader) => Duration::from_secs(1),
                Err(err) => {
                    if !failing {
                        tracing::warn!(error = %err, "the storefront projector failed; retrying");
                    }
                    failing = true;
                    Duration::from_secs(1)
                }
            };
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(wait) => {}
            }
        }
    }

    async fn connection(&self) -> Result<PoolConnection<Postgres>, InternalError> {
        self.listings.platform().pool().acquire().await.int_err()
    }

    async fn lead(&self, stop: &CancellationToken) -> Result<Turn, InternalError> {
        let mut conn = self.connection().await?;
        let leader = sqlx::query_scalar!(
            r#"SELECT pg_try_advisory_lock($1) AS "leader!""#,
            LEADER_LOCK
        )
        .fetch_one(&mut *conn)
        .await
        .int_err()?;
        if !leader {
            return Ok(Turn::NotLeader);
        }
        let turn = self.ticks(&mut conn, stop).await;
        // A healthy session gives the lock back; a broken one lost it already.
        let _ = sqlx::query!("SELECT FROM pg_advisory_unlock_all()")
            .execute(&mut *conn)
            .await;
        turn
    }

    async fn ticks(
        &self,
        conn: &mut PgConnection,
        stop: &CancellationToken,
    ) -> Result<Turn, InternalError> {
        tracing::info!("leading the storefront projection");
        let mut catalog_due = Instant::now();
        loop {
            while write::drain_stale(conn, BATCH).await.int_err()? == BATCH {}
            while write::drain_sold(conn, BATCH).await.int_err()? == BATCH {}
            write::recheck_recent(conn, RECHECK_SECONDS)
                .await
                .int_err()?;
            if catalog_due.elapsed() >= Duration::ZERO {
                self.catch_up(conn).await?;
                catalog_due = Instant::now() + CATALOG_EVERY;
            }
            tokio::select! {
                () = stop.cancelled() => return Ok(Turn::Stopped),
                () = tokio::time::sleep(self.interval) => {}
            }
        }
    }

    /// Writes every listing behind the catalog's products changed since the
    /// checkpoint; moves the checkpoint.
    async fn catch_up(&self, conn: &mut PgConnection) -> Result<usize, InternalError> {
        let since = sqlx::query_scalar!(
            "SELECT position FROM storefront.checkpoints WHERE name = $1",
            CHECKPOINT
        )
        .fetch_optional(&mut *conn)
        .await
        .int_err()?;
        let mut after = since.map(|at| (at - OVERLAP, None));
        let mut written = 0;
        loop {
            let filter = match after {
                None => doc! {},
                Some((at, None)) => doc! { "updated_at": { "$gte": to_bson(at) } },
                Some((at, Some(id))) => doc! { "$or": [
                    { "updated_at": { "$gt": to_bson(at) } },
                    { "updated_at": to_bson(at), "_id": { "$gt": id } },
                ] },
            };
            let batch = self
                .read(filter, doc! { "updated_at": 1, "_id": 1 })
                .await?;
            written += behind(conn, &batch).await?;
            let Some(last) = batch.last() else { break };
            after = Some((last.updated_at, Some(last.id.0)));
            save_checkpoint(conn, last.updated_at).await?;
            if (batch.len() as i64) < BATCH {
                break;
            }
        }
        Ok(written)
    }

    async fn read(&self, filter: Document, sort: Document) -> Result<Vec<Product>, InternalError> {
        let cursor = self.products.find(filter).sort(sort).limit(BATCH).await?;
        let docs: Vec<Document> = cursor.try_collect().await?;
        docs.iter().map(products::from_document).collect()
    }

    /// Writes every product's listing again, unlists rows no product backs any
    /// more, sets every in-stock flag from inventory and moves the checkpoint to
    /// the rebuild's start. Safe while the platform serves: a listing written
    /// meanwhile is never replaced by an older version.
    pub async fn rebuild(&self) -> Result<Rebuilt, InternalError> {
        let started = Instant::now();
        let mut conn = self.connection().await?;
        let began = sqlx::query_scalar!(r#"SELECT now() AS "now!""#)
            .fetch_one(&mut *conn)
            .await
            .int_err()?;
        let mut products = 0;
        let mut after = None;
        loop {
            let filter = after.map_or_else(Document::new, |id| doc! { "_id": { "$gt": id } });
            let batch = self.read(filter, doc! { "_id": 1 }).await?;
            retry_deadlock!(write_batch(&mut conn, &batch).await).int_err()?;
            products += batch.len();
            let Some(last) = batch.last() else { break };
            after = Some(last.id.0);
            if (batch.len() as i64) < BATCH {
                break;
            }
        }
        let unlisted = retry_deadlock!(
            sqlx::query!(
                "UPDATE storefront.listings SET listed = false, projected_at = now()
             WHERE listed AND projected_at < $1",
                began,
            )
            .execute(&mut *conn)
            .await
        )
        .int_err()?
        .rows_affected();
        let flags = retry_deadlock!(write::recheck_all(&mut conn).await).int_err()?;
        retry_deadlock!(write::recount_sold(&mut conn).await).int_err()?;
        save_checkpoint(&mut conn, began).await?;
        Ok(Rebuilt {
            products,
            unlisted,
            flags,
            took: started.elapsed(),
        })
    }
}

/// Evaluates `$step` again while PostgreSQL picks it as a deadlock's victim (a
/// rebuild's bulk updates and the leading projector's drains lock the same
/// listings in different orders; either may be picked, and both can repeat).
macro_rules! retry_deadlock {
    ($step:expr) => {{
        let mut tries = 0;
        loop {
            match $step {
                Err(sqlx::Error::Database(err))
                    if err.code().as_deref() == Some("40P01") && tries < 10 =>
                {
                    tries += 1;
                    tokio::time::sleep(Duration::from_millis(20 * tries)).await;
                }
                other => break other,
            }
        }
    }};
}
use retry_deadlock;

/// Writes a batch of listings in one transaction.
async fn write_batch(conn: &mut PgConnection, batch: &[Product]) -> Result<(), sqlx::Error> {
    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
    for product in batch {
        write::upsert(&mut tx, product, true).await?;
    }
    tx.commit().await
}

/// What a rebuild did.
#[derive(Debug, Clone, Copy)]
pub struct Rebuilt {
    pub products: usize,
    pub unlisted: u64,
    pub flags: u64,
    pub took: Duration,
}

/// Writes the listings of `batch` that are behind (by version); how many.
async fn behind(conn: &mut PgConnection, batch: &[Product]) -> Result<usize, InternalError> {
    if batch.is_empty() {
        return Ok(0);
    }
    let ids: Vec<String> = batch.iter().map(|p| p.id.0.to_hex()).collect();
    let known: Vec<(String, i64)> = sqlx::query!(
        "SELECT product_id, version FROM storefront.listings WHERE product_id = ANY($1)",
        &ids,
    )
    .fetch_all(&mut *conn)
    .await
    .int_err()?
    .into_iter()
    .map(|row| (row.product_id, row.version))
    .collect();
    let mut written = 0;
    for product in batch {
        let id = product.id.0.to_hex();
        let current = known.iter().find(|(known, _)| *known == id).map(|k| k.1);
        if current.is_some_and(|version| version >= product.version) {
            continue;
        }
        write::upsert(conn, product, false).await.int_err()?;
        written += 1;
    }
    Ok(written)
}

async fn save_checkpoint(conn: &mut PgConnection, at: DateTime<Utc>) -> Result<(), InternalError> {
    sqlx::query!(
        "INSERT INTO storefront.checkpoints (name, position) VALUES ($1, $2)
         ON CONFLICT (name) DO UPDATE SET position = GREATEST(storefront.checkpoints.position, EXCLUDED.position)",
        CHECKPOINT,
        at,
    )
    .execute(conn)
    .await
    .int_err()?;
    Ok(())
}
