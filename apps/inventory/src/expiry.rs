//! The background task that expires overdue reservations.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::Inventory;

/// How many reservations one sweep expires at most; a sweep that fills its batch
/// runs again at once.
const BATCH: i32 = 500;

/// Expires overdue reservations every `every` until `stop` is cancelled. Safe to
/// run in every replica: each reservation expires exactly once.
pub async fn run(inventory: Arc<dyn Inventory>, every: Duration, stop: CancellationToken) {
    let mut ticks = souk_tenants::ticks::Ticks::new(every, stop);
    while ticks.next().await {
        loop {
            match inventory.expire_due(BATCH).await {
                Ok(n) if usize::try_from(BATCH).is_ok_and(|batch| n >= batch) => continue,
                Ok(n) => {
                    if n > 0 {
                        tracing::info!(expired = n, "expired overdue reservations");
                    }
                    break;
                }
                Err(err) => {
                    tracing::warn!(error = %err, "reservation expiry sweep failed; retrying next tick");
                    break;
                }
            }
        }
    }
}
