//! The stock books, read by SQL as the database owner and through the API, held
//! against the model of what the API acknowledged.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::json;

use super::orders::refresh;
use super::world::World;

/// Per SKU: on hand, reserved, the units of the holds still open, and the
/// ledger's running sums of both changes.
const BOOKS: &str = "
    SELECT s.sku, s.on_hand, s.reserved,
           coalesce((SELECT sum(l.quantity) FROM inventory.reservation_lines l
                     JOIN inventory.reservations r USING (tenant_id, order_id)
                     WHERE l.tenant_id = s.tenant_id AND l.sku = s.sku
                       AND r.status IN ('active', 'confirmed')), 0)::bigint AS held,
           coalesce((SELECT sum(g.on_hand_change) FROM inventory.ledger g
                     WHERE g.tenant_id = s.tenant_id AND g.sku = s.sku), 0)::bigint AS ledger_on_hand,
           coalesce((SELECT sum(g.reserved_change) FROM inventory.ledger g
                     WHERE g.tenant_id = s.tenant_id AND g.sku = s.sku), 0)::bigint AS ledger_reserved
    FROM inventory.stock_items s";

type Row = (String, i64, i64, i64, i64, i64);

pub(crate) async fn check(world: &mut World) {
    let rows: Vec<Row> = sqlx::query_as(BOOKS)
        .fetch_all(&world.app.db.owner)
        .await
        .expect("read the books");
    let rows: BTreeMap<String, Row> = rows.into_iter().map(|r| (r.0.clone(), r)).collect();
    for (sku, book) in world.books.clone() {
        let Some(&(_, on_hand, reserved, held, ledger_on_hand, ledger_reserved)) = rows.get(&sku)
        else {
            world.violation(format!("{sku}: no stock row"));
            continue;
        };
        let expected = book.initial + book.adjusted - book.shipped;
        let problems = [
            (on_hand < 0 || reserved < 0, "negative stock".to_string()),
            (reserved > on_hand, "more reserved than on hand".into()),
            (
                reserved != held,
                format!("reserved {reserved} but open holds hold {held}"),
            ),
            (
                (ledger_on_hand, ledger_reserved) != (on_hand, reserved),
                format!("the ledger sums to ({ledger_on_hand}, {ledger_reserved})"),
            ),
            (
                on_hand > expected,
                format!(
                    "oversold: {} units shipped, on hand {on_hand} > {expected} expected",
                    book.shipped
                ),
            ),
            (
                on_hand < expected,
                format!("on hand {on_hand} < {expected}: stock left unacknowledged"),
            ),
        ];
        for (wrong, what) in problems {
            if wrong {
                world.violation(format!(
                    "books {sku} (on hand {on_hand}, reserved {reserved}): {what}"
                ));
            }
        }
        check_api(world, book.vendor, &sku, on_hand).await;
    }
    check_orders(world).await;
}

/// `stockItem` agrees with the row and never shows a negative availability.
async fn check_api(world: &mut World, vendor: usize, sku: &str, on_hand: i64) {
    let token = world.vendors[vendor].token.clone();
    let query = "query($s: String!) { stockItem(sku: $s) { onHand reserved available } }";
    let Ok(data) = world
        .call("read-stock", &token, query, json!({ "s": sku }))
        .await
    else {
        return;
    };
    let item = &data["stockItem"];
    let (api_on_hand, reserved, available) = (
        item["onHand"].as_i64().unwrap_or(-1),
        item["reserved"].as_i64().unwrap_or(-1),
        item["available"].as_i64().unwrap_or(-1),
    );
    if api_on_hand != on_hand || reserved < 0 || available < 0 || available != on_hand - reserved {
        world.violation(format!(
            "stockItem {sku} reads {item} (on hand {on_hand} in the table)"
        ));
    }
    check_levels(world, &token, sku, (api_on_hand, reserved)).await;
}

/// `stockLevels` sums to the SKU's totals; no location is negative or holds more
/// than it has, and the returns shelf (which does not ship) holds nothing.
async fn check_levels(world: &mut World, token: &str, sku: &str, totals: (i64, i64)) {
    let query = "query($s: String!) {
        stockLevels(sku: $s) { onHand reserved location { shipsToCustomers } } }";
    let Ok(data) = world
        .call("read-levels", token, query, json!({ "s": sku }))
        .await
    else {
        return;
    };
    let levels = data["stockLevels"].as_array().cloned().unwrap_or_default();
    let at = |l: &serde_json::Value, f: &str| l[f].as_i64().unwrap_or(-1);
    let sums = levels.iter().fold((0, 0), |(o, r), l| {
        (o + at(l, "onHand"), r + at(l, "reserved"))
    });
    let broken = levels.iter().any(|l| {
        let (on_hand, reserved) = (at(l, "onHand"), at(l, "reserved"));
        reserved < 0
            || reserved > on_hand
            || (l["location"]["shipsToCustomers"] == false && reserved > 0)
    });
    if levels.len() != 3 || sums != totals || broken {
        world.violation(format!(
            "stockLevels {sku} reads {levels:?}, totals {totals:?}"
        ));
    }
}

/// Every order's hold matches its state: open while it is paid or processing,
/// closed once it is cancelled, expired, refunded or shipped.
async fn check_orders(world: &mut World) {
    for i in 0..world.orders.len() {
        let status = refresh(world, i).await;
        let id = world.orders[i].id.clone();
        let hold: Option<String> =
            sqlx::query_scalar("SELECT status FROM inventory.reservations WHERE order_id = $1")
                .bind(&id)
                .fetch_optional(&world.app.db.owner)
                .await
                .expect("read a reservation");
        let hold = hold.unwrap_or_else(|| "none".into());
        let fits = match status.as_str() {
            "PAID" | "PROCESSING" => ["active", "confirmed"].contains(&hold.as_str()),
            "SHIPPED" | "DELIVERED" => hold == "committed",
            "CANCELLED" | "EXPIRED" | "REFUNDED" => {
                ["released", "expired"].contains(&hold.as_str())
            }
            _ => true,
        };
        if !fits {
            world.violation(format!("order {id} is {status} but its hold is {hold}"));
        }
    }
}

/// After the run: past every unpaid hold's expiry and a few sweeps, no
/// unconfirmed hold is left open past its time; then the books once more.
pub(crate) async fn settle_and_check(world: &mut World) {
    world.step += 1;
    tokio::time::sleep(Duration::from_millis(3500)).await;
    let overdue: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM inventory.reservations
         WHERE status = 'active' AND expires_at < now() - interval '1 second'",
    )
    .fetch_one(&world.app.db.owner)
    .await
    .expect("count overdue holds");
    if overdue > 0 {
        world.violation(format!(
            "{overdue} unconfirmed holds still open past their expiry"
        ));
    }
    check(world).await;
}
