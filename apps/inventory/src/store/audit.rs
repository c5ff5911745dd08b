//! Reconciliation: does every stock row agree with its ledger and reservations?

use souk_tenants::TenantTx;

/// A stock row that disagrees with its history, described for an operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discrepancy {
    pub sku: String,
    pub problem: String,
}

/// Checks, for every SKU of the transaction's tenant, that on-hand and reserved
/// stock equal the sums of their ledger changes, that reserved stock equals what
/// holding (active or confirmed) reservations hold, and that every ledger row's `after` values equal the
/// running sums up to it (so replaying the ledger rebuilds the row).
pub async fn discrepancies(tx: &mut TenantTx) -> Result<Vec<Discrepancy>, sqlx::Error> {
    let mut found = totals_that_disagree(tx).await?;
    found.extend(locations_that_disagree(tx).await?);
    found.extend(ledger_rows_that_disagree(tx).await?);
    Ok(found)
}

/// Stock rows whose on-hand or reserved differ from their ledger sums or from
/// what holding reservations hold.
async fn totals_that_disagree(tx: &mut TenantTx) -> Result<Vec<Discrepancy>, sqlx::Error> {
    let totals = sqlx::query!(
        r#"WITH sums AS (
             SELECT sku, sum(on_hand_change)::bigint AS on_hand, sum(reserved_change)::bigint AS reserved
             FROM inventory.ledger WHERE tenant_id = $1 GROUP BY sku
         ), held AS (
             SELECT l.sku, sum(l.quantity)::bigint AS quantity
             FROM inventory.reservation_lines l
             JOIN inventory.reservations r USING (tenant_id, order_id)
             WHERE r.tenant_id = $1 AND r.status IN ('active', 'confirmed')
             GROUP BY l.sku
         )
         SELECT s.sku, s.on_hand, s.reserved,
                coalesce(sums.on_hand, 0) AS "ledger_on_hand!",
                coalesce(sums.reserved, 0) AS "ledger_reserved!",
                coalesce(held.quantity, 0) AS "held!"
         FROM inventory.stock_items s
         LEFT JOIN sums USING (sku)
         LEFT JOIN held USING (sku)
         WHERE s.tenant_id = $1
           AND (s.on_hand <> coalesce(sums.on_hand, 0)
                OR s.reserved <> coalesce(sums.reserved, 0)
                OR s.reserved <> coalesce(held.quantity, 0))
         ORDER BY s.sku"#,
        tx.tenant().as_uuid(),
    )
    .fetch_all(&mut **tx)
    .await?;
    Ok(totals
        .into_iter()
        .map(|row| Discrepancy {
            problem: format!(
                "row on_hand {} reserved {}; ledger sums on_hand {} reserved {}; \
                 holding reservations hold {}",
                row.on_hand, row.reserved, row.ledger_on_hand, row.ledger_reserved, row.held
            ),
            sku: row.sku,
        })
        .collect())
}

/// A SKU's stock at each location (the default one's derived from the totals)
/// against the location's ledger sums and the allocations of holding
/// reservations, and within `0 <= reserved <= on_hand`.
async fn locations_that_disagree(tx: &mut TenantTx) -> Result<Vec<Discrepancy>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"WITH sums AS (
             SELECT sku, location_id, sum(on_hand_change)::bigint AS on_hand,
                    sum(reserved_change)::bigint AS reserved
             FROM inventory.ledger WHERE tenant_id = $1 GROUP BY sku, location_id
         ), held AS (
             SELECT p.sku, p.location_id, sum(p.quantity)::bigint AS quantity
             FROM inventory.allocation_parts p
             JOIN inventory.reservations r USING (tenant_id, order_id)
             WHERE r.tenant_id = $1 AND r.status IN ('active', 'confirmed')
             GROUP BY p.sku, p.location_id
         ), levels AS (
             SELECT s.sku, ls.location_id, ls.on_hand, ls.reserved
             FROM inventory.stock_items s
             JOIN inventory.location_stock ls USING (tenant_id, sku)
             WHERE s.tenant_id = $1
             UNION ALL
             SELECT s.sku, NULL::uuid,
                    s.on_hand - coalesce(sum(ls.on_hand), 0)::bigint,
                    s.reserved - coalesce(sum(ls.reserved), 0)::bigint
             FROM inventory.stock_items s
             LEFT JOIN inventory.location_stock ls USING (tenant_id, sku)
             WHERE s.tenant_id = $1
             GROUP BY s.sku, s.on_hand, s.reserved
         )
         SELECT v.sku AS "sku!", v.location_id, v.on_hand AS "on_hand!",
                v.reserved AS "reserved!",
                coalesce(sums.on_hand, 0)::bigint AS "ledger_on_hand!",
                coalesce(sums.reserved, 0)::bigint AS "ledger_reserved!",
                coalesce(held.quantity, 0)::bigint AS "held!"
         FROM levels v
         LEFT JOIN sums ON sums.sku = v.sku AND sums.location_id IS NOT DISTINCT FROM v.location_id
         LEFT JOIN held ON held.sku = v.sku AND held.location_id IS NOT DISTINCT FROM v.location_id
         WHERE v.on_hand <> coalesce(sums.on_hand, 0) OR v.reserved <> coalesce(sums.reserved, 0)
            OR v.reserved <> coalesce(held.quantity, 0) OR v.reserved < 0 OR v.reserved > v.on_hand
         ORDER BY 1, 2"#,
        tx.tenant().as_uuid(),
    )
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| Discrepancy {
            problem: format!(
                "at location {}: on_hand {} reserved {}; ledger sums on_hand {} reserved {}; \
                 holding reservations hold {}",
                row.location_id
                    .map_or_else(|| "default".to_string(), |id| id.to_string()),
                row.on_hand,
                row.reserved,
                row.ledger_on_hand,
                row.ledger_reserved,
                row.held
            ),
            sku: row.sku,
        })
        .collect())
}

/// Ledger rows whose `after` values are not the running sums up to them (at
/// most 100).
async fn ledger_rows_that_disagree(tx: &mut TenantTx) -> Result<Vec<Discrepancy>, sqlx::Error> {
    let replay = sqlx::query!(
        r#"SELECT sku AS "sku!", id AS "id!" FROM (
             SELECT sku, id, on_hand_after, reserved_after,
                    sum(on_hand_change) OVER w AS running_on_hand,
                    sum(reserved_change) OVER w AS running_reserved
             FROM inventory.ledger WHERE tenant_id = $1
             WINDOW w AS (PARTITION BY sku ORDER BY id)
         ) replay
         WHERE on_hand_after <> running_on_hand OR reserved_after <> running_reserved
         ORDER BY sku, id
         LIMIT 100"#,
        tx.tenant().as_uuid(),
    )
    .fetch_all(&mut **tx)
    .await?;
    Ok(replay
        .into_iter()
        .map(|row| Discrepancy {
            sku: row.sku,
            problem: format!(
                "ledger row {} does not match the running sum before it",
                row.id
            ),
        })
        .collect())
}
