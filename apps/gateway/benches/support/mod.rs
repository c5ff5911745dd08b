//! What the gateway's load benchmarks share: a served platform on fresh
//! databases, a closed-loop HTTP load, and percentile figures.

#![allow(dead_code)]

use std::time::{Duration, Instant};

use figment::providers::{Format, Toml};
use figment::Figment;
use secrecy::ExposeSecret;
use souk_gateway::{Application, Settings};
use souk_migrations::testing::{TestDatabase, TestMongo};
use souk_tenants::token::{generate_keypair, TokenIssuer};

#[path = "../../../../tests/it/multipart.rs"]
mod multipart;

/// A platform served on a free port, with the databases it owns.
pub struct Served {
    pub url: String,
    pub issuer: TokenIssuer,
    pub db: TestDatabase,
    pub mongo: TestMongo,
    server: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Drop for Served {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Serves the platform with `extra` TOML settings. Rate limits are off unless
/// `extra` sets them: the load comes from one address.
pub async fn serve(extra: &str) -> anyhow::Result<Served> {
    let extra = if extra.contains("rate_limits") {
        extra.to_string()
    } else {
        format!("rate_limits = false\n{extra}")
    };
    // Payments through the test provider unless `extra` says otherwise.
    let extra = if extra.contains("test_payments") || extra.contains("stripe_connect_secret_key") {
        extra
    } else {
        format!("test_payments = true\n{extra}")
    };
    let db = TestDatabase::with_app_pool_size(4).await;
    let mongo = TestMongo::create();
    let (private, _) = generate_keypair()?;
    let issuer = TokenIssuer::from_private_pem(&private, "souk", "souk")?;
    let media = std::env::temp_dir().join(format!("souk-bench-media-{}", uuid::Uuid::new_v4()));
    let toml = format!(
        "database_url = '{}'\nmongodb_url = '{}'\nlisten_addr = '127.0.0.1:0'\nlog_format = 'pretty'\n\
         media_dir = '{}'\njwt_private_key = '''\n{}'''\n{extra}\n",
        db.app_url,
        mongo.url,
        media.display(),
        private.expose_secret()
    );
    let settings = Settings::extract(Figment::from(Toml::string(&toml)))?;
    let mongo_db = souk_gateway::app::mongo_database(&mongo.url).await?;
    souk_catalog::MongoCatalog::create_indexes(&mongo_db).await?;
    let app = Application::build(settings).await?;
    let url = format!("http://{}/graphql", app.local_addr()?);
    let server = tokio::spawn(app.run_until(std::future::pending()));
    Ok(Served {
        url,
        issuer,
        db,
        mongo,
        server,
    })
}

pub async fn post(
    client: &reqwest::Client,
    url: &str,
    token: Option<&str>,
    body: &serde_json::Value,
) -> anyhow::Result<serde_json::Value> {
    let mut request = client.post(url).json(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    Ok(request.send().await?.json().await?)
}

/// `clients` closed loops of `body` until `length` has passed; every latency.
/// Each answer must carry `data.<expect>` and no errors.
pub async fn load(
    url: &str,
    clients: usize,
    length: Duration,
    body: serde_json::Value,
    expect: &'static str,
) -> anyhow::Result<Vec<Duration>> {
    load_as(url, None, clients, length, body, expect).await
}

/// [`load`] with `token` on every request.
pub async fn load_as(
    url: &str,
    token: Option<&str>,
    clients: usize,
    length: Duration,
    body: serde_json::Value,
    expect: &'static str,
) -> anyhow::Result<Vec<Duration>> {
    let tally = tally(url, token, clients, length, body, expect).await?;
    if let Some(first) = tally.first_error {
        anyhow::bail!("{} failed answers, the first: {first}", tally.errors);
    }
    Ok(tally.latencies)
}

/// What closed loops saw: the latency of every good answer, and how many
/// answers failed (GraphQL errors, no `data.<expect>`, or no answer at all),
/// with the first failure; and how long they took, from the start until the last
/// answer after the deadline came back.
#[derive(Default)]
pub struct Tally {
    pub latencies: Vec<Duration>,
    pub elapsed: Duration,
    pub errors: usize,
    pub first_error: Option<String>,
}

/// `clients` closed loops of `body` (with `token`, if any) until `length` has
/// passed; a failed answer is counted and the loop goes on.
pub async fn tally(
    url: &str,
    token: Option<&str>,
    clients: usize,
    length: Duration,
    body: serde_json::Value,
    expect: &'static str,
) -> anyhow::Result<Tally> {
    let started = Instant::now();
    let deadline = started + length;
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let url = url.to_string();
        let body = body.clone();
        let token = token.map(str::to_string);
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut seen = Tally::default();
            while Instant::now() < deadline {
                let started = Instant::now();
                match post(&client, &url, token.as_deref(), &body).await {
                    Ok(answer) if answer_ok(&answer, expect) => {
                        seen.latencies.push(started.elapsed());
                    }
                    failed => {
                        seen.errors += 1;
                        let text = failed.map_or_else(|e| format!("{e:#}"), |a| a.to_string());
                        seen.first_error.get_or_insert(text);
                    }
                }
            }
            seen
        }));
    }
    let mut all = Tally::default();
    for task in tasks {
        let seen = task.await?;
        all.latencies.extend(seen.latencies);
        all.errors += seen.errors;
        if all.first_error.is_none() {
            all.first_error = seen.first_error;
        }
    }
    all.elapsed = started.elapsed();
    Ok(all)
}

/// Whether `answer` has `data.<expect>` and no GraphQL errors.
pub fn answer_ok(answer: &serde_json::Value, expect: &str) -> bool {
    let no_errors = answer["errors"].as_array().is_none_or(Vec::is_empty);
    no_errors && !answer["data"][expect].is_null()
}

/// Throughput and latency percentiles of one run.
pub struct Figures {
    pub per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

pub fn figures(mut latencies: Vec<Duration>, length: Duration) -> Figures {
    latencies.sort();
    let at = |p: f64| {
        let index = ((latencies.len().max(1) - 1) as f64 * p).round() as usize;
        latencies
            .get(index)
            .copied()
            .unwrap_or_default()
            .as_secs_f64()
            * 1000.0
    };
    Figures {
        per_second: latencies.len() as f64 / length.as_secs_f64(),
        p50_ms: at(0.5),
        p99_ms: at(0.99),
    }
}

/// `BENCH_SECONDS`, or `default`.
pub fn run_length(default: u64) -> Duration {
    Duration::from_secs(
        std::env::var("BENCH_SECONDS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(default),
    )
}

/// Registers an active vendor directly in the database and returns an owner
/// token for it.
pub async fn vendor(served: &Served, name: &str, slug: &str) -> anyhow::Result<String> {
    let tenant = souk_tenants::TenantId::generate();
    sqlx::query!(
        "INSERT INTO tenancy.tenants (id, name, slug, status, created_by) VALUES ($1, $2, $3, 'active', $1)",
        tenant.as_uuid(),
        name,
        slug,
    )
    .execute(&served.db.owner)
    .await?;
    Ok(served.issuer.issue(
        "bench",
        Some(tenant),
        souk_tenants::Role::Owner,
        std::time::Duration::from_secs(3600),
    )?)
}

/// Creates and publishes a product with one variant per `(sku, stock)`; its id.
pub async fn product(
    client: &reqwest::Client,
    served: &Served,
    token: &str,
    title: &str,
    price: i64,
    variants: &[(String, i64)],
) -> anyhow::Result<String> {
    let variants: Vec<_> = variants
        .iter()
        .map(|(sku, stock)| serde_json::json!({ "sku": sku, "initialStock": stock }))
        .collect();
    let created = post(
        client,
        &served.url,
        Some(token),
        &serde_json::json!({
            "query": "mutation($i: ProductInput!) { createProduct(input: $i) { id } }",
            "variables": { "i": { "title": title, "description": "A benchmark product",
                "price": { "amount": price, "currency": "EUR" }, "variants": variants } },
        }),
    )
    .await?;
    let id = created["data"]["createProduct"]["id"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| anyhow::anyhow!("{created}"))?;
    post(
        client,
        &served.url,
        Some(token),
        &serde_json::json!({
            "query": "mutation($id: ID!) { publishProduct(id: $id) { status } }",
            "variables": { "id": id },
        }),
    )
    .await?;
    Ok(id)
}

/// Uploads `png` as an image of `product` (a GraphQL multipart request).
pub async fn image(
    client: &reqwest::Client,
    served: &Served,
    token: &str,
    product: &str,
    png: &[u8],
) -> anyhow::Result<()> {
    let operations = serde_json::json!({
        "query": "mutation($p: ID!, $f: Upload!) { uploadProductImage(productId: $p, file: $f) { id } }",
        "variables": { "p": product },
    });
    let (content_type, body) = multipart::upload_request(&operations, png, "p.png", "image/png");
    let answer: serde_json::Value = client
        .post(&served.url)
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await?
        .json()
        .await?;
    if answer["data"]["uploadProductImage"]["id"].is_string() {
        Ok(())
    } else {
        Err(anyhow::anyhow!("upload refused: {answer}"))
    }
}
