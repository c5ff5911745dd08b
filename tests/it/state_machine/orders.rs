//! Checkouts and order transitions, held against the model.

use serde_json::{json, Value};

use super::actions::{lines_of, random_lines};
use super::world::{Order, World};
use crate::orders::CHECKOUT;

const STATUS: &str = "mutation($id: ID!, $s: OrderStatus!) {
    changeOrderStatus(id: $id, status: $s) { status } }";

fn checkout_vars(lines: Vec<Value>, key: String) -> Value {
    json!({ "i": {
        "lines": lines,
        "shippingAddress": { "recipient": "Amira Haddad", "line1": "1 Souk St", "city": "Tunis", "postalCode": "1000", "country": "TN" },
        "idempotencyKey": key,
        "paymentMethod": "MANUAL",
    } })
}

pub(crate) async fn checkout(world: &mut World) {
    let c = world.rng.below(world.customers.len());
    let both = world.rng.chance(40);
    let first = world.rng.below(world.vendors.len());
    let chosen: Vec<usize> = if both {
        (0..world.vendors.len()).collect()
    } else {
        vec![first]
    };
    let mut wire = Vec::new();
    for v in chosen {
        for (sku, quantity) in random_lines(world, v) {
            let product = world.vendors[v].product.clone();
            wire.push(json!({ "productId": product, "sku": sku, "quantity": quantity }));
        }
    }
    let vars = checkout_vars(wire, format!("checkout-{}", world.step));
    let token = world.customers[c].clone();
    let answer = world.call("checkout", &token, CHECKOUT, vars).await;
    checked_out(world, c, answer);
}

/// Every customer buys the same line at once.
pub(crate) async fn rush(world: &mut World) {
    let v = world.rng.below(world.vendors.len());
    let (sku, quantity) = random_lines(world, v).remove(0);
    let line = json!({ "productId": world.vendors[v].product, "sku": sku, "quantity": quantity });
    let step = world.step;
    let app = &world.app;
    let answers =
        futures::future::join_all(world.customers.iter().enumerate().map(|(c, token)| {
            app.gql(
                Some(token),
                CHECKOUT,
                checkout_vars(vec![line.clone()], format!("rush-{step}-{c}")),
            )
        }))
        .await;
    for (c, answer) in answers.into_iter().enumerate() {
        let answer = world.judge("rush-checkout", answer);
        checked_out(world, c, answer);
    }
}

fn checked_out(world: &mut World, c: usize, answer: Result<Value, String>) {
    match answer {
        Ok(data) => {
            for order in data["checkout"]["orders"]
                .as_array()
                .cloned()
                .unwrap_or_default()
            {
                placed(world, c, &order);
            }
        }
        Err(code) if code == "INSUFFICIENT_STOCK" => {}
        Err(code) => world.violation(format!("checkout answered {code}")),
    }
}

fn placed(world: &mut World, customer: usize, order: &Value) {
    let lines = lines_of(&order["lines"]);
    let vendor = lines
        .first()
        .and_then(|(sku, _)| world.books.get(sku))
        .map(|b| b.vendor)
        .unwrap_or_default();
    if order["status"] != "PENDING" || order["stockReserved"] != true {
        world.violation(format!("a new order is not pending and reserved: {order}"));
    }
    world.orders.push(Order {
        id: order["id"].as_str().unwrap_or_default().to_string(),
        vendor,
        customer,
        lines,
        status: "PENDING".into(),
    });
}

/// The state an order must be in to move to `to` (one of several for cancel).
fn from_states(to: &str) -> &'static [&'static str] {
    match to {
        "PAID" => &["PENDING"],
        "PROCESSING" => &["PAID"],
        "SHIPPED" => &["PROCESSING"],
        "CANCELLED" => &["PENDING", "PAID", "PROCESSING"],
        _ => &["PAID", "PROCESSING"],
    }
}

pub(crate) async fn transition(world: &mut World, to: &str) {
    let candidates: Vec<usize> = (0..world.orders.len())
        .filter(|i| from_states(to).contains(&world.orders[*i].status.as_str()))
        .collect();
    if candidates.is_empty() {
        return;
    }
    let i = candidates[world.rng.below(candidates.len())];
    let from = world.orders[i].status.clone();
    // Customers cancel their own pending or paid orders; vendors do the rest.
    let by_customer = to == "CANCELLED" && from != "PROCESSING" && world.rng.chance(50);
    let token = if by_customer {
        world.customers[world.orders[i].customer].clone()
    } else {
        world.vendors[world.orders[i].vendor].token.clone()
    };
    let vars = json!({ "id": world.orders[i].id, "s": to });
    let action = format!("{}->{}", from.to_lowercase(), to.to_lowercase());
    match world.call(&action, &token, STATUS, vars).await {
        Ok(data) => {
            let status = data["changeOrderStatus"]["status"].as_str().unwrap_or("?");
            if status != to {
                world.violation(format!(
                    "order {}: {action} answered {status}",
                    world.orders[i].id
                ));
            }
            world.orders[i].status = to.to_string();
            if to == "SHIPPED" {
                let lines = world.orders[i].lines.clone();
                world.ship_lines(&lines);
            }
        }
        Err(code) => refused(world, i, &action, &code).await,
    }
}

/// A refused transition: the order may have expired meanwhile (pending only);
/// anything else that fails is a broken promise.
async fn refused(world: &mut World, i: usize, action: &str, code: &str) {
    let now = refresh(world, i).await;
    let from = action.split("->").next().unwrap_or_default().to_uppercase();
    let expired = from == "PENDING" && now == "EXPIRED";
    let told_expired = action == "pending->paid" && code == "RESERVATION_EXPIRED";
    if !(expired || told_expired) {
        let id = world.orders[i].id.clone();
        world.violation(format!("order {id}: {action} answered {code} (now {now})"));
    }
}

/// Reads an order's status again (as its vendor) into the model.
pub(crate) async fn refresh(world: &mut World, i: usize) -> String {
    let token = world.vendors[world.orders[i].vendor].token.clone();
    let vars = json!({ "id": world.orders[i].id });
    let query = "query($id: ID!) { order(id: $id) { status } }";
    if let Ok(data) = world.call("read-order", &token, query, vars).await {
        if let Some(status) = data["order"]["status"].as_str() {
            world.orders[i].status = status.to_string();
        }
    }
    world.orders[i].status.clone()
}
