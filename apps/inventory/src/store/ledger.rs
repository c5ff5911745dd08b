//! The stock ledger: append-only (the app role may not update or delete it).

use chrono::{DateTime, Utc};
use souk_tenants::TenantTx;

use crate::domain::{LedgerEntry, LedgerKind, LocationId, Sku};

#[derive(Debug)]
struct LedgerRow {
    id: i64,
    sku: String,
    kind: String,
    on_hand_change: i64,
    reserved_change: i64,
    on_hand_after: i64,
    reserved_after: i64,
    reason: Option<String>,
    reference: Option<String>,
    actor: String,
    location_id: Option<uuid::Uuid>,
    created_at: DateTime<Utc>,
}

impl TryFrom<LedgerRow> for LedgerEntry {
    type Error = sqlx::Error;

    fn try_from(row: LedgerRow) -> Result<Self, Self::Error> {
        let kind = LedgerKind::parse(&row.kind).ok_or_else(|| {
            sqlx::Error::Decode(format!("unknown ledger kind {:?}", row.kind).into())
        })?;
        Ok(LedgerEntry {
            id: row.id,
            sku: Sku::from_stored(row.sku),
            kind,
            on_hand_change: row.on_hand_change,
            reserved_change: row.reserved_change,
            on_hand_after: row.on_hand_after,
            reserved_after: row.reserved_after,
            reason: row.reason,
            reference: row.reference,
            actor: row.actor,
            location: row.location_id.map(LocationId::from_uuid),
            at: row.created_at,
        })
    }
}

/// A SKU's ledger, newest first, entries older than `before`, at most `limit`;
/// with `location`, only that location's (`(id, true)` for the default one,
/// whose rows name no location).
pub async fn history(
    tx: &mut TenantTx,
    sku: &Sku,
    before: Option<i64>,
    limit: i64,
    location: Option<(LocationId, bool)>,
) -> Result<Vec<LedgerEntry>, sqlx::Error> {
    let rows = sqlx::query_as!(
        LedgerRow,
        "SELECT id, sku, kind, on_hand_change, reserved_change, on_hand_after, reserved_after,
                reason, reference, actor, location_id, created_at
         FROM inventory.ledger
         WHERE tenant_id = $1 AND sku = $2 AND id < $3
           AND ($5::uuid IS NULL OR location_id = $5 OR ($6 AND location_id IS NULL))
         ORDER BY id DESC
         LIMIT $4",
        tx.tenant().as_uuid(),
        sku.as_str(),
        before.unwrap_or(i64::MAX),
        limit,
        location.as_ref().map(|(id, _)| *id.as_uuid()),
        location.is_some_and(|(_, is_default)| is_default),
    )
    .fetch_all(&mut **tx)
    .await?;
    rows.into_iter().map(TryFrom::try_from).collect()
}
