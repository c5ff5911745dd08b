//! The random steps. Each one calls the public API and holds its answer against
//! the model: what must succeed, what must fail, and what it did to the books.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::orders;
use super::world::{Direct, Hold, World};

const RESERVE: &str = "mutation($o: String!, $l: [ReservationLineInput!]!, $t: Int) {
    reserveStock(orderId: $o, lines: $l, ttlSeconds: $t) { status expiresAt lines { sku quantity } } }";
/// A hold's expiry is judged by the database's clock, read during the call; a
/// margin covers the two clocks' reading at slightly different moments.
const MARGIN_MS: i64 = 100;

pub(crate) async fn random_step(world: &mut World) {
    match world.rng.below(100) {
        0..=15 => reserve(world).await,
        16..=17 => race(world).await,
        18..=25 => settle(world, Settle::Release).await,
        26..=33 => settle(world, Settle::Commit).await,
        34..=39 => settle(world, Settle::Confirm).await,
        40..=53 => orders::checkout(world).await,
        54..=55 => orders::rush(world).await,
        56..=66 => orders::transition(world, "PAID").await,
        67..=72 => orders::transition(world, "PROCESSING").await,
        73..=80 => orders::transition(world, "SHIPPED").await,
        81..=85 => orders::transition(world, "CANCELLED").await,
        86..=87 => orders::transition(world, "REFUNDED").await,
        88..=92 => adjust(world).await,
        93..=96 => transfer(world).await,
        _ => wait(world).await,
    }
}

pub(crate) fn lines_of(value: &Value) -> Vec<(String, i64)> {
    value
        .as_array()
        .map(|lines| {
            lines
                .iter()
                .map(|l| {
                    let sku = l["sku"].as_str().unwrap_or_default().to_string();
                    (sku, l["quantity"].as_i64().unwrap_or_default())
                })
                .collect()
        })
        .unwrap_or_default()
}

/// One or two distinct SKUs of vendor `v`, 1 or 2 units each.
pub(crate) fn random_lines(world: &mut World, v: usize) -> Vec<(String, i64)> {
    let skus = world.vendors[v].skus.clone();
    let first = world.rng.below(skus.len());
    let mut chosen = vec![skus[first].clone()];
    if world.rng.chance(40) {
        chosen.push(skus[(first + 1) % skus.len()].clone());
    }
    chosen
        .into_iter()
        .map(|sku| (sku, world.rng.between(1, 2)))
        .collect()
}

fn reserve_vars(order_id: &str, lines: &[(String, i64)], ttl: i64) -> Value {
    let wire: Vec<Value> = lines
        .iter()
        .map(|(sku, q)| json!({ "sku": sku, "quantity": q }))
        .collect();
    json!({ "o": order_id, "l": wire, "t": ttl })
}

async fn reserve(world: &mut World) {
    let v = world.rng.below(world.vendors.len());
    let lines = random_lines(world, v);
    let ttl = world.rng.between(1, 2);
    let order_id = format!("direct-{}", world.step);
    let token = world.vendors[v].token.clone();
    let vars = reserve_vars(&order_id, &lines, ttl);
    let answer = world.call("reserve", &token, RESERVE, vars).await;
    reserved(world, v, order_id, &lines, answer);
}

/// Three holds of the same lines at once: each is held or short, never more
/// than the stock.
async fn race(world: &mut World) {
    let v = world.rng.below(world.vendors.len());
    let lines = random_lines(world, v);
    let ttl = world.rng.between(1, 2);
    let token = world.vendors[v].token.clone();
    let ids: Vec<String> = (0..3).map(|n| format!("race-{}-{n}", world.step)).collect();
    let app = &world.app;
    let answers = futures::future::join_all(
        ids.iter()
            .map(|id| app.gql(Some(&token), RESERVE, reserve_vars(id, &lines, ttl))),
    )
    .await;
    for (id, answer) in ids.into_iter().zip(answers) {
        let answer = world.judge("race-reserve", answer);
        reserved(world, v, id, &lines, answer);
    }
}

fn reserved(
    world: &mut World,
    v: usize,
    order_id: String,
    lines: &[(String, i64)],
    answer: Result<Value, String>,
) {
    match answer {
        Ok(data) => {
            let held = &data["reserveStock"];
            if held["status"] != "ACTIVE" {
                world.violation(format!("a new hold is not ACTIVE: {held}"));
            }
            let expires_at = held["expiresAt"]
                .as_str()
                .and_then(|t| t.parse::<DateTime<Utc>>().ok())
                .unwrap_or_else(Utc::now);
            world.directs.push(Direct {
                vendor: v,
                order_id,
                lines: lines_of(&held["lines"]),
                state: Hold::Held,
                confirmed: false,
                expires_at,
            });
        }
        Err(code) if code == "INSUFFICIENT_STOCK" => {}
        Err(code) => world.violation(format!("reserveStock {lines:?} answered {code}")),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Settle {
    Release,
    Commit,
    Confirm,
}

impl Settle {
    fn mutation(self) -> &'static str {
        match self {
            Settle::Release => "releaseReservation",
            Settle::Commit => "commitReservation",
            Settle::Confirm => "confirmReservation",
        }
    }
}

/// Release, commit or confirm a direct hold (mostly live ones, some closed).
async fn settle(world: &mut World, how: Settle) {
    if world.directs.is_empty() || (how == Settle::Confirm && !world.can_confirm) {
        return;
    }
    let live: Vec<usize> = (0..world.directs.len())
        .filter(|i| world.directs[*i].state == Hold::Held)
        .collect();
    let i = if !live.is_empty() && world.rng.chance(80) {
        live[world.rng.below(live.len())]
    } else {
        world.rng.below(world.directs.len())
    };
    let name = how.mutation();
    let query = format!("mutation($o: String!) {{ {name}(orderId: $o) {{ status }} }}");
    let token = world.vendors[world.directs[i].vendor].token.clone();
    let order_id = world.directs[i].order_id.clone();
    let before = Utc::now();
    let answer = world
        .call(name, &token, &query, json!({ "o": order_id }))
        .await;
    let after = Utc::now();
    let answer = answer.map(|data| data[name]["status"].as_str().unwrap_or("?").to_string());
    settled(world, i, how, answer, (before, after));
}

/// Holds the answer to a settlement of direct hold `i` against the model.
fn settled(
    world: &mut World,
    i: usize,
    how: Settle,
    answer: Result<String, String>,
    (before, after): (DateTime<Utc>, DateTime<Utc>),
) {
    let hold = &world.directs[i];
    let (state, confirmed, id) = (hold.state, hold.confirmed, hold.order_id.clone());
    let margin = chrono::Duration::milliseconds(MARGIN_MS);
    // Overdue for the whole call, or live for the whole call (by the database's clock).
    let overdue = !confirmed && before > hold.expires_at + margin;
    let live = state == Hold::Held && (confirmed || after < hold.expires_at - margin);
    let expected = match how {
        Settle::Release => "RELEASED",
        Settle::Commit => "COMMITTED",
        Settle::Confirm => "CONFIRMED",
    };
    match answer {
        Ok(status) if status == expected => match (how, state) {
            (_, Hold::Held) if overdue && how != Settle::Release => {
                world.violation(format!("{id}: an overdue hold was {status}"));
            }
            (Settle::Release, Hold::Committed) | (Settle::Commit, Hold::Released) => {
                world.violation(format!("{id}: a {state:?} hold was {status}"));
            }
            (Settle::Confirm, Hold::Released | Hold::Committed | Hold::Expired) => {
                world.violation(format!("{id}: a {state:?} hold was {status}"));
            }
            (Settle::Commit, Hold::Expired) => {
                world.violation(format!("{id}: an expired hold was {status}"));
            }
            (Settle::Release, Hold::Held) => world.directs[i].state = Hold::Released,
            (Settle::Commit, Hold::Held) => {
                world.directs[i].state = Hold::Committed;
                let lines = world.directs[i].lines.clone();
                world.ship_lines(&lines);
            }
            (Settle::Confirm, Hold::Held) => world.directs[i].confirmed = true,
            _ => {}
        },
        Ok(status) if status == "EXPIRED" && !live => world.directs[i].state = Hold::Expired,
        Ok(status) => world.violation(format!("{id}: {how:?} of a {state:?} hold: {status}")),
        Err(code) if live => {
            world.violation(format!("{id}: {how:?} of a live hold answered {code}"));
        }
        // An overdue hold may be refused (RESERVATION_EXPIRED, RESERVATION_CONFLICT).
        Err(_) if state == Hold::Held && overdue => world.directs[i].state = Hold::Expired,
        Err(_) => {}
    }
}

async fn adjust(world: &mut World) {
    let v = world.rng.below(world.vendors.len());
    let skus = world.vendors[v].skus.clone();
    let sku = skus[world.rng.below(skus.len())].clone();
    let delta = match world.rng.between(-2, 3) {
        0 => 1,
        d => d,
    };
    let token = world.vendors[v].token.clone();
    // At the default location, or at any of the vendor's.
    let locations = world.vendors[v].locations.clone();
    let location = world
        .rng
        .chance(50)
        .then(|| locations[world.rng.below(locations.len())].clone());
    let query = "mutation($s: String!, $d: Int!, $l: ID) { adjustStock(sku: $s, delta: $d, reason: \"count\", location: $l) { onHand } }";
    match world
        .call(
            "adjust",
            &token,
            query,
            json!({ "s": sku, "d": delta, "l": location }),
        )
        .await
    {
        Ok(_) => {
            if let Some(book) = world.books.get_mut(&sku) {
                book.adjusted += delta;
            }
        }
        Err(code) if delta > 0 => world.violation(format!("adjustStock {sku} +{delta}: {code}")),
        Err(_) => {}
    }
}

/// Moves one or two units of a SKU between two of the vendor's locations: the
/// books do not change; a short source is refused, anything else is wrong.
async fn transfer(world: &mut World) {
    let v = world.rng.below(world.vendors.len());
    let skus = world.vendors[v].skus.clone();
    let sku = skus[world.rng.below(skus.len())].clone();
    let locations = world.vendors[v].locations.clone();
    let from = world.rng.below(locations.len());
    let to = (from + 1 + world.rng.below(locations.len() - 1)) % locations.len();
    let quantity = world.rng.between(1, 2);
    let token = world.vendors[v].token.clone();
    let query = "mutation($s: String!, $f: ID!, $t: ID!, $q: Int!) {
        transferStock(sku: $s, from: $f, to: $t, quantity: $q, reason: \"rebalance\") { to { onHand } } }";
    let variables = json!({ "s": sku, "f": locations[from], "t": locations[to], "q": quantity });
    match world.call("transfer", &token, query, variables).await {
        Ok(_) => {}
        Err(code) if code == "INSUFFICIENT_STOCK" => {}
        Err(code) => world.violation(format!("transferStock {sku} x{quantity}: {code}")),
    }
}

async fn wait(world: &mut World) {
    let ms = world.rng.between(900, 2600) as u64;
    tokio::time::sleep(Duration::from_millis(ms)).await;
}
