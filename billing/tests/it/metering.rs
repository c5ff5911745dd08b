//! The gate and the meter: every admitted request billed exactly once, across
//! threads and replicas; quotas; plan rate limits; refusals not billed.

use std::sync::Arc;
use std::time::Duration;

use futures::future::join_all;
use souk_billing::domain::{OverQuota, Period};
use souk_billing::gate::{Admission, Gate};
use souk_tenants::TenantId;

use crate::support::{settings, Fixture};

/// Admits `n` requests of `tenant` through `gate`; how many were allowed.
async fn admit(gate: Arc<Gate>, tenant: TenantId, n: usize) -> usize {
    let mut allowed = 0;
    for _ in 0..n {
        if let Admission::Allowed(_) = gate.admit_tenant(tenant).await.expect("admit") {
            allowed += 1;
        }
        tokio::task::yield_now().await;
    }
    allowed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_admitted_request_is_billed_exactly_once_across_threads_and_replicas() {
    let fx = Fixture::new().await;
    let (a, b) = (fx.tenant().await, fx.tenant().await);
    fx.billing.change_plan(a, "growth").await.expect("plan");
    fx.billing.change_plan(b, "growth").await.expect("plan");
    let (replica, replica_meter) = fx.replica(settings(false));

    let stop = tokio_util::sync::CancellationToken::new();
    let flushing = |meter: Arc<souk_billing::meter::Meter>| {
        let stop = stop.clone();
        tokio::spawn(async move {
            while !stop.is_cancelled() {
                meter.flush().await.expect("flush under load");
                tokio::time::sleep(Duration::from_millis(3)).await;
            }
        })
    };
    let flushers = [flushing(fx.meter.clone()), flushing(replica_meter.clone())];
    let mut load = Vec::new();
    for gate in [fx.gate.clone(), replica.clone()] {
        for _ in 0..3 {
            load.push(tokio::spawn(admit(gate.clone(), a, 300)));
            load.push(tokio::spawn(admit(gate.clone(), b, 100)));
        }
    }
    let allowed: usize = join_all(load)
        .await
        .into_iter()
        .map(|r| r.expect("task"))
        .sum();
    stop.cancel();
    for flusher in flushers {
        flusher.await.expect("flusher");
    }
    fx.meter.flush().await.expect("last flush");
    replica_meter.flush().await.expect("last flush");

    assert_eq!(allowed, 2 * 3 * 400, "growth has room for all of them");
    assert_eq!(fx.billed(a).await, 1800);
    assert_eq!(fx.billed(b).await, 600);
    assert_eq!(fx.meter.unflushed(a) + replica_meter.unflushed(a), 0);
    let usage = fx
        .billing
        .usage(a, Period::containing(chrono::Utc::now()))
        .await
        .expect("usage");
    assert_eq!(usage.days.iter().map(|(_, n)| n).sum::<i64>(), 1800);
    assert_eq!(usage.included, 2_000_000);
}

#[tokio::test]
async fn a_rejecting_plan_refuses_past_its_quota_until_an_upgrade() {
    let fx = Fixture::new().await;
    fx.plan("tiny", 5, 100, 100, OverQuota::Reject).await;
    let tenant = fx.tenant().await;
    let neighbour = fx.tenant().await;
    fx.billing.change_plan(tenant, "tiny").await.expect("plan");
    fx.billing
        .change_plan(neighbour, "tiny")
        .await
        .expect("plan");

    assert_eq!(admit(fx.gate.clone(), tenant, 5).await, 5);
    fx.flush().await;
    for _ in 0..3 {
        match fx.gate.admit_tenant(tenant).await.expect("admit") {
            Admission::QuotaExceeded {
                included, reset_at, ..
            } => {
                assert_eq!(included, 5);
                assert_eq!(reset_at, Period::containing(chrono::Utc::now()).end());
            }
            other => panic!("over the quota: {other:?}"),
        }
    }
    assert_eq!(
        admit(fx.gate.clone(), neighbour, 1).await,
        1,
        "quotas are per tenant"
    );
    fx.flush().await;
    assert_eq!(
        fx.billed(tenant).await,
        5,
        "refused requests are not billed"
    );

    fx.billing
        .change_plan(tenant, "starter")
        .await
        .expect("upgrade");
    assert_eq!(
        admit(fx.gate.clone(), tenant, 2).await,
        2,
        "the upgrade lifts it at once"
    );
    fx.flush().await;
    assert_eq!(fx.billed(tenant).await, 7);
}

#[tokio::test]
async fn a_plans_rate_limit_holds_under_a_concurrent_burst_and_refusals_are_not_billed() {
    let fx = Fixture::with(settings(true)).await;
    fx.plan("slow", 1_000_000, 1, 3, OverQuota::Bill).await;
    let tenant = fx.tenant().await;
    let other = fx.tenant().await;
    fx.billing.change_plan(tenant, "slow").await.expect("plan");
    fx.billing.change_plan(other, "slow").await.expect("plan");

    let started = std::time::Instant::now();
    let verdicts = join_all((0..20).map(|_| fx.gate.admit_tenant(tenant))).await;
    let refills = started.elapsed().as_secs() as usize;
    let mut allowed = 0;
    for verdict in verdicts {
        match verdict.expect("admit") {
            Admission::Allowed(_) => allowed += 1,
            Admission::RateLimited {
                retry_after,
                throttle,
            } => {
                assert!(retry_after > Duration::ZERO && retry_after <= Duration::from_secs(1));
                assert_eq!((throttle.limit, throttle.remaining), (3, 0));
            }
            other => panic!("{other:?}"),
        }
    }
    assert!((3..=3 + refills).contains(&allowed), "{allowed} allowed");
    assert!(matches!(
        fx.gate.admit_tenant(other).await.expect("admit"),
        Admission::Allowed(_)
    ));
    fx.flush().await;
    assert_eq!(fx.billed(tenant).await, allowed as i64);
}
