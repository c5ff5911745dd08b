//! Stripe's webhook events, each processed once (`billing.webhook_events`).

use sqlx::PgConnection;

/// Records a Stripe webhook event id; `false` when it was already processed.
pub async fn first_delivery(conn: &mut PgConnection, id: &str, kind: &str) -> sqlx::Result<bool> {
    let inserted = sqlx::query!(
        "INSERT INTO billing.webhook_events (id, kind) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING",
        id,
        kind,
    )
    .execute(conn)
    .await?;
    Ok(inserted.rows_affected() == 1)
}
