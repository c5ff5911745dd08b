//! Billing through the public API: exact metering (also across two gateways),
//! rate limits, quotas, plan changes and their invoice preview, admin-only
//! mutations, Stripe's webhooks, and the calls a Stripe double receives.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};
use souk_gateway::Application;
use souk_tenants::{Role, TenantId};
use tokio::sync::oneshot;
use uuid::Uuid;

use crate::support::{code, settings, TestApp};

const CHEAP: &str = "{ subscription { status plan { code } } }";
const PLAN: &str =
    "mutation($code: String!, $i: PlanInput!) { createPlan(code: $code, input: $i) { code } }";
const CHANGE: &str =
    "mutation($p: String!, $t: ID) { changePlan(plan: $p, tenant: $t) { plan { code } status } }";

pub fn admin(app: &TestApp) -> String {
    app.issuer
        .issue(
            &Uuid::now_v7().to_string(),
            None,
            Role::PlatformAdmin,
            Duration::from_secs(600),
        )
        .expect("token")
}

pub fn plan_input(rate: i32, burst: i32, included: i64, over: &str) -> Value {
    json!({ "name": "Test plan", "price": 1000, "currency": "EUR", "includedRequests": included,
            "overagePerThousand": 40, "ratePerSecond": rate, "burst": burst, "overQuota": over })
}

pub async fn create_plan(app: &TestApp, code: &str, input: Value) {
    let (_, body) = app
        .gql(Some(&admin(app)), PLAN, json!({ "code": code, "i": input }))
        .await;
    assert_eq!(body["data"]["createPlan"]["code"], code, "{body}");
}

pub async fn move_to(app: &TestApp, tenant: TenantId, plan: &str) {
    let (_, body) = app
        .gql(
            Some(&admin(app)),
            CHANGE,
            json!({ "p": plan, "t": tenant.to_string() }),
        )
        .await;
    assert_eq!(body["data"]["changePlan"]["plan"]["code"], plan, "{body}");
}

async fn counted(app: &TestApp, tenant: TenantId) -> i64 {
    sqlx::query_scalar(
        "SELECT coalesce(sum(requests), 0)::bigint FROM billing.usage WHERE tenant_id = $1",
    )
    .bind(tenant.as_uuid())
    .fetch_one(&app.db.owner)
    .await
    .expect("usage")
}

/// A second gateway on the same databases (its own signing key).
async fn second_gateway(
    app: &TestApp,
) -> (
    String,
    oneshot::Sender<()>,
    tokio::task::JoinHandle<anyhow::Result<()>>,
) {
    let (settings, _) = settings(
        &app.db.app_url,
        &format!("mongodb_url = '{}'\nrate_limits = false", app.mongo.url),
    );
    let second = Application::build(settings).await.expect("build");
    let url = format!("http://{}/graphql", second.local_addr().expect("addr"));
    let (stop, stopped) = oneshot::channel::<()>();
    let served = tokio::spawn(second.run_until(async move {
        let _ = stopped.await;
    }));
    (url, stop, served)
}

#[tokio::test]
async fn a_thousand_concurrent_requests_over_two_gateways_count_exactly_a_thousand() {
    let mut app = TestApp::spawn().await;
    let tenant = app.create_tenant().await;
    let owner_id = Uuid::now_v7();
    app.add_member(tenant, owner_id, Role::Owner).await;
    let owner = app
        .issuer
        .issue(
            &owner_id.to_string(),
            Some(tenant),
            Role::Owner,
            Duration::from_secs(600),
        )
        .expect("token");
    let (_, created) = app
        .gql(
            Some(&owner),
            "mutation { createApiKey(name: \"load\", role: STAFF) { secret } }",
            json!({}),
        )
        .await;
    let key = created["data"]["createApiKey"]["secret"]
        .as_str()
        .unwrap_or_else(|| panic!("{created}"))
        .to_string();
    let (second, stop_second, second_served) = second_gateway(&app).await;
    let first = app.url("/graphql");

    let requests = (0..1000).map(|i| {
        let client = app.client.clone();
        let url = if i % 2 == 0 {
            first.clone()
        } else {
            second.clone()
        };
        let key = key.clone();
        async move {
            let response = client
                .post(url)
                .bearer_auth(key)
                .json(&json!({ "query": CHEAP }))
                .send()
                .await
                .expect("send");
            assert_eq!(response.status(), StatusCode::OK);
            let body: Value = response.json().await.expect("json");
            assert!(body["errors"].is_null(), "{body}");
            assert!(
                body["extensions"]["throttle"]["limit"].as_u64().is_some(),
                "{body}"
            );
        }
    });
    futures::future::join_all(requests).await;

    // Both stop gracefully: whatever was not flushed yet is flushed on the way out.
    let _ = stop_second.send(());
    second_served.await.expect("join").expect("second stopped");
    app.begin_shutdown().await.expect("join").expect("stopped");
    assert_eq!(
        counted(&app, tenant).await,
        1 + 1000,
        "the key's creation and the thousand requests, each once"
    );
}

#[tokio::test]
async fn over_the_plan_rate_a_tenant_gets_429_with_retry_after_and_others_do_not() {
    let app =
        TestApp::spawn_with("rate_limits = true\nvisitor_rate_per_second = 1\nvisitor_burst = 2")
            .await;
    create_plan(&app, "tiny", plan_input(1, 3, 1_000_000, "BILL")).await;
    let tenant = app.create_tenant().await;
    move_to(&app, tenant, "tiny").await;
    let owner = app.token(Role::Owner, Some(tenant));

    let mut remaining = Vec::new();
    for _ in 0..3 {
        let (status, body) = app.gql(Some(&owner), CHEAP, json!({})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["extensions"]["throttle"]["limit"], 3);
        assert!(body["extensions"]["throttle"]["resetAt"].is_string());
        remaining.push(
            body["extensions"]["throttle"]["remaining"]
                .as_u64()
                .expect("remaining"),
        );
    }
    assert_eq!(remaining, [2, 1, 0]);
    let response = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(&owner)
        .json(&json!({ "query": CHEAP }))
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After in seconds");
    assert!((1..=2).contains(&retry_after), "{retry_after}");
    let body: Value = response.json().await.expect("json");
    assert_eq!(code(&body), Some("RATE_LIMITED"));
    assert_eq!(body["extensions"]["throttle"]["remaining"], 0);

    // Another tenant on the default plan is not affected.
    let other = app.new_vendor().await;
    let (status, _) = app.gql(Some(&other), CHEAP, json!({})).await;
    assert_eq!(status, StatusCode::OK);

    // Anonymous storefront traffic is limited per client address.
    let storefront = "{ plans { code } }";
    for _ in 0..2 {
        let (status, body) = app.gql(None, storefront, json!({})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (status, body) = app.gql(None, storefront, json!({})).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(code(&body), Some("RATE_LIMITED"));

    // A second later the tenant may send again.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (status, _) = app.gql(Some(&owner), CHEAP, json!({})).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn a_rejecting_plan_refuses_requests_over_its_quota_until_an_upgrade() {
    let app = TestApp::spawn().await;
    create_plan(&app, "trial", plan_input(100, 100, 5, "REJECT")).await;
    let tenant = app.create_tenant().await;
    move_to(&app, tenant, "trial").await;
    let owner = app.token(Role::Owner, Some(tenant));
    for _ in 0..5 {
        let (status, body) = app.gql(Some(&owner), CHEAP, json!({})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (status, body) = app.gql(Some(&owner), CHEAP, json!({})).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(code(&body), Some("QUOTA_EXCEEDED"), "{body}");
    assert_eq!(body["errors"][0]["extensions"]["includedRequests"], 5);
    assert!(body["errors"][0]["extensions"]["resetAt"].is_string());

    // Refused requests are not counted; an upgrade lifts the refusal at once.
    move_to(&app, tenant, "starter").await;
    let (status, body) = app.gql(Some(&owner), CHEAP, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["subscription"]["plan"]["code"], "starter");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(counted(&app, tenant).await, 6);
}

#[tokio::test]
async fn a_plan_change_mid_period_is_pro_rated_and_recorded() {
    // Metering off: the usage below is exactly what the test puts there.
    let app = TestApp::spawn_with("metering = false").await;
    let tenant = app.create_tenant().await;
    let owner = app.token(Role::Owner, Some(tenant));
    let (_, body) = app
        .gql(Some(&owner), CHANGE, json!({ "p": "starter" }))
        .await;
    assert_eq!(
        body["data"]["changePlan"]["plan"]["code"], "starter",
        "{body}"
    );
    assert_eq!(body["data"]["changePlan"]["status"], "ACTIVE");

    // Put the change exactly in the middle of this month and some usage in it.
    let month = sqlx::query_as::<_, (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>)>(
        "SELECT date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', \
                (date_trunc('month', now() AT TIME ZONE 'UTC') + interval '1 month') AT TIME ZONE 'UTC'",
    )
    .fetch_one(&app.db.owner)
    .await
    .expect("month");
    let middle = month.0 + (month.1 - month.0) / 2;
    sqlx::query("UPDATE billing.plan_changes SET at = CASE WHEN plan_code = 'free' THEN $2 ELSE $3 END WHERE tenant_id = $1")
        .bind(tenant.as_uuid())
        .bind(month.0 - chrono::Duration::days(3))
        .bind(middle)
        .execute(&app.db.owner)
        .await
        .expect("move the change");
    sqlx::query("INSERT INTO billing.usage (tenant_id, day, requests) VALUES ($1, $2, 260000)")
        .bind(tenant.as_uuid())
        .bind(month.0.date_naive())
        .execute(&app.db.owner)
        .await
        .expect("usage");

    let (_, body) = app
        .gql(
            Some(&owner),
            "{ invoicePreview { period requests lines { description quantity amount { amount currency } } total { amount currency } } }",
            json!({}),
        )
        .await;
    let preview = &body["data"]["invoicePreview"];
    let amounts: Vec<i64> = preview["lines"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .map(|l| l["amount"]["amount"].as_i64().expect("amount"))
        .collect();
    assert_eq!(
        amounts,
        [0, 1450, 400],
        "free half, starter half of 29.00, 10,000 over at 0.40 per 1,000"
    );
    assert_eq!(
        preview["total"],
        json!({ "amount": 1850, "currency": "EUR" })
    );
    assert_eq!(preview["lines"][2]["quantity"], 10_000);
    let (_, usage) = app
        .gql(
            Some(&owner),
            "{ usage { requests includedRequests remaining days { day requests } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        usage["data"]["usage"]["requests"].as_i64(),
        Some(260_000),
        "{usage}"
    );
    assert_eq!(usage["data"]["usage"]["includedRequests"], 250_000);

    // The change left an event and an audit entry in its transaction.
    let events: Vec<Value> = sqlx::query_scalar(
        "SELECT payload FROM souk.outbox WHERE tenant_id = $1 AND kind = 'subscription.changed'",
    )
    .bind(tenant.as_uuid())
    .fetch_all(&app.db.owner)
    .await
    .expect("outbox");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["plan"], "starter");
    assert_eq!(events[0]["previousPlan"], "free");
    let (_, log) = app
        .gql(
            Some(&owner),
            "{ auditLog(action: \"subscription.change_plan\") { nodes { details } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        log["data"]["auditLog"]["nodes"][0]["details"]["to"], "starter",
        "{log}"
    );

    // The same change again is a no-op; a cancellation ends it at period end.
    let (_, again) = app
        .gql(Some(&owner), CHANGE, json!({ "p": "starter" }))
        .await;
    assert!(again["errors"].is_null(), "{again}");
    let (_, cancelled) = app
        .gql(
            Some(&owner),
            "mutation { cancelPlan { cancelAtPeriodEnd status periodEnd } }",
            json!({}),
        )
        .await;
    assert_eq!(
        cancelled["data"]["cancelPlan"]["cancelAtPeriodEnd"], true,
        "{cancelled}"
    );
    assert_eq!(cancelled["data"]["cancelPlan"]["status"], "ACTIVE");
}

#[tokio::test]
async fn plans_are_run_by_platform_admins_only_and_inputs_are_checked() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant().await;
    let owner = app.token(Role::Owner, Some(tenant));
    let customer = app.token(Role::Customer, None);
    let input = plan_input(10, 10, 100, "BILL");
    let attempts = [
        (PLAN, json!({ "code": "mine", "i": input })),
        ("mutation($code: String!, $i: PlanInput!) { updatePlan(code: $code, input: $i) { code } }", json!({ "code": "free", "i": input })),
        ("mutation { retirePlan(code: \"free\") { code } }", json!({})),
        ("{ tenantUsage(tenant: \"00000000-0000-0000-0000-000000000000\") { requests } }", json!({})),
        ("{ plans(includeRetired: true) { code } }", json!({})),
    ];
    for (query, variables) in &attempts {
        for token in [&owner, &customer] {
            let (_, body) = app.gql(Some(token), query, variables.clone()).await;
            assert_eq!(code(&body), Some("FORBIDDEN"), "{query}: {body}");
        }
        let (_, body) = app.gql(None, query, variables.clone()).await;
        assert!(
            matches!(code(&body), Some("UNAUTHENTICATED" | "FORBIDDEN")),
            "{body}"
        );
    }
    // An owner cannot change another vendor's plan.
    let other = app.create_tenant().await;
    let (_, body) = app
        .gql(
            Some(&owner),
            CHANGE,
            json!({ "p": "starter", "t": other.to_string() }),
        )
        .await;
    assert_eq!(code(&body), Some("FORBIDDEN"));
    let manager = app.token(Role::Manager, Some(tenant));
    let (_, body) = app
        .gql(Some(&manager), CHANGE, json!({ "p": "starter" }))
        .await;
    assert_eq!(code(&body), Some("FORBIDDEN"));

    // Bad input is named and changes nothing.
    let admin = admin(&app);
    for (code_arg, input, argument) in [
        ("Bad Code", plan_input(10, 10, 100, "BILL"), "code"),
        (
            "ok",
            json!({ "name": "X", "price": -1, "currency": "EUR", "includedRequests": 1, "overagePerThousand": 1, "ratePerSecond": 1, "burst": 1, "overQuota": "BILL" }),
            "price",
        ),
        (
            "ok",
            json!({ "name": "X", "price": 1, "currency": "euro", "includedRequests": 1, "overagePerThousand": 1, "ratePerSecond": 1, "burst": 1, "overQuota": "BILL" }),
            "currency",
        ),
        ("ok", plan_input(0, 10, 100, "BILL"), "ratePerSecond"),
    ] {
        let (_, body) = app
            .gql(Some(&admin), PLAN, json!({ "code": code_arg, "i": input }))
            .await;
        assert_eq!(code(&body), Some("INVALID_ARGUMENT"), "{body}");
        assert_eq!(body["errors"][0]["extensions"]["argument"], argument);
    }
    let (_, body) = app.gql(None, "{ plans { code } }", json!({})).await;
    let codes: Vec<&str> = body["data"]["plans"]
        .as_array()
        .expect("plans")
        .iter()
        .filter_map(|p| p["code"].as_str())
        .collect();
    assert_eq!(codes, ["free", "starter", "growth"]);
    let (_, body) = app
        .gql(
            Some(&admin),
            PLAN,
            json!({ "code": "starter", "i": plan_input(1, 1, 1, "BILL") }),
        )
        .await;
    assert_eq!(code(&body), Some("PLAN_EXISTS"));

    // A retired plan keeps its subscribers and takes no new ones.
    create_plan(&app, "legacy", plan_input(10, 10, 100, "BILL")).await;
    move_to(&app, tenant, "legacy").await;
    let (_, body) = app
        .gql(
            Some(&admin),
            "mutation { retirePlan(code: \"legacy\") { retiredAt } }",
            json!({}),
        )
        .await;
    assert!(
        body["data"]["retirePlan"]["retiredAt"].is_string(),
        "{body}"
    );
    let (_, body) = app.gql(Some(&owner), CHEAP, json!({})).await;
    assert_eq!(body["data"]["subscription"]["plan"]["code"], "legacy");
    let (_, body) = app
        .gql(
            Some(&admin),
            CHANGE,
            json!({ "p": "legacy", "t": other.to_string() }),
        )
        .await;
    assert_eq!(code(&body), Some("PLAN_RETIRED"));
    let (_, body) = app.gql(Some(&owner), CHANGE, json!({ "p": "nope" })).await;
    assert_eq!(code(&body), Some("PLAN_NOT_FOUND"));
    let (_, body) = app
        .gql(
            Some(&owner),
            "{ usage(period: \"2026-13\") { requests } }",
            json!({}),
        )
        .await;
    assert_eq!(code(&body), Some("INVALID_ARGUMENT"));
}

const WEBHOOK_SECRET: &str = "whsec_test_secret";

async fn post_webhook(app: &TestApp, body: &str, signature: Option<String>) -> (StatusCode, Value) {
    let mut request = app
        .client
        .post(app.url("/webhooks/stripe"))
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some(signature) = signature {
        request = request.header("stripe-signature", signature);
    }
    let response = request.send().await.expect("send");
    (
        response.status(),
        response.json().await.unwrap_or(Value::Null),
    )
}

async fn version(app: &TestApp, tenant: TenantId) -> (i64, String) {
    sqlx::query_as("SELECT version, status FROM billing.subscriptions WHERE tenant_id = $1")
        .bind(tenant.as_uuid())
        .fetch_one(&app.db.owner)
        .await
        .expect("subscription")
}

#[tokio::test]
async fn stripe_webhooks_are_verified_applied_once_and_refused_when_unsigned_wrong_or_stale() {
    let app = TestApp::spawn_with(&format!("stripe_webhook_secret = '{WEBHOOK_SECRET}'")).await;
    let tenant = app.create_tenant().await;
    sqlx::query("UPDATE billing.subscriptions SET stripe_customer_id = 'cus_9', stripe_subscription_id = 'sub_9' WHERE tenant_id = $1")
        .bind(tenant.as_uuid())
        .execute(&app.db.owner)
        .await
        .expect("link");
    let now = chrono::Utc::now().timestamp();
    let event = json!({
        "id": "evt_1", "object": "event", "type": "customer.subscription.updated",
        "data": { "object": { "id": "sub_9", "object": "subscription", "customer": "cus_9",
            "status": "past_due", "cancel_at_period_end": false,
            "items": { "data": [{ "current_period_start": now - 86_400, "current_period_end": now + 86_400 * 29 }] } } }
    })
    .to_string();
    let before = version(&app, tenant).await;

    for (signature, why) in [
        (None, "unsigned"),
        (
            Some(souk_billing::webhook::sign(
                event.as_bytes(),
                "whsec_wrong",
                now,
            )),
            "wrong secret",
        ),
        (
            Some(souk_billing::webhook::sign(
                event.as_bytes(),
                WEBHOOK_SECRET,
                now - 301,
            )),
            "stale",
        ),
        (
            Some(souk_billing::webhook::sign(b"{}", WEBHOOK_SECRET, now)),
            "another body",
        ),
        (Some("t=abc,v1=00".to_string()), "malformed"),
    ] {
        let (status, body) = post_webhook(&app, &event, signature).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{why}: {body}");
        assert!(body["error"].is_string());
    }
    assert_eq!(
        version(&app, tenant).await,
        before,
        "refused events change nothing"
    );

    let signed = souk_billing::webhook::sign(event.as_bytes(), WEBHOOK_SECRET, now);
    let (status, body) = post_webhook(&app, &event, Some(signed.clone())).await;
    assert_eq!(
        (status, body["outcome"].as_str()),
        (StatusCode::OK, Some("applied")),
        "{body}"
    );
    let applied = version(&app, tenant).await;
    assert_eq!(applied.1, "past_due");
    assert_eq!(applied.0, before.0 + 1);
    let owner = app.token(Role::Owner, Some(tenant));
    let (_, body) = app
        .gql(
            Some(&owner),
            "{ subscription { status periodEnd } }",
            json!({}),
        )
        .await;
    assert_eq!(body["data"]["subscription"]["status"], "PAST_DUE", "{body}");

    // A replay (same event id) is acknowledged and ignored.
    let (status, body) = post_webhook(&app, &event, Some(signed)).await;
    assert_eq!(
        (status, body["outcome"].as_str()),
        (StatusCode::OK, Some("duplicate"))
    );
    assert_eq!(version(&app, tenant).await, applied);

    // A paid invoice makes it active again.
    let paid = json!({ "id": "evt_2", "object": "event", "type": "invoice.paid",
        "data": { "object": { "id": "in_1", "object": "invoice", "customer": "cus_9", "subscription": "sub_9",
            "period_start": now - 86_400, "period_end": now + 86_400 * 29 } } })
    .to_string();
    let (status, _) = post_webhook(
        &app,
        &paid,
        Some(souk_billing::webhook::sign(
            paid.as_bytes(),
            WEBHOOK_SECRET,
            now,
        )),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(version(&app, tenant).await.1, "active");
    let changed: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM souk.outbox WHERE tenant_id = $1 AND kind = 'subscription.changed'",
    )
    .bind(tenant.as_uuid())
    .fetch_one(&app.db.owner)
    .await
    .expect("events");
    assert_eq!(changed, 2, "one subscription.changed per applied event");
}

/// What the Stripe double received: path, idempotency key and form body.
async fn recorded(stripe: &wiremock::MockServer) -> Vec<(String, String, String)> {
    stripe
        .received_requests()
        .await
        .expect("recorded")
        .iter()
        .map(|r| {
            (
                r.url.path().to_string(),
                r.headers
                    .get("idempotency-key")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_string(),
                String::from_utf8_lossy(&r.body).to_string(),
            )
        })
        .collect()
}

/// A Stripe double: the customer endpoint fails `failures` times with `status`,
/// then creates `cus_<n>`; subscriptions create `sub_<n>` with item `si_<n>`;
/// meter events are accepted.
async fn stripe_double(failures: u64, status: u16, n: u32) -> wiremock::MockServer {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    let stripe = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/customers"))
        .respond_with(
            ResponseTemplate::new(status)
                .set_body_json(json!({ "error": { "type": "api_error", "message": "away" } })),
        )
        .up_to_n_times(failures)
        .mount(&stripe)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/customers"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "id": format!("cus_{n}"), "object": "customer" })),
        )
        .mount(&stripe)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/subscriptions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "id": format!("sub_{n}"), "object": "subscription", "items": { "object": "list", "data": [{ "id": format!("si_{n}") }] } })))
        .mount(&stripe)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/billing/meter_events"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({ "object": "billing.meter_event", "event_name": "souk_api_requests" }),
        ))
        .mount(&stripe)
        .await;
    stripe
}

/// A platform talking to `stripe`, with a plan `paid` on Stripe price `price`.
async fn on_stripe(stripe: &wiremock::MockServer, price: &str) -> TestApp {
    let app = TestApp::spawn_with(&format!(
        "stripe_secret_key = 'sk_test_double'\nstripe_api_base = '{}'\nusage_report_interval_secs = 3600",
        stripe.uri()
    ))
    .await;
    let mut paid = plan_input(100, 100, 1000, "BILL");
    paid["stripePriceId"] = json!(price);
    create_plan(&app, "paid", paid).await;
    app
}

#[tokio::test]
async fn a_stripe_double_receives_customer_subscription_and_meter_events_with_stable_keys() {
    // The first customer call fails; the retry carries the same idempotency key.
    let stripe = stripe_double(1, 500, 1).await;
    let app = on_stripe(&stripe, "price_growth").await;
    let tenant = app.create_tenant().await;
    let owner = app.token(Role::Owner, Some(tenant));
    let (_, body) = app.gql(Some(&owner), CHANGE, json!({ "p": "paid" })).await;
    assert_eq!(body["data"]["changePlan"]["plan"]["code"], "paid", "{body}");

    let calls = recorded(&stripe).await;
    assert_eq!(calls.len(), 3, "{calls:?}");
    assert_eq!(calls[0].0, "/v1/customers");
    assert_eq!(calls[1].0, "/v1/customers");
    assert_eq!(calls[0].1, format!("souk-customer-{tenant}"));
    assert_eq!(calls[0].1, calls[1].1, "the retry reuses the key");
    assert!(
        calls[0]
            .2
            .replace("%5B", "[")
            .replace("%5D", "]")
            .contains(&format!("metadata[tenant_id]={tenant}")),
        "{}",
        calls[0].2
    );
    assert_eq!(calls[2].0, "/v1/subscriptions");
    assert!(calls[2]
        .1
        .starts_with(&format!("souk-subscription-{tenant}-v")));
    assert!(calls[2].2.contains("customer=cus_1"), "{}", calls[2].2);
    assert!(calls[2].2.contains("price_growth"), "{}", calls[2].2);
    let ids: (Option<String>, Option<String>, Option<String>) = sqlx::query_as(
        "SELECT stripe_customer_id, stripe_subscription_id, stripe_item_id FROM billing.subscriptions WHERE tenant_id = $1",
    )
    .bind(tenant.as_uuid())
    .fetch_one(&app.db.owner)
    .await
    .expect("ids");
    assert_eq!(
        ids,
        (
            Some("cus_1".into()),
            Some("sub_1".into()),
            Some("si_1".into())
        )
    );

    // Usage: a few requests, flushed into report windows, which are then closed
    // (moved back) and reported by a reporter replica.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    sqlx::query("DELETE FROM billing.usage_reports WHERE tenant_id = $1")
        .bind(tenant.as_uuid())
        .execute(&app.db.owner)
        .await
        .expect("start afresh");
    for _ in 0..4 {
        app.gql(Some(&owner), CHEAP, json!({})).await;
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let windows: i64 = sqlx::query_scalar(
        "WITH moved AS (UPDATE billing.usage_reports SET window_start = window_start - interval '5 minutes' \
         WHERE tenant_id = $1 RETURNING 1) SELECT count(*) FROM moved",
    )
    .bind(tenant.as_uuid())
    .fetch_one(&app.db.owner)
    .await
    .expect("close the windows");
    let windows = usize::try_from(windows).expect("count");
    assert!((1..=2).contains(&windows));
    let reporter = souk_billing::Billing::new(
        app.db.app.clone(),
        app.platform(),
        Some(
            souk_billing::stripe::StripeBilling::new(
                "sk_test_double",
                Some(&stripe.uri()),
                "souk_api_requests",
            )
            .expect("client"),
        ),
        None,
    );
    assert_eq!(reporter.report_usage_once().await.expect("report"), windows);
    assert_eq!(
        reporter.report_usage_once().await.expect("report"),
        0,
        "reported once"
    );
    // A reporter that died before marking its reports sends them again, same identifiers.
    sqlx::query("UPDATE billing.usage_reports SET reported_at = NULL WHERE tenant_id = $1")
        .bind(tenant.as_uuid())
        .execute(&app.db.owner)
        .await
        .expect("crash");
    assert_eq!(reporter.report_usage_once().await.expect("report"), windows);

    let meter: Vec<(String, String)> = recorded(&stripe)
        .await
        .into_iter()
        .filter(|(path, _, _)| path == "/v1/billing/meter_events")
        .map(|(_, key, body)| (key, body))
        .collect();
    assert_eq!(meter.len(), 2 * windows);
    let normalized = |calls: &[(String, String)]| -> Vec<(String, Vec<String>)> {
        calls
            .iter()
            .map(|(key, body)| {
                let mut pairs: Vec<String> = body.split('&').map(str::to_string).collect();
                pairs.sort();
                (key.clone(), pairs)
            })
            .collect()
    };
    assert_eq!(
        normalized(&meter[..windows]),
        normalized(&meter[windows..]),
        "the same identifiers and keys, so Stripe counts them once"
    );
    let mut value = 0;
    for (key, body) in &meter[..windows] {
        let body = body.replace("%5B", "[").replace("%5D", "]");
        assert!(body.contains("event_name=souk_api_requests"), "{body}");
        assert!(body.contains("payload[stripe_customer_id]=cus_1"), "{body}");
        assert!(body.contains(&format!("identifier={key}")), "{body}");
        assert!(key.starts_with(&format!("souk-{tenant}-")));
        value += body
            .split('&')
            .find_map(|pair| pair.strip_prefix("payload[value]="))
            .and_then(|v| v.parse::<i64>().ok())
            .expect("value");
    }
    assert_eq!(value, 4, "exactly the four requests");
}

#[tokio::test]
async fn a_graceful_shutdown_flushes_what_was_counted_since_the_last_flush() {
    // A flush window far longer than the test: only the shutdown's flush can
    // bring these requests to the database.
    let mut app = TestApp::spawn_with("usage_flush_interval_ms = 1000").await;
    let tenant = app.create_tenant().await;
    let owner = app.token(Role::Owner, Some(tenant));
    tokio::time::sleep(Duration::from_millis(50)).await;
    for _ in 0..7 {
        let (status, _) = app.gql(Some(&owner), CHEAP, json!({})).await;
        assert_eq!(status, StatusCode::OK);
    }
    app.begin_shutdown().await.expect("join").expect("stopped");
    assert_eq!(counted(&app, tenant).await, 7);
}

#[tokio::test]
async fn a_stripe_subscription_that_failed_to_be_created_is_created_later_with_the_same_key() {
    use std::sync::Arc;

    // Stripe is away for the whole first attempt, retries included.
    let stripe = stripe_double(4, 503, 7).await;
    let app = on_stripe(&stripe, "price_starter").await;
    let tenant = app.create_tenant().await;
    let owner = app.token(Role::Owner, Some(tenant));
    let (_, body) = app.gql(Some(&owner), CHANGE, json!({ "p": "paid" })).await;
    assert_eq!(
        body["data"]["changePlan"]["plan"]["code"], "paid",
        "Souk's change stands: {body}"
    );
    let linked = || async {
        sqlx::query_scalar::<_, Option<String>>(
            "SELECT stripe_subscription_id FROM billing.subscriptions WHERE tenant_id = $1",
        )
        .bind(tenant.as_uuid())
        .fetch_one(&app.db.owner)
        .await
        .expect("subscription")
    };
    assert_eq!(linked().await, None);

    // A later pass (any replica's background task) brings Stripe in step.
    let tenancy = Arc::new(souk_vendors::service::PgTenancy::new(
        app.db.app.clone(),
        app.platform(),
        false,
    ));
    let replica = souk_billing::Billing::new(
        app.db.app.clone(),
        app.platform(),
        Some(
            souk_billing::stripe::StripeBilling::new(
                "sk_test_double",
                Some(&stripe.uri()),
                "souk_api_requests",
            )
            .expect("client"),
        ),
        None,
    )
    .with_tenancy(tenancy);
    assert_eq!(replica.sync_unsynced().await.expect("sync"), 1);
    assert_eq!(linked().await.as_deref(), Some("sub_7"));
    assert_eq!(
        replica.sync_unsynced().await.expect("sync"),
        0,
        "nothing left to do"
    );

    let customers: Vec<(String, String, String)> = recorded(&stripe)
        .await
        .into_iter()
        .filter(|(path, _, _)| path == "/v1/customers")
        .collect();
    assert_eq!(
        customers.len(),
        5,
        "four failed attempts, then one that worked"
    );
    assert!(
        customers
            .iter()
            .all(|c| c.1 == customers[0].1 && c.2 == customers[0].2),
        "every attempt is the same request under the same idempotency key: {customers:?}"
    );
}
