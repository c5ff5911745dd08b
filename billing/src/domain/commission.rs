//! What the platform keeps of each vendor order: a plan's commission.

use super::{invalid, Invalid};

/// Basis points of an order's total plus a fixed amount in minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Commission {
    bps: u32,
    fixed: i64,
}

/// The most basis points a commission may take (all of the order).
pub const MAX_BPS: u32 = 10_000;
/// The largest fixed part, in minor units.
pub const MAX_FIXED: i64 = 100_000_000;

impl Commission {
    /// `bps` from 0 to 10000 and `fixed` from 0 to 100000000 minor units.
    pub fn parse(bps: i64, fixed: i64) -> Result<Self, Invalid> {
        let bps = u32::try_from(bps)
            .ok()
            .filter(|b| *b <= MAX_BPS)
            .ok_or_else(|| invalid("commissionBps", "0 to 10000 basis points"))?;
        if !(0..=MAX_FIXED).contains(&fixed) {
            return Err(invalid(
                "commissionFixed",
                "0 to 100000000 minor units per order",
            ));
        }
        Ok(Self { bps, fixed })
    }

    pub fn bps(self) -> u32 {
        self.bps
    }

    pub fn fixed(self) -> i64 {
        self.fixed
    }

    /// The fee on an order of `total` minor units: `total × bps / 10000`
    /// rounded half up, plus the fixed part, never more than the total.
    pub fn fee(self, total: i64) -> i64 {
        if total <= 0 {
            return 0;
        }
        let share = (i128::from(total) * i128::from(self.bps) * 2 + i128::from(MAX_BPS))
            / (i128::from(MAX_BPS) * 2);
        let fee = share + i128::from(self.fixed);
        i64::try_from(fee.min(i128::from(total))).unwrap_or(total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_fee_is_the_rate_rounded_plus_the_fixed_part() {
        let c = Commission::parse(500, 30).expect("valid");
        assert_eq!(c.fee(10_000), 530);
        assert_eq!(c.fee(1), 1, "never more than the order");
        assert_eq!(c.fee(0), 0);
        assert_eq!(Commission::parse(250, 0).expect("valid").fee(3), 0);
        assert_eq!(Commission::parse(5_000, 0).expect("valid").fee(3), 2);
        assert_eq!(Commission::parse(10_000, 0).expect("valid").fee(999), 999);
    }

    #[test]
    fn out_of_range_terms_are_refused_by_name() {
        assert_eq!(
            Commission::parse(10_001, 0).map_err(|e| e.field),
            Err("commissionBps")
        );
        assert_eq!(
            Commission::parse(-1, 0).map_err(|e| e.field),
            Err("commissionBps")
        );
        assert_eq!(
            Commission::parse(0, -1).map_err(|e| e.field),
            Err("commissionFixed")
        );
        assert_eq!(
            Commission::parse(0, MAX_FIXED + 1).map_err(|e| e.field),
            Err("commissionFixed")
        );
    }

    proptest! {
        #[test]
        fn a_fee_lies_between_nothing_and_the_total(
            bps in 0i64..=10_000, fixed in 0i64..=MAX_FIXED, total in 0i64..=i64::MAX / 2
        ) {
            let fee = Commission::parse(bps, fixed).expect("valid").fee(total);
            prop_assert!(fee >= 0 && fee <= total);
        }
    }
}
