//! Order emails end to end: checkouts and order changes through the API, the
//! worker's order relay to the running RabbitMQ, its email queue and sender, and
//! a real SMTP server. Each test has a queue of its own.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use serde_json::{json, Value};
use souk_tenants::Role;
use souk_worker::mail::Mailer;
use souk_worker::order_mail::{queue, send};
use souk_worker::ServiceRecipients;
use tokio_util::sync::CancellationToken;

use crate::emails::{delivered, smtp_server, unreachable_mailer, SmtpServer};
use crate::identity::{login, register};
use crate::orders::{pay, shop, Shop, REFUND};
use crate::payments::{buy, move_to, new_customer, order_of};
use crate::support::{code, TestApp};

fn amqp_url() -> String {
    std::env::var("SOUK_TEST_AMQP_URL")
        .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into())
}

/// The worker's order-email side, as `souk worker` runs it, on a queue of its own.
struct Worker {
    app_platform: sqlx::PgPool,
    directory: Arc<ServiceRecipients>,
    mongo: mongodb::Database,
    queue: String,
    stop: CancellationToken,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Worker {
    async fn start(app: &TestApp) -> Self {
        let mongo = souk_gateway::app::mongo_database(&app.mongo.url)
            .await
            .expect("mongo");
        let tenancy: Arc<dyn souk_vendors::service::Tenancy> = Arc::new(
            souk_vendors::service::PgTenancy::new(app.db.app.clone(), app.platform(), false),
        );
        let directory = Arc::new(ServiceRecipients {
            identity: Arc::new(souk_identity::PgIdentity::new(
                app.db.app.clone(),
                souk_identity::hashing::PasswordHasher::new(1),
                None,
                souk_identity::service::TokenLifetimes::default(),
            )),
            tenancy,
            catalog: None,
            orders: Some(mongo.clone()),
        });
        let mut worker = Self {
            app_platform: app.db.platform.clone(),
            directory,
            mongo,
            queue: format!("souk.order-emails.test-{}", uuid::Uuid::new_v4()),
            stop: CancellationToken::new(),
            tasks: Vec::new(),
        };
        worker.relay();
        worker.consume();
        worker
    }

    /// Starts one more order relay (as another worker replica would).
    fn relay(&mut self) {
        self.tasks.push(tokio::spawn(souk_worker::order_relay::run(
            self.mongo.clone(),
            amqp_url(),
            vec![self.queue.clone()],
            self.stop.clone(),
        )));
    }

    /// Starts one more consumer of the email queue.
    fn consume(&mut self) {
        self.tasks.push(tokio::spawn(queue::consume(
            self.app_platform.clone(),
            amqp_url(),
            self.queue.clone(),
            self.stop.clone(),
        )));
    }

    /// Stops every relay and consumer (a worker that goes away).
    async fn stop(&mut self) {
        self.stop.cancel();
        for task in self.tasks.drain(..) {
            let _ = task.await;
        }
        self.stop = CancellationToken::new();
    }

    /// Marks every order event unsent: the relays send them all again, as after
    /// a relay that lost its marks.
    async fn deliver_again(&self) {
        self.mongo
            .collection::<mongodb::bson::Document>("order_events")
            .update_many(
                mongodb::bson::doc! {},
                mongodb::bson::doc! { "$set": { "sent_at": null, "lease_until": mongodb::bson::DateTime::from_millis(0) } },
            )
            .await
            .expect("unmark");
    }

    /// Sends what is due, as often as it takes for `count` emails to have
    /// arrived (or 30 s); the emails.
    async fn await_emails(&self, mailer: &Mailer, smtp: &SmtpServer, count: usize) -> Vec<String> {
        for _ in 0..150 {
            send::send_due(&self.app_platform, mailer, self.directory.as_ref(), 50)
                .await
                .expect("send");
            let mails = inbox(smtp);
            if mails.len() >= count {
                return mails;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        inbox(smtp)
    }

    /// Sends what is due for a few seconds more: whatever else arrives.
    async fn settle(&self, mailer: &Mailer) {
        for _ in 0..20 {
            send::send_due(&self.app_platform, mailer, self.directory.as_ref(), 50)
                .await
                .expect("send");
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
}

/// A delivered email with its quoted-printable bodies decoded.
fn readable(raw: &str) -> String {
    let joined = raw.replace("=\r\n", "").replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'=', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Every email delivered so far, readable.
fn inbox(smtp: &SmtpServer) -> Vec<String> {
    delivered(&smtp.maildir)
        .iter()
        .map(|m| readable(m))
        .collect()
}

fn mailer(smtp: &SmtpServer) -> Mailer {
    Mailer::new(
        &format!("smtp://127.0.0.1:{}", smtp.port),
        "Souk <no-reply@souk.example>",
    )
    .expect("mailer")
}

/// The tenant a vendor token acts in.
fn tenant_of(token: &str) -> souk_tenants::TenantId {
    let claims = token.split('.').nth(1).expect("a JWT");
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(claims)
            .expect("base64"),
    )
    .expect("claims");
    souk_tenants::TenantId::parse(claims["tid"].as_str().expect("tid")).expect("tenant")
}

/// A signed-in person's choices, changed; their answer.
async fn choose(app: &TestApp, person: &str, choices: Value) -> Value {
    let (_, body) = app
        .gql(
            Some(person),
            "mutation($u: Boolean, $n: Boolean) { updateNotificationPreferences(orderUpdates: $u, newOrders: $n) { orderUpdates newOrders } }",
            choices,
        )
        .await;
    body
}

fn to(mail: &str) -> String {
    mail.lines()
        .find_map(|l| l.strip_prefix("To: "))
        .unwrap_or_default()
        .to_string()
}

fn subject(mail: &str) -> String {
    mail.lines()
        .find_map(|l| l.strip_prefix("Subject: "))
        .unwrap_or_default()
        .to_string()
}

fn tenants(shop: &Shop) -> Vec<uuid::Uuid> {
    shop.vendors
        .iter()
        .map(|(token, _)| tenant_of(token).as_uuid())
        .collect()
}

/// The outcome of every email row of the shop's vendors, sorted. (The broker is
/// shared by every test: a test's queue also sees other tests' events, which
/// its worker finds no order for.)
async fn outcomes(shop: &Shop) -> Vec<(String, String)> {
    sqlx::query_as(
        "SELECT kind, coalesce(outcome, 'due') FROM souk.order_emails
         WHERE tenant_id = ANY($1) ORDER BY kind, outcome",
    )
    .bind(tenants(shop))
    .fetch_all(&shop.app.db.owner)
    .await
    .expect("rows")
}

/// Two managers of vendor 0 who asked for new-order emails; their addresses.
async fn opted_in_managers(shop: &Shop) -> [&'static str; 2] {
    let app = &shop.app;
    let tenant = tenant_of(&shop.vendors[0].0);
    let member = |email: &'static str, role: Role, choice: Value| async move {
        let user = register(app, email).await;
        app.add_member(tenant, uuid::Uuid::parse_str(&user).expect("id"), role)
            .await;
        let (person, _) = login(app, email).await;
        choose(app, &person, choice).await
    };
    let managers = ["manager@atlas.example", "manager2@atlas.example"];
    for email in managers {
        let body = member(email, Role::Manager, json!({ "n": true })).await;
        assert_eq!(
            body["data"]["updateNotificationPreferences"],
            json!({ "orderUpdates": true, "newOrders": true }),
            "{body}"
        );
    }
    // A staff member who asked too is not told: new orders go to owners and
    // managers. A manager who did not ask is not told either.
    member("staff@atlas.example", Role::Staff, json!({ "n": true })).await;
    member("quiet@atlas.example", Role::Manager, json!({})).await;
    managers
}

/// Publishes a message to the events exchange as a relay would (or as someone
/// who got hold of the broker's credentials).
async fn publish(kind: &str, body: Value) {
    let connection =
        lapin::Connection::connect(&amqp_url(), lapin::ConnectionProperties::default())
            .await
            .expect("broker");
    let channel = connection.create_channel().await.expect("channel");
    channel
        .basic_publish(
            souk_worker::relay::EXCHANGE,
            kind,
            lapin::options::BasicPublishOptions::default(),
            body.to_string().as_bytes(),
            lapin::BasicProperties::default(),
        )
        .await
        .expect("publish")
        .await
        .expect("confirm");
}

/// A shop of two vendors whose managers asked for new-order emails, an SMTP
/// server, a worker sending to it, and a signed-in customer `email`.
async fn scene(email: &str) -> (Shop, SmtpServer, Mailer, Worker, [&'static str; 2], String) {
    let shop = shop(10).await;
    let smtp = smtp_server().await;
    let mailer = mailer(&smtp);
    let worker = Worker::start(&shop.app).await;
    let managers = opted_in_managers(&shop).await;
    let buyer = new_customer(&shop.app, email).await;
    (shop, smtp, mailer, worker, managers, buyer)
}

#[tokio::test]
async fn a_checkout_gets_one_email_each_change_its_own_and_opting_out_spares_only_updates() {
    let (shop, smtp, mailer, worker, managers, buyer) = scene("amira@example.com").await;
    let app = &shop.app;

    let body = buy(&shop, &buyer, &[2, 1], "two-shops").await;
    assert!(code(&body).is_none(), "{body}");
    let mails = worker.await_emails(&mailer, &smtp, 3).await;
    assert_eq!(mails.len(), 3, "{mails:#?}");
    let placed = mails
        .iter()
        .find(|m| to(m) == "amira@example.com")
        .unwrap_or_else(|| panic!("no placed email: {mails:#?}"));
    assert_eq!(subject(placed), "Your order is placed with 2 shops");
    for part in [
        "Hello Amira,",
        "2 × SKU-A (SKU-A)  EUR 30.00",
        "1 × SKU-B (SKU-B)  EUR 9.00",
        "Together: EUR 39.00",
        "Amira Haddad, 1 Souk St, 1000 Tunis, TN",
        "text/html",
    ] {
        assert!(placed.contains(part), "{part}: {placed}");
    }
    // Each manager who asked gets the new order on their own.
    for manager in managers {
        let alert = mails
            .iter()
            .find(|m| to(m) == manager)
            .unwrap_or_else(|| panic!("no new-order email to {manager}: {mails:#?}"));
        assert!(subject(alert).starts_with("New order "), "{alert}");
        assert!(
            alert.contains("2 × SKU-A") && !alert.contains("SKU-B"),
            "{alert}"
        );
    }

    // One payment pays both orders: one email for each.
    let paid = pay(app, &buyer, &body).await;
    assert!(code(&paid).is_none(), "{paid}");
    let mails = worker.await_emails(&mailer, &smtp, 5).await;
    let paid: Vec<_> = mails
        .iter()
        .filter(|m| subject(m).ends_with(" is paid"))
        .collect();
    assert_eq!(paid.len(), 2, "{mails:#?}");

    // A forged "refunded" event for a real order, with a note of its own: the
    // order's history says otherwise, so nobody is told.
    let order = order_of(&shop, &body, 0);
    let tenant = tenant_of(&shop.vendors[0].0);
    publish(
        "order.status_changed",
        json!({ "id": uuid::Uuid::now_v7(), "type": "order.status_changed", "version": 1,
                "tenantId": tenant.as_uuid(), "data": { "orderId": order, "from": "paid", "to": "refunded",
                "note": "click here to claim your refund" } }),
    )
    .await;
    worker.settle(&mailer).await;
    assert_eq!(inbox(&smtp).len(), 5, "the forged event sent nothing");

    // Order updates off: shipping says nothing, a refund still does.
    let body_off = choose(app, &buyer, json!({ "u": false })).await;
    assert_eq!(
        body_off["data"]["updateNotificationPreferences"]["orderUpdates"], false,
        "{body_off}"
    );
    let vendor = &shop.vendors[0].0;
    move_to(app, vendor, &order, &["PROCESSING", "SHIPPED"]).await;
    let (_, refund) = app
        .gql(
            Some(vendor),
            REFUND,
            json!({ "o": order, "why": "the parcel was lost" }),
        )
        .await;
    assert_eq!(
        refund["data"]["refundOrder"]["status"], "REFUNDED",
        "{refund}"
    );
    worker.await_emails(&mailer, &smtp, 6).await;
    worker.settle(&mailer).await;
    let mails_after = inbox(&smtp);
    assert_eq!(mails_after.len(), 6, "{:?}", outcomes(&shop).await);
    assert!(
        mails_after
            .iter()
            .any(|m| subject(m).ends_with(" is refunded") && to(m) == "amira@example.com"),
        "{mails_after:#?}"
    );
    assert!(
        !mails_after
            .iter()
            .any(|m| subject(m).ends_with(" is shipped")),
        "{mails_after:#?}"
    );
    let skipped: Vec<_> = outcomes(&shop)
        .await
        .into_iter()
        .filter(|(_, outcome)| outcome.starts_with("skipped"))
        .collect();
    assert_eq!(
        skipped,
        [
            (
                "new_order".to_string(),
                "skipped: nobody asked for new-order emails".to_string()
            ),
            (
                "status".to_string(),
                "skipped: the customer switched order updates off".to_string()
            ),
            (
                "status".to_string(),
                "skipped: the order never became refunded".to_string()
            )
        ]
    );

    // Every event again (a relay that lost its marks): no email twice.
    worker.deliver_again().await;
    worker.settle(&mailer).await;
    let unsent = worker
        .mongo
        .collection::<mongodb::bson::Document>("order_events")
        .count_documents(mongodb::bson::doc! { "sent_at": null })
        .await
        .expect("count");
    assert_eq!(unsent, 0, "every event was delivered again");
    assert_eq!(inbox(&smtp).len(), 6);
}

#[tokio::test]
async fn replicas_replays_and_restarts_send_each_email_once_and_a_failed_send_is_retried() {
    let shop = shop(10).await;
    let app = &shop.app;
    let smtp = smtp_server().await;
    let mailer = mailer(&smtp);
    let mut worker = Worker::start(app).await;
    // Two more relays and one more consumer: three replicas' worth of racing.
    worker.relay();
    worker.relay();
    worker.consume();
    let buyers: Vec<String> = {
        let mut buyers = Vec::new();
        for n in 0..4 {
            buyers.push(new_customer(app, &format!("buyer{n}@example.com")).await);
        }
        buyers
    };
    let keys: Vec<String> = (0..buyers.len()).map(|n| format!("replicas-{n}")).collect();
    let checkouts = futures::future::join_all(
        buyers
            .iter()
            .zip(&keys)
            .map(|(b, key)| buy(&shop, b, &[1, 1], key)),
    )
    .await;
    for body in &checkouts {
        assert!(code(body).is_none(), "{body}");
    }

    // The SMTP server is away for the first sweep: every email waits for a retry.
    let broken = unreachable_mailer();
    let mut failed = 0;
    for _ in 0..100 {
        let outcomes = send::send_due(&worker.app_platform, &broken, worker.directory.as_ref(), 50)
            .await
            .expect("send");
        failed += outcomes
            .iter()
            .filter(|o| matches!(o, send::Outcome::Failed(_)))
            .count();
        if failed >= 4 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(failed >= 4, "the placed emails failed and wait");
    let (attempts, waiting): (i32, bool) = sqlx::query_as(
        "SELECT min(attempts), bool_and(next_attempt_at > now()) FROM souk.order_emails
         WHERE kind = 'placed' AND tenant_id = ANY($1)",
    )
    .bind(tenants(&shop))
    .fetch_one(&app.db.owner)
    .await
    .expect("retry state");
    assert_eq!((attempts, waiting), (1, true));
    sqlx::query("UPDATE souk.order_emails SET next_attempt_at = now()")
        .execute(&app.db.owner)
        .await
        .expect("make due");

    // The worker restarts, and every event is delivered again meanwhile.
    worker.stop().await;
    worker.deliver_again().await;
    worker.relay();
    worker.consume();
    worker.consume();

    // Two senders at once.
    let (platform, directory) = (worker.app_platform.clone(), worker.directory.clone());
    let second = {
        let mailer = mailer.clone();
        tokio::spawn(async move {
            for _ in 0..40 {
                send::send_due(&platform, &mailer, directory.as_ref(), 50)
                    .await
                    .expect("send");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    let mails = worker.await_emails(&mailer, &smtp, 4).await;
    second.await.expect("second sender");
    worker.settle(&mailer).await;
    let mails_after = inbox(&smtp);
    assert_eq!(
        mails_after.len(),
        4,
        "one placed email per checkout: {mails:#?}"
    );
    let mut recipients: Vec<String> = mails_after.iter().map(|m| to(m)).collect();
    recipients.sort();
    assert_eq!(
        recipients,
        (0..4)
            .map(|n| format!("buyer{n}@example.com"))
            .collect::<Vec<_>>()
    );
    let ids: std::collections::HashSet<String> = mails_after
        .iter()
        .filter_map(|m| {
            m.lines()
                .find_map(|l| l.strip_prefix("Message-ID: "))
                .map(str::to_string)
        })
        .collect();
    assert_eq!(ids.len(), 4, "each email has its own stable Message-ID");
    let rows: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM souk.order_emails WHERE kind = 'placed' AND tenant_id = ANY($1)",
    )
    .bind(tenants(&shop))
    .fetch_one(&app.db.owner)
    .await
    .expect("rows");
    assert_eq!(rows, 4, "one row per checkout");
    worker.stop().await;
}

#[tokio::test]
async fn a_checkout_refused_for_stock_sends_nothing_and_the_app_role_cannot_read_the_queue() {
    let shop = shop(1).await;
    let app = &shop.app;
    let smtp = smtp_server().await;
    let mailer = mailer(&smtp);
    let worker = Worker::start(app).await;
    opted_in_managers(&shop).await;
    let buyer = new_customer(app, "short@example.com").await;
    let body = buy(&shop, &buyer, &[1, 5], "too-many").await;
    assert_eq!(code(&body), Some("INSUFFICIENT_STOCK"), "{body}");
    // Its orders were written before stock was refused: their events arrive.
    for _ in 0..100 {
        let rows: i64 =
            sqlx::query_scalar("SELECT count(*) FROM souk.order_emails WHERE tenant_id = ANY($1)")
                .bind(tenants(&shop))
                .fetch_one(&app.db.owner)
                .await
                .expect("rows");
        if rows >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    sqlx::query("UPDATE souk.order_emails SET next_attempt_at = now()")
        .execute(&app.db.owner)
        .await
        .expect("make due");
    worker.settle(&mailer).await;
    assert!(inbox(&smtp).is_empty(), "{:#?}", inbox(&smtp));
    let outcomes = outcomes(&shop).await;
    assert!(!outcomes.is_empty());
    assert!(
        outcomes.iter().all(|(_, o)| o.starts_with("skipped")),
        "{outcomes:?}"
    );

    for sql in [
        "SELECT count(*) FROM souk.order_emails",
        "SELECT count(*) FROM identity.notification_preferences WHERE new_orders",
    ] {
        let read = sqlx::query_scalar::<_, i64>(sql)
            .fetch_one(&app.db.app)
            .await;
        match sql.contains("order_emails") {
            true => assert!(read.is_err(), "the app role reads no email queue"),
            false => assert!(read.is_ok(), "identity reads preferences"),
        }
    }
}

#[tokio::test]
async fn a_declined_payment_sends_the_cancellations_and_no_placed_or_new_order_email() {
    let (shop, smtp, mailer, worker, managers, buyer) = scene("declined@example.com").await;
    let app = &shop.app;
    let body = buy(&shop, &buyer, &[1, 1], "declined").await;
    assert!(code(&body).is_none(), "{body}");
    // Declined before the "placed" email is due: both orders are cancelled.
    let checkout = body["data"]["checkout"]["checkoutId"]
        .as_str()
        .expect("checkout");
    let (_, declined) = app
        .gql(
            Some(&buyer),
            "mutation($c: ID!) { payTestCheckout(checkoutId: $c, succeed: false) { status } }",
            json!({ "c": checkout }),
        )
        .await;
    assert_eq!(
        declined["data"]["payTestCheckout"]["status"], "FAILED",
        "{declined}"
    );
    let mails = worker.await_emails(&mailer, &smtp, 2).await;
    worker.settle(&mailer).await;
    let mails_after = inbox(&smtp);
    assert_eq!(
        mails_after.len(),
        2,
        "{mails_after:#?} {:?}",
        outcomes(&shop).await
    );
    assert!(
        mails
            .iter()
            .all(|m| subject(m).ends_with(" is cancelled") && to(m) == "declined@example.com"),
        "{mails:#?}"
    );
    assert!(
        !mails_after
            .iter()
            .any(|m| managers.contains(&to(m).as_str())),
        "no new-order email for orders already cancelled: {mails_after:#?}"
    );
    let skipped: Vec<(String, String)> = outcomes(&shop)
        .await
        .into_iter()
        .filter(|(_, outcome)| outcome.starts_with("skipped"))
        .collect();
    assert!(
        skipped
            .iter()
            .any(|(kind, why)| kind == "placed" && why.contains("ended since")),
        "{skipped:?}"
    );
}

#[tokio::test]
async fn a_checkout_paid_at_once_is_told_placed_before_paid() {
    let (shop, smtp, mailer, worker, _, buyer) = scene("at-once@example.com").await;
    let body = buy(&shop, &buyer, &[1, 1], "at-once").await;
    assert!(code(&body).is_none(), "{body}");
    let paid = pay(&shop.app, &buyer, &body).await;
    assert!(code(&paid).is_none(), "{paid}");
    // placed, two new-order emails, two paid.
    let mails = worker.await_emails(&mailer, &smtp, 5).await;
    assert_eq!(mails.len(), 5, "{mails:#?}");
    let sent: Vec<(String, chrono::DateTime<chrono::Utc>)> = sqlx::query_as(
        "SELECT kind, done_at FROM souk.order_emails
         WHERE tenant_id = ANY($1) AND outcome = 'sent' AND kind IN ('placed', 'status')
         ORDER BY done_at",
    )
    .bind(tenants(&shop))
    .fetch_all(&shop.app.db.owner)
    .await
    .expect("rows");
    let kinds: Vec<&str> = sent.iter().map(|(kind, _)| kind.as_str()).collect();
    assert_eq!(kinds, ["placed", "status", "status"], "{sent:?}");
}

#[tokio::test]
async fn preferences_are_the_signed_in_person_s_own_and_need_a_sign_in() {
    let app = TestApp::spawn().await;
    register(&app, "prefs@example.com").await;
    let (person, _) = login(&app, "prefs@example.com").await;
    let read = |token: Option<String>| {
        let app = &app;
        async move {
            app.gql(
                token.as_deref(),
                "{ notificationPreferences { orderUpdates newOrders } }",
                json!({}),
            )
            .await
            .1
        }
    };
    let body = read(Some(person.clone())).await;
    assert_eq!(
        body["data"]["notificationPreferences"],
        json!({ "orderUpdates": true, "newOrders": false }),
        "the defaults: {body}"
    );
    // Two changes of different choices at once: both stand.
    let (a, b) = tokio::join!(
        choose(&app, &person, json!({ "u": false })),
        choose(&app, &person, json!({ "n": true })),
    );
    assert!(code(&a).is_none() && code(&b).is_none(), "{a} {b}");
    let body = read(Some(person.clone())).await;
    assert_eq!(
        body["data"]["notificationPreferences"],
        json!({ "orderUpdates": false, "newOrders": true }),
        "{body}"
    );
    // Nothing given changes nothing.
    let body = choose(&app, &person, json!({})).await;
    assert_eq!(
        body["data"]["updateNotificationPreferences"],
        json!({ "orderUpdates": false, "newOrders": true }),
        "{body}"
    );
    let body = choose(&app, "not-a-token", json!({ "u": true })).await;
    assert_eq!(code(&body), Some("UNAUTHENTICATED"), "{body}");
    let body = read(None).await;
    assert_eq!(code(&body), Some("UNAUTHENTICATED"), "{body}");
    let body = choose(&app, &person, json!({ "u": "yes" })).await;
    assert!(
        body["errors"].is_array() && body["data"].is_null(),
        "{body}"
    );
    let body = read(Some(person)).await;
    assert_eq!(
        body["data"]["notificationPreferences"]["orderUpdates"], false,
        "a bad request changed nothing"
    );
}
