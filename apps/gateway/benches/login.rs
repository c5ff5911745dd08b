//! Sign-in throughput, and whether hashing starves other requests.
//!
//! Serves the gateway on a free port against fresh local databases, then over
//! HTTP: logins/s (with p50 and p99) at 1 and 16 concurrent clients, and the p99
//! of a cheap query alone and while 16 clients keep the password hasher busy.
//!
//! `scripts/bench` runs it (`BENCH_SECONDS` per run, default 5).

mod support;

use serde_json::json;

use support::{figures, load, post, run_length, serve};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let length = run_length(5);
    let served =
        serve("logins_per_minute_per_ip = 100000000\nlogins_per_minute_per_account = 100000000")
            .await?;
    let client = reqwest::Client::new();
    post(&client, &served.url, None, &json!({
        "query": "mutation($i: RegisterInput!) { register(input: $i) { id } }",
        "variables": { "i": { "email": "bench@example.com", "password": "a long benchmark passphrase", "firstName": "Bench", "lastName": "Mark" } },
    }))
    .await?;
    let login = json!({
        "query": "mutation { login(email: \"bench@example.com\", password: \"a long benchmark passphrase\") { accessToken } }",
    });
    let cheap = json!({ "query": "{ __typename }" });
    println!(
        "sign-in over HTTP, argon2id m=19 MiB t=2 p=1, {} s per run, {} cores\n",
        length.as_secs(),
        std::thread::available_parallelism().map_or(0, usize::from)
    );
    for clients in [1, 16] {
        let f = figures(
            load(&served.url, clients, length, login.clone(), "login").await?,
            length,
        );
        println!(
            "logins, {clients:>2} clients: {:>7.1}/s   p50 {:>7.1} ms   p99 {:>7.1} ms",
            f.per_second, f.p50_ms, f.p99_ms
        );
    }
    let alone = figures(
        load(&served.url, 1, length, cheap.clone(), "__typename").await?,
        length,
    );
    let busy_logins = tokio::spawn({
        let url = served.url.clone();
        async move { load(&url, 16, length, login, "login").await }
    });
    let busy = figures(
        load(&served.url, 1, length, cheap, "__typename").await?,
        length,
    );
    let during = figures(busy_logins.await??, length);
    println!(
        "cheap query alone:                   p50 {:>7.2} ms   p99 {:>7.2} ms",
        alone.p50_ms, alone.p99_ms
    );
    println!(
        "cheap query during 16-client logins: p50 {:>7.2} ms   p99 {:>7.2} ms   (logins meanwhile {:.1}/s)",
        busy.p50_ms, busy.p99_ms, during.per_second
    );
    Ok(())
}
