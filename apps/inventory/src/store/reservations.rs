//! Reservations and their lines.

use chrono::{DateTime, Utc};
use souk_tenants::TenantTx;
use sqlx::PgPool;

use crate::domain::{OrderId, Quantity, Reservation, ReservationLine, ReservationStatus, Sku, Ttl};

#[derive(Debug, sqlx::FromRow)]
struct HeaderRow {
    order_id: String,
    status: String,
    expires_at: DateTime<Utc>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl HeaderRow {
    fn into_reservation(self, lines: Vec<ReservationLine>) -> Result<Reservation, sqlx::Error> {
        let status = ReservationStatus::parse(&self.status).ok_or_else(|| {
            sqlx::Error::Decode(format!("unknown reservation status {:?}", self.status).into())
        })?;
        Ok(Reservation {
            order_id: OrderId::from_stored(self.order_id),
            status,
            lines,
            expires_at: self.expires_at,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

/// Inserts an active reservation header; `false` when the order already has one
/// (a concurrent insert of the same order waits for the other to finish first).
pub async fn insert_header(
    tx: &mut TenantTx,
    order_id: &OrderId,
    ttl: Ttl,
    actor: &str,
) -> Result<bool, sqlx::Error> {
    let seconds = i64::try_from(ttl.get().as_secs()).unwrap_or(i64::MAX);
    let inserted = sqlx::query(
        "INSERT INTO inventory.reservations (tenant_id, order_id, status, expires_at, actor)
         VALUES ($1, $2, 'active', now() + $3 * interval '1 second', $4)
         ON CONFLICT DO NOTHING",
    )
    .bind(tx.tenant().as_uuid())
    .bind(order_id.as_str())
    .bind(seconds)
    .bind(actor)
    .execute(&mut **tx)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

/// Holds `quantity` of `sku` for the order if that much is available: one
/// conditional `UPDATE` of the stock row, its ledger row and the reservation line,
/// in one statement. `false` when the SKU is unknown or short.
pub async fn reserve_line(
    tx: &mut TenantTx,
    order_id: &OrderId,
    line: &ReservationLine,
    actor: &str,
) -> Result<bool, sqlx::Error> {
    let applied = sqlx::query(
        "WITH item AS (
             UPDATE inventory.stock_items
             SET reserved = reserved + $3, updated_at = now()
             WHERE tenant_id = $1 AND sku = $2 AND on_hand - reserved >= $3
             RETURNING tenant_id, sku, on_hand, reserved
         ), line AS (
             INSERT INTO inventory.reservation_lines (tenant_id, order_id, sku, quantity)
             SELECT tenant_id, $4, sku, $3 FROM item
         )
         INSERT INTO inventory.ledger (tenant_id, sku, kind, on_hand_change, reserved_change,
                                       on_hand_after, reserved_after, reference, actor)
         SELECT tenant_id, sku, 'reserved', 0, $3, on_hand, reserved, $4, $5 FROM item",
    )
    .bind(tx.tenant().as_uuid())
    .bind(line.sku.as_str())
    .bind(line.quantity.get())
    .bind(order_id.as_str())
    .bind(actor)
    .execute(&mut **tx)
    .await?;
    Ok(applied.rows_affected() == 1)
}

/// The reservation of an order, with its lines in SKU order.
pub async fn get(
    tx: &mut TenantTx,
    order_id: &OrderId,
) -> Result<Option<Reservation>, sqlx::Error> {
    let header: Option<HeaderRow> = sqlx::query_as(
        "SELECT order_id, status, expires_at, created_at, updated_at
         FROM inventory.reservations WHERE tenant_id = $1 AND order_id = $2",
    )
    .bind(tx.tenant().as_uuid())
    .bind(order_id.as_str())
    .fetch_optional(&mut **tx)
    .await?;
    match header {
        Some(header) => {
            let lines = lines(tx, order_id).await?;
            header.into_reservation(lines).map(Some)
        }
        None => Ok(None),
    }
}

async fn lines(tx: &mut TenantTx, order_id: &OrderId) -> Result<Vec<ReservationLine>, sqlx::Error> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT sku, quantity FROM inventory.reservation_lines
         WHERE tenant_id = $1 AND order_id = $2 ORDER BY sku",
    )
    .bind(tx.tenant().as_uuid())
    .bind(order_id.as_str())
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(sku, quantity)| ReservationLine {
            sku: Sku::from_stored(sku),
            quantity: Quantity::from_stored(quantity),
        })
        .collect())
}

/// Moves an active reservation to `status` (with `only_if_due`, only once it has
/// expired). Returns the closed reservation, or `None` when it was not active (or
/// not yet due): of two concurrent closers exactly one gets it.
pub async fn close(
    tx: &mut TenantTx,
    order_id: &OrderId,
    status: ReservationStatus,
    only_if_due: bool,
) -> Result<Option<Reservation>, sqlx::Error> {
    let header: Option<HeaderRow> = sqlx::query_as(
        "UPDATE inventory.reservations SET status = $3, updated_at = now()
         WHERE tenant_id = $1 AND order_id = $2 AND status = 'active'
           AND (NOT $4 OR expires_at <= now())
         RETURNING order_id, status, expires_at, created_at, updated_at",
    )
    .bind(tx.tenant().as_uuid())
    .bind(order_id.as_str())
    .bind(status.as_str())
    .bind(only_if_due)
    .fetch_optional(&mut **tx)
    .await?;
    match header {
        Some(header) => {
            let lines = lines(tx, order_id).await?;
            header.into_reservation(lines).map(Some)
        }
        None => Ok(None),
    }
}

/// Due reservations of every tenant, oldest first. Runs outside any tenant scope
/// through the one SECURITY DEFINER function made for it, which reveals nothing
/// but the keys of overdue reservations.
pub async fn due(
    pool: &PgPool,
    max_rows: i32,
) -> Result<Vec<(souk_tenants::TenantId, OrderId)>, sqlx::Error> {
    let rows: Vec<(sqlx::types::Uuid, String)> =
        sqlx::query_as("SELECT tenant_id, order_id FROM inventory.due_reservations($1)")
            .bind(max_rows)
            .fetch_all(pool)
            .await?;
    Ok(rows
        .into_iter()
        .map(|(tenant, order)| {
            (
                souk_tenants::TenantId::from_uuid(tenant),
                OrderId::from_stored(order),
            )
        })
        .collect())
}
