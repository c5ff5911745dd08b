//! Moving a held quantity to the location that actually ships it, within its
//! order: the reservation stays whole, the two locations' reserved stock and the
//! line's allocations change together, with a ledger row at each location.

use souk_tenants::{IntErr, TenantTx};

use crate::domain::{LedgerKind, LocationError, OrderId, Scope, StockLocation};
use crate::store::placement::{self, Part};
use crate::store::stock::{self, Movement};

/// Moves a part of the order's line to `to`; refused with what `to` has
/// available when it is short. The caller holds the SKU's stock row.
pub(super) async fn reallocate(
    tx: &mut TenantTx,
    scope: &Scope,
    order_id: &OrderId,
    part: &Part,
    to: &StockLocation,
) -> Result<(), LocationError> {
    let (sku, from, quantity) = (&part.sku, part.location, part.quantity);
    let target = (!to.is_default).then_some(to.id);
    if let Some(id) = target {
        placement::ensure_row(tx, sku, id).await.int_err()?;
    }
    let moves = [(from, -quantity, part.ships), (target, quantity, true)];
    for (location, change, sells) in moves {
        let movement = Movement {
            sku,
            location,
            sells,
            kind: LedgerKind::Reallocated,
            on_hand_change: 0,
            reserved_change: change,
            reason: Some("shipped from another location"),
            reference: Some(order_id.as_str()),
            actor: &scope.actor,
        };
        if stock::apply(tx, movement).await.int_err()?.is_none() {
            let available = placement::levels(tx, sku)
                .await
                .int_err()?
                .into_iter()
                .find(|level| level.location == to.id)
                .map_or(0, |level| level.on_hand - level.reserved);
            return Err(LocationError::Short {
                sku: sku.clone(),
                requested: quantity,
                available: available.max(0),
            });
        }
    }
    placement::move_allocation(tx, order_id, sku, from, target, quantity)
        .await
        .int_err()?;
    Ok(())
}
