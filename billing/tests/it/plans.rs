//! Plans and subscriptions: the free start, changes, cancellation, retirement,
//! and bad input refused by type with nothing changed.

use chrono::Utc;
use futures::future::join_all;
use souk_billing::domain::{OverQuota, Period, PlanDraft, SubscriptionStatus};
use souk_billing::BillingError;
use souk_tenants::TenantId;

use crate::support::{draft, Fixture};

#[tokio::test]
async fn a_new_vendor_starts_on_free_and_moves_plans_with_a_pro_rated_invoice() {
    let fx = Fixture::new().await;
    let tenant = fx.tenant().await;
    let (subscription, plan) = fx.billing.subscription(tenant).await.expect("subscription");
    assert_eq!(plan.code, "free");
    assert_eq!(subscription.status, SubscriptionStatus::Active);
    assert!(subscription.period_start <= Utc::now() && Utc::now() < subscription.period_end);

    let (moved, plan) = fx
        .billing
        .change_plan(tenant, "starter")
        .await
        .expect("change");
    assert_eq!(
        (moved.plan_code.as_str(), plan.code.as_str()),
        ("starter", "starter")
    );
    assert!(moved.version > subscription.version);
    let (again, _) = fx
        .billing
        .change_plan(tenant, "starter")
        .await
        .expect("same plan");
    assert_eq!(
        again.version, moved.version,
        "moving to the plan held changes nothing"
    );

    let preview = fx
        .billing
        .invoice_preview(tenant, Period::containing(Utc::now()))
        .await
        .expect("preview");
    assert_eq!(preview.currency, "EUR");
    assert!(
        preview.total > 0 && preview.total <= plan.price,
        "{preview:?}"
    );
    assert_eq!(
        preview.total,
        preview.lines.iter().map(|l| l.amount).sum::<i64>()
    );
}

#[tokio::test]
async fn cancelling_ends_at_the_period_end_once_and_a_plan_change_resumes() {
    let fx = Fixture::new().await;
    let tenant = fx.tenant().await;
    fx.billing
        .change_plan(tenant, "growth")
        .await
        .expect("change");
    let (cancelled, _) = fx.billing.cancel_plan(tenant).await.expect("cancel");
    assert!(cancelled.cancel_at_period_end);
    assert_eq!(
        cancelled.status,
        SubscriptionStatus::Active,
        "served until the period ends"
    );
    let (twice, _) = fx.billing.cancel_plan(tenant).await.expect("cancel again");
    assert_eq!(twice.version, cancelled.version);
    let (resumed, _) = fx
        .billing
        .change_plan(tenant, "starter")
        .await
        .expect("resume");
    assert!(!resumed.cancel_at_period_end);
    assert_eq!(resumed.plan_code, "starter");
}

#[tokio::test]
async fn plans_are_created_updated_and_retired_and_retired_ones_take_no_one_new() {
    let fx = Fixture::new().await;
    let created = fx.plan("pro-2026", 1000, 5, 10, OverQuota::Reject).await;
    assert_eq!(created.included_requests, 1000);
    assert!(matches!(
        fx.billing.create_plan("pro-2026", draft("again", 1, 1, 1, OverQuota::Bill)).await,
        Err(BillingError::PlanExists(code)) if code == "pro-2026"
    ));
    let updated = fx
        .billing
        .update_plan("pro-2026", draft("Pro", 5000, 5, 10, OverQuota::Bill))
        .await
        .expect("update");
    assert_eq!(
        (updated.included_requests, updated.over_quota),
        (5000, OverQuota::Bill)
    );

    let holder = fx.tenant().await;
    fx.billing
        .change_plan(holder, "pro-2026")
        .await
        .expect("subscribe");
    fx.billing.retire_plan("pro-2026").await.expect("retire");
    let on_sale = fx.billing.plans(false).await.expect("plans");
    assert!(on_sale.iter().all(|plan| plan.code != "pro-2026"));
    assert!(fx
        .billing
        .plans(true)
        .await
        .expect("all")
        .iter()
        .any(|p| p.code == "pro-2026"));

    let newcomer = fx.tenant().await;
    assert!(matches!(
        fx.billing.change_plan(newcomer, "pro-2026").await,
        Err(BillingError::PlanRetired(_))
    ));
    let (kept, _) = fx
        .billing
        .subscription(newcomer)
        .await
        .expect("subscription");
    assert_eq!(kept.plan_code, "free");
    let (held, _) = fx.billing.subscription(holder).await.expect("subscription");
    assert_eq!(
        held.plan_code, "pro-2026",
        "its subscribers keep a retired plan"
    );
}

#[tokio::test]
async fn bad_input_is_refused_by_type_and_changes_nothing() {
    let fx = Fixture::new().await;
    let tenant = fx.tenant().await;
    let (before, _) = fx.billing.subscription(tenant).await.expect("subscription");
    let plans = fx.count("SELECT count(*) FROM billing.plans").await;

    for code in [
        "Pro",
        "pro--x",
        "-pro",
        "",
        &"p".repeat(33),
        "pro x",
        "pro'; DROP TABLE x;--",
    ] {
        match fx
            .billing
            .create_plan(code, draft("X", 1, 1, 1, OverQuota::Bill))
            .await
        {
            Err(BillingError::Invalid(invalid)) => assert_eq!(invalid.field, "code"),
            other => panic!("{code:?}: {other:?}"),
        }
    }
    let drafts = [
        (
            "price",
            PlanDraft::parse("X", -1, "EUR", 1, 0, 1, 1, OverQuota::Bill, None),
        ),
        (
            "currency",
            PlanDraft::parse("X", 1, "eur", 1, 0, 1, 1, OverQuota::Bill, None),
        ),
        (
            "includedRequests",
            PlanDraft::parse("X", 1, "EUR", -1, 0, 1, 1, OverQuota::Bill, None),
        ),
        (
            "ratePerSecond",
            PlanDraft::parse("X", 1, "EUR", 1, 0, 0, 1, OverQuota::Bill, None),
        ),
        (
            "burst",
            PlanDraft::parse("X", 1, "EUR", 1, 0, 1, 100_001, OverQuota::Bill, None),
        ),
        (
            "name",
            PlanDraft::parse(" ", 1, "EUR", 1, 0, 1, 1, OverQuota::Bill, None),
        ),
        (
            "stripePriceId",
            PlanDraft::parse(
                "X",
                1,
                "EUR",
                1,
                0,
                1,
                1,
                OverQuota::Bill,
                Some("price-1; x"),
            ),
        ),
    ];
    for (field, parsed) in drafts {
        assert_eq!(parsed.map_err(|e| e.field), Err(field));
    }
    assert!(matches!(
        fx.billing
            .update_plan("nope", draft("X", 1, 1, 1, OverQuota::Bill))
            .await,
        Err(BillingError::UnknownPlan(_))
    ));
    assert!(matches!(
        fx.billing.change_plan(tenant, "no-such-plan").await,
        Err(BillingError::UnknownPlan(_))
    ));
    assert!(matches!(
        fx.billing.subscription(TenantId::generate()).await,
        Err(BillingError::NoSubscription)
    ));
    assert!(Period::parse("2026-13").is_err() && Period::parse("26-01").is_err());

    assert_eq!(fx.count("SELECT count(*) FROM billing.plans").await, plans);
    let (after, _) = fx.billing.subscription(tenant).await.expect("subscription");
    assert_eq!(after, before);
}

#[tokio::test]
async fn concurrent_plan_changes_serialize_and_none_is_lost() {
    let fx = Fixture::new().await;
    let tenant = fx.tenant().await;
    let (start, _) = fx.billing.subscription(tenant).await.expect("subscription");
    let changes = format!(
        "SELECT count(*) FROM billing.plan_changes WHERE tenant_id = '{}'",
        tenant.as_uuid()
    );
    let recorded_before = fx.count(&changes).await;
    let targets = [
        "starter", "growth", "starter", "growth", "starter", "growth",
    ];
    let results = join_all(
        targets
            .iter()
            .map(|code| fx.billing.change_plan(tenant, code)),
    )
    .await;
    let mut versions: Vec<i64> = results
        .into_iter()
        .map(|result| result.expect("change").0.version)
        .collect();
    versions.sort_unstable();
    versions.dedup();
    let moves = versions.len() as i64;
    let (end, _) = fx.billing.subscription(tenant).await.expect("subscription");
    // Each change that moved the plan bumped the version once and was recorded
    // once; one that found its plan held changed nothing.
    assert_eq!(Some(&end.version), versions.last());
    assert_eq!(end.version - start.version, moves, "{versions:?}");
    assert_eq!(fx.count(&changes).await - recorded_before, moves);
}
