//! Email as Souk sends it: a subject with text and HTML bodies rendered from the
//! templates in `templates/` (HTML-escaped by file name), sent over SMTP.

use std::sync::OnceLock;
use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use minijinja::Environment;
use serde::Serialize;
use tokio_util::sync::CancellationToken;

/// Every template, by file name; names ending `.html` are HTML-escaped.
const TEMPLATES: &[(&str, &str)] = &[
    ("low-stock.txt", include_str!("../templates/low-stock.txt")),
    (
        "low-stock.html",
        include_str!("../templates/low-stock.html"),
    ),
    (
        "order-placed.txt",
        include_str!("../templates/order-placed.txt"),
    ),
    (
        "order-placed.html",
        include_str!("../templates/order-placed.html"),
    ),
    (
        "order-update.txt",
        include_str!("../templates/order-update.txt"),
    ),
    (
        "order-update.html",
        include_str!("../templates/order-update.html"),
    ),
    ("new-order.txt", include_str!("../templates/new-order.txt")),
    (
        "new-order.html",
        include_str!("../templates/new-order.html"),
    ),
];

fn templates() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        for (name, source) in TEMPLATES {
            // The templates are part of the binary; a broken one fails the unit
            // tests, which render each.
            if let Err(err) = env.add_template(name, source) {
                tracing::error!(template = name, error = %err, "email template does not parse");
            }
        }
        env
    })
}

/// One email, ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The left part of the `Message-ID`: the same email sent again (after a
    /// crash between the send and its record) carries the same id, so mail
    /// clients show it once.
    pub id: Option<String>,
}

impl Email {
    /// Renders `{template}.txt` and `{template}.html` with `facts`.
    pub fn render(subject: String, template: &str, facts: &impl Serialize) -> Result<Self, String> {
        let render = |name: String| {
            templates()
                .get_template(&name)
                .and_then(|t| t.render(facts))
                .map_err(|e| format!("{name}: {e}"))
        };
        Ok(Self {
            subject,
            text: render(format!("{template}.txt"))?,
            html: render(format!("{template}.html"))?,
            id: None,
        })
    }

    pub fn with_id(mut self, id: String) -> Self {
        self.id = Some(id);
        self
    }
}

/// An amount in minor units as people read it: `EUR 24.00`, `JPY 1200`.
pub fn money(amount: i64, currency: &str) -> String {
    let exponent = iso_currency::Currency::from_code(currency)
        .and_then(|c| c.exponent())
        .unwrap_or(2);
    if exponent == 0 {
        return format!("{currency} {amount}");
    }
    let scale = 10_i64.pow(u32::from(exponent));
    let sign = if amount < 0 { "-" } else { "" };
    let abs = amount.unsigned_abs();
    let scale = scale.unsigned_abs();
    format!(
        "{currency} {sign}{}.{:0width$}",
        abs / scale,
        abs % scale,
        width = usize::from(exponent)
    )
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

    /// Sends `email` to every address of `to` in one message.
    pub async fn send(&self, to: &[String], email: &Email) -> Result<(), String> {
        let mut builder = Message::builder()
            .from(self.from.clone())
            .subject(email.subject.clone());
        if let Some(id) = &email.id {
            builder = builder.message_id(Some(format!("<{id}@{}>", self.from.email.domain())));
        }
        for address in to {
            builder = builder.to(address.parse().map_err(|e| format!("{address}: {e}"))?);
        }
        let message = builder
            .multipart(MultiPart::alternative_plain_html(
                email.text.clone(),
                email.html.clone(),
            ))
            .map_err(|e| e.to_string())?;
        self.transport
            .send(message)
            .await
            .map_err(|e| e.to_string())?;
        Ok(())
    }
}

/// Runs `sweep` every second until `stop`, logging a failed pass as `what`.
pub async fn every_second<F, Fut, T, E>(stop: CancellationToken, what: &str, mut sweep: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, E>>,
    E: std::fmt::Display,
{
    let mut ticks = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = ticks.tick() => {}
        }
        if let Err(err) = sweep().await {
            tracing::warn!(error = %err, "{what} failed");
        }
    }
}

/// The delay before the next try after `attempts` failures: 5 s doubling, at
/// most an hour.
pub fn backoff(attempts: i32) -> i32 {
    let exponent = u32::try_from(attempts.clamp(0, 10)).unwrap_or(10);
    (5_i32 * 2_i32.pow(exponent)).min(3600)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_read_in_their_currency_s_units() {
        assert_eq!(money(2400, "EUR"), "EUR 24.00");
        assert_eq!(money(5, "USD"), "USD 0.05");
        assert_eq!(money(1200, "JPY"), "JPY 1200");
        assert_eq!(money(1234, "KWD"), "KWD 1.234");
        assert_eq!(money(-150, "EUR"), "EUR -1.50");
        assert_eq!(money(i64::MIN, "EUR"), "EUR -92233720368547758.08");
        assert_eq!(backoff(0), 5);
        assert_eq!(backoff(3), 40);
        assert_eq!(backoff(30), 3600);
    }
}
