//! Stock locations in GraphQL: the vendor's locations, a SKU's stock at each,
//! transfers and the allocation strategy. Staff move stock; owners and managers
//! change the locations themselves.

use std::sync::Arc;

use async_graphql::{Context, Enum, InputObject, Object, Result, ID};
use chrono::{DateTime, Utc};
use souk_edge::ApiError;
use souk_tenants::{Role, VendorActor};

use super::errors::{invalid_argument, invalid_quantity};
use super::resolvers::{scope, sku, vendor};
use crate::domain::{
    Address, Allocation, LocationChange, LocationCode, LocationError, LocationId, LocationName,
    NewLocation, Quantity, Reason, StockLevel, StockLocation, Strategy, Threshold, Transfer,
};
use crate::StockLocations;

pub(super) fn locations<'a>(ctx: &'a Context<'_>) -> Result<&'a Arc<dyn StockLocations>, ApiError> {
    ctx.data::<Arc<dyn StockLocations>>()
        .map_err(|err| ApiError::internal(&err.message))
}

pub(super) fn location_id(argument: &'static str, raw: &ID) -> Result<LocationId, ApiError> {
    LocationId::parse(raw).map_err(invalid_argument(argument))
}

/// Owners and managers shape the locations; staff only move stock.
fn manager(ctx: &Context<'_>) -> Result<VendorActor, ApiError> {
    let actor = vendor(ctx)?;
    match actor.role {
        Role::Owner | Role::Manager => Ok(actor),
        _ => Err(ApiError::new(
            "FORBIDDEN",
            "only the vendor's owners and managers change its locations",
        )),
    }
}

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
    from: StockLevel,
    to: StockLevel,
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

fn change(input: StockLocationChangeInput) -> Result<LocationChange, ApiError> {
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

#[derive(Debug, Default)]
pub struct LocationsQuery;

#[Object]
impl LocationsQuery {
    /// The vendor's stock locations in priority order (the default one first
    /// unless reordered); inactive ones last, with `includeInactive`.
    async fn stock_locations(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = false)] include_inactive: bool,
    ) -> Result<Vec<StockLocationView>> {
        let actor = vendor(ctx)?;
        let all = locations(ctx)?
            .locations(actor.tenant, include_inactive)
            .await
            .map_err(ApiError::from)?;
        Ok(all.into_iter().map(StockLocationView).collect())
    }

    /// How the vendor's reservations choose locations.
    async fn allocation_strategy(&self, ctx: &Context<'_>) -> Result<StrategyView> {
        let actor = vendor(ctx)?;
        let strategy = locations(ctx)?
            .strategy(actor.tenant)
            .await
            .map_err(ApiError::from)?;
        Ok(strategy.into())
    }

    /// A SKU's stock at each of the vendor's locations; their sums are the SKU's
    /// `onHand` and `reserved`. Empty when the vendor has no such SKU.
    async fn stock_levels(&self, ctx: &Context<'_>, sku: String) -> Result<Vec<StockLevelView>> {
        let actor = vendor(ctx)?;
        let sku = self::sku(&sku)?;
        let levels = locations(ctx)?
            .levels(actor.tenant, &sku)
            .await
            .map_err(ApiError::from)?;
        Ok(levels.into_iter().map(StockLevelView).collect())
    }
}

#[derive(Debug, Default)]
pub struct LocationsMutation;

#[Object]
impl LocationsMutation {
    /// Adds a location, last in priority (at most 50 per vendor).
    async fn create_stock_location(
        &self,
        ctx: &Context<'_>,
        input: StockLocationInput,
    ) -> Result<StockLocationView> {
        let actor = manager(ctx)?;
        let location = NewLocation {
            code: LocationCode::parse(&input.code).map_err(invalid_argument("code"))?,
            name: LocationName::parse(&input.name).map_err(invalid_argument("name"))?,
            address: input
                .address
                .as_deref()
                .filter(|raw| !raw.trim().is_empty())
                .map(Address::parse)
                .transpose()
                .map_err(invalid_argument("address"))?,
            ships: input.ships_to_customers,
        };
        let created = locations(ctx)?
            .create_location(&scope(&actor), location)
            .await
            .map_err(ApiError::from)?;
        Ok(StockLocationView(created))
    }

    async fn update_stock_location(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: StockLocationChangeInput,
    ) -> Result<StockLocationView> {
        let actor = manager(ctx)?;
        let id = location_id("id", &id)?;
        let updated = locations(ctx)?
            .update_location(&scope(&actor), id, change(input)?)
            .await
            .map_err(ApiError::from)?;
        Ok(StockLocationView(updated))
    }

    /// Sets the priority order: `ids` lists every active location once.
    async fn reorder_stock_locations(
        &self,
        ctx: &Context<'_>,
        ids: Vec<ID>,
    ) -> Result<Vec<StockLocationView>> {
        let actor = manager(ctx)?;
        if ids.len() > crate::domain::MAX_LOCATIONS {
            return Err(ApiError::invalid_argument(
                "ids",
                "lists more locations than a vendor has",
            )
            .into());
        }
        let ids = ids
            .iter()
            .map(|id| location_id("ids", id))
            .collect::<Result<Vec<_>, _>>()?;
        let ordered = locations(ctx)?
            .reorder_locations(&scope(&actor), &ids)
            .await
            .map_err(ApiError::from)?;
        Ok(ordered.into_iter().map(StockLocationView).collect())
    }

    /// Takes a location out of use: refused while it holds stock or held stock
    /// (`LOCATION_IN_USE`; transfer it away first), and for the default location.
    async fn deactivate_stock_location(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> Result<StockLocationView> {
        let actor = manager(ctx)?;
        let id = location_id("id", &id)?;
        let deactivated = locations(ctx)?
            .deactivate_location(&scope(&actor), id)
            .await
            .map_err(ApiError::from)?;
        Ok(StockLocationView(deactivated))
    }

    async fn set_allocation_strategy(
        &self,
        ctx: &Context<'_>,
        strategy: StrategyView,
    ) -> Result<StrategyView> {
        let actor = manager(ctx)?;
        let set = locations(ctx)?
            .set_strategy(&scope(&actor), strategy.into())
            .await
            .map_err(ApiError::from)?;
        Ok(set.into())
    }

    /// Moves available stock of a SKU between two active locations: one
    /// transaction with a ledger row at each; `INSUFFICIENT_STOCK` when the
    /// source has less available than `quantity`.
    async fn transfer_stock(
        &self,
        ctx: &Context<'_>,
        sku: String,
        from: ID,
        to: ID,
        quantity: i64,
        reason: String,
    ) -> Result<TransferView> {
        let actor = vendor(ctx)?;
        let transfer = Transfer {
            sku: self::sku(&sku)?,
            from: location_id("from", &from)?,
            to: location_id("to", &to)?,
            quantity: Quantity::parse(quantity).map_err(invalid_quantity("quantity"))?,
            reason: Reason::parse(&reason).map_err(invalid_argument("reason"))?,
        };
        let (from, to) = locations(ctx)?
            .transfer(&scope(&actor), transfer)
            .await
            .map_err(ApiError::from)?;
        Ok(TransferView { from, to })
    }

    /// Sets a SKU's reorder threshold at one location (null clears it).
    async fn set_location_reorder_threshold(
        &self,
        ctx: &Context<'_>,
        sku: String,
        location: ID,
        reorder_threshold: Option<i64>,
    ) -> Result<StockLevelView> {
        let actor = vendor(ctx)?;
        let sku = self::sku(&sku)?;
        let location = location_id("location", &location)?;
        let threshold = reorder_threshold
            .map(Threshold::parse)
            .transpose()
            .map_err(invalid_quantity("reorderThreshold"))?;
        let level = locations(ctx)?
            .set_location_threshold(&scope(&actor), &sku, location, threshold)
            .await
            .map_err(ApiError::from)?;
        Ok(StockLevelView(level))
    }
}

impl From<LocationError> for ApiError {
    fn from(err: LocationError) -> Self {
        let message = err.to_string();
        match err {
            LocationError::NotFound(id) => {
                ApiError::new("LOCATION_NOT_FOUND", message).with("locationId", id.to_string())
            }
            LocationError::CodeTaken(code) => {
                ApiError::new("LOCATION_CODE_TAKEN", message).with("locationCode", code)
            }
            LocationError::DefaultLocation => ApiError::new("DEFAULT_LOCATION", message),
            LocationError::InUse {
                location,
                on_hand,
                reserved,
            } => ApiError::new("LOCATION_IN_USE", message)
                .with("locationId", location.to_string())
                .with("onHand", on_hand)
                .with("reserved", reserved),
            LocationError::Inactive(id) => {
                ApiError::new("LOCATION_INACTIVE", message).with("locationId", id.to_string())
            }
            LocationError::NotShipping(id) => {
                ApiError::new("LOCATION_NOT_SHIPPING", message).with("locationId", id.to_string())
            }
            LocationError::TooMany => ApiError::new("LOCATION_LIMIT", message),
            LocationError::BadOrder => ApiError::invalid_argument("ids", message),
            LocationError::SameLocation => ApiError::invalid_argument("to", message),
            LocationError::UnknownSku(sku) => {
                ApiError::new("UNKNOWN_SKU", message).with("sku", sku.as_str().to_string())
            }
            LocationError::Short {
                sku,
                requested,
                available,
            } => ApiError::new("INSUFFICIENT_STOCK", message)
                .with("sku", sku.as_str().to_string())
                .with("requested", requested)
                .with("available", available),
            LocationError::OutOfRange {
                sku,
                on_hand,
                reserved,
                delta,
            } => ApiError::new(
                if delta < 0 {
                    "INSUFFICIENT_STOCK"
                } else {
                    "INVALID_QUANTITY"
                },
                message,
            )
            .with("sku", sku.as_str().to_string())
            .with("onHand", on_hand)
            .with("reserved", reserved)
            .with("requested", delta)
            .with("available", on_hand - reserved),
            LocationError::Internal(err) => ApiError::from(err),
        }
    }
}
