//! Sending the owed emails: one row per transaction, claimed with SKIP LOCKED.

use std::sync::Arc;

use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use super::compose::{compose, Compose, Owed};
use super::queue::Kind;
use super::Directory;
use crate::mail::{backoff, Mailer};

/// After this many failed tries an email is given up (recorded as failed):
/// about a day of hourly retries.
pub const MAX_ATTEMPTS: i32 = 30;
/// How long an email that waits for its checkout waits between looks.
const NOT_YET_SECS: i32 = 5;

/// What happened to one email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Sent,
    Skipped(String),
    Later,
    Failed(String),
}

/// Sends up to `max` due emails; returns what happened to each.
/// `pool` logs in as the platform role.
pub async fn send_due(
    pool: &PgPool,
    mailer: &Mailer,
    directory: &dyn Directory,
    max: usize,
) -> Result<Vec<Outcome>, sqlx::Error> {
    let mut outcomes = Vec::new();
    while outcomes.len() < max {
        match send_one(pool, mailer, directory).await? {
            Some(outcome) => outcomes.push(outcome),
            None => break,
        }
    }
    Ok(outcomes)
}

/// Claims the next due email, sends it and records the outcome, in one
/// transaction; `None` when nothing is due.
pub async fn send_one(
    pool: &PgPool,
    mailer: &Mailer,
    directory: &dyn Directory,
) -> Result<Option<Outcome>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let Some(row) = sqlx::query!(
        r#"SELECT id, kind, tenant_id, payload, attempts, created_at
           FROM souk.order_emails
           WHERE done_at IS NULL AND next_attempt_at <= now()
           ORDER BY next_attempt_at, id
           LIMIT 1
           FOR UPDATE SKIP LOCKED"#,
    )
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(None);
    };
    let outcome = match Kind::parse(&row.kind) {
        None => Outcome::Skipped(format!("unknown kind {}", row.kind)),
        Some(kind) => {
            let owed = Owed {
                id: row.id,
                kind,
                tenant: row.tenant_id,
                payload: row.payload,
                created_at: row.created_at,
            };
            match compose(directory, &owed).await {
                Ok(Compose::Send { to, email }) => {
                    let email = email.with_id(format!("order-email-{}", row.id));
                    match mailer.send(&to, &email).await {
                        Ok(()) => Outcome::Sent,
                        Err(err) => Outcome::Failed(err),
                    }
                }
                Ok(Compose::Skip(reason)) => Outcome::Skipped(reason),
                Ok(Compose::Later(_)) => Outcome::Later,
                Err(err) => Outcome::Failed(err),
            }
        }
    };
    let attempts = row.attempts + i32::from(matches!(outcome, Outcome::Failed(_)));
    let (done, record, retry) = match &outcome {
        Outcome::Sent => (true, Some("sent".to_string()), 0),
        Outcome::Skipped(reason) => (true, Some(format!("skipped: {reason}")), 0),
        Outcome::Later => (false, None, NOT_YET_SECS),
        Outcome::Failed(err) if attempts >= MAX_ATTEMPTS => {
            tracing::error!(email = row.id, attempts, error = %err, "order email given up");
            (true, Some(format!("failed: {err}")), 0)
        }
        Outcome::Failed(err) => {
            tracing::warn!(email = row.id, attempts, error = %err, "order email failed; will retry");
            (false, None, backoff(attempts - 1))
        }
    };
    sqlx::query!(
        "UPDATE souk.order_emails
         SET attempts = $2,
             done_at = CASE WHEN $3 THEN now() END,
             outcome = $4,
             next_attempt_at = now() + $5 * interval '1 second'
         WHERE id = $1",
        row.id,
        attempts,
        done,
        record,
        f64::from(retry),
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Some(outcome))
}

/// Sends due order emails every second until `stop`.
pub async fn run(
    pool: PgPool,
    mailer: Mailer,
    directory: Arc<dyn Directory>,
    stop: CancellationToken,
) {
    crate::mail::every_second(stop, "order email sweep", || {
        send_due(&pool, &mailer, directory.as_ref(), 50)
    })
    .await;
}
