//! Plans, subscriptions, billing periods and the invoice preview: types and rules,
//! no I/O.

mod commission;
mod invoice;
mod period;
mod plan;
mod subscription;

pub use commission::Commission;
pub use invoice::{invoice_preview, InvoiceLine, InvoicePreview};
pub use period::Period;
pub use plan::{parse_code, OverQuota, Plan, PlanDraft};
pub use subscription::{Subscription, SubscriptionStatus};

/// A rejected value, naming the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct Invalid {
    pub field: &'static str,
    pub message: String,
}

fn invalid(field: &'static str, message: impl Into<String>) -> Invalid {
    Invalid {
        field,
        message: message.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn plan(code: &str, price: i64, included: i64, over: OverQuota) -> Plan {
        Plan {
            code: code.into(),
            name: code.to_uppercase(),
            price,
            currency: "EUR".into(),
            included_requests: included,
            overage_per_thousand: 40,
            rate_per_second: 10,
            burst: 10,
            over_quota: over,
            stripe_price_id: None,
            commission: Commission::default(),
            retired_at: None,
        }
    }

    #[test]
    fn periods_parse_and_bound_a_month() {
        let p = Period::parse("2026-11").expect("period");
        assert_eq!(p.to_string(), "2026-11");
        assert_eq!(p.start().to_rfc3339(), "2026-11-01T00:00:00+00:00");
        assert_eq!(p.end().to_rfc3339(), "2026-12-01T00:00:00+00:00");
        assert_eq!(
            Period::parse("2026-12").expect("p").end().to_rfc3339(),
            "2027-01-01T00:00:00+00:00"
        );
        for bad in ["2026-13", "2026-1", "26-11", "november", "2026-00", ""] {
            assert!(Period::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_change_mid_period_pro_rates_both_plans_and_bills_overage_of_the_last() {
        let period = Period::parse("2026-11").expect("period");
        let start = period.start();
        let mid = start + chrono::Duration::days(15);
        let changes = [
            (
                plan("free", 0, 10_000, OverQuota::Reject),
                start - chrono::Duration::days(40),
            ),
            (plan("starter", 3000, 100, OverQuota::Bill), mid),
        ];
        let preview = invoice_preview(period, &changes, 1_100);
        assert_eq!(preview.lines.len(), 3);
        assert_eq!(preview.lines[0].amount, 0);
        assert_eq!(preview.lines[1].amount, 1500, "half of November");
        assert_eq!(preview.lines[2].quantity, 1_000);
        assert_eq!(preview.lines[2].amount, 40);
        assert_eq!(preview.total, 1540);
    }

    #[test]
    fn a_rejecting_plan_bills_no_overage() {
        let period = Period::parse("2026-11").expect("period");
        let changes = [(plan("free", 0, 10, OverQuota::Reject), period.start())];
        let preview = invoice_preview(period, &changes, 1_000);
        assert_eq!(preview.total, 0);
        assert_eq!(preview.lines.len(), 1);
    }

    #[test]
    fn plan_drafts_name_the_bad_field() {
        let ok = PlanDraft::parse("Pro", 100, "EUR", 10, 1, 5, 10, OverQuota::Bill, None);
        assert!(ok.is_ok());
        let cases = [
            (
                PlanDraft::parse("", 100, "EUR", 10, 1, 5, 10, OverQuota::Bill, None),
                "name",
            ),
            (
                PlanDraft::parse("P", -1, "EUR", 10, 1, 5, 10, OverQuota::Bill, None),
                "price",
            ),
            (
                PlanDraft::parse("P", 1, "eur", 10, 1, 5, 10, OverQuota::Bill, None),
                "currency",
            ),
            (
                PlanDraft::parse("P", 1, "EUR", -1, 1, 5, 10, OverQuota::Bill, None),
                "includedRequests",
            ),
            (
                PlanDraft::parse("P", 1, "EUR", 1, 1, 0, 10, OverQuota::Bill, None),
                "ratePerSecond",
            ),
            (
                PlanDraft::parse("P", 1, "EUR", 1, 1, 1, 0, OverQuota::Bill, None),
                "burst",
            ),
        ];
        for (result, field) in cases {
            assert_eq!(result.map_err(|e| e.field), Err(field));
        }
        assert!(parse_code("pro-2").is_ok());
        for bad in ["", "Pro", "pro--2", "-pro", "pro_2", &"x".repeat(33)] {
            assert!(parse_code(bad).is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn pro_rated_lines_never_exceed_the_plan_price(price in 0i64..10_000_000, day in 0i64..30) {
            let period = Period::parse("2026-11").expect("period");
            let at = period.start() + chrono::Duration::days(day);
            let changes = [
                (plan("a", price, 0, OverQuota::Reject), period.start()),
                (plan("b", price, 0, OverQuota::Reject), at),
            ];
            let preview = invoice_preview(period, &changes, 0);
            prop_assert!(preview.total <= price + 1);
            prop_assert!(preview.total >= price - 1);
        }
    }
}
