//! Stripe Connect through a double of Stripe's API (wiremock): every call's
//! idempotency key, retries under the same key, and webhooks signed as Stripe
//! signs them — forged, stale and replayed ones refused or applied once.

use reqwest::StatusCode;
use serde_json::{json, Value};
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::{buy, connect, move_to, new_customer, order_of, payouts, status_of};
use crate::orders::{shop_with, Shop, REFUND};
use crate::support::TestApp;

const SECRET: &str = "whsec_payments";
const CONNECT_SECRET: &str = "whsec_connect";

async fn double() -> MockServer {
    double_failing_transfers(0).await
}

/// The double, whose first `transfers` transfer calls fail as if their answer
/// was lost.
async fn double_failing_transfers(transfers: u64) -> MockServer {
    let stripe = MockServer::start().await;
    let ok = |body: Value| ResponseTemplate::new(200).set_body_json(body);
    if transfers > 0 {
        Mock::given(method("POST"))
            .and(path("/v1/transfers"))
            .respond_with(
                ResponseTemplate::new(500)
                    .set_body_json(json!({ "error": { "type": "api_error", "message": "lost" } })),
            )
            .up_to_n_times(transfers)
            .mount(&stripe)
            .await;
    }
    // The first attempt at the payment intent fails; the retry succeeds.
    Mock::given(method("POST"))
        .and(path("/v1/payment_intents"))
        .respond_with(
            ResponseTemplate::new(500)
                .set_body_json(json!({ "error": { "type": "api_error", "message": "away" } })),
        )
        .up_to_n_times(1)
        .mount(&stripe)
        .await;
    let routes = [
        (
            "/v1/payment_intents",
            json!({ "id": "pi_1", "object": "payment_intent", "client_secret": "pi_1_secret_2" }),
        ),
        (
            "/v1/accounts",
            json!({ "id": "acct_1", "object": "account", "payouts_enabled": false, "charges_enabled": false }),
        ),
        (
            "/v1/account_links",
            json!({ "object": "account_link", "url": "https://connect.stripe.test/setup/acct_1" }),
        ),
        (
            "/v1/transfers",
            json!({ "id": "tr_1", "object": "transfer" }),
        ),
        ("/v1/refunds", json!({ "id": "re_1", "object": "refund" })),
    ];
    for (at, body) in routes {
        Mock::given(method("POST"))
            .and(path(at))
            .respond_with(ok(body))
            .mount(&stripe)
            .await;
    }
    Mock::given(method("POST"))
        .and(path_regex(r"^/v1/transfers/tr_1/reversals$"))
        .respond_with(ok(json!({ "id": "trr_1", "object": "transfer_reversal" })))
        .mount(&stripe)
        .await;
    stripe
}

/// Path and idempotency key of every call the double received.
async fn calls(stripe: &MockServer) -> Vec<(String, String, String)> {
    stripe
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(|r| {
            let key = r
                .headers
                .get("idempotency-key")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            (
                r.url.path().to_string(),
                key.to_string(),
                String::from_utf8_lossy(&r.body).to_string(),
            )
        })
        .collect()
}

async fn post(app: &TestApp, at: &str, body: &str, signature: Option<String>) -> StatusCode {
    let mut request = app
        .client
        .post(app.url(at))
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some(signature) = signature {
        request = request.header("stripe-signature", signature);
    }
    request.send().await.expect("webhook").status()
}

fn event(id: &str, kind: &str, object: Value) -> String {
    json!({ "id": id, "object": "event", "type": kind, "data": { "object": object } }).to_string()
}

fn signed(body: &str, secret: &str) -> Option<String> {
    Some(souk_billing::webhook::sign(
        body.as_bytes(),
        secret,
        chrono::Utc::now().timestamp(),
    ))
}

async fn on_stripe(stripe: &MockServer) -> Shop {
    shop_with(
        10,
        &format!(
            "stripe_connect_secret_key = 'sk_test_connect'\nstripe_api_base = '{}'\n\
             stripe_webhook_secret = '{SECRET}'\nstripe_connect_webhook_secret = '{CONNECT_SECRET}'\n\
             stripe_publishable_key = 'pk_test_1'",
            stripe.uri()
        ),
    )
    .await
}

#[tokio::test]
async fn stripe_connect_charges_once_transfers_on_shipping_and_reverses_refunds() {
    let stripe = double().await;
    let shop = on_stripe(&stripe).await;
    let app = &shop.app;
    let vendor = shop.vendors[0].0.clone();
    let buyer = new_customer(app, "stripe@example.com").await;
    let body = buy(&shop, &buyer, &[2, 0], "stripe-1").await;
    let payment = &body["data"]["checkout"]["payment"];
    assert_eq!(payment["provider"], "STRIPE", "{body}");
    assert_eq!(payment["clientSecret"], "pi_1_secret_2");
    let checkout = body["data"]["checkout"]["checkoutId"]
        .as_str()
        .expect("id")
        .to_string();
    let order = order_of(&shop, &body, 0);
    let intents: Vec<_> = calls(&stripe)
        .await
        .into_iter()
        .filter(|c| c.0 == "/v1/payment_intents")
        .collect();
    assert_eq!(intents.len(), 2, "one failure, one retry: {intents:?}");
    assert_eq!(intents[0].1, format!("souk-checkout-{checkout}"));
    assert_eq!(intents[0].1, intents[1].1, "the retry carries the same key");
    assert!(
        intents[1].2.contains("amount=3000")
            && intents[1].2.contains(&format!("transfer_group={checkout}"))
    );

    // Forged, stale and unsigned events change nothing.
    let succeeded = event(
        "evt_1",
        "payment_intent.succeeded",
        json!({ "id": "pi_1", "object": "payment_intent", "latest_charge": "ch_1" }),
    );
    let stale = Some(souk_billing::webhook::sign(
        succeeded.as_bytes(),
        SECRET,
        chrono::Utc::now().timestamp() - 600,
    ));
    for signature in [None, signed(&succeeded, "whsec_forged"), stale] {
        assert_eq!(
            post(app, "/webhooks/stripe", &succeeded, signature).await,
            StatusCode::BAD_REQUEST
        );
    }
    assert_eq!(status_of(app, &vendor, &order).await, "PENDING");
    for _ in 0..2 {
        let sig = signed(&succeeded, SECRET);
        assert_eq!(
            post(app, "/webhooks/stripe", &succeeded, sig).await,
            StatusCode::OK
        );
    }
    assert_eq!(status_of(app, &vendor, &order).await, "PAID");
    let books = payouts(app, &vendor).await;
    assert_eq!(
        books["balances"][0]["earned"],
        3000 - super::free_plan_fee(3000),
        "applied once: {books}"
    );

    // Onboarding: the account is created once; Stripe enables payouts later.
    let onboarding = connect(app, &vendor).await;
    assert_eq!(
        onboarding["url"],
        "https://connect.stripe.test/setup/acct_1"
    );
    assert_eq!(onboarding["account"]["payoutsEnabled"], false);
    move_to(app, &vendor, &order, &["PROCESSING", "SHIPPED"]).await;
    assert!(
        calls(&stripe).await.iter().all(|c| c.0 != "/v1/transfers"),
        "no transfer before payouts"
    );
    let updated = event(
        "evt_2",
        "account.updated",
        json!({ "id": "acct_1", "object": "account", "payouts_enabled": true, "charges_enabled": true, "requirements": { "currently_due": [] } }),
    );
    assert_eq!(
        post(
            app,
            "/webhooks/stripe/connect",
            &updated,
            signed(&updated, SECRET)
        )
        .await,
        StatusCode::BAD_REQUEST,
        "the Connect endpoint has its own secret"
    );
    assert_eq!(
        post(
            app,
            "/webhooks/stripe/connect",
            &updated,
            signed(&updated, CONNECT_SECRET)
        )
        .await,
        StatusCode::OK
    );
    let transfers: Vec<_> = calls(&stripe)
        .await
        .into_iter()
        .filter(|c| c.0 == "/v1/transfers")
        .collect();
    assert_eq!(transfers.len(), 1, "{transfers:?}");
    assert_eq!(transfers[0].1, format!("souk-transfer-{order}"));
    assert!(
        transfers[0].2.contains("source_transaction=ch_1")
            && transfers[0].2.contains("destination=acct_1"),
        "{}",
        transfers[0].2
    );

    // A partial refund reverses that part of the transfer.
    let (_, refunded) = app
        .gql(
            Some(&vendor),
            REFUND,
            json!({ "o": order, "a": 1000, "why": "one broke" }),
        )
        .await;
    assert_eq!(
        refunded["data"]["refundOrder"]["refunded"]["amount"], 1000,
        "{refunded}"
    );
    let all = calls(&stripe).await;
    let refund = all
        .iter()
        .find(|c| c.0 == "/v1/refunds")
        .expect("a refund call");
    assert!(
        refund.1.starts_with("souk-refund-")
            && refund.2.contains("amount=1000")
            && refund.2.contains("payment_intent=pi_1")
    );
    let reversal = all
        .iter()
        .find(|c| c.0 == "/v1/transfers/tr_1/reversals")
        .expect("a reversal");
    assert!(reversal.1.starts_with("souk-reversal-"));
    let books = payouts(app, &vendor).await;
    assert_eq!(books["balances"][0]["transferable"], 0, "{books}");
}

#[tokio::test]
async fn a_failed_intent_event_cancels_and_an_unknown_one_is_ignored() {
    let stripe = double().await;
    let shop = on_stripe(&stripe).await;
    let app = &shop.app;
    let buyer = new_customer(app, "stripe-fail@example.com").await;
    let body = buy(&shop, &buyer, &[1, 0], "stripe-2").await;
    let order = order_of(&shop, &body, 0);
    // A success that does not match the checkout is never applied.
    let short = event(
        "evt_short",
        "payment_intent.succeeded",
        json!({ "id": "pi_1", "object": "payment_intent", "amount_received": 1 }),
    );
    assert_eq!(
        post(app, "/webhooks/stripe", &short, signed(&short, SECRET)).await,
        StatusCode::OK
    );
    assert_eq!(status_of(app, &shop.vendors[0].0, &order).await, "PENDING");
    let failed = event(
        "evt_f",
        "payment_intent.payment_failed",
        json!({ "id": "pi_1", "object": "payment_intent", "last_payment_error": { "message": "card declined" } }),
    );
    assert_eq!(
        post(app, "/webhooks/stripe", &failed, signed(&failed, SECRET)).await,
        StatusCode::OK
    );
    assert_eq!(
        status_of(app, &shop.vendors[0].0, &order).await,
        "CANCELLED"
    );
    // The customer tries another card: the money comes in after the order was
    // cancelled, and goes straight back.
    let late = event(
        "evt_late",
        "payment_intent.succeeded",
        json!({ "id": "pi_1", "object": "payment_intent", "latest_charge": "ch_2", "amount_received": 1500, "currency": "eur" }),
    );
    assert_eq!(
        post(app, "/webhooks/stripe", &late, signed(&late, SECRET)).await,
        StatusCode::OK
    );
    let money = super::order_payment(app, &buyer, &order).await;
    assert_eq!(money["status"], "REFUNDED", "{money}");
    assert!(calls(&stripe)
        .await
        .iter()
        .any(|c| c.0 == "/v1/refunds" && c.2.contains("amount=1500")));
    let stranger = event(
        "evt_s",
        "payment_intent.succeeded",
        json!({ "id": "pi_someone_else", "object": "payment_intent" }),
    );
    assert_eq!(
        post(
            app,
            "/webhooks/stripe",
            &stranger,
            signed(&stranger, SECRET)
        )
        .await,
        StatusCode::OK
    );
    let malformed = "{\"id\": 1}";
    assert_eq!(
        post(
            app,
            "/webhooks/stripe",
            malformed,
            signed(malformed, SECRET)
        )
        .await,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn a_success_that_arrives_before_the_intent_was_kept_is_applied_by_its_metadata() {
    let stripe = double().await;
    let shop = on_stripe(&stripe).await;
    let app = &shop.app;
    let buyer = new_customer(app, "stripe-early@example.com").await;
    let body = buy(&shop, &buyer, &[1, 0], "stripe-3").await;
    let checkout = body["data"]["checkout"]["checkoutId"]
        .as_str()
        .expect("id")
        .to_string();
    let order = order_of(&shop, &body, 0);
    // As if the process had not written Stripe's answer yet.
    sqlx::query("UPDATE payments.checkouts SET intent_id = NULL WHERE checkout_id = $1")
        .bind(&checkout)
        .execute(&app.db.owner)
        .await
        .expect("forget the intent");
    let succeeded = event(
        "evt_early",
        "payment_intent.succeeded",
        json!({ "id": "pi_1", "object": "payment_intent", "latest_charge": "ch_1", "metadata": { "checkout_id": checkout } }),
    );
    assert_eq!(
        post(
            app,
            "/webhooks/stripe",
            &succeeded,
            signed(&succeeded, SECRET)
        )
        .await,
        StatusCode::OK
    );
    assert_eq!(status_of(app, &shop.vendors[0].0, &order).await, "PAID");
    let again = buy(&shop, &buyer, &[1, 0], "stripe-3").await;
    assert_eq!(
        again["data"]["checkout"]["payment"]["status"], "SUCCEEDED",
        "{again}"
    );
    assert_eq!(
        again["data"]["checkout"]["payment"]["clientSecret"],
        "pi_1_secret_2"
    );
}

#[tokio::test]
async fn a_transfer_whose_answer_was_lost_is_asked_again_for_the_same_amount_before_a_refund() {
    // Every attempt of the shipping's transfer fails (Stripe may have made it).
    let stripe = double_failing_transfers(4).await;
    let shop = on_stripe(&stripe).await;
    let app = &shop.app;
    let vendor = shop.vendors[0].0.clone();
    let buyer = new_customer(app, "stripe-lost@example.com").await;
    let body = buy(&shop, &buyer, &[2, 0], "stripe-lost").await;
    let order = order_of(&shop, &body, 0);
    let succeeded = event(
        "evt_lost_1",
        "payment_intent.succeeded",
        json!({ "id": "pi_1", "object": "payment_intent", "latest_charge": "ch_1" }),
    );
    let sig = signed(&succeeded, SECRET);
    assert_eq!(
        post(app, "/webhooks/stripe", &succeeded, sig).await,
        StatusCode::OK
    );
    connect(app, &vendor).await;
    let updated = event(
        "evt_lost_2",
        "account.updated",
        json!({ "id": "acct_1", "object": "account", "payouts_enabled": true, "charges_enabled": true }),
    );
    let sig = signed(&updated, CONNECT_SECRET);
    assert_eq!(
        post(app, "/webhooks/stripe/connect", &updated, sig).await,
        StatusCode::OK
    );
    move_to(app, &vendor, &order, &["PROCESSING", "SHIPPED"]).await;
    let transfers = |all: Vec<(String, String, String)>| -> Vec<(String, String)> {
        all.into_iter()
            .filter(|c| c.0 == "/v1/transfers")
            .map(|c| (c.1, c.2))
            .collect()
    };
    assert_eq!(
        transfers(calls(&stripe).await).len(),
        4,
        "the shipping's attempts"
    );

    // The refund first finishes that transfer, asked again for the same amount
    // under the same key, and then reverses its part of it.
    let (_, refunded) = app
        .gql(
            Some(&vendor),
            REFUND,
            json!({ "o": order, "a": 1001, "why": "one broke" }),
        )
        .await;
    assert_eq!(
        refunded["data"]["refundOrder"]["refunded"]["amount"], 1001,
        "{refunded}"
    );
    let all = calls(&stripe).await;
    let asked = transfers(all.clone());
    assert_eq!(asked.len(), 5, "{asked:?}");
    assert!(
        asked.iter().all(|t| t == &asked[0]),
        "every attempt is the same request: {asked:?}"
    );
    let share = 3000 - super::free_plan_fee(3000);
    assert!(
        asked[0].1.contains(&format!("amount={share}")),
        "{}",
        asked[0].1
    );
    let reversal = all
        .iter()
        .find(|c| c.0 == "/v1/transfers/tr_1/reversals")
        .expect("the refund reverses part of the transfer");
    assert!(reversal.2.contains("amount="), "{}", reversal.2);
    let books = payouts(app, &vendor).await;
    assert_eq!(books["balances"][0]["transferable"], 0, "{books}");
}

/// Answers each checkout's payment intent with an id of its own (the same one
/// for a retry under the same key).
#[derive(Default)]
struct Intents(std::sync::Mutex<Vec<String>>);

impl wiremock::Respond for Intents {
    fn respond(&self, request: &wiremock::Request) -> ResponseTemplate {
        let key = request
            .headers
            .get("idempotency-key")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let mut keys = self.0.lock().expect("intent keys");
        let n = match keys.iter().position(|k| *k == key) {
            Some(n) => n,
            None => {
                keys.push(key);
                keys.len() - 1
            }
        };
        ResponseTemplate::new(200).set_body_json(json!({
            "id": format!("pi_race_{n}"), "object": "payment_intent",
            "client_secret": format!("pi_race_{n}_secret_x"),
        }))
    }
}

#[tokio::test]
async fn a_decline_racing_a_success_never_cancels_an_order_the_customer_paid_for() {
    let stripe = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/payment_intents"))
        .respond_with(Intents::default())
        .mount(&stripe)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/refunds"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({ "id": "re_1", "object": "refund" })),
        )
        .mount(&stripe)
        .await;
    let shop = on_stripe(&stripe).await;
    let app = &shop.app;
    let buyer = new_customer(app, "stripe-race@example.com").await;
    for round in 0..8 {
        let body = buy(&shop, &buyer, &[1, 1], &format!("race-{round}")).await;
        let secret = body["data"]["checkout"]["payment"]["clientSecret"]
            .as_str()
            .unwrap_or_else(|| panic!("{body}"));
        let intent = secret
            .split("_secret")
            .next()
            .expect("intent id")
            .to_string();
        // The first card is declined and a second one pays at once: both events
        // arrive together (and again, until each is applied).
        let failed = event(
            &format!("evt_race_f{round}"),
            "payment_intent.payment_failed",
            json!({ "id": intent, "object": "payment_intent", "last_payment_error": { "message": "card declined" } }),
        );
        let succeeded = event(
            &format!("evt_race_s{round}"),
            "payment_intent.succeeded",
            json!({ "id": intent, "object": "payment_intent", "latest_charge": format!("ch_race_{round}") }),
        );
        let mut pending = vec![failed, succeeded];
        for _ in 0..10 {
            let answers = futures::future::join_all(
                pending
                    .iter()
                    .map(|e| post(app, "/webhooks/stripe", e, signed(e, SECRET))),
            )
            .await;
            pending = pending
                .into_iter()
                .zip(answers)
                .filter(|(_, status)| *status != StatusCode::OK)
                .map(|(e, _)| e)
                .collect();
            if pending.is_empty() {
                break;
            }
        }
        assert!(pending.is_empty(), "events never applied: {pending:?}");
        for v in 0..2 {
            let order = order_of(&shop, &body, v);
            let status = status_of(app, &shop.vendors[v].0, &order).await;
            let money = super::order_payment(app, &buyer, &order).await;
            let kept = match status.as_str() {
                "PAID" => money["status"] == "PAID",
                // Cancelled by the decline: its money, if it came, went back.
                "CANCELLED" => money["status"] == "VOIDED" || money["status"] == "REFUNDED",
                _ => false,
            };
            assert!(
                kept,
                "round {round}, vendor {v}: order {status}, money {money}"
            );
        }
    }
}

#[tokio::test]
async fn account_events_delivered_out_of_order_keep_the_newest_state() {
    let stripe = double().await;
    let shop = on_stripe(&stripe).await;
    let app = &shop.app;
    let vendor = shop.vendors[0].0.clone();
    let account = |id: &str, created: i64, enabled: bool| {
        json!({ "id": id, "object": "event", "type": "account.updated", "created": created,
                "data": { "object": { "id": "acct_1", "object": "account",
                                      "payouts_enabled": enabled, "charges_enabled": enabled } } })
        .to_string()
    };
    let now = chrono::Utc::now().timestamp();
    // Told of before Souk wrote the account down: delivered again later.
    let early = account("evt_acct_0", now - 120, false);
    let sig = signed(&early, CONNECT_SECRET);
    assert_eq!(
        post(app, "/webhooks/stripe/connect", &early, sig).await,
        StatusCode::SERVICE_UNAVAILABLE
    );
    connect(app, &vendor).await;
    let newer = account("evt_acct_1", now, true);
    let sig = signed(&newer, CONNECT_SECRET);
    assert_eq!(
        post(app, "/webhooks/stripe/connect", &newer, sig).await,
        StatusCode::OK
    );
    // An older state delivered late (and the early one again) changes nothing.
    for late in [account("evt_acct_2", now - 60, false), early] {
        let sig = signed(&late, CONNECT_SECRET);
        assert_eq!(
            post(app, "/webhooks/stripe/connect", &late, sig).await,
            StatusCode::OK
        );
    }
    let books = payouts(app, &vendor).await;
    assert_eq!(books["account"]["payoutsEnabled"], true, "{books}");
    // A connected account's payment events are not the platform's.
    let foreign = event(
        "evt_acct_pi",
        "payment_intent.succeeded",
        json!({ "id": "pi_1", "object": "payment_intent" }),
    );
    let sig = signed(&foreign, CONNECT_SECRET);
    assert_eq!(
        post(app, "/webhooks/stripe/connect", &foreign, sig).await,
        StatusCode::OK
    );
}
