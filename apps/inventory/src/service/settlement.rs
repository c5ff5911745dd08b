//! Settling reservations: confirm, release, commit and expire. Each runs in one
//! transaction that locks the reservation's stock rows (in SKU order) before its
//! reservation row, the order reservations lock them in, so settlements and
//! reservations cannot deadlock. An unconfirmed hold that is overdue by the
//! database's clock is expired on the spot, whoever touches it first.

use souk_tenants::audit::{self as audit_log, Entry};
use souk_tenants::IntErr;
use souk_tenants::TenantTx;

use crate::domain::{
    InternalError, LedgerKind, OrderId, Reservation, ReservationClosed, ReservationStatus, Scope,
    SettleError,
};
use crate::store::stock::{self, Movement};
use crate::store::{placement, reservations};

use super::EXPIRY_ACTOR;

/// What a caller asks of a reservation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Settlement {
    /// The order was paid: the hold no longer expires.
    Confirm,
    /// The order was cancelled or refunded: the stock is available again.
    Release,
    /// The order shipped: the stock leaves.
    Commit,
}

impl Settlement {
    /// The states it may start from; an unconfirmed hold only while not overdue.
    fn from(self) -> &'static [ReservationStatus] {
        match self {
            Settlement::Confirm => &[ReservationStatus::Active],
            Settlement::Release | Settlement::Commit => {
                &[ReservationStatus::Active, ReservationStatus::Confirmed]
            }
        }
    }

    fn to(self) -> ReservationStatus {
        match self {
            Settlement::Confirm => ReservationStatus::Confirmed,
            Settlement::Release => ReservationStatus::Released,
            Settlement::Commit => ReservationStatus::Committed,
        }
    }

    fn audit_action(self) -> &'static str {
        match self {
            Settlement::Confirm => "reservation.confirm",
            Settlement::Release => "reservation.release",
            Settlement::Commit => "reservation.commit",
        }
    }
}

/// Writes what a reservation's move to `status` does to each of its lines' stock
/// (with their ledger rows), and its event, in the caller's transaction.
async fn record(
    tx: &mut TenantTx,
    reservation: &Reservation,
    status: ReservationStatus,
    actor: &str,
) -> Result<(), InternalError> {
    let (kind, event) = match status {
        ReservationStatus::Confirmed => (LedgerKind::Confirmed, "reservation.confirmed"),
        ReservationStatus::Committed => (LedgerKind::Committed, "reservation.committed"),
        ReservationStatus::Expired => (LedgerKind::Expired, "reservation.expired"),
        _ => (LedgerKind::Released, "reservation.released"),
    };
    for part in placement::parts(tx, &reservation.order_id)
        .await
        .int_err()?
    {
        let quantity = part.quantity;
        let (on_hand_change, reserved_change) = match kind {
            LedgerKind::Confirmed => (0, 0),
            LedgerKind::Committed => (-quantity, -quantity),
            _ => (0, -quantity),
        };
        let movement = Movement {
            sku: &part.sku,
            location: part.location,
            sells: part.ships,
            kind,
            on_hand_change,
            reserved_change,
            reason: None,
            reference: Some(reservation.order_id.as_str()),
            actor,
        };
        if stock::apply(tx, movement).await.int_err()?.is_none() {
            return Err(InternalError::msg(format!(
                "reservation {} holds more of {} than is reserved",
                reservation.order_id, part.sku
            )));
        }
    }
    reservations::settled_event(tx, reservation, event)
        .await
        .int_err()
}

/// Expires an overdue unconfirmed reservation in the caller's transaction (its
/// stock rows already locked); `None` when it is not one.
pub(crate) async fn expire_locked(
    tx: &mut TenantTx,
    order_id: &OrderId,
) -> Result<Option<Reservation>, InternalError> {
    let Some(expired) = reservations::expire(tx, order_id).await.int_err()? else {
        return Ok(None);
    };
    record(tx, &expired, ReservationStatus::Expired, EXPIRY_ACTOR).await?;
    Ok(Some(expired))
}

/// Runs `settlement` on an order's reservation in a transaction of its own.
/// Idempotent: a reservation already where the settlement leads is returned as
/// is. An overdue unconfirmed hold is expired (and that kept) and answers
/// [`SettleError::Expired`].
pub(crate) async fn settle(
    mut tx: TenantTx,
    scope: &Scope,
    order_id: &OrderId,
    settlement: Settlement,
) -> Result<Reservation, SettleError> {
    reservations::lock_stock(&mut tx, order_id)
        .await
        .int_err()?;
    let to = settlement.to();
    if let Some(settled) = reservations::settle(&mut tx, order_id, settlement.from(), to)
        .await
        .int_err()?
    {
        record(&mut tx, &settled, to, &scope.actor).await?;
        let entry = Entry::new(settlement.audit_action(), "order", order_id.as_str());
        audit_log::record(&mut tx, Some(scope.tenant), entry)
            .await
            .int_err()?;
        tx.commit().await.int_err()?;
        return Ok(settled);
    }
    if expire_locked(&mut tx, order_id).await?.is_some() {
        tx.commit().await.int_err()?;
        return Err(SettleError::Expired(order_id.clone()));
    }
    let existing = reservations::get(&mut tx, order_id).await.int_err()?;
    tx.rollback().await.int_err()?;
    match existing {
        None => Err(SettleError::NotFound(order_id.clone())),
        Some(reservation) if reservation.status == to => Ok(reservation),
        Some(reservation) if reservation.status == ReservationStatus::Expired => {
            Err(SettleError::Expired(order_id.clone()))
        }
        Some(reservation) => Err(SettleError::Closed(ReservationClosed {
            order_id: order_id.clone(),
            status: reservation.status,
        })),
    }
}
