//! The order state machine and what each step does to stock.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderStatus {
    Pending,
    Paid,
    Processing,
    Shipped,
    Delivered,
    Refunded,
    Cancelled,
    Expired,
}

/// What a transition does to the order's reservation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StockEffect {
    None,
    /// Held stock goes back to available.
    Release,
    /// Held stock leaves (shipment).
    Commit,
    /// Shipped goods came back: on-hand stock rises again.
    Restock,
}

/// A stock step that must succeed before a transition is written: the order
/// records it first (so nothing else changes the order meanwhile and the
/// reconciler can finish it after a crash), then inventory does it, then the
/// transition is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StockStep {
    /// Payment: the hold is confirmed and no longer expires.
    Confirm,
    /// Shipment: the held stock leaves.
    Commit,
}

impl StockStep {
    pub fn as_str(self) -> &'static str {
        match self {
            StockStep::Confirm => "confirm",
            StockStep::Commit => "commit",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [StockStep::Confirm, StockStep::Commit]
            .into_iter()
            .find(|step| step.as_str() == raw)
    }
}

const ALL: [OrderStatus; 8] = [
    OrderStatus::Pending,
    OrderStatus::Paid,
    OrderStatus::Processing,
    OrderStatus::Shipped,
    OrderStatus::Delivered,
    OrderStatus::Refunded,
    OrderStatus::Cancelled,
    OrderStatus::Expired,
];

impl OrderStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Pending => "pending",
            OrderStatus::Paid => "paid",
            OrderStatus::Processing => "processing",
            OrderStatus::Shipped => "shipped",
            OrderStatus::Delivered => "delivered",
            OrderStatus::Refunded => "refunded",
            OrderStatus::Cancelled => "cancelled",
            OrderStatus::Expired => "expired",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// Whether `self → to` is allowed.
    pub fn can_become(self, to: OrderStatus) -> bool {
        use OrderStatus::*;
        matches!(
            (self, to),
            (Pending, Paid)
                | (Paid, Processing)
                | (Processing, Shipped)
                | (Shipped, Delivered)
                | (Paid | Processing | Shipped | Delivered, Refunded)
                | (Pending | Paid | Processing, Cancelled)
                | (Pending, Expired)
        )
    }

    /// Every state `self` may move to.
    pub fn allowed(self) -> Vec<OrderStatus> {
        ALL.into_iter().filter(|to| self.can_become(*to)).collect()
    }

    /// What `self → to` does to stock; `goods_returned` matters for refunds of
    /// shipped orders only.
    pub fn effect(self, to: OrderStatus, goods_returned: bool) -> StockEffect {
        use OrderStatus::*;
        match (self, to) {
            (_, Cancelled) | (_, Expired) => StockEffect::Release,
            (Processing, Shipped) => StockEffect::Commit,
            (Paid | Processing, Refunded) => StockEffect::Release,
            (Shipped | Delivered, Refunded) if goods_returned => StockEffect::Restock,
            _ => StockEffect::None,
        }
    }

    /// The stock step `self → to` must complete before it is written, if any.
    pub fn step(self, to: OrderStatus) -> Option<StockStep> {
        use OrderStatus::*;
        match (self, to) {
            (Pending, Paid) => Some(StockStep::Confirm),
            (Processing, Shipped) => Some(StockStep::Commit),
            _ => None,
        }
    }

    pub fn is_final(self) -> bool {
        self.allowed().is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::OrderStatus::*;
    use super::*;

    #[test]
    fn the_transition_table() {
        let allowed: Vec<(OrderStatus, Vec<OrderStatus>)> =
            ALL.iter().map(|s| (*s, s.allowed())).collect();
        assert_eq!(
            allowed,
            vec![
                (Pending, vec![Paid, Cancelled, Expired]),
                (Paid, vec![Processing, Refunded, Cancelled]),
                (Processing, vec![Shipped, Refunded, Cancelled]),
                (Shipped, vec![Delivered, Refunded]),
                (Delivered, vec![Refunded]),
                (Refunded, vec![]),
                (Cancelled, vec![]),
                (Expired, vec![]),
            ]
        );
    }

    #[test]
    fn stock_effects() {
        assert_eq!(Pending.effect(Cancelled, false), StockEffect::Release);
        assert_eq!(Pending.effect(Expired, false), StockEffect::Release);
        assert_eq!(Processing.effect(Shipped, false), StockEffect::Commit);
        assert_eq!(Paid.effect(Refunded, false), StockEffect::Release);
        assert_eq!(Shipped.effect(Refunded, false), StockEffect::None);
        assert_eq!(Shipped.effect(Refunded, true), StockEffect::Restock);
        assert_eq!(Pending.effect(Paid, false), StockEffect::None);
    }
}
