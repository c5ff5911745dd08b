//! The writes that move a SKU's stock between or at locations: adjusting at one,
//! transferring between two, and gathering an order's holds where it ships
//! from. Each runs in the caller's transaction and first locks the SKU's stock
//! row (or the order's), the lock reservations and settlements take first.

use serde_json::json;
use souk_tenants::audit::{self as audit_log, Entry};
use souk_tenants::{IntErr, TenantTx};

use crate::domain::{
    Adjustment, InternalError, LedgerKind, LocationError, LocationId, OrderId, Scope, Sku,
    StockLevel, StockLocation, Transfer, MAX_QUANTITY,
};
use crate::store::locations;
use crate::store::placement::{self, LevelRow};
use crate::store::reservations;
use crate::store::stock::{self, Movement};

/// The location a movement names: `None` for the default location, whose stock
/// is derived from the totals.
pub(super) fn place(location: &StockLocation) -> Option<LocationId> {
    (!location.is_default).then_some(location.id)
}

/// Joins a SKU's level rows to the tenant's locations.
fn join_levels(sku: &Sku, rows: Vec<LevelRow>, all: &[StockLocation]) -> Vec<StockLevel> {
    all.iter()
        .filter_map(|location| {
            let row = rows.iter().find(|row| row.location == location.id)?;
            Some(StockLevel {
                sku: sku.clone(),
                location: location.clone(),
                on_hand: row.on_hand,
                reserved: row.reserved,
                reorder_threshold: row.threshold,
            })
        })
        .collect()
}

pub(super) async fn levels_in(
    tx: &mut TenantTx,
    sku: &Sku,
) -> Result<Vec<StockLevel>, InternalError> {
    let all = locations::list(tx, true).await.int_err()?;
    let rows = placement::levels(tx, sku).await.int_err()?;
    Ok(join_levels(sku, rows, &all))
}

pub(super) async fn level_at(
    tx: &mut TenantTx,
    sku: &Sku,
    location: LocationId,
) -> Result<StockLevel, LocationError> {
    levels_in(tx, sku)
        .await?
        .into_iter()
        .find(|level| level.location.id == location)
        .ok_or(LocationError::NotFound(location))
}

/// The location `id`, which must be active; it stays so (and keeps shipping or
/// not) until the transaction ends.
pub(super) async fn active(
    tx: &mut TenantTx,
    id: LocationId,
) -> Result<StockLocation, LocationError> {
    match locations::get_shared(tx, id).await.int_err()? {
        None => Err(LocationError::NotFound(id)),
        Some(location) if !location.active => Err(LocationError::Inactive(id)),
        Some(location) => Ok(location),
    }
}

pub(super) async fn audited(
    tx: &mut TenantTx,
    scope: &Scope,
    entry: Entry,
) -> Result<(), InternalError> {
    audit_log::record(tx, Some(scope.tenant), entry)
        .await
        .int_err()
}

/// A location-level move of one SKU, refused with what the location holds.
async fn move_stock(
    tx: &mut TenantTx,
    movement: Movement<'_>,
    location: &StockLocation,
) -> Result<(), LocationError> {
    if let Some(id) = place(location) {
        placement::ensure_row(tx, movement.sku, id)
            .await
            .int_err()?;
    }
    if stock::apply(tx, movement).await.int_err()?.is_some() {
        return Ok(());
    }
    // Past the most one SKU may hold, across its locations: the SKU's totals say why.
    if let Some(item) = stock::get(tx, movement.sku).await.int_err()? {
        if item.on_hand + movement.on_hand_change > MAX_QUANTITY {
            return Err(LocationError::OutOfRange {
                sku: movement.sku.clone(),
                on_hand: item.on_hand,
                reserved: item.reserved,
                delta: movement.on_hand_change,
            });
        }
    }
    let level = level_at(tx, movement.sku, location.id).await?;
    if movement.reserved_change == 0 && movement.kind == LedgerKind::Transferred {
        return Err(LocationError::Short {
            sku: movement.sku.clone(),
            requested: -movement.on_hand_change,
            available: level.available(),
        });
    }
    Err(LocationError::OutOfRange {
        sku: movement.sku.clone(),
        on_hand: level.on_hand,
        reserved: level.reserved,
        delta: movement.on_hand_change,
    })
}

pub(super) async fn adjust_at(
    tx: &mut TenantTx,
    scope: &Scope,
    adjustment: Adjustment,
    location: LocationId,
) -> Result<StockLevel, LocationError> {
    let sku = adjustment.sku.clone();
    if !placement::lock_sku(tx, &sku).await.int_err()? {
        return Err(LocationError::UnknownSku(sku.clone()));
    }
    let at = active(tx, location).await?;
    let movement = Movement {
        sku: &sku,
        location: place(&at),
        sells: at.ships,
        kind: LedgerKind::Adjusted,
        on_hand_change: adjustment.delta.get(),
        reserved_change: 0,
        reason: Some(adjustment.reason.as_str()),
        reference: adjustment.reference.as_ref().map(|r| r.as_str()),
        actor: &scope.actor,
    };
    move_stock(tx, movement, &at).await?;
    let level = level_at(tx, &sku, location).await?;
    let entry = Entry::new("stock.adjust", "sku", sku.as_str()).details(json!({
        "delta": adjustment.delta.get(),
        "reason": adjustment.reason.as_str(),
        "location": at.code,
        "onHand": level.on_hand,
    }));
    audited(tx, scope, entry).await?;
    Ok(level)
}

pub(super) async fn transfer(
    tx: &mut TenantTx,
    scope: &Scope,
    transfer: &Transfer,
) -> Result<(StockLevel, StockLevel), LocationError> {
    let sku = &transfer.sku;
    if !placement::lock_sku(tx, sku).await.int_err()? {
        return Err(LocationError::UnknownSku(sku.clone()));
    }
    let from = active(tx, transfer.from).await?;
    let to = active(tx, transfer.to).await?;
    let quantity = transfer.quantity.get();
    let reference = format!("transfer:{}>{}", from.code, to.code);
    for (at, change) in [(&from, -quantity), (&to, quantity)] {
        let movement = Movement {
            sku,
            location: place(at),
            sells: at.ships,
            kind: LedgerKind::Transferred,
            on_hand_change: change,
            reserved_change: 0,
            reason: Some(transfer.reason.as_str()),
            reference: Some(&reference),
            actor: &scope.actor,
        };
        move_stock(tx, movement, at).await?;
    }
    placement::transferred_event(tx, transfer, &scope.actor)
        .await
        .int_err()?;
    let entry = Entry::new("stock.transfer", "sku", sku.as_str()).details(json!({
        "from": from.code, "to": to.code, "quantity": quantity,
        "reason": transfer.reason.as_str(),
    }));
    audited(tx, scope, entry).await?;
    Ok((
        level_at(tx, sku, from.id).await?,
        level_at(tx, sku, to.id).await?,
    ))
}

pub(super) async fn ship_from(
    tx: &mut TenantTx,
    scope: &Scope,
    order_id: &OrderId,
    location: LocationId,
) -> Result<(), LocationError> {
    reservations::lock_stock(tx, order_id).await.int_err()?;
    let at = active(tx, location).await?;
    if !at.ships {
        return Err(LocationError::NotShipping(location));
    }
    let held = reservations::get(tx, order_id).await.int_err()?;
    if !held.is_some_and(|held| held.status.holds_stock()) {
        return Ok(());
    }
    let moving: Vec<_> = placement::parts(tx, order_id)
        .await
        .int_err()?
        .into_iter()
        .filter(|part| part.location != place(&at))
        .collect();
    // Each SKU's parts held elsewhere must all fit in what `at` has free.
    let mut skus: Vec<&Sku> = moving.iter().map(|part| &part.sku).collect();
    skus.dedup();
    for sku in skus {
        let needed: i64 = moving
            .iter()
            .filter(|p| &p.sku == sku)
            .map(|p| p.quantity)
            .sum();
        let available = level_at(tx, sku, at.id).await?.available();
        if needed > available {
            return Err(LocationError::Short {
                sku: sku.clone(),
                requested: needed,
                available: available.max(0),
            });
        }
    }
    for part in &moving {
        super::reallocation::reallocate(tx, scope, order_id, part, &at).await?;
    }
    Ok(())
}
