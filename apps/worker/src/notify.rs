//! Low-stock emails: one per `stock.low` event (which is written once per
//! downward crossing of the reorder threshold), to the vendor's owners, with text
//! and HTML bodies from the templates in `templates/`. A failed send is retried
//! with growing delays; this loop runs beside the relay and never holds it up.

use async_trait::async_trait;
use serde::Serialize;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::mail::Email;
pub use crate::mail::{backoff, Mailer};

/// Who to tell, and what to call things: provided by the services.
#[async_trait]
pub trait Recipients: Send + Sync + 'static {
    /// The email addresses of the vendor's owners.
    async fn owner_emails(&self, tenant: Uuid) -> Result<Vec<String>, String>;
    async fn vendor_name(&self, tenant: Uuid) -> Result<String, String>;
    /// The title of the product that sells `sku`, if any.
    async fn product_title(&self, tenant: Uuid, sku: &str) -> Result<Option<String>, String>;
}

/// The facts of one low-stock email.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LowStock {
    pub vendor: String,
    pub product: String,
    pub sku: String,
    pub available: i64,
    pub threshold: i64,
}

impl LowStock {
    pub fn email(&self) -> Result<Email, String> {
        Email::render(
            format!(
                "Low stock: {} ({}) — {} left",
                self.product, self.sku, self.available
            ),
            "low-stock",
            self,
        )
    }
}

/// Sends the emails of up to `max` due events; returns how many were sent.
/// `pool` logs in as the platform role: the events of every tenant are claimed.
pub async fn notify_once(
    pool: &PgPool,
    mailer: &Mailer,
    recipients: &dyn Recipients,
    max: i32,
) -> Result<usize, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let due = sqlx::query!(
        r#"SELECT id AS "id!", tenant_id AS "tenant_id!", payload AS "payload!",
                  attempts AS "attempts!"
           FROM souk.claim_low_stock($1)"#,
        max,
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut sent = 0;
    for event in due {
        let (id, tenant, payload, attempts) =
            (event.id, event.tenant_id, event.payload, event.attempts);
        let outcome = deliver(mailer, recipients, tenant, &payload).await;
        if let Err(err) = &outcome {
            tracing::warn!(event = id, attempts, error = %err, "low-stock email failed; will retry");
        }
        sqlx::query!(
            "SELECT FROM souk.low_stock_notified($1, $2, $3)",
            id,
            outcome.is_ok(),
            backoff(attempts),
        )
        .execute(&mut *tx)
        .await?;
        sent += usize::from(outcome.is_ok());
    }
    tx.commit().await?;
    Ok(sent)
}

async fn deliver(
    mailer: &Mailer,
    recipients: &dyn Recipients,
    tenant: Uuid,
    payload: &serde_json::Value,
) -> Result<(), String> {
    let sku = payload["sku"].as_str().unwrap_or_default().to_string();
    let owners = recipients.owner_emails(tenant).await?;
    if owners.is_empty() {
        return Err("the vendor has no owner to tell".into());
    }
    let facts = LowStock {
        vendor: recipients.vendor_name(tenant).await?,
        product: recipients
            .product_title(tenant, &sku)
            .await?
            .unwrap_or_else(|| sku.clone()),
        sku,
        available: payload["available"].as_i64().unwrap_or(0),
        threshold: payload["reorderThreshold"].as_i64().unwrap_or(0),
    };
    mailer.send(&owners, &facts.email()?).await
}

/// Sends low-stock emails every second until `stop`, claiming events through
/// `pool` (the platform role's).
pub async fn run(
    pool: PgPool,
    mailer: Mailer,
    recipients: std::sync::Arc<dyn Recipients>,
    stop: CancellationToken,
) {
    crate::mail::every_second(stop, "low-stock notification sweep", || {
        notify_once(&pool, &mailer, recipients.as_ref(), 50)
    })
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_name_everything_and_escape_html() {
        let facts = LowStock {
            vendor: "Atlas <Apparel>".into(),
            product: "Tee & co".into(),
            sku: "TEE-M".into(),
            available: 2,
            threshold: 5,
        };
        let email = facts.email().expect("renders");
        assert!(
            email
                .text
                .contains("Tee & co (SKU TEE-M) at Atlas <Apparel>"),
            "{}",
            email.text
        );
        assert!(
            email.text.contains("2 available") && email.text.contains("threshold of 5"),
            "{}",
            email.text
        );
        assert!(
            email.html.contains("Tee &amp; co") && email.html.contains("Atlas &lt;Apparel&gt;"),
            "{}",
            email.html
        );
        assert_eq!(email.subject, "Low stock: Tee & co (TEE-M) — 2 left");
    }
}
