//! Sending the owed emails: each claimed for a while (SKIP LOCKED), then sent,
//! then its outcome recorded.

use std::sync::Arc;

use std::time::Duration;

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

/// How long a claimed email is the claimer's: longer than [`WORK_LIMIT`], so
/// no other sender takes it while it is being sent.
const LEASE_SECS: f64 = 120.0;
/// The most one email's reading and sending may take.
const WORK_LIMIT: Duration = Duration::from_secs(60);
/// How long a finished email's row is kept (its key keeps a late redelivery of
/// its event from sending it again).
const KEEP_DAYS: f64 = 30.0;

/// Claims the next due email for [`LEASE_SECS`], renders and sends it, and
/// records the outcome; `None` when nothing is due. No transaction stays open
/// while the services are read or the SMTP server answers.
pub async fn send_one(
    pool: &PgPool,
    mailer: &Mailer,
    directory: &dyn Directory,
) -> Result<Option<Outcome>, sqlx::Error> {
    let Some(row) = sqlx::query!(
        r#"UPDATE souk.order_emails
           SET next_attempt_at = now() + $1 * interval '1 second'
           WHERE id = (SELECT id FROM souk.order_emails
                       WHERE done_at IS NULL AND next_attempt_at <= now()
                       ORDER BY next_attempt_at, id
                       LIMIT 1
                       FOR UPDATE SKIP LOCKED)
           RETURNING id, kind, tenant_id, event_id, payload, attempts, created_at"#,
        LEASE_SECS,
    )
    .fetch_optional(pool)
    .await?
    else {
        return Ok(None);
    };
    let mut payload = row.payload;
    let outcome = match Kind::parse(&row.kind) {
        None => Outcome::Skipped(format!("unknown kind {}", row.kind)),
        Some(kind) => {
            let owed = Owed {
                id: row.id,
                kind,
                tenant: row.tenant_id,
                payload: payload.clone(),
                created_at: row.created_at,
            };
            let id = format!("order-email-{}.{}", row.id, row.event_id.simple());
            match tokio::time::timeout(
                WORK_LIMIT,
                deliver(mailer, directory, &owed, id, &mut payload),
            )
            .await
            {
                Ok(outcome) => outcome,
                Err(_) => Outcome::Failed(format!("took longer than {} s", WORK_LIMIT.as_secs())),
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
             next_attempt_at = now() + $5 * interval '1 second',
             payload = $6
         WHERE id = $1",
        row.id,
        attempts,
        done,
        record,
        f64::from(retry),
        payload,
    )
    .execute(pool)
    .await?;
    Ok(Some(outcome))
}

/// Renders `owed` and sends it to each recipient on their own (no one sees
/// another's address, and one refused address holds up no one else). Those
/// reached are kept in the payload's `sentTo`, so a retry skips them.
async fn deliver(
    mailer: &Mailer,
    directory: &dyn Directory,
    owed: &Owed,
    id: String,
    payload: &mut serde_json::Value,
) -> Outcome {
    let (to, email) = match compose(directory, owed).await {
        Ok(Compose::Send { to, email }) => (to, email.with_id(id)),
        Ok(Compose::Skip(reason)) => return Outcome::Skipped(reason),
        Ok(Compose::Later(_)) => return Outcome::Later,
        Err(err) => return Outcome::Failed(err),
    };
    let mut reached: Vec<String> = payload["sentTo"]
        .as_array()
        .map(|sent| {
            sent.iter()
                .filter_map(|a| a.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let mut failures = Vec::new();
    let due: Vec<String> = to.into_iter().filter(|a| !reached.contains(a)).collect();
    for address in &due {
        match mailer.send(std::slice::from_ref(address), &email).await {
            Ok(()) => reached.push(address.clone()),
            Err(err) => failures.push(err),
        }
    }
    payload["sentTo"] = serde_json::json!(reached);
    match failures.is_empty() {
        true => Outcome::Sent,
        false => Outcome::Failed(failures.join("; ")),
    }
}

/// Deletes finished emails older than [`KEEP_DAYS`], a thousand at a time.
pub async fn forget_old(pool: &PgPool) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query!(
        "DELETE FROM souk.order_emails
         WHERE id IN (SELECT id FROM souk.order_emails
                      WHERE done_at < now() - $1 * interval '1 day'
                      LIMIT 1000)",
        KEEP_DAYS,
    )
    .execute(pool)
    .await?
    .rows_affected())
}

/// Sends due order emails every second until `stop`.
pub async fn run(
    pool: PgPool,
    mailer: Mailer,
    directory: Arc<dyn Directory>,
    stop: CancellationToken,
) {
    crate::mail::every_second(stop, "order email sweep", || async {
        forget_old(&pool).await?;
        send_due(&pool, &mailer, directory.as_ref(), 50).await
    })
    .await;
}
