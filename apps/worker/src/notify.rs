//! Low-stock emails: one per `stock.low` event (which is written once per
//! downward crossing of the reorder threshold), to the vendor's owners, with text
//! and HTML bodies from the templates in `templates/`. A failed send is retried
//! with growing delays; this loop runs beside the relay and never holds it up.

use std::time::Duration;

use async_trait::async_trait;
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

const TEXT: &str = include_str!("../templates/low-stock.txt");
const HTML: &str = include_str!("../templates/low-stock.html");

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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LowStock {
    pub vendor: String,
    pub product: String,
    pub sku: String,
    pub available: i64,
    pub threshold: i64,
}

fn escape_html(raw: &str) -> String {
    raw.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn fill(template: &str, facts: &LowStock, escape: fn(&str) -> String) -> String {
    template
        .replace("{vendor}", &escape(&facts.vendor))
        .replace("{product}", &escape(&facts.product))
        .replace("{sku}", &escape(&facts.sku))
        .replace("{available}", &facts.available.to_string())
        .replace("{threshold}", &facts.threshold.to_string())
}

impl LowStock {
    pub fn subject(&self) -> String {
        format!(
            "Low stock: {} ({}) — {} left",
            self.product, self.sku, self.available
        )
    }

    pub fn text(&self) -> String {
        fill(TEXT, self, str::to_string)
    }

    pub fn html(&self) -> String {
        fill(HTML, self, escape_html)
    }
}

/// Sends mail over SMTP (`SOUK_SMTP_URL`, e.g. `smtp://mail:1025`).
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

impl Mailer {
    pub fn new(smtp_url: &str, from: &str) -> Result<Self, String> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url)
            .map_err(|e| format!("SOUK_SMTP_URL: {e}"))?
            .timeout(Some(Duration::from_secs(10)))
            .build();
        let from = from.parse().map_err(|e| format!("SOUK_MAIL_FROM: {e}"))?;
        Ok(Self { transport, from })
    }

    pub async fn send(&self, to: &[String], facts: &LowStock) -> Result<(), String> {
        let mut builder = Message::builder()
            .from(self.from.clone())
            .subject(facts.subject());
        for address in to {
            builder = builder.to(address.parse().map_err(|e| format!("{address}: {e}"))?);
        }
        let message = builder
            .multipart(MultiPart::alternative_plain_html(
                facts.text(),
                facts.html(),
            ))
            .map_err(|e| e.to_string())?;
        self.transport
            .send(message)
            .await
            .map_err(|e| e.to_string())?;
        Ok(())
    }
}

/// The delay before the next try after `attempts` failures: 5 s doubling, at
/// most an hour.
pub fn backoff(attempts: i32) -> i32 {
    let exponent = u32::try_from(attempts.clamp(0, 10)).unwrap_or(10);
    (5_i32 * 2_i32.pow(exponent)).min(3600)
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
    mailer.send(&owners, &facts).await
}

/// Sends low-stock emails every second until `stop`, claiming events through
/// `pool` (the platform role's).
pub async fn run(
    pool: PgPool,
    mailer: Mailer,
    recipients: std::sync::Arc<dyn Recipients>,
    stop: CancellationToken,
) {
    let mut ticks = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = ticks.tick() => {}
        }
        if let Err(err) = notify_once(&pool, &mailer, recipients.as_ref(), 50).await {
            tracing::warn!(error = %err, "low-stock notification sweep failed");
        }
    }
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
        let text = facts.text();
        assert!(
            text.contains("Tee & co (SKU TEE-M) at Atlas <Apparel>"),
            "{text}"
        );
        assert!(
            text.contains("2 available") && text.contains("threshold of 5"),
            "{text}"
        );
        let html = facts.html();
        assert!(
            html.contains("Tee &amp; co") && html.contains("Atlas &lt;Apparel&gt;"),
            "{html}"
        );
        assert_eq!(backoff(0), 5);
        assert_eq!(backoff(3), 40);
        assert_eq!(backoff(30), 3600);
    }
}
