//! Notification preferences: a row only once a person changed a default.

use sqlx::PgPool;

use crate::domain::{NotificationPreferences, PreferencesChange, UserId};

/// The preferences of every user in `ids` that has changed a default; the others
/// have [`NotificationPreferences::default`].
pub async fn of(
    pool: &PgPool,
    ids: &[uuid::Uuid],
) -> Result<Vec<(uuid::Uuid, NotificationPreferences)>, sqlx::Error> {
    let rows = sqlx::query!(
        "SELECT user_id, order_updates, new_orders FROM identity.notification_preferences
         WHERE user_id = ANY($1)",
        ids,
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            (
                row.user_id,
                NotificationPreferences {
                    order_updates: row.order_updates,
                    new_orders: row.new_orders,
                },
            )
        })
        .collect())
}

/// Applies `change` in one statement (concurrent changes of different choices
/// both stand) and returns the preferences after it.
pub async fn update(
    pool: &PgPool,
    user: UserId,
    change: PreferencesChange,
) -> Result<NotificationPreferences, sqlx::Error> {
    let defaults = NotificationPreferences::default();
    let row = sqlx::query!(
        "INSERT INTO identity.notification_preferences (user_id, order_updates, new_orders)
         VALUES ($1, COALESCE($2::boolean, $4::boolean), COALESCE($3::boolean, $5::boolean))
         ON CONFLICT (user_id) DO UPDATE
         SET order_updates = COALESCE($2::boolean, notification_preferences.order_updates),
             new_orders = COALESCE($3::boolean, notification_preferences.new_orders),
             updated_at = now()
         RETURNING order_updates, new_orders",
        user.0,
        change.order_updates,
        change.new_orders,
        defaults.order_updates,
        defaults.new_orders,
    )
    .fetch_one(pool)
    .await?;
    Ok(NotificationPreferences {
        order_updates: row.order_updates,
        new_orders: row.new_orders,
    })
}
