//! Stock locations in GraphQL: the vendor's locations, a SKU's stock at each,
//! transfers and the allocation strategy. Staff move stock; owners and managers
//! change the locations themselves.

use std::sync::Arc;

use async_graphql::{Context, Object, Result, ID};
use souk_edge::ApiError;
use souk_tenants::{Role, VendorActor};

use super::errors::{invalid_argument, invalid_quantity};
use super::location_views::{
    change, StockLevelView, StockLocationChangeInput, StockLocationInput, StrategyView,
    TransferView,
};
pub(super) use super::location_views::{AllocationView, StockLocationView};
use super::resolvers::{scope, sku, vendor};
use crate::domain::{
    Address, LocationCode, LocationId, LocationName, NewLocation, Quantity, Reason, Threshold,
    Transfer,
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
    /// Adds a location, last in priority (at most 50 active per vendor).
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
