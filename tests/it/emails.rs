//! Low-stock emails against a real SMTP server process (aiosmtpd from PyPI, which
//! scripts/setup installs; `SOUK_TEST_PYTHON` names the Python that has it).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use souk_worker::notify::{notify_once, Mailer};
use souk_worker::ServiceRecipients;

use crate::identity::{login, register};
use crate::support::{code, TestApp};

pub(crate) struct SmtpServer {
    child: Child,
    pub(crate) port: u16,
    pub(crate) maildir: PathBuf,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.maildir);
    }
}

pub(crate) async fn smtp_server() -> SmtpServer {
    let python = std::env::var("SOUK_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr")
        .port();
    let maildir = std::env::temp_dir().join(format!("souk-mail-{}", uuid::Uuid::new_v4()));
    let mut child = Command::new(&python)
        .args([
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            &format!("127.0.0.1:{port}"),
            "-c",
            "aiosmtpd.handlers.Mailbox",
        ])
        .arg(&maildir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start aiosmtpd (run the tests through scripts/test, which installs it)");
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return SmtpServer {
                child,
                port,
                maildir,
            };
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("aiosmtpd did not start on port {port}");
}

/// A mailer whose SMTP server is not there.
pub(crate) fn unreachable_mailer() -> Mailer {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr")
        .port();
    Mailer::new(
        &format!("smtp://127.0.0.1:{closed}"),
        "Souk <no-reply@souk.example>",
    )
    .expect("mailer")
}

pub(crate) fn delivered(maildir: &Path) -> Vec<String> {
    let mut mails: Vec<String> = std::fs::read_dir(maildir.join("new"))
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|entry| std::fs::read_to_string(entry.path()).ok())
                .collect()
        })
        .unwrap_or_default();
    mails.sort();
    mails
}

#[tokio::test]
async fn owners_get_one_email_per_crossing_and_failed_sends_are_retried() {
    let app = TestApp::spawn().await;
    let smtp = smtp_server().await;
    register(&app, "owner@atlas.example").await;
    let (person, _) = login(&app, "owner@atlas.example").await;
    let (_, body) = app
        .gql(
            Some(&person),
            "mutation { registerVendor(name: \"Atlas Apparel\", slug: \"atlas-apparel\") { id } }",
            json!({}),
        )
        .await;
    let vendor_id = body["data"]["registerVendor"]["id"]
        .as_str()
        .expect("vendor")
        .to_string();
    let (_, body) = app
        .gql(
            Some(&person),
            "mutation($id: ID!) { selectVendor(vendorId: $id) { accessToken } }",
            json!({ "id": vendor_id }),
        )
        .await;
    let vendor = body["data"]["selectVendor"]["accessToken"]
        .as_str()
        .expect("token")
        .to_string();
    let (_, body) = app
        .gql(
            Some(&vendor),
            "mutation { createProduct(input: { title: \"Linen tee\", price: { amount: 2400, currency: \"EUR\" }, variants: [{ sku: \"LOW-1\", initialStock: 10 }] }) { id } }",
            json!({}),
        )
        .await;
    assert!(code(&body).is_none(), "{body}");
    app.gql(
        Some(&vendor),
        "mutation { updateStockItem(sku: \"LOW-1\", reorderThreshold: 5) { sku } }",
        json!({}),
    )
    .await;
    let adjust = |delta: i64| {
        let vendor = vendor.clone();
        let app = &app;
        async move {
            app.gql(
                Some(&vendor),
                "mutation($d: Int!) { adjustStock(sku: \"LOW-1\", delta: $d, reason: \"sold offline\") { available } }",
                json!({ "d": delta }),
            )
            .await
        }
    };
    adjust(-6).await; // 10 -> 4: crosses down to the threshold
    adjust(-1).await; // 4 -> 3: already below, no new email

    let db = souk_gateway::app::mongo_database(&app.mongo.url)
        .await
        .expect("mongo");
    let inventory: Arc<dyn souk_inventory::Inventory> = Arc::new(souk_inventory::PgInventory::new(
        app.db.app.clone(),
        app.platform(),
    ));
    let tenancy: Arc<dyn souk_vendors::service::Tenancy> = Arc::new(
        souk_vendors::service::PgTenancy::new(app.db.app.clone(), app.platform(), false),
    );
    let recipients = ServiceRecipients {
        identity: Arc::new(souk_identity::PgIdentity::new(
            app.db.app.clone(),
            souk_identity::hashing::PasswordHasher::new(1),
            None,
            souk_identity::service::TokenLifetimes::default(),
        )),
        catalog: Some(Arc::new(souk_catalog::MongoCatalog::new(
            db,
            inventory,
            tenancy.clone(),
            souk_catalog::listings::PgListings::new(app.db.app.clone(), app.platform()),
        ))),
        tenancy,
        orders: None,
    };

    // The SMTP server is unreachable: nothing is lost, the send is retried later.
    let broken = unreachable_mailer();
    assert_eq!(
        notify_once(&app.db.platform, &broken, &recipients, 10)
            .await
            .expect("sweep"),
        0
    );
    let (attempts, due): (i32, bool) = sqlx::query_as(
        "SELECT notify_attempts, notify_after > now() FROM souk.outbox WHERE kind = 'stock.low'",
    )
    .fetch_one(&app.db.owner)
    .await
    .expect("retry state");
    assert_eq!(
        (attempts, due),
        (1, true),
        "one failed attempt, retried after a delay"
    );
    let mailer = Mailer::new(
        &format!("smtp://127.0.0.1:{}", smtp.port),
        "Souk <no-reply@souk.example>",
    )
    .expect("mailer");
    assert_eq!(
        notify_once(&app.db.platform, &mailer, &recipients, 10)
            .await
            .expect("sweep"),
        0,
        "not due yet"
    );
    sqlx::query("UPDATE souk.outbox SET notify_after = now() WHERE kind = 'stock.low'")
        .execute(&app.db.owner)
        .await
        .expect("make due");
    assert_eq!(
        notify_once(&app.db.platform, &mailer, &recipients, 10)
            .await
            .expect("sweep"),
        1
    );

    let mails = delivered(&smtp.maildir);
    assert_eq!(mails.len(), 1, "exactly one email for one crossing");
    let mail = &mails[0];
    assert!(mail.contains("To: owner@atlas.example"), "{mail}");
    assert!(
        mail.contains("Subject: Low stock: Linen tee (LOW-1)"),
        "{mail}"
    );
    assert!(
        mail.contains("text/plain") && mail.contains("text/html"),
        "text and HTML bodies: {mail}"
    );
    assert!(
        mail.contains("4 available") && mail.contains("threshold of 5"),
        "{mail}"
    );
    assert!(mail.contains("Atlas Apparel"), "{mail}");

    // Back above the threshold, then down again: a second crossing, a second email.
    adjust(10).await; // 3 -> 13
    adjust(-9).await; // 13 -> 4
    assert_eq!(
        notify_once(&app.db.platform, &mailer, &recipients, 10)
            .await
            .expect("sweep"),
        1
    );
    assert_eq!(
        notify_once(&app.db.platform, &mailer, &recipients, 10)
            .await
            .expect("sweep"),
        0
    );
    assert_eq!(delivered(&smtp.maildir).len(), 2);
}
