//! Limits shared by every gateway through Redis: two gateways on one database and
//! one Redis give a tenant its plan's rate once, not twice; sign-in attempts are
//! counted across both; and Redis going away and coming back costs no request a
//! 5xx, each gateway meanwhile admitting its share.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{json, Value};
use souk_limits::testing::{self, PrivateRedis};
use souk_tenants::{Role, TenantId};

use crate::billing::{create_plan, move_to, plan_input};
use crate::support::{code, post_gql, Replica, TestApp};

const CHEAP: &str = "{ subscription { status } }";
const LOGIN: &str =
    "mutation($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken } }";

/// Settings of a gateway that keeps its limits in the Redis at `url` under
/// `prefix`, as one of two replicas.
fn on_redis(url: &str, prefix: &str, extra: &str) -> String {
    format!(
        "rate_limits = true\nredis_url = '{url}'\nredis_prefix = '{prefix}'\nreplicas = 2\n{extra}"
    )
}

/// A new vendor on plan `code` (created once per app by the caller), and its token.
async fn vendor_on(app: &TestApp, plan: &str) -> (TenantId, String) {
    let tenant = app.create_tenant().await;
    move_to(app, tenant, plan).await;
    (tenant, app.token(Role::Owner, Some(tenant)))
}

/// Admitted and refused requests of `clients` loops per gateway sending `CHEAP`
/// with `token` for `length`, and the seconds from the first request sent to the
/// last (the window the limiter saw requests in: connecting before the first
/// and waiting for the last answer do not count).
async fn drive(urls: &[String], token: &str, clients: usize, length: Duration) -> (u32, u32, f64) {
    let started = Instant::now();
    let mut loops = Vec::new();
    for url in urls.iter().cycle().take(urls.len() * clients) {
        let (url, token) = (url.clone(), token.to_string());
        loops.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let (mut admitted, mut refused) = (0u32, 0u32);
            let (mut first, mut last) = (None, started);
            while started.elapsed() < length {
                let sent = Instant::now();
                first.get_or_insert(sent);
                last = sent;
                let (status, body) = post_gql(&client, &url, Some(&token), CHEAP, json!({})).await;
                match status {
                    StatusCode::OK => admitted += 1,
                    StatusCode::TOO_MANY_REQUESTS => {
                        assert_eq!(code(&body), Some("RATE_LIMITED"), "{body}");
                        refused += 1;
                    }
                    other => panic!("{other}: {body}"),
                }
                tokio::time::sleep(Duration::from_millis(3)).await;
            }
            (admitted, refused, first.unwrap_or(started), last)
        }));
    }
    let (mut admitted, mut refused) = (0, 0);
    let (mut first, mut last) = (None::<Instant>, started);
    for handle in loops {
        let (a, r, f, l) = handle.await.expect("loop");
        admitted += a;
        refused += r;
        first = Some(first.map_or(f, |earliest| earliest.min(f)));
        last = last.max(l);
    }
    let window = last.duration_since(first.unwrap_or(started));
    (admitted, refused, window.as_secs_f64())
}

#[tokio::test]
async fn two_gateways_on_one_redis_give_a_tenant_its_plans_rate_once_not_twice() {
    let prefix = testing::prefix();
    let settings = on_redis(&testing::redis_url(), &prefix, "");
    let app = TestApp::spawn_with(&settings).await;
    let second = app.replica(&settings).await;
    create_plan(&app, "steady", plan_input(50, 20, 1_000_000, "BILL")).await;
    let (_, token) = vendor_on(&app, "steady").await;

    let (admitted, refused, seconds) =
        drive(&urls(&app, &second), &token, 4, Duration::from_secs(4)).await;
    let expected = 20.0 + 50.0 * seconds;
    let share = f64::from(admitted) / expected;
    assert!(
        (0.95..=1.05).contains(&share),
        "admitted {admitted} in {seconds:.2} s, the plan allows {expected:.0} in total \
         ({refused} refused)"
    );
    assert!(
        refused > admitted,
        "both gateways were driven past the rate"
    );
}

/// A failed sign-in at the gateway at `url`: its error code.
async fn login(url: &str, email: &str) -> Option<String> {
    let variables = json!({ "email": email, "password": "not the password" });
    let (status, body) = post_gql(&reqwest::Client::new(), url, None, LOGIN, variables).await;
    assert!(
        status == StatusCode::OK || status == StatusCode::TOO_MANY_REQUESTS,
        "{status}: {body}"
    );
    code(&body).map(str::to_string)
}

fn urls(app: &TestApp, second: &Replica) -> [String; 2] {
    [app.url("/graphql"), second.url("/graphql")]
}

#[tokio::test]
async fn sign_in_attempts_are_limited_across_gateways_per_account_and_per_address() {
    let prefix = testing::prefix();
    let settings = on_redis(
        &testing::redis_url(),
        &prefix,
        "logins_per_minute_per_ip = 5\nlogins_per_minute_per_account = 3",
    );
    let app = TestApp::spawn_with(&settings).await;
    let second = app.replica(&settings).await;
    let gateways = urls(&app, &second);

    // Per account: three attempts in all, whichever gateway takes them.
    let mut codes = Vec::new();
    for gateway in gateways.iter().cycle().take(4) {
        codes.push(login(gateway, "target@example.com").await);
    }
    let invalid = Some("INVALID_CREDENTIALS".to_string());
    let limited = Some("RATE_LIMITED".to_string());
    assert_eq!(
        codes[..3],
        [invalid.clone(), invalid.clone(), invalid.clone()]
    );
    assert_eq!(codes[3], limited);

    // Per address: those four attempts and one more, then none for any account.
    assert_eq!(login(&gateways[0], "other@example.com").await, invalid);
    assert_eq!(login(&gateways[1], "third@example.com").await, limited);
    assert_eq!(login(&gateways[0], "fourth@example.com").await, limited);
}

async fn throttle_limit(app: &TestApp, token: &str) -> (StatusCode, Value) {
    let (status, body) = app.gql(Some(token), CHEAP, json!({})).await;
    assert!(
        status == StatusCode::OK || status == StatusCode::TOO_MANY_REQUESTS,
        "never a 5xx because of Redis: {status} {body}"
    );
    (status, body["extensions"]["throttle"]["limit"].clone())
}

/// Sends `n` requests; how many were admitted, and every limit reported.
async fn burst(app: &TestApp, token: &str, n: usize) -> (usize, Vec<Value>) {
    let mut admitted = 0;
    let mut limits = Vec::new();
    for _ in 0..n {
        let (status, limit) = throttle_limit(app, token).await;
        admitted += usize::from(status == StatusCode::OK);
        limits.push(limit);
    }
    (admitted, limits)
}

#[tokio::test]
async fn redis_stopped_and_restarted_costs_no_request_a_5xx_and_the_limits_come_back() {
    let mut redis = PrivateRedis::start();
    let settings = on_redis(&redis.url(), &testing::prefix(), "");
    let app = TestApp::spawn_with(&settings).await;
    create_plan(&app, "slow", plan_input(1, 10, 1_000_000, "BILL")).await;

    let (_, before) = vendor_on(&app, "slow").await;
    let (admitted, limits) = burst(&app, &before, 12).await;
    assert_eq!(admitted, 10, "the plan's burst, from Redis");
    assert!(limits.iter().all(|limit| limit == 10), "{limits:?}");

    redis.stop();
    let (admitted, limits) = burst(&app, &before, 8).await;
    assert_eq!(
        admitted, 5,
        "this gateway's share of the burst (one of two)"
    );
    assert!(limits.iter().all(|limit| limit == 5), "{limits:?}");
    let metrics = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(
        metrics.contains("souk_rate_limit_fallbacks_total"),
        "{metrics}"
    );

    redis.restart();
    let (_, after) = vendor_on(&app, "slow").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, limit) = throttle_limit(&app, &after).await;
        if limit == 10 {
            break;
        }
        assert!(Instant::now() < deadline, "the limits did not come back");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (_, fresh) = vendor_on(&app, "slow").await;
    let (admitted, limits) = burst(&app, &fresh, 12).await;
    assert_eq!(admitted, 10, "shared again: the plan's burst from Redis");
    assert!(limits.iter().all(|limit| limit == 10), "{limits:?}");
}
