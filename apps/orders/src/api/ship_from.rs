//! Naming the location a vendor's order ships from.

use async_graphql::{Context, ID};
use souk_edge::{service, ApiError};
use souk_inventory::domain::LocationId;
use souk_inventory::StockLocations;

use super::objects::StatusView;
use crate::domain::OrderStatus;
use crate::service::Actor;
use souk_catalog::domain::ObjectKey;

/// Moves a vendor order's holds to the location it ships from, before the move
/// to `SHIPPED` commits them there.
pub(super) async fn ship_from_location(
    ctx: &Context<'_>,
    actor: &Actor,
    id: ObjectKey,
    status: StatusView,
    location: &ID,
) -> Result<(), ApiError> {
    let Actor::Vendor { tenant, subject } = actor else {
        return Err(ApiError::invalid_argument(
            "shipFrom",
            "only the vendor's staff name the location an order ships from",
        ));
    };
    if OrderStatus::from(status) != OrderStatus::Shipped {
        return Err(ApiError::invalid_argument(
            "shipFrom",
            "names a location only when the order moves to SHIPPED",
        ));
    }
    let location =
        LocationId::parse(location).map_err(|err| ApiError::invalid_argument("shipFrom", err.0))?;
    let order_id = souk_inventory::domain::OrderId::parse(&id.to_string())
        .map_err(|err| ApiError::invalid_argument("id", err.0))?;
    let scope = souk_tenants::Scope {
        tenant: *tenant,
        actor: format!("user:{subject}"),
    };
    service::<dyn StockLocations>(ctx)?
        .ship_from(&scope, &order_id, location)
        .await
        .map_err(ApiError::from)
}
