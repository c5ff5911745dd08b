//! Fifty customers pay for the last ten units of two vendors at once.

use serde_json::{json, Value};

use super::{buy, new_customer, order_payment, orders_of, payouts};
use crate::orders::{pay, shop_with, stock};
use crate::support::code;

#[tokio::test]
async fn fifty_customers_for_the_last_ten_units_sell_exactly_ten() {
    // Five units each; holds short enough that some expire before payment.
    let shop = shop_with(
        5,
        "reservation_ttl_secs = 5\nreservation_expiry_interval_ms = 200\nlookups_per_minute_per_ip = 100000",
    )
    .await;
    let app = &shop.app;
    let mut buyers = Vec::new();
    for i in 0..50 {
        buyers.push(new_customer(app, &format!("rush-{i}@example.com")).await);
    }
    // Every customer wants one unit, of one vendor or the other.
    let checkouts: Vec<Value> =
        futures::future::join_all(buyers.iter().enumerate().map(|(i, b)| {
            let quantities = if i % 2 == 0 { [1, 0] } else { [0, 1] };
            let shop = &shop;
            async move { buy(shop, b, &quantities, &format!("rush-{i}")).await }
        }))
        .await;
    let placed: Vec<usize> = (0..50)
        .filter(|i| checkouts[*i]["errors"].is_null())
        .collect();
    for i in (0..50).filter(|i| !placed.contains(i)) {
        assert_eq!(
            code(&checkouts[i]),
            Some("INSUFFICIENT_STOCK"),
            "{}",
            checkouts[i]
        );
    }
    assert_eq!(placed.len(), 10, "ten holds for ten units");

    // Half of them pay at once now; the others come back after their holds
    // ran out, when everyone who was refused buys again.
    let (now, later): (Vec<usize>, Vec<usize>) = placed.iter().partition(|i| *i % 4 < 2);
    futures::future::join_all(now.iter().map(|i| pay(app, &buyers[*i], &checkouts[*i]))).await;
    tokio::time::sleep(std::time::Duration::from_millis(5_500)).await;
    let retried: Vec<Value> =
        futures::future::join_all((0..50).filter(|i| !placed.contains(i)).map(|i| {
            let quantities = if i % 2 == 0 { [1, 0] } else { [0, 1] };
            let (shop, b) = (&shop, &buyers[i]);
            async move { (i, buy(shop, b, &quantities, &format!("again-{i}")).await) }
        }))
        .await
        .into_iter()
        .map(|(_, body)| body)
        .collect();
    let late =
        futures::future::join_all(later.iter().map(|i| pay(app, &buyers[*i], &checkouts[*i])));
    let second_round = futures::future::join_all(
        retried
            .iter()
            .zip((0..50).filter(|i| !placed.contains(i)))
            .filter(|(body, _)| body["errors"].is_null())
            .map(|(body, i)| pay(app, &buyers[i], body)),
    );
    let _ = tokio::join!(late, second_round);

    // Every order that stands is paid; every payment for one that does not was
    // refunded; exactly the ten units are sold.
    let mut paid_units = 0;
    let all: Vec<(usize, &Value)> = placed
        .iter()
        .map(|i| (*i, &checkouts[*i]))
        .chain(
            retried
                .iter()
                .zip((0..50).filter(|i| !placed.contains(i)))
                .filter(|(body, _)| body["errors"].is_null())
                .map(|(body, i)| (i, body)),
        )
        .collect();
    for (i, body) in all {
        for order in orders_of(body) {
            let id = order["id"].as_str().unwrap_or_default();
            let money = order_payment(app, &buyers[i], id).await;
            match money["status"].as_str() {
                Some("PAID") => paid_units += 1,
                Some("REFUNDED") => assert_eq!(money["paid"], money["refunded"], "{money}"),
                other => panic!("order {id} is {other:?}: {money}"),
            }
        }
    }
    assert_eq!(paid_units, 10, "exactly the ten units are sold and paid");
    for (v, sku) in [(0, "SKU-A"), (1, "SKU-B")] {
        assert_eq!(
            stock(&shop, v, sku).await,
            json!({ "onHand": 5, "reserved": 5, "available": 0 }),
            "five paid holds per vendor, no more"
        );
        let books = payouts(app, &shop.vendors[v].0).await;
        let price = [1500, 900][v];
        assert_eq!(
            books["balances"][0]["earned"],
            5 * (price - super::free_plan_fee(price)),
            "the ledger holds exactly the five sales: {books}"
        );
    }
}
