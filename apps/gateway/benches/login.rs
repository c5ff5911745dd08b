//! Sign-in throughput, and whether hashing starves other requests.
//!
//! Serves the gateway on a free port against a fresh local database, then over
//! HTTP: logins/s (with p50 and p99) at 1 and 16 concurrent clients, and the p99
//! of a cheap query alone and while 16 clients keep the password hasher busy.
//!
//! `cargo bench -p souk-gateway --bench login` (`BENCH_SECONDS` per run, default 5).

use std::time::{Duration, Instant};

use figment::providers::{Format, Toml};
use figment::Figment;
use secrecy::ExposeSecret;
use serde_json::json;
use souk_gateway::{Application, Settings};
use souk_migrations::testing::{TestDatabase, TestMongo};
use souk_tenants::token::generate_keypair;

const EMAIL: &str = "bench@example.com";
const PASSWORD: &str = "a long benchmark passphrase";

struct Figures {
    per_second: f64,
    p50: Duration,
    p99: Duration,
}

fn figures(mut latencies: Vec<Duration>, length: Duration) -> Figures {
    latencies.sort();
    let at = |p: f64| {
        let index = ((latencies.len().max(1) - 1) as f64 * p).round() as usize;
        latencies.get(index).copied().unwrap_or_default()
    };
    Figures {
        per_second: latencies.len() as f64 / length.as_secs_f64(),
        p50: at(0.5),
        p99: at(0.99),
    }
}

async fn post(
    client: &reqwest::Client,
    url: &str,
    body: &serde_json::Value,
) -> anyhow::Result<serde_json::Value> {
    Ok(client.post(url).json(body).send().await?.json().await?)
}

/// `clients` loops of `request` until `length` has passed; every latency.
async fn load(
    url: &str,
    clients: usize,
    length: Duration,
    body: serde_json::Value,
    expect: &'static str,
) -> anyhow::Result<Vec<Duration>> {
    let deadline = Instant::now() + length;
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let url = url.to_string();
        let body = body.clone();
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                let started = Instant::now();
                let answer = post(&client, &url, &body).await?;
                anyhow::ensure!(
                    answer["data"][expect].is_object() || answer["data"][expect].is_string(),
                    "{answer}"
                );
                latencies.push(started.elapsed());
            }
            Ok::<_, anyhow::Error>(latencies)
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await??);
    }
    Ok(all)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let seconds: u64 = std::env::var("BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let length = Duration::from_secs(seconds);
    let db = TestDatabase::create().await;
    let mongo = TestMongo::create();
    let (private, _) = generate_keypair()?;
    let toml = format!(
        "database_url = '{}'\nmongodb_url = '{}'\nlisten_addr = '127.0.0.1:0'\nlog_format = 'pretty'\n\
         logins_per_minute_per_ip = 100000000\nlogins_per_minute_per_account = 100000000\n\
         jwt_private_key = '''\n{}'''\n",
        db.app_url,
        mongo.url,
        private.expose_secret()
    );
    let settings = Settings::extract(Figment::from(Toml::string(&toml)))?;
    let app = Application::build(settings).await?;
    let url = format!("http://{}/graphql", app.local_addr()?);
    let server = tokio::spawn(app.run_until(std::future::pending()));

    let client = reqwest::Client::new();
    post(&client, &url, &json!({
        "query": "mutation($i: RegisterInput!) { register(input: $i) { id } }",
        "variables": { "i": { "email": EMAIL, "password": PASSWORD, "firstName": "Bench", "lastName": "Mark" } },
    }))
    .await?;
    let login = json!({
        "query": "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }",
        "variables": { "e": EMAIL, "p": PASSWORD },
    });
    let cheap = json!({ "query": "{ __typename }" });

    println!(
        "sign-in over HTTP, argon2id m=19 MiB t=2 p=1, {seconds} s per run, {} cores\n",
        std::thread::available_parallelism().map_or(0, usize::from)
    );
    for clients in [1, 16] {
        let f = figures(
            load(&url, clients, length, login.clone(), "login").await?,
            length,
        );
        println!(
            "logins, {clients:>2} clients: {:>7.1}/s   p50 {:>7.1} ms   p99 {:>7.1} ms",
            f.per_second,
            f.p50.as_secs_f64() * 1000.0,
            f.p99.as_secs_f64() * 1000.0
        );
    }
    let alone = figures(
        load(&url, 1, length, cheap.clone(), "__typename").await?,
        length,
    );
    let busy_logins = tokio::spawn({
        let url = url.clone();
        let login = login.clone();
        async move { load(&url, 16, length, login, "login").await }
    });
    let busy = figures(load(&url, 1, length, cheap, "__typename").await?, length);
    let during = figures(busy_logins.await??, length);
    println!(
        "cheap query alone:                 p50 {:>7.2} ms   p99 {:>7.2} ms",
        alone.p50.as_secs_f64() * 1000.0,
        alone.p99.as_secs_f64() * 1000.0
    );
    println!(
        "cheap query during 16-client logins: p50 {:>7.2} ms   p99 {:>7.2} ms   (logins meanwhile {:.1}/s)",
        busy.p50.as_secs_f64() * 1000.0,
        busy.p99.as_secs_f64() * 1000.0,
        during.per_second
    );
    server.abort();
    Ok(())
}
