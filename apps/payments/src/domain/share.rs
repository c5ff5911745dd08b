//! One vendor order's share of its checkout's payment, and how a refund of it
//! splits between the vendor and the platform.

use chrono::{DateTime, Utc};
use souk_tenants::TenantId;

/// Where a vendor order's money stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShareStatus {
    /// Its checkout is not paid yet.
    Awaiting,
    /// Paid; the commission is fixed.
    Paid,
    /// All of it went back to the customer.
    Refunded,
    /// The payment failed or was cancelled: no money moved.
    Voided,
}

impl ShareStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ShareStatus::Awaiting => "awaiting",
            ShareStatus::Paid => "paid",
            ShareStatus::Refunded => "refunded",
            ShareStatus::Voided => "voided",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Awaiting, Self::Paid, Self::Refunded, Self::Voided]
            .into_iter()
            .find(|status| status.as_str() == raw)
    }
}

/// A vendor order's share, as stored. Amounts are minor units of `currency`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Share {
    pub order_id: String,
    pub tenant: TenantId,
    pub checkout_id: String,
    pub amount: i64,
    pub currency: String,
    pub status: ShareStatus,
    pub commission: i64,
    pub refunded: i64,
    pub commission_returned: i64,
    pub shipped: bool,
    pub transfer_id: Option<String>,
    pub transferred: i64,
    pub reversed: i64,
    /// Why the platform refunded it by itself, when it did.
    pub note: Option<String>,
    pub paid_at: Option<DateTime<Utc>>,
}

/// How one refund divides: the platform gives back this much commission, and
/// this much is taken back from what was already transferred to the vendor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefundSplit {
    pub commission_returned: i64,
    pub reversal: i64,
}

/// `value × part / whole`, rounded down; 0 when `whole` is not positive.
fn share_of(value: i64, part: i64, whole: i64) -> i64 {
    if whole <= 0 {
        return 0;
    }
    i64::try_from(i128::from(value) * i128::from(part) / i128::from(whole)).unwrap_or(value)
}

impl Share {
    /// What is left to refund, counting refunds requested but not done yet.
    pub fn refundable(&self, requested: i64) -> i64 {
        (self.amount - self.refunded - requested).max(0)
    }

    /// The commission returned once `refunded` of the total went back: its
    /// proportional part, rounded down, and all of it when all went back. Each
    /// refund returns the difference of two of these, so the parts always sum
    /// to the commission exactly.
    fn commission_back(&self, refunded: i64) -> i64 {
        if refunded >= self.amount {
            self.commission
        } else {
            share_of(self.commission, refunded, self.amount)
        }
    }

    /// What the vendor keeps once `refunded` went back.
    pub fn vendor_net(&self, refunded: i64) -> i64 {
        (self.amount - refunded) - (self.commission - self.commission_back(refunded))
    }

    /// The split of a refund of `amount` after `requested` other refunds not
    /// done yet, which will take back `requested_reversal` of the transfer;
    /// `None` when it is more than is left.
    pub fn split(
        &self,
        amount: i64,
        requested: i64,
        requested_reversal: i64,
    ) -> Option<RefundSplit> {
        if amount <= 0 || amount > self.refundable(requested) {
            return None;
        }
        let before = self.refunded + requested;
        let after = before + amount;
        let commission_returned = self.commission_back(after) - self.commission_back(before);
        // What stays with the vendor may not exceed what the vendor now keeps.
        let held = self.transferred - self.reversed - requested_reversal;
        let reversal = (held - self.vendor_net(after)).max(0);
        Some(RefundSplit {
            commission_returned,
            reversal,
        })
    }

    /// What a transfer for this order pays: what the vendor keeps, less what
    /// already moved.
    pub fn to_transfer(&self) -> i64 {
        (self.vendor_net(self.refunded) - (self.transferred - self.reversed)).max(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn share(amount: i64, commission: i64) -> Share {
        Share {
            order_id: "o1".into(),
            tenant: TenantId::generate(),
            checkout_id: "c1".into(),
            amount,
            currency: "EUR".into(),
            status: ShareStatus::Paid,
            commission,
            refunded: 0,
            commission_returned: 0,
            shipped: false,
            transfer_id: None,
            transferred: 0,
            reversed: 0,
            note: None,
            paid_at: None,
        }
    }

    /// Applies a refund the way the service records it.
    fn apply(share: &mut Share, amount: i64) -> RefundSplit {
        let split = share.split(amount, 0, 0).expect("refundable");
        share.refunded += amount;
        share.commission_returned += split.commission_returned;
        share.reversed += split.reversal;
        split
    }

    #[test]
    fn a_partial_refund_returns_the_proportional_commission() {
        let mut s = share(10_000, 530);
        let split = apply(&mut s, 2_500);
        assert_eq!(split.commission_returned, 132);
        assert_eq!(split.reversal, 0, "nothing was transferred yet");
        assert_eq!(s.to_transfer(), 7_500 - (530 - 132));
    }

    #[test]
    fn refunds_after_a_transfer_reverse_it_proportionally() {
        let mut s = share(10_000, 530);
        s.transferred = s.to_transfer();
        assert_eq!(s.transferred, 9_470);
        let split = apply(&mut s, 5_000);
        assert_eq!(split.commission_returned, 265);
        assert_eq!(split.reversal, 9_470 - (5_000 - 265));
        let rest = apply(&mut s, 5_000);
        assert_eq!(s.commission_returned, 530);
        assert_eq!(s.reversed, s.transferred, "all of it came back");
        assert_eq!(rest.commission_returned, 265);
    }

    #[test]
    fn a_refund_past_what_is_left_is_refused() {
        let s = share(999, 80);
        assert!(s.split(1_000, 0, 0).is_none());
        assert!(s.split(0, 0, 0).is_none());
        assert!(s.split(-1, 0, 0).is_none());
        assert!(
            s.split(500, 500, 0).is_none(),
            "500 more are being refunded"
        );
        assert!(s.split(499, 500, 0).is_some());
    }

    #[test]
    fn refunds_requested_together_reverse_the_transfer_once() {
        // Eight refunds of 50 requested before any is done.
        let mut s = share(9_990, 829);
        s.transferred = s.to_transfer();
        let (mut requested, mut reversing) = (0, 0);
        for _ in 0..8 {
            let split = s.split(50, requested, reversing).expect("refundable");
            requested += 50;
            reversing += split.reversal;
        }
        assert_eq!(
            s.transferred - reversing,
            s.vendor_net(400),
            "together they take back what the vendor no longer keeps, no more"
        );
    }

    proptest! {
        /// However a total is refunded, in however many odd parts, before or
        /// after the transfer, every cent is accounted for: the commission
        /// comes back whole, the reversals take back exactly what was
        /// transferred, and the vendor ends with nothing.
        #[test]
        fn refunds_in_any_parts_sum_exactly(
            amount in 1i64..=10_000_000,
            bps in 0i64..=10_000,
            cuts in proptest::collection::vec(1i64..=1_000_000, 1..8),
            transfer_after in 0usize..8,
        ) {
            let commission = (i128::from(amount) * i128::from(bps) / 10_000) as i64;
            let mut s = share(amount, commission);
            let mut index = 0;
            let mut reversals = 0;
            let mut returned = 0;
            while s.refunded < amount {
                if index == transfer_after {
                    s.transferred += s.to_transfer();
                }
                let cut = cuts.get(index).copied().unwrap_or(amount).min(amount - s.refunded);
                let split = apply(&mut s, cut);
                prop_assert!(split.commission_returned >= 0 && split.reversal >= 0);
                reversals += split.reversal;
                returned += split.commission_returned;
                index += 1;
            }
            prop_assert_eq!(returned, commission);
            prop_assert_eq!(reversals, s.transferred);
            prop_assert_eq!(s.vendor_net(s.refunded), 0);
            prop_assert_eq!(s.to_transfer(), 0);
        }
    }
}
