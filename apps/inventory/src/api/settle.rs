//! Settling a reservation from the API: confirm, release and commit, refused
//! for a checkout's hold, which its order settles.

use async_graphql::Context;
use souk_edge::ApiError;

use super::errors::invalid_argument;
use super::locations::locations;
use super::objects::ReservationView;
use super::resolvers::{inventory, scope, vendor};
use crate::domain::{LocationId, OrderId};

/// How a reservation ends.
#[derive(Debug, Clone, Copy)]
pub(super) enum Settlement {
    Confirm,
    Release,
    /// From the location named, when one is.
    Commit(Option<LocationId>),
}

pub(super) async fn settle(
    ctx: &Context<'_>,
    order_id: &str,
    settlement: Settlement,
) -> Result<ReservationView, ApiError> {
    let actor = vendor(ctx)?;
    let order_id = OrderId::parse(order_id).map_err(invalid_argument("orderId"))?;
    let inventory = inventory(ctx)?;
    let scope = scope(&actor);
    let held = inventory
        .reservation(scope.tenant, &order_id)
        .await
        .map_err(|e| ApiError::failure(&e))?;
    if held.is_some_and(|r| r.held_for_checkout()) {
        return Err(ApiError::new(
            "RESERVATION_MANAGED",
            "this hold belongs to a checkout's order: its payment, shipment or \
             cancellation settles it",
        ));
    }
    if let Settlement::Commit(Some(location)) = settlement {
        locations(ctx)?
            .ship_from(&scope, &order_id, location)
            .await
            .map_err(ApiError::from)?;
    }
    let reservation = match settlement {
        Settlement::Confirm => inventory.confirm(&scope, &order_id).await,
        Settlement::Release => inventory.release(&scope, &order_id).await,
        Settlement::Commit(_) => inventory.commit(&scope, &order_id).await,
    }
    .map_err(ApiError::from)?;
    Ok(ReservationView(reservation))
}
