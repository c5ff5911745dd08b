//! The platform under test and the model of what its API acknowledged.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::Rng;
use crate::orders::customer;
use crate::support::TestApp;

/// Short unpaid holds (the tests sweep every 200 ms), so that expiry happens
/// many times a run.
const SETTINGS: &str = "reservation_ttl_secs = 2\n\
    order_repair_interval_secs = 1\norder_stalled_after_secs = 3\n\
    logins_per_minute_per_ip = 100000\nlogins_per_minute_per_account = 100000";
const VENDORS: usize = 2;
const SKUS_PER_VENDOR: usize = 2;
const CUSTOMERS: usize = 3;
pub(crate) const INITIAL_STOCK: i64 = 3;

pub(crate) struct Vendor {
    pub(crate) token: String,
    pub(crate) product: String,
    pub(crate) skus: Vec<String>,
    /// Its stock locations' ids: the default one, one more that ships and a
    /// returns shelf that does not.
    pub(crate) locations: Vec<String>,
}

/// What the API acknowledged for one SKU.
#[derive(Debug, Default, Clone)]
pub(crate) struct Book {
    pub(crate) vendor: usize,
    pub(crate) initial: i64,
    /// The sum of the acknowledged `adjustStock` deltas.
    pub(crate) adjusted: i64,
    /// Units the API said left stock: commits and shipped orders.
    pub(crate) shipped: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hold {
    Held,
    Released,
    Committed,
    Expired,
}

/// A reservation made directly with `reserveStock`.
pub(crate) struct Direct {
    pub(crate) vendor: usize,
    pub(crate) order_id: String,
    pub(crate) lines: Vec<(String, i64)>,
    pub(crate) state: Hold,
    pub(crate) confirmed: bool,
    pub(crate) expires_at: DateTime<Utc>,
}

/// One vendor's order from a checkout.
pub(crate) struct Order {
    pub(crate) id: String,
    pub(crate) vendor: usize,
    pub(crate) customer: usize,
    pub(crate) lines: Vec<(String, i64)>,
    pub(crate) status: String,
}

pub(crate) struct World {
    pub(crate) app: TestApp,
    pub(crate) rng: Rng,
    pub(crate) vendors: Vec<Vendor>,
    pub(crate) customers: Vec<String>,
    pub(crate) books: BTreeMap<String, Book>,
    pub(crate) directs: Vec<Direct>,
    pub(crate) orders: Vec<Order>,
    /// Whether the API has `confirmReservation`.
    pub(crate) can_confirm: bool,
    pub(crate) step: usize,
    pub(crate) calls: usize,
    /// How often each action got each answer (`reserve:ok`, `pay:RESERVATION_EXPIRED`).
    pub(crate) outcomes: BTreeMap<String, usize>,
    pub(crate) violations: Vec<String>,
}

impl World {
    pub(crate) async fn build(rng: Rng) -> Self {
        let app = TestApp::spawn_with(SETTINGS).await;
        let mut world = World {
            app,
            rng,
            vendors: Vec::new(),
            customers: Vec::new(),
            books: BTreeMap::new(),
            directs: Vec::new(),
            orders: Vec::new(),
            can_confirm: false,
            step: 0,
            calls: 0,
            outcomes: BTreeMap::new(),
            violations: Vec::new(),
        };
        for v in 0..VENDORS {
            world.add_vendor(v).await;
        }
        for c in 0..CUSTOMERS {
            let token = customer(&world.app, &format!("buyer-{c}@example.com")).await;
            world.customers.push(token);
        }
        let (_, body) = world
            .app
            .gql(
                None,
                "{ __type(name: \"Mutation\") { fields { name } } }",
                json!({}),
            )
            .await;
        world.can_confirm = body["data"]["__type"]["fields"]
            .as_array()
            .is_some_and(|f| f.iter().any(|f| f["name"] == "confirmReservation"));
        world
    }

    /// A vendor with one published product of `SKUS_PER_VENDOR` variants,
    /// taking offline payments (the model moves orders to paid by hand).
    async fn add_vendor(&mut self, v: usize) {
        let tenant = self.app.create_tenant().await;
        let token = self.app.token(souk_tenants::Role::Owner, Some(tenant));
        let admin = self.app.token(souk_tenants::Role::PlatformAdmin, None);
        let (_, body) = self
            .app
            .gql(
                Some(&admin),
                "mutation($v: ID!) { setManualPayments(vendorId: $v, enabled: true) }",
                json!({ "v": tenant.to_string() }),
            )
            .await;
        assert_eq!(body["data"]["setManualPayments"], true, "{body}");
        let skus: Vec<String> = (0..SKUS_PER_VENDOR)
            .map(|s| format!("V{v}-{}", char::from(b'A' + s as u8)))
            .collect();
        let variants: Vec<Value> = skus
            .iter()
            .map(|sku| json!({ "sku": sku, "initialStock": INITIAL_STOCK }))
            .collect();
        let (_, body) = self
            .app
            .gql(
                Some(&token),
                "mutation($i: ProductInput!) { createProduct(input: $i) { id } }",
                json!({ "i": { "title": format!("Vendor {v}"), "price": { "amount": 1000 + v as i64, "currency": "EUR" }, "variants": variants } }),
            )
            .await;
        let product = body["data"]["createProduct"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("createProduct: {body}"))
            .to_string();
        let (_, body) = self
            .app
            .gql(
                Some(&token),
                "mutation($id: ID!) { publishProduct(id: $id) { id } }",
                json!({ "id": product }),
            )
            .await;
        assert!(body["errors"].is_null(), "publishProduct: {body}");
        let locations = self.add_locations(&token, v, &skus).await;
        for sku in &skus {
            let book = Book {
                vendor: v,
                initial: INITIAL_STOCK,
                ..Book::default()
            };
            self.books.insert(sku.clone(), book);
        }
        self.vendors.push(Vendor {
            token,
            product,
            skus,
            locations,
        });
    }

    /// Two more locations for the vendor (one ships, one does not) with one unit
    /// of each SKU moved to the one that ships; the second vendor allocates the
    /// most available first.
    async fn add_locations(&mut self, token: &str, v: usize, skus: &[String]) -> Vec<String> {
        let (_, body) = self
            .app
            .gql(
                Some(token),
                "mutation {
                    east: createStockLocation(input: { code: \"east\", name: \"East\" }) { id }
                    returns: createStockLocation(input: { code: \"returns\", name: \"Returns\", shipsToCustomers: false }) { id }
                }",
                json!({}),
            )
            .await;
        let (_, all) = self
            .app
            .gql(
                Some(token),
                "{ stockLocations { id isDefault } }",
                json!({}),
            )
            .await;
        let main = all["data"]["stockLocations"]
            .as_array()
            .and_then(|l| l.iter().find(|l| l["isDefault"] == true))
            .and_then(|l| l["id"].as_str())
            .unwrap_or_else(|| panic!("stockLocations: {all}"))
            .to_string();
        let id = |name: &str| {
            body["data"][name]["id"]
                .as_str()
                .unwrap_or_else(|| panic!("createStockLocation: {body}"))
                .to_string()
        };
        let locations = vec![main, id("east"), id("returns")];
        for sku in skus {
            let (_, moved) = self
                .app
                .gql(
                    Some(token),
                    "mutation($s: String!, $f: ID!, $t: ID!) { transferStock(sku: $s, from: $f, to: $t, quantity: 1, reason: \"spread\") { to { onHand } } }",
                    json!({ "s": sku, "f": locations[0], "t": locations[1] }),
                )
                .await;
            assert!(moved["data"]["transferStock"].is_object(), "{moved}");
        }
        if v == 1 {
            let (_, set) = self
                .app
                .gql(
                    Some(token),
                    "mutation { setAllocationStrategy(strategy: PRIORITIZE_HIGH_STOCK) }",
                    json!({}),
                )
                .await;
            assert!(set["errors"].is_null(), "{set}");
        }
        locations
    }

    pub(crate) fn violation(&mut self, what: impl std::fmt::Display) {
        let line = format!("step {}: {what}", self.step);
        println!("VIOLATION {line}");
        self.violations.push(line);
    }

    fn count(&mut self, action: &str, outcome: &str) {
        *self
            .outcomes
            .entry(format!("{action}:{outcome}"))
            .or_default() += 1;
    }

    /// One GraphQL call: its `data`, or the code of its first error (see `judge`).
    pub(crate) async fn call(
        &mut self,
        action: &str,
        token: &str,
        query: &str,
        variables: Value,
    ) -> Result<Value, String> {
        let answer = self.app.gql(Some(token), query, variables).await;
        self.judge(action, answer)
    }

    /// Counts an answer; a 5xx, an `INTERNAL` or an error without a code is a
    /// violation.
    pub(crate) fn judge(
        &mut self,
        action: &str,
        (status, body): (reqwest::StatusCode, Value),
    ) -> Result<Value, String> {
        self.calls += 1;
        if status.is_server_error() {
            self.violation(format!("{action} answered HTTP {status}: {body}"));
        }
        let Some(errors) = body["errors"].as_array().filter(|e| !e.is_empty()) else {
            self.count(action, "ok");
            return Ok(body["data"].clone());
        };
        let mut first = None;
        for error in errors {
            match error["extensions"]["code"].as_str() {
                None => self.violation(format!("{action}: an error without a code: {body}")),
                Some("INTERNAL") => self.violation(format!("{action} answered INTERNAL: {body}")),
                Some(_) => {}
            }
            first = first.or(error["extensions"]["code"].as_str());
        }
        let code = first.unwrap_or("NO_CODE").to_string();
        self.count(action, &code);
        Err(code)
    }

    /// Per SKU: (on hand, shipped) as the model has them, for the summary.
    pub(crate) fn book_summary(&self) -> BTreeMap<String, (i64, i64)> {
        self.books
            .iter()
            .map(|(sku, b)| (sku.clone(), (b.initial + b.adjusted - b.shipped, b.shipped)))
            .collect()
    }

    pub(crate) fn ship_lines(&mut self, lines: &[(String, i64)]) {
        for (sku, quantity) in lines {
            if let Some(book) = self.books.get_mut(sku) {
                book.shipped += quantity;
            }
        }
    }
}
