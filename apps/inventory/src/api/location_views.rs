//! Stock locations' GraphQL objects and inputs.

use async_graphql::{Enum, InputObject, Object, ID};
use chrono::{DateTime, Utc};
use souk_edge::ApiError;

use super::errors::invalid_argument;
use crate::domain::{
    Address, Allocation, LocationChange, LocationName, StockLevel, StockLocation, Strategy,
};

/// A place that holds the vendor's stock.
#[derive(Debug)]
pub struct StockLocationView(pub StockLocation);

#[Object(name = "StockLocation")]
impl StockLocationView {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn address(&self) -> Option<&str> {
        self.0.address.as_deref()
    }
    /// Lower first when reservations allocate by priority.
    async fn priority(&self) -> i32 {
        self.0.priority
    }
    /// Whether reservations take stock from it (a returns-only or inbound
    /// location does not).
    async fn ships_to_customers(&self) -> bool {
        self.0.ships
    }
    async fn active(&self) -> bool {
        self.0.active
    }
    /// The vendor's default location: stock without a location is here; it
    /// always ships and cannot be deactivated.
    async fn is_default(&self) -> bool {
        self.0.is_default
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// One SKU's stock at one location.
#[derive(Debug)]
pub struct StockLevelView(pub StockLevel);

#[Object(name = "StockLevel")]
impl StockLevelView {
    async fn sku(&self) -> &str {
        self.0.sku.as_str()
    }
    async fn location(&self) -> StockLocationView {
        StockLocationView(self.0.location.clone())
    }
    async fn on_hand(&self) -> i64 {
        self.0.on_hand
    }
    async fn reserved(&self) -> i64 {
        self.0.reserved
    }
    async fn available(&self) -> i64 {
        self.0.available()
    }
    /// The location's own reorder threshold for the SKU, if set.
    async fn reorder_threshold(&self) -> Option<i64> {
        self.0.reorder_threshold
    }
    /// Available at or below the location's own threshold.
    async fn low_stock(&self) -> bool {
        self.0.is_low()
    }
}

/// Where a part of a reservation line is held.
#[derive(Debug)]
pub struct AllocationView(pub Allocation);

#[Object(name = "Allocation")]
impl AllocationView {
    async fn sku(&self) -> &str {
        self.0.sku.as_str()
    }
    async fn location_id(&self) -> ID {
        ID(self.0.location.to_string())
    }
    async fn quantity(&self) -> i64 {
        self.0.quantity
    }
}

/// What a transfer left at its two locations.
#[derive(Debug)]
pub struct TransferView {
    pub from: StockLevel,
    pub to: StockLevel,
}

#[Object(name = "StockTransfer")]
impl TransferView {
    async fn from(&self) -> StockLevelView {
        StockLevelView(self.from.clone())
    }
    async fn to(&self) -> StockLevelView {
        StockLevelView(self.to.clone())
    }
}

/// How reservations choose among the locations that ship.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(name = "AllocationStrategy")]
pub enum StrategyView {
    /// Locations in their priority order; a line one cannot fill is split over
    /// the next ones.
    PrioritizeOrder,
    /// The location with the most available first.
    PrioritizeHighStock,
}

impl From<Strategy> for StrategyView {
    fn from(strategy: Strategy) -> Self {
        match strategy {
            Strategy::PrioritizeOrder => Self::PrioritizeOrder,
            Strategy::PrioritizeHighStock => Self::PrioritizeHighStock,
        }
    }
}

impl From<StrategyView> for Strategy {
    fn from(view: StrategyView) -> Self {
        match view {
            StrategyView::PrioritizeOrder => Self::PrioritizeOrder,
            StrategyView::PrioritizeHighStock => Self::PrioritizeHighStock,
        }
    }
}

#[derive(Debug, InputObject)]
pub struct StockLocationInput {
    /// 1–32 letters, digits, `-` and `_`; unique per vendor whatever the case.
    pub code: String,
    pub name: String,
    pub address: Option<String>,
    #[graphql(default = true)]
    pub ships_to_customers: bool,
}

/// What to change; an absent field stays. An empty `address` clears it.
#[derive(Debug, InputObject)]
pub struct StockLocationChangeInput {
    pub name: Option<String>,
    pub address: Option<String>,
    pub ships_to_customers: Option<bool>,
}

pub(super) fn change(input: StockLocationChangeInput) -> Result<LocationChange, ApiError> {
    Ok(LocationChange {
        name: input
            .name
            .as_deref()
            .map(LocationName::parse)
            .transpose()
            .map_err(invalid_argument("name"))?,
        address: input
            .address
            .as_deref()
            .map(|raw| match raw.trim() {
                "" => Ok(None),
                raw => Address::parse(raw).map(Some),
            })
            .transpose()
            .map_err(invalid_argument("address"))?,
        ships: input.ships_to_customers,
    })
}
