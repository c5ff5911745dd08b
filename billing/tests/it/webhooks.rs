//! Stripe's webhook events: applied once however often they are delivered,
//! a replay never undoing a later event, strangers' events ignored.

use futures::future::join_all;
use serde_json::json;
use souk_billing::domain::SubscriptionStatus;
use souk_billing::service::Delivery;
use souk_billing::webhook::StripeEvent;
use souk_tenants::TenantId;

use crate::support::Fixture;

fn event(id: &str, kind: &str, object: serde_json::Value) -> StripeEvent {
    let payload = json!({ "id": id, "type": kind, "data": { "object": object } });
    StripeEvent::parse(payload.to_string().as_bytes()).expect("an event")
}

/// Links `tenant`'s subscription to Stripe ids, as a first sync would.
async fn link(fx: &Fixture, tenant: TenantId, subscription: &str) {
    sqlx::query(
        "UPDATE billing.subscriptions SET stripe_customer_id = $2, stripe_subscription_id = $3
         WHERE tenant_id = $1",
    )
    .bind(tenant.as_uuid())
    .bind(format!("cus_{subscription}"))
    .bind(subscription)
    .execute(&fx.db.owner)
    .await
    .expect("link");
}

#[tokio::test]
async fn a_replayed_event_is_applied_once_and_never_undoes_a_later_one() {
    let fx = Fixture::new().await;
    let tenant = fx.tenant().await;
    link(&fx, tenant, "sub_replay").await;
    let (before, _) = fx.billing.subscription(tenant).await.expect("subscription");

    let failed = event(
        "evt_failed",
        "invoice.payment_failed",
        json!({ "subscription": "sub_replay" }),
    );
    assert_eq!(
        fx.billing.handle_webhook(&failed).await.expect("deliver"),
        Delivery::Applied
    );
    let (past_due, _) = fx.billing.subscription(tenant).await.expect("subscription");
    assert_eq!(past_due.status, SubscriptionStatus::PastDue);
    assert_eq!(past_due.version, before.version + 1);

    let paid = event(
        "evt_paid",
        "invoice.paid",
        json!({ "subscription": "sub_replay" }),
    );
    assert_eq!(
        fx.billing.handle_webhook(&paid).await.expect("deliver"),
        Delivery::Applied
    );
    for _ in 0..3 {
        assert_eq!(
            fx.billing.handle_webhook(&failed).await.expect("redeliver"),
            Delivery::Duplicate
        );
    }
    let (after, _) = fx.billing.subscription(tenant).await.expect("subscription");
    assert_eq!(
        after.status,
        SubscriptionStatus::Active,
        "the replay changed nothing"
    );
    assert_eq!(after.version, before.version + 2);
}

#[tokio::test]
async fn concurrent_deliveries_of_one_event_apply_it_exactly_once() {
    let fx = Fixture::new().await;
    let tenant = fx.tenant().await;
    link(&fx, tenant, "sub_race").await;
    let (before, _) = fx.billing.subscription(tenant).await.expect("subscription");
    let cancel = event(
        "evt_race",
        "customer.subscription.updated",
        json!({ "id": "sub_race", "status": "active", "cancel_at_period_end": true }),
    );
    let deliveries = join_all((0..8).map(|_| fx.billing.handle_webhook(&cancel))).await;
    let applied = deliveries
        .iter()
        .filter(|d| matches!(d, Ok(Delivery::Applied)))
        .count();
    let duplicates = deliveries
        .iter()
        .filter(|d| matches!(d, Ok(Delivery::Duplicate)))
        .count();
    assert_eq!((applied, duplicates), (1, 7), "{deliveries:?}");
    let (after, _) = fx.billing.subscription(tenant).await.expect("subscription");
    assert!(after.cancel_at_period_end);
    assert_eq!(after.version, before.version + 1);
}

#[tokio::test]
async fn events_for_unknown_subscriptions_or_types_change_nothing() {
    let fx = Fixture::new().await;
    let tenant = fx.tenant().await;
    link(&fx, tenant, "sub_known").await;
    let (before, _) = fx.billing.subscription(tenant).await.expect("subscription");

    let stranger = event(
        "evt_stranger",
        "invoice.payment_failed",
        json!({ "subscription": "sub_other" }),
    );
    assert_eq!(
        fx.billing.handle_webhook(&stranger).await.expect("deliver"),
        Delivery::Ignored
    );
    assert_eq!(
        fx.billing.handle_webhook(&stranger).await.expect("deliver"),
        Delivery::Duplicate
    );
    let unused = event(
        "evt_unused",
        "charge.refunded",
        json!({ "customer": "cus_sub_known" }),
    );
    assert_eq!(
        fx.billing.handle_webhook(&unused).await.expect("deliver"),
        Delivery::Ignored
    );
    let backwards = event(
        "evt_backwards",
        "customer.subscription.updated",
        json!({ "id": "sub_known", "status": "no-such-status",
                "current_period_start": 2_000_000_000, "current_period_end": 1_000_000_000 }),
    );
    fx.billing
        .handle_webhook(&backwards)
        .await
        .expect("deliver");

    let (after, _) = fx.billing.subscription(tenant).await.expect("subscription");
    assert_eq!(after.status, before.status);
    assert_eq!(
        (after.period_start, after.period_end),
        (before.period_start, before.period_end)
    );
    for malformed in [
        &b"not json"[..],
        br#"{"id":"evt_x","type":"invoice.paid"}"#,
        br#"{"id":1}"#,
    ] {
        assert!(StripeEvent::parse(malformed).is_err());
    }
}
