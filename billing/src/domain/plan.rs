//! Plans: what a tenant pays, what it may do, and how an admin's draft of one
//! is checked.

use chrono::{DateTime, Utc};

use super::{invalid, Commission, Invalid};

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
    /// What the platform keeps of each vendor order under this plan.
    pub commission: Commission,
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
    /// `None` keeps a plan's commission (none for a new plan).
    pub commission: Option<Commission>,
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
        Ok(Self {
            name: name.to_string(),
            price,
            currency: currency.to_string(),
            included_requests,
            overage_per_thousand,
            rate_per_second: rate,
            burst,
            over_quota,
            stripe_price_id: stripe_price_id_of(stripe_price_id)?,
            commission: None,
        })
    }
}

/// A Stripe price id, when one is given (blank is none).
fn stripe_price_id_of(raw: Option<&str>) -> Result<Option<String>, Invalid> {
    raw.map(str::trim)
        .filter(|id| !id.is_empty())
        .map(|id| {
            if id.len() <= 255 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                Ok(id.to_string())
            } else {
                Err(invalid("stripePriceId", "not a Stripe price id"))
            }
        })
        .transpose()
}
