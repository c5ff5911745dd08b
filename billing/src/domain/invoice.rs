//! The invoice preview: pro-rated base per plan held, then overage.

use chrono::{DateTime, Utc};

use super::{OverQuota, Period, Plan};

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
