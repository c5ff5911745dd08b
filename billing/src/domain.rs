//! Plans, subscriptions, billing periods and the invoice preview: types and rules,
//! no I/O.

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};

/// What happens to requests over a plan's included quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverQuota {
    /// Refused with `QUOTA_EXCEEDED` until the next period or an upgrade.
    Reject,
    /// Served and billed as overage.
    Bill,
}

impl OverQuota {
    pub fn as_str(self) -> &'static str {
        match self {
            OverQuota::Reject => "reject",
            OverQuota::Bill => "bill",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "reject" => Some(OverQuota::Reject),
            "bill" => Some(OverQuota::Bill),
            _ => None,
        }
    }
}

/// A plan as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub code: String,
    pub name: String,
    /// Monthly price, minor units.
    pub price: i64,
    pub currency: String,
    pub included_requests: i64,
    /// Minor units per 1,000 requests over the included ones.
    pub overage_per_thousand: i64,
    pub rate_per_second: u32,
    pub burst: u32,
    pub over_quota: OverQuota,
    pub stripe_price_id: Option<String>,
    pub retired_at: Option<DateTime<Utc>>,
}

/// A plan's content as an admin gives it, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanDraft {
    pub name: String,
    pub price: i64,
    pub currency: String,
    pub included_requests: i64,
    pub overage_per_thousand: i64,
    pub rate_per_second: u32,
    pub burst: u32,
    pub over_quota: OverQuota,
    pub stripe_price_id: Option<String>,
}

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

/// A plan code: lowercase letters, digits and single hyphens, at most 32.
pub fn parse_code(raw: &str) -> Result<String, Invalid> {
    let code = raw.trim();
    let well_formed = !code.is_empty()
        && code.len() <= 32
        && code.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        });
    if well_formed {
        Ok(code.to_string())
    } else {
        Err(invalid(
            "code",
            "lowercase letters and digits in hyphen-separated words, at most 32 characters",
        ))
    }
}

impl PlanDraft {
    /// Checks every field; the first problem is named.
    #[allow(clippy::too_many_arguments)]
    pub fn parse(
        name: &str,
        price: i64,
        currency: &str,
        included_requests: i64,
        overage_per_thousand: i64,
        rate_per_second: i32,
        burst: i32,
        over_quota: OverQuota,
        stripe_price_id: Option<&str>,
    ) -> Result<Self, Invalid> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(invalid("name", "1 to 100 characters"));
        }
        if price < 0 {
            return Err(invalid("price", "may not be negative"));
        }
        let currency = currency.trim();
        if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(invalid(
                "currency",
                "three capital letters (ISO 4217), e.g. EUR",
            ));
        }
        if included_requests < 0 {
            return Err(invalid("includedRequests", "may not be negative"));
        }
        if overage_per_thousand < 0 {
            return Err(invalid("overagePerThousand", "may not be negative"));
        }
        let rate = u32::try_from(rate_per_second)
            .ok()
            .filter(|r| (1..=100_000).contains(r))
            .ok_or_else(|| invalid("ratePerSecond", "between 1 and 100000"))?;
        let burst = u32::try_from(burst)
            .ok()
            .filter(|b| (1..=100_000).contains(b))
            .ok_or_else(|| invalid("burst", "between 1 and 100000"))?;
        let stripe_price_id = stripe_price_id
            .map(str::trim)
            .filter(|id| !id.is_empty())
            .map(|id| {
                if id.len() <= 255 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                    Ok(id.to_string())
                } else {
                    Err(invalid("stripePriceId", "not a Stripe price id"))
                }
            })
            .transpose()?;
        Ok(Self {
            name: name.to_string(),
            price,
            currency: currency.to_string(),
            included_requests,
            overage_per_thousand,
            rate_per_second: rate,
            burst,
            over_quota,
            stripe_price_id,
        })
    }
}

/// A subscription's status, as Stripe names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscriptionStatus {
    Trialing,
    Active,
    PastDue,
    Canceled,
}

impl SubscriptionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SubscriptionStatus::Trialing => "trialing",
            SubscriptionStatus::Active => "active",
            SubscriptionStatus::PastDue => "past_due",
            SubscriptionStatus::Canceled => "canceled",
        }
    }

    /// Stripe's statuses mapped onto ours (`unpaid` and `incomplete*` count as
    /// past due; `paused` as canceled).
    pub fn from_stripe(raw: &str) -> Option<Self> {
        match raw {
            "trialing" => Some(Self::Trialing),
            "active" => Some(Self::Active),
            "past_due" | "unpaid" | "incomplete" => Some(Self::PastDue),
            "canceled" | "incomplete_expired" | "paused" => Some(Self::Canceled),
            _ => None,
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "trialing" => Some(Self::Trialing),
            "active" => Some(Self::Active),
            "past_due" => Some(Self::PastDue),
            "canceled" => Some(Self::Canceled),
            _ => None,
        }
    }
}

/// A tenant's subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub tenant: souk_tenants::TenantId,
    pub plan_code: String,
    pub status: SubscriptionStatus,
    pub period_start: DateTime<Utc>,
    pub period_end: DateTime<Utc>,
    pub cancel_at_period_end: bool,
    pub stripe_customer_id: Option<String>,
    pub stripe_subscription_id: Option<String>,
    /// The Stripe subscription item carrying the plan's price.
    pub stripe_item_id: Option<String>,
    pub version: i64,
}

/// A billing period: one calendar month, UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub year: i32,
    pub month: u32,
}

impl Period {
    pub fn containing(at: DateTime<Utc>) -> Self {
        Self {
            year: at.year(),
            month: at.month(),
        }
    }

    /// `YYYY-MM`.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let bad = || invalid("period", "a month as YYYY-MM, e.g. 2026-11");
        let (year, month) = raw.trim().split_once('-').ok_or_else(bad)?;
        if year.len() != 4 || month.len() != 2 {
            return Err(bad());
        }
        let year: i32 = year.parse().map_err(|_| bad())?;
        let month: u32 = month.parse().map_err(|_| bad())?;
        NaiveDate::from_ymd_opt(year, month, 1).ok_or_else(bad)?;
        Ok(Self { year, month })
    }

    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap_or_default()
    }

    pub fn start(self) -> DateTime<Utc> {
        Utc.from_utc_datetime(&self.first_day().and_hms_opt(0, 0, 0).unwrap_or_default())
    }

    pub fn next(self) -> Self {
        if self.month == 12 {
            Self {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Self {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    pub fn end(self) -> DateTime<Utc> {
        self.next().start()
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// One line of an invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceLine {
    pub description: String,
    pub quantity: i64,
    /// Minor units.
    pub amount: i64,
}

/// What a period costs so far: pro-rated base per plan held, then overage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoicePreview {
    pub period: Period,
    pub currency: String,
    pub lines: Vec<InvoiceLine>,
    pub total: i64,
    pub requests: i64,
}

/// `amount × part / whole`, rounded half up, without overflow for money values.
fn pro_rata(amount: i64, part: i64, whole: i64) -> i64 {
    if whole <= 0 {
        return 0;
    }
    let scaled = i128::from(amount) * i128::from(part) * 2 + i128::from(whole);
    i64::try_from(scaled / (i128::from(whole) * 2)).unwrap_or(i64::MAX)
}

/// The invoice of `period`: each plan held (from `changes`, oldest first: the plan
/// and when it started) charged for its share of the period, and requests over the
/// included ones of the plan held at the period's end billed as overage when that
/// plan bills it.
pub fn invoice_preview(
    period: Period,
    changes: &[(Plan, DateTime<Utc>)],
    requests: i64,
) -> InvoicePreview {
    let (start, end) = (period.start(), period.end());
    let whole = (end - start).num_seconds();
    let mut lines = Vec::new();
    let mut held: Option<&Plan> = None;
    for (index, (plan, from)) in changes.iter().enumerate() {
        let to = changes.get(index + 1).map_or(end, |(_, next)| *next);
        let (from, to) = ((*from).max(start), to.min(end));
        if to <= from {
            if to <= start {
                held = Some(plan);
            }
            continue;
        }
        held = Some(plan);
        let seconds = (to - from).num_seconds();
        let description = if seconds == whole {
            format!("{} plan, {period}", plan.name)
        } else {
            format!(
                "{} plan, {} to {} (pro-rated)",
                plan.name,
                from.format("%Y-%m-%d %H:%M"),
                to.format("%Y-%m-%d %H:%M")
            )
        };
        lines.push(InvoiceLine {
            description,
            quantity: 1,
            amount: pro_rata(plan.price, seconds, whole),
        });
    }
    let currency = held.map_or_else(|| "EUR".to_string(), |p| p.currency.clone());
    if let Some(plan) = held.filter(|p| p.over_quota == OverQuota::Bill) {
        let over = requests - plan.included_requests;
        if over > 0 {
            lines.push(InvoiceLine {
                description: format!(
                    "{over} requests over the {} included ({} per 1,000)",
                    plan.included_requests, plan.overage_per_thousand
                ),
                quantity: over,
                amount: pro_rata(plan.overage_per_thousand, over, 1000),
            });
        }
    }
    let total = lines.iter().map(|l| l.amount).sum();
    InvoicePreview {
        period,
        currency,
        lines,
        total,
        requests,
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
