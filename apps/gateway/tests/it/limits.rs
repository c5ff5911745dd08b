//! Visitor rate limits at the edge: 429 `RATE_LIMITED` with `Retry-After`, per
//! client, under concurrency, and not escaped by a forged `X-Forwarded-For`.

use std::time::Instant;

use axum::http::StatusCode;
use futures::future::join_all;

use crate::support::{gql_request, peer, Edge};

const LIMITS: &str = "rate_limits = true\nvisitor_rate_per_second = 1\nvisitor_burst = 2";

#[tokio::test]
async fn a_visitor_over_the_burst_gets_429_rate_limited_with_retry_after() {
    let edge = Edge::offline(LIMITS).await;
    for remaining in [1, 0] {
        let reply = edge
            .send_from(peer(1), gql_request(None, "{ __typename }"))
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        let throttle = &reply.json()["extensions"]["throttle"];
        assert_eq!(throttle["limit"], 2, "{throttle}");
        assert_eq!(throttle["remaining"], remaining, "{throttle}");
    }
    let refused = edge
        .send_from(peer(1), gql_request(None, "{ __typename }"))
        .await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    let body = refused.json();
    let error = &body["errors"][0];
    assert_eq!(error["extensions"]["code"], "RATE_LIMITED", "{body}");
    assert_eq!(
        error["extensions"]["requestId"],
        refused.header("x-request-id").expect("a request id")
    );
    let wait: u64 = refused
        .header("retry-after")
        .and_then(|value| value.parse().ok())
        .expect("a Retry-After in seconds");
    assert!(wait >= 1);
    assert_eq!(error["extensions"]["retryAfterSeconds"], wait);
    assert_eq!(body["extensions"]["throttle"]["remaining"], 0);
    assert!(body["data"].is_null());

    let other = edge
        .send_from(peer(2), gql_request(None, "{ __typename }"))
        .await;
    assert_eq!(
        other.status,
        StatusCode::OK,
        "another client has its own budget"
    );
}

/// How many of `n` concurrent requests from `from` (each with the given
/// forwarded address) were served, and at most how many could have been.
async fn burst(edge: &Edge, n: u8, forwarded: impl Fn(u8) -> String) -> (usize, usize) {
    let started = Instant::now();
    let replies = join_all((0..n).map(|i| {
        let mut request = gql_request(None, "{ __typename }");
        if let Ok(value) = forwarded(i).parse() {
            request.headers_mut().insert("x-forwarded-for", value);
        }
        edge.send_from(peer(9), request)
    }))
    .await;
    let served = replies
        .iter()
        .filter(|reply| reply.status == StatusCode::OK)
        .count();
    let limited = replies
        .iter()
        .filter(|reply| reply.status == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!(served + limited, usize::from(n), "only served or limited");
    let refills = started.elapsed().as_secs() as usize + 1;
    (served, 2 + refills)
}

#[tokio::test]
async fn concurrent_requests_cannot_exceed_the_burst_even_with_forged_forwarded_for() {
    let edge = Edge::offline(LIMITS).await;
    let (served, most) = burst(&edge, 20, |i| format!("203.0.113.{i}")).await;
    assert!(served >= 2, "the burst is served: {served}");
    assert!(served <= most, "{served} served, at most {most} allowed");
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_budget() {
    let edge = Edge::offline(&format!("{LIMITS}\ntrust_forwarded_for = true")).await;
    let (served, _) = burst(&edge, 6, |i| format!("203.0.113.{i}, 10.0.0.9")).await;
    assert_eq!(served, 6, "six clients, one request each");
    let (served, most) = burst(&edge, 10, |_| "198.51.100.7".to_string()).await;
    assert!(
        (2..=most).contains(&served),
        "{served} served of one client's"
    );
}
