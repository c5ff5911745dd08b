//! The payments reconciler: runs [`Payments::repair`] every `every` on every
//! replica (each step is idempotent, so replicas may overlap).

use std::time::Duration;

use chrono::Utc;
use tokio_util::sync::CancellationToken;

use crate::service::{Cursor, Payments, Repairs};

/// Repairs every `every` until `stop`: steps older than `stalled_after` count
/// as interrupted; open payments older than `abandoned_after` whose orders can
/// no longer be paid are cancelled.
pub async fn run(
    payments: Payments,
    every: Duration,
    stalled_after: Duration,
    abandoned_after: Duration,
    stop: CancellationToken,
) {
    let mut ticks = souk_tenants::ticks::Ticks::new(every, stop);
    let mut cursor: Cursor = None;
    let ago = |d: Duration| Utc::now() - chrono::Duration::from_std(d).unwrap_or_default();
    while ticks.next().await {
        match payments
            .repair(ago(stalled_after), ago(abandoned_after), &mut cursor)
            .await
        {
            Ok(repairs) if repairs != Repairs::default() => {
                tracing::info!(?repairs, "repaired payments")
            }
            Ok(_) => {}
            Err(err) => tracing::warn!(error = %err, "payment repair failed; retrying next tick"),
        }
    }
}
