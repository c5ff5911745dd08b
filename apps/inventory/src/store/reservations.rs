//! Reservations and their lines.

use chrono::{DateTime, Utc};
use serde_json::json;
use souk_tenants::audit::{self, Entry};
use souk_tenants::{PlatformPool, TenantId, TenantTx};
use sqlx::PgPool;

use crate::domain::{
    OrderId, Quantity, Reservation, ReservationLine, ReservationRequest, ReservationStatus,
    Shortage, Sku,
};

/// A reservation's header. Every query that reads one reads an overdue
/// unconfirmed hold as expired, whether or not the sweep has run.
#[derive(Debug)]
struct HeaderRow {
    order_id: String,
    status: String,
    actor: String,
    expires_at: DateTime<Utc>,
    confirmed_at: Option<DateTime<Utc>>,
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
            actor: self.actor,
            expires_at: self.expires_at,
            confirmed_at: self.confirmed_at,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

/// What [`reserve_batch`] did for one order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reserved {
    /// Every line is held.
    Created {
        expires_at: DateTime<Utc>,
        created_at: DateTime<Utc>,
    },
    /// The order already has a reservation; nothing changed.
    Exists,
    /// Lines were short: each with what was available when the reservation was
    /// refused. Nothing changed.
    Short(Vec<Shortage>),
    /// A line names a SKU the tenant does not stock; nothing changed.
    UnknownSku(Sku),
}

/// One row of `inventory.reserve_batch`'s answer.
#[derive(Debug)]
struct OutcomeRow {
    outcome: String,
    held_until: Option<DateTime<Utc>>,
    held_since: Option<DateTime<Utc>>,
    /// A JSON array of [`ShortLine`]s.
    shortages: Option<String>,
}

/// One element of `shortages` in `inventory.reserve_batch`'s answer.
#[derive(Debug, serde::Deserialize)]
struct ShortLine {
    sku: String,
    requested: i64,
    /// `None`: the SKU does not exist.
    available: Option<i64>,
}

impl OutcomeRow {
    fn into_reserved(self) -> Result<Reserved, sqlx::Error> {
        match (self.outcome.as_str(), self.held_until, self.held_since) {
            ("created", Some(expires_at), Some(created_at)) => Ok(Reserved::Created {
                expires_at,
                created_at,
            }),
            ("exists", _, _) => Ok(Reserved::Exists),
            ("short", _, _) => {
                let lines: Vec<ShortLine> = match self.shortages.as_deref() {
                    Some(raw) => serde_json::from_str(raw).map_err(|err| {
                        sqlx::Error::Protocol(format!("unreadable shortages: {err}"))
                    })?,
                    None => Vec::new(),
                };
                if let Some(unknown) = lines.iter().find(|line| line.available.is_none()) {
                    return Ok(Reserved::UnknownSku(Sku::from_stored(unknown.sku.clone())));
                }
                if lines.is_empty() {
                    return Err(sqlx::Error::Protocol(
                        "a short reservation reported no short line".into(),
                    ));
                }
                Ok(Reserved::Short(
                    lines
                        .into_iter()
                        .map(|line| Shortage {
                            sku: Sku::from_stored(line.sku),
                            requested: line.requested,
                            available: line.available.unwrap_or(0),
                        })
                        .collect(),
                ))
            }
            (other, _, _) => Err(sqlx::Error::Protocol(format!(
                "unexpected reservation outcome {other:?}"
            ))),
        }
    }
}

/// One order of a batch: what to reserve and who asks.
#[derive(Debug, Clone)]
pub struct BatchEntry {
    pub request: ReservationRequest,
    pub actor: String,
    /// The audit context of the request that asked, when it is audited.
    pub audit: Option<souk_tenants::audit::Context>,
}

/// Reserves a batch of one tenant's orders, each all lines or none: one call of
/// `inventory.reserve_batch`, in a transaction of its own (see the migration that
/// defines it). Returns one outcome per entry, in order. When any entry comes from
/// an audited request, its audit entry is written in the same transaction.
pub async fn reserve_batch(
    pool: &PgPool,
    tenant: TenantId,
    batch: &[BatchEntry],
) -> Result<Vec<Reserved>, sqlx::Error> {
    if batch.iter().all(|entry| entry.audit.is_none()) {
        return call_reserve_batch(&mut *pool.acquire().await?, tenant, batch).await;
    }
    let mut tx = TenantTx::begin(pool, tenant).await?;
    let outcomes = call_reserve_batch(&mut tx, tenant, batch).await?;
    for (entry, outcome) in batch.iter().zip(&outcomes) {
        if let (Some(context), Reserved::Created { expires_at, .. }) = (&entry.audit, outcome) {
            let lines: Vec<_> = entry
                .request
                .lines()
                .iter()
                .map(|line| json!({ "sku": line.sku.as_str(), "quantity": line.quantity.get() }))
                .collect();
            let record = Entry::new(
                "reservation.create",
                "order",
                entry.request.order_id.as_str(),
            )
            .details(json!({ "lines": lines, "expiresAt": expires_at }));
            audit::record_as(&mut tx, Some(tenant), context, &record).await?;
        }
    }
    tx.commit().await?;
    Ok(outcomes)
}

async fn call_reserve_batch(
    conn: &mut sqlx::PgConnection,
    tenant: TenantId,
    batch: &[BatchEntry],
) -> Result<Vec<Reserved>, sqlx::Error> {
    let mut orders = Vec::with_capacity(batch.len());
    let mut ttls = Vec::with_capacity(batch.len());
    let mut actors = Vec::with_capacity(batch.len());
    let (mut line_orders, mut skus, mut quantities) = (Vec::new(), Vec::new(), Vec::new());
    for (index, entry) in batch.iter().enumerate() {
        let position = i32::try_from(index + 1)
            .map_err(|_| sqlx::Error::Protocol("reservation batch too large".into()))?;
        orders.push(entry.request.order_id.as_str());
        ttls.push(i64::try_from(entry.request.ttl.get().as_secs()).unwrap_or(i64::MAX));
        actors.push(entry.actor.as_str());
        for line in entry.request.lines() {
            line_orders.push(position);
            skus.push(line.sku.as_str());
            quantities.push(line.quantity.get());
        }
    }
    let rows = sqlx::query_as!(
        OutcomeRow,
        r#"SELECT outcome AS "outcome!", held_until, held_since, shortages::text AS shortages
           FROM inventory.reserve_batch($1, $2, $3, $4, $5, $6, $7)"#,
        tenant.as_uuid(),
        &orders as &[&str],
        &ttls,
        &actors as &[&str],
        &line_orders,
        &skus as &[&str],
        &quantities,
    )
    .fetch_all(conn)
    .await?;
    if rows.len() != batch.len() {
        return Err(sqlx::Error::Protocol(format!(
            "reserve_batch answered {} outcomes for {} orders",
            rows.len(),
            batch.len()
        )));
    }
    rows.into_iter().map(OutcomeRow::into_reserved).collect()
}

/// The reservation of an order, with its lines in SKU order.
pub async fn get(
    tx: &mut TenantTx,
    order_id: &OrderId,
) -> Result<Option<Reservation>, sqlx::Error> {
    let header = sqlx::query_as!(
        HeaderRow,
        r#"SELECT order_id,
                CASE WHEN status = 'active' AND expires_at <= now() THEN 'expired' ELSE status END
                    AS "status!",
                actor, expires_at, confirmed_at, created_at, updated_at
           FROM inventory.reservations WHERE tenant_id = $1 AND order_id = $2"#,
        tx.tenant().as_uuid(),
        order_id.as_str(),
    )
    .fetch_optional(&mut **tx)
    .await?;
    with_lines(tx, header).await
}

/// The reservation a header row describes, with its lines.
async fn with_lines(
    tx: &mut TenantTx,
    header: Option<HeaderRow>,
) -> Result<Option<Reservation>, sqlx::Error> {
    let Some(header) = header else {
        return Ok(None);
    };
    let order_id = OrderId::from_stored(header.order_id.clone());
    let lines = lines(tx, &order_id).await?;
    header.into_reservation(lines).map(Some)
}

async fn lines(tx: &mut TenantTx, order_id: &OrderId) -> Result<Vec<ReservationLine>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT sku, quantity FROM inventory.reservation_lines
           WHERE tenant_id = $1 AND order_id = $2 ORDER BY sku COLLATE "C""#,
        tx.tenant().as_uuid(),
        order_id.as_str(),
    )
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| ReservationLine {
            sku: Sku::from_stored(row.sku),
            quantity: Quantity::from_stored(row.quantity),
        })
        .collect())
}

/// Locks the stock rows an order's reservation holds, in the fixed SKU order:
/// every settlement locks stock rows before the reservation row, as reservations
/// do, so none of them can deadlock with another.
pub async fn lock_stock(tx: &mut TenantTx, order_id: &OrderId) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"SELECT FROM inventory.stock_items s
           WHERE s.tenant_id = $1 AND s.sku IN (
               SELECT l.sku FROM inventory.reservation_lines l
               WHERE l.tenant_id = $1 AND l.order_id = $2)
           ORDER BY s.sku COLLATE "C"
           FOR NO KEY UPDATE"#,
        tx.tenant().as_uuid(),
        order_id.as_str(),
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Moves a reservation that is in one of `from` (an unconfirmed one only while it
/// is not overdue) to `to`; confirming stamps `confirmed_at`. Returns the moved
/// reservation, or `None` when it was in no such state: of two concurrent
/// settlements exactly one gets it.
pub async fn settle(
    tx: &mut TenantTx,
    order_id: &OrderId,
    from: &[ReservationStatus],
    to: ReservationStatus,
) -> Result<Option<Reservation>, sqlx::Error> {
    let from: Vec<&str> = from.iter().map(|status| status.as_str()).collect();
    let header = sqlx::query_as!(
        HeaderRow,
        r#"UPDATE inventory.reservations SET status = $3, updated_at = now(),
               confirmed_at = CASE WHEN $3 = 'confirmed' THEN now() ELSE confirmed_at END
           WHERE tenant_id = $1 AND order_id = $2 AND status = ANY($4)
             AND (status <> 'active' OR expires_at > now())
           RETURNING order_id,
                CASE WHEN status = 'active' AND expires_at <= now() THEN 'expired' ELSE status END
                    AS "status!",
                actor, expires_at, confirmed_at, created_at, updated_at"#,
        tx.tenant().as_uuid(),
        order_id.as_str(),
        to.as_str(),
        &from as &[&str],
    )
    .fetch_optional(&mut **tx)
    .await?;
    with_lines(tx, header).await
}

/// Moves an overdue unconfirmed reservation to `expired`; `None` when it is not
/// one (confirmed, closed, not yet due, or expired by someone else first).
pub async fn expire(
    tx: &mut TenantTx,
    order_id: &OrderId,
) -> Result<Option<Reservation>, sqlx::Error> {
    let header = sqlx::query_as!(
        HeaderRow,
        r#"UPDATE inventory.reservations SET status = 'expired', updated_at = now()
           WHERE tenant_id = $1 AND order_id = $2 AND status = 'active' AND expires_at <= now()
           RETURNING order_id,
                CASE WHEN status = 'active' AND expires_at <= now() THEN 'expired' ELSE status END
                    AS "status!",
                actor, expires_at, confirmed_at, created_at, updated_at"#,
        tx.tenant().as_uuid(),
        order_id.as_str(),
    )
    .fetch_optional(&mut **tx)
    .await?;
    with_lines(tx, header).await
}

/// Due reservations of every tenant, oldest first. Runs as the platform role,
/// outside any tenant scope, through the one SECURITY DEFINER function made for
/// it, which reveals nothing but the keys of overdue reservations.
pub async fn due(
    pool: &PlatformPool,
    max_rows: i32,
) -> Result<Vec<(TenantId, OrderId)>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT tenant_id AS "tenant_id!", order_id AS "order_id!"
           FROM inventory.due_reservations($1)"#,
        max_rows,
    )
    .fetch_all(pool.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            (
                TenantId::from_uuid(row.tenant_id),
                OrderId::from_stored(row.order_id),
            )
        })
        .collect())
}

/// Records a reservation's settlement (`reservation.confirmed`, `.released`,
/// `.committed`, `.expired`) in the outbox, in the caller's transaction, through
/// `inventory.reservation_event`: the one writer of reservation events.
pub async fn settled_event(
    tx: &mut TenantTx,
    reservation: &Reservation,
    kind: &str,
) -> Result<(), sqlx::Error> {
    let skus: Vec<&str> = reservation.lines.iter().map(|l| l.sku.as_str()).collect();
    let quantities: Vec<i64> = reservation.lines.iter().map(|l| l.quantity.get()).collect();
    sqlx::query!(
        "SELECT FROM inventory.reservation_event($1, $2, $3, $4, $5, '{}')",
        tx.tenant().as_uuid(),
        kind,
        reservation.order_id.as_str(),
        &skus as &[&str],
        &quantities,
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}
