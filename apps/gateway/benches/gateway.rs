//! Reservations through the public API: `reserveStock` over HTTP and GraphQL
//! with a signed-in owner's vendor token (a live session, the membership and the
//! vendor's status checked on every request), metering on and rate limits off,
//! for one hot SKU and for 10,000 SKUs at random, at 1, 8 and 64 connections.
//!
//! The gateway is the built `souk` binary (`SOUK_BIN`, default
//! `target/release/souk`) serving as it does in production, JSON logs included
//! (to a file), on fresh databases; the load comes from `wrk` (a process of its
//! own, so the load generator's cost is not the gateway's), with a warm-up
//! before each measured run. Prints
//! requests/s, p50, p99 and failed answers per run, the ratio to the original
//! service's figures (measured on an earlier 2-core machine: see [`ORIGINAL`]),
//! and checks after every run that the stock held is exactly what the
//! reservations hold.
//!
//! With `SOUK_BIN_BEFORE` naming another build, both serve side by side (each on
//! databases of its own) and every workload runs on one, then the other.
//!
//! `scripts/bench gateway` (`BENCH_SECONDS` per measured run, default 10;
//! `BENCH_WARMUP` seconds before it, default 2).

mod support;

use std::process::Command;
use std::time::Duration;

use serde_json::json;

use secrecy::ExposeSecret;
use souk_migrations::testing::{TestDatabase, TestMongo};
use souk_tenants::token::generate_keypair;

use support::{post, run_length};

/// The `souk serve` process under load, and what it serves from.
struct Served {
    url: String,
    db: TestDatabase,
    _mongo: TestMongo,
    process: std::process::Child,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// Starts `souk serve` on fresh databases, metering on and rate limits off, and
/// waits until it answers.
async fn serve(binary: &str) -> anyhow::Result<Served> {
    let db = TestDatabase::with_app_pool_size(2).await;
    let mongo = TestMongo::create();
    let mongo_db = souk_gateway::app::mongo_database(&mongo.url).await?;
    souk_catalog::MongoCatalog::create_indexes(&mongo_db).await?;
    let (private, _) = generate_keypair()?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let log = std::fs::File::create(std::env::temp_dir().join(format!("souk-bench-{port}.log")))?;
    let process = Command::new(binary)
        .arg("serve")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("SOUK_DATABASE_URL", &db.app_url)
        .env("SOUK_PLATFORM_DATABASE_URL", &db.platform_url)
        .env("SOUK_MONGODB_URL", &mongo.url)
        .env("SOUK_JWT_PRIVATE_KEY", private.expose_secret())
        .env("SOUK_LISTEN_ADDR", format!("127.0.0.1:{port}"))
        .env("SOUK_METERING", "true")
        .env("SOUK_RATE_LIMITS", "false")
        .env("SOUK_TEST_PAYMENTS", "true")
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .map_err(|err| anyhow::anyhow!("{binary}: {err} (scripts/bench gateway builds it)"))?;
    let served = Served {
        url: format!("http://127.0.0.1:{port}/graphql"),
        db,
        _mongo: mongo,
        process,
    };
    let health = format!("http://127.0.0.1:{port}/healthz");
    for _ in 0..300 {
        if reqwest::get(&health)
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return Ok(served);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("souk serve did not answer on {health}")
}

/// The workloads (name, SKUs picked from at random, 0 for `HOT` alone,
/// connections) with the original FastAPI service's reserve endpoint measured
/// with wrk on an earlier 2-core machine (1 uvicorn worker; 2 workers where that
/// did better): the figures the goals are set against.
const ORIGINAL: [(&str, usize, usize, f64); 6] = [
    ("hot SKU", 0, 1, 323.0),
    ("hot SKU", 0, 8, 357.0),
    ("hot SKU", 0, 64, 370.0),
    ("10,000 SKUs", 10_000, 1, 322.0),
    ("10,000 SKUs", 10_000, 8, 408.0),
    ("10,000 SKUs", 10_000, 64, 469.0),
];

const STOCK: i64 = 1_000_000_000;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let length = run_length(10);
    let warmup = std::env::var("BENCH_WARMUP")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2u64);
    anyhow::ensure!(
        Command::new("wrk").arg("--version").output().is_ok(),
        "wrk is needed (scripts/bench gateway installs it)"
    );
    let binary = std::env::var("SOUK_BIN").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../target/release/souk").to_string()
    });
    let mut gateways = Vec::new();
    if let Ok(before) = std::env::var("SOUK_BIN_BEFORE") {
        gateways.push(("before", prepared(&before).await?));
    }
    gateways.push(("now", prepared(&binary).await?));
    println!(
        "reserveStock through GraphQL, a signed-in owner's token, metering on, rate limits off; \
         wrk, {warmup} s warm-up, {} s measured; {} cores shared by gateway, PostgreSQL and wrk\n",
        length.as_secs(),
        std::thread::available_parallelism().map_or(0, usize::from)
    );
    println!(
        "{:<13}{:>6}{:>8}{:>11}{:>10}{:>10}{:>8}{:>13}{:>8}",
        "workload", "conns", "souk", "req/s", "p50 ms", "p99 ms", "failed", "original/s", "ratio"
    );
    let mut run = 0;
    for (workload, skus, connections, original) in ORIGINAL {
        for (label, (served, token)) in &gateways {
            run += 1;
            let warm = script(token, skus, 2 * run)?;
            wrk(served, &warm, connections, Duration::from_secs(warmup))?;
            std::fs::remove_file(&warm)?;
            let measured = script(token, skus, 2 * run + 1)?;
            let figures = wrk(served, &measured, connections, length)?;
            std::fs::remove_file(&measured)?;
            let held = check_invariants(served).await?;
            println!(
                "{workload:<13}{connections:>6}{label:>8}{:>11.0}{:>10.2}{:>10.2}{:>8}{original:>13.0}{:>7.1}×   ({held} reservations held)",
                figures.per_second,
                figures.p50_ms,
                figures.p99_ms,
                figures.failed,
                figures.per_second / original,
            );
        }
    }
    Ok(())
}

/// `binary` serving a signed-in owner whose vendor stocks `HOT` and
/// `SKU-1`..`SKU-10000` on a plan that admits everything; with that owner's
/// token.
async fn prepared(binary: &str) -> anyhow::Result<(Served, String)> {
    let served = serve(binary).await?;
    let token = signed_in_owner(&served).await?;
    let tenant: uuid::Uuid = sqlx::query_scalar("SELECT id FROM tenancy.tenants")
        .fetch_one(&served.db.owner)
        .await?;
    sqlx::query(
        "WITH items AS (
             INSERT INTO inventory.stock_items (tenant_id, sku, on_hand)
             SELECT $1, 'SKU-' || i, $2 FROM generate_series(1, 10000) AS i
             UNION ALL SELECT $1, 'HOT', $2
             RETURNING tenant_id, sku, on_hand
         )
         INSERT INTO inventory.ledger (tenant_id, sku, kind, on_hand_change, reserved_change,
                                       on_hand_after, reserved_after, actor)
         SELECT tenant_id, sku, 'created', on_hand, 0, on_hand, 0, 'bench' FROM items",
    )
    .bind(tenant)
    .bind(STOCK)
    .execute(&served.db.owner)
    .await?;
    // A plan whose quota is never reached: every request is metered and admitted.
    sqlx::query(
        "INSERT INTO billing.plans (code, name, price_amount, currency, included_requests,
         overage_per_thousand, rate_per_second, burst, over_quota)
         VALUES ('bench', 'Bench', 0, 'EUR', 1000000000000, 0, 100000, 100000, 'reject')",
    )
    .execute(&served.db.owner)
    .await?;
    sqlx::query("UPDATE billing.subscriptions SET plan_code = 'bench'")
        .execute(&served.db.owner)
        .await?;
    Ok((served, token))
}

/// Registers a person, signs them in, opens a vendor and selects it: the token
/// a vendor's dashboard holds.
async fn signed_in_owner(served: &Served) -> anyhow::Result<String> {
    let client = reqwest::Client::new();
    let call = |query: &'static str, variables: serde_json::Value, token: Option<String>| {
        let client = client.clone();
        async move {
            let answer = post(
                &client,
                &served.url,
                token.as_deref(),
                &json!({ "query": query, "variables": variables }),
            )
            .await?;
            anyhow::ensure!(answer["errors"].is_null(), "{answer}");
            Ok(answer)
        }
    };
    let (email, password) = ("owner@bench.example", "a long bench password");
    call(
        "mutation($i: RegisterInput!) { register(input: $i) { id } }",
        json!({ "i": { "email": email, "password": password, "firstName": "B", "lastName": "O" } }),
        None,
    )
    .await?;
    let login = call(
        "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }",
        json!({ "e": email, "p": password }),
        None,
    )
    .await?;
    let person = login["data"]["login"]["accessToken"]
        .as_str()
        .map(str::to_string);
    let vendor = call(
        "mutation { registerVendor(name: \"Bench\", slug: \"bench\") { id } }",
        json!({}),
        person.clone(),
    )
    .await?;
    let access = call(
        "mutation($v: ID!) { selectVendor(vendorId: $v) { accessToken } }",
        json!({ "v": vendor["data"]["registerVendor"]["id"] }),
        person,
    )
    .await?;
    access["data"]["selectVendor"]["accessToken"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| anyhow::anyhow!("no vendor token: {access}"))
}

/// A wrk script posting `reserveStock` for one unit under a new order id each
/// time, of `HOT` (`skus` 0) or of one of `SKU-1`..`SKU-<skus>` at random; an
/// answer without `"reserveStock"` data counts as failed. Prints one
/// `BENCH <json>` line at the end.
fn script(token: &str, skus: usize, run: usize) -> anyhow::Result<std::path::PathBuf> {
    let lua = format!(
        r#"
local threads = {{}}
counter = 0
failed = 0
first = ""
function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end
function init(args)
  math.randomseed(os.time() + id)
end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer {token}"
function request()
  counter = counter + 1
  local sku = "HOT"
  if {skus} > 0 then sku = "SKU-" .. math.random(1, {skus}) end
  local body = string.format(
    '{{"query":"mutation($o: String!, $s: String!) {{ reserveStock(orderId: $o, lines: [{{sku: $s, quantity: 1}}]) {{ status }} }}","variables":{{"o":"bench-{run}-%d-%d","s":"%s"}}}}',
    id, counter, sku)
  return wrk.format(nil, "/graphql", nil, body)
end
function response(status, headers, body)
  if status ~= 200 or not string.find(body, '"reserveStock"', 1, true) or string.find(body, '"errors"', 1, true) then
    failed = failed + 1
    if first == "" then first = string.sub(body, 1, 300) end
  end
end
function done(summary, latency, requests)
  local failures = 0
  local first = ""
  for _, thread in ipairs(threads) do
    failures = failures + thread:get("failed")
    if first == "" then first = thread:get("first") end
  end
  if first ~= "" then io.write("FIRST " .. first .. "\n") end
  local e = summary.errors
  failures = failures + e.connect + e.read + e.write + e.timeout
  io.write(string.format('BENCH {{"requests":%d,"micros":%d,"p50":%d,"p99":%d,"failed":%d}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), failures))
end
"#
    );
    let path = std::env::temp_dir().join(format!("souk-bench-{}-{run}.lua", std::process::id()));
    std::fs::write(&path, lua)?;
    Ok(path)
}

struct Figures {
    per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
    failed: u64,
}

/// One wrk run of `script` at `connections` for `length`.
fn wrk(
    served: &Served,
    script: &std::path::Path,
    connections: usize,
    length: Duration,
) -> anyhow::Result<Figures> {
    let threads = connections.min(2);
    let output = Command::new("wrk")
        .args([
            format!("-t{threads}"),
            format!("-c{connections}"),
            format!("-d{}s", length.as_secs()),
            "--timeout".into(),
            "10s".into(),
            "-s".into(),
        ])
        .arg(script)
        .arg(&served.url)
        .output()?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .find_map(|line| line.strip_prefix("BENCH "))
        .ok_or_else(|| {
            anyhow::anyhow!(
                "wrk said: {stdout}{}",
                String::from_utf8_lossy(&output.stderr)
            )
        })?;
    if let Some(first) = stdout.lines().find_map(|line| line.strip_prefix("FIRST ")) {
        eprintln!("first failed answer: {first}");
    }
    let seen: serde_json::Value = serde_json::from_str(line)?;
    let number = |key: &str| seen[key].as_f64().unwrap_or_default();
    Ok(Figures {
        per_second: number("requests") / (number("micros") / 1e6),
        p50_ms: number("p50") / 1000.0,
        p99_ms: number("p99") / 1000.0,
        failed: seen["failed"].as_u64().unwrap_or_default(),
    })
}

/// Every unit held belongs to exactly one held reservation line and no stock was
/// lost: the reserved totals, the lines and the reservations agree, and on-hand
/// is untouched. The number of reservations held.
async fn check_invariants(served: &Served) -> anyhow::Result<i64> {
    let (reserved, on_hand, items, lines, reservations): (i64, i64, i64, i64, i64) =
        sqlx::query_as(
            "SELECT
                 (SELECT sum(reserved) FROM inventory.stock_items)::bigint,
                 (SELECT sum(on_hand) FROM inventory.stock_items)::bigint,
                 (SELECT count(*) FROM inventory.stock_items)::bigint,
                 (SELECT coalesce(sum(quantity), 0) FROM inventory.reservation_lines)::bigint,
                 (SELECT count(*) FROM inventory.reservations)::bigint",
        )
        .fetch_one(&served.db.owner)
        .await?;
    anyhow::ensure!(
        reserved == lines && lines == reservations,
        "{reserved} units reserved, {lines} in lines, {reservations} reservations"
    );
    anyhow::ensure!(on_hand == items * STOCK, "on-hand changed");
    Ok(reservations)
}
