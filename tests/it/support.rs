use std::net::SocketAddr;
use std::time::Duration;

use figment::providers::{Format, Toml};
use figment::Figment;
use reqwest::StatusCode;
use secrecy::ExposeSecret;
use serde_json::{json, Value};
use souk_gateway::{Application, Settings};
use souk_migrations::testing::{TestDatabase, TestMongo};
use souk_tenants::token::{generate_keypair, TokenIssuer};
use souk_tenants::{Role, TenantId};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A running platform on its own database.
pub struct TestApp {
    pub addr: SocketAddr,
    pub db: TestDatabase,
    pub mongo: TestMongo,
    pub issuer: TokenIssuer,
    pub client: reqwest::Client,
    /// The signing key, for replicas that accept the same tokens.
    key: String,
    shutdown: Option<oneshot::Sender<()>>,
    served: Option<JoinHandle<anyhow::Result<()>>>,
}

/// Another gateway on a [`TestApp`]'s databases, accepting its tokens; it stops
/// when dropped.
pub struct Replica {
    pub addr: SocketAddr,
    _shutdown: oneshot::Sender<()>,
}

impl Replica {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

/// `extra` with rate limits off unless it sets them (the tests of other
/// behaviour send faster than the free plan allows).
fn with_limits(extra: &str) -> String {
    if extra.contains("rate_limits") {
        extra.to_string()
    } else {
        format!("rate_limits = false\n{extra}")
    }
}

/// Serves `app` until the sender is used or dropped.
fn serve(app: Application) -> (oneshot::Sender<()>, JoinHandle<anyhow::Result<()>>) {
    let (tx, rx) = oneshot::channel();
    let served = tokio::spawn(app.run_until(async move {
        let _ = rx.await;
    }));
    (tx, served)
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with("").await
    }

    /// Spawns with extra TOML settings (e.g. `graphql_max_depth = 3`).
    pub async fn spawn_with(extra: &str) -> Self {
        let db = TestDatabase::create().await;
        Self::spawn_on(db, extra).await
    }

    /// Rate limits are off unless `extra` sets `rate_limits`.
    pub async fn spawn_on(db: TestDatabase, extra: &str) -> Self {
        let url = db.app_url.clone();
        Self::spawn_at(db, &url, extra).await
    }

    /// Spawns on `db`, the app reaching PostgreSQL at `database_url` (a proxy).
    pub async fn spawn_at(db: TestDatabase, database_url: &str, extra: &str) -> Self {
        let mongo = TestMongo::create();
        let (private, _) = generate_keypair().expect("keys");
        let issuer = TokenIssuer::from_private_pem(&private, "souk", "souk").expect("issuer");
        let key = private.expose_secret().to_string();
        let settings = signed_settings(
            database_url,
            &format!("mongodb_url = '{}'\n{}", mongo.url, with_limits(extra)),
            &key,
        );
        let database = souk_gateway::app::mongo_database(&mongo.url)
            .await
            .expect("mongo");
        souk_catalog::MongoCatalog::create_indexes(&database)
            .await
            .expect("indexes");
        souk_orders::create_indexes(&database)
            .await
            .expect("indexes");
        let app = Application::build(settings).await.expect("build");
        let addr = app.local_addr().expect("addr");
        let (tx, served) = serve(app);
        Self {
            addr,
            db,
            mongo,
            issuer,
            client: reqwest::Client::new(),
            key,
            shutdown: Some(tx),
            served: Some(served),
        }
    }

    /// A second gateway on the same databases, with the same signing key and
    /// `extra` settings.
    pub async fn replica(&self, extra: &str) -> Replica {
        let settings = signed_settings(
            &self.db.app_url,
            &format!("mongodb_url = '{}'\n{}", self.mongo.url, with_limits(extra)),
            &self.key,
        );
        let app = Application::build(settings).await.expect("build");
        let addr = app.local_addr().expect("addr");
        let (tx, _served) = serve(app);
        Replica {
            addr,
            _shutdown: tx,
        }
    }

    /// The platform role's pool on this app's database.
    pub fn platform(&self) -> souk_tenants::PlatformPool {
        souk_tenants::PlatformPool::new(self.db.platform.clone())
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn token(&self, role: Role, tenant: Option<TenantId>) -> String {
        self.issuer
            .issue("user-1", tenant, role, Duration::from_secs(600))
            .expect("token")
    }

    /// Registers an active vendor directly in the database.
    pub async fn create_tenant(&self) -> TenantId {
        let tenant = TenantId::generate();
        sqlx::query(
            "INSERT INTO tenancy.tenants (id, name, slug, status, created_by)
             VALUES ($1, 'Test vendor', $2, 'active', $1)",
        )
        .bind(tenant.as_uuid())
        .bind(format!("test-{}", tenant.as_uuid().simple()))
        .execute(&self.db.owner)
        .await
        .expect("insert tenant");
        tenant
    }

    /// Makes `user` a member of `tenant` directly in the database (API keys act
    /// only while their creator is a member).
    pub async fn add_member(&self, tenant: TenantId, user: uuid::Uuid, role: Role) {
        sqlx::query(
            "INSERT INTO tenancy.memberships (tenant_id, user_id, role) VALUES ($1, $2, $3)",
        )
        .bind(tenant.as_uuid())
        .bind(user)
        .bind(role.as_str())
        .execute(&self.db.owner)
        .await
        .expect("insert membership");
    }

    /// An owner token for a new active vendor.
    pub async fn new_vendor(&self) -> String {
        let tenant = self.create_tenant().await;
        self.token(Role::Owner, Some(tenant))
    }

    /// Posts a GraphQL request; returns the HTTP status and the JSON body.
    pub async fn gql(
        &self,
        token: Option<&str>,
        query: &str,
        variables: Value,
    ) -> (StatusCode, Value) {
        post_gql(&self.client, &self.url("/graphql"), token, query, variables).await
    }

    /// Starts a graceful shutdown without waiting for it.
    pub fn begin_shutdown(&mut self) -> JoinHandle<anyhow::Result<()>> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.served.take().expect("still serving")
    }
}

/// Creates the product `input` (a `ProductInput`) as the vendor and publishes
/// it; its id.
pub async fn published_product(app: &TestApp, token: &str, input: Value) -> String {
    let (_, body) = app
        .gql(
            Some(token),
            "mutation($i: ProductInput!) { createProduct(input: $i) { id } }",
            json!({ "i": input }),
        )
        .await;
    let id = body["data"]["createProduct"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_string();
    let (_, body) = app
        .gql(
            Some(token),
            "mutation($id: ID!) { publishProduct(id: $id) { status } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(body["data"]["publishProduct"]["status"], "ACTIVE", "{body}");
    id
}

/// Posts a GraphQL request to `url`; the HTTP status and the JSON body.
pub async fn post_gql(
    client: &reqwest::Client,
    url: &str,
    token: Option<&str>,
    query: &str,
    variables: Value,
) -> (StatusCode, Value) {
    let mut request = client
        .post(url)
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("send");
    let status = response.status();
    (status, response.json().await.expect("json body"))
}

/// The `extensions.code` of the first error, if any.
pub fn code(body: &Value) -> Option<&str> {
    body["errors"][0]["extensions"]["code"].as_str()
}

/// Creates a stock item through the API.
pub async fn stock(app: &TestApp, token: &str, sku: &str, on_hand: i64) {
    let (_, body) = app
        .gql(
            Some(token),
            "mutation($sku: String!, $n: Int!) { createStockItem(sku: $sku, onHand: $n) { sku } }",
            json!({ "sku": sku, "n": on_hand }),
        )
        .await;
    assert_eq!(body["data"]["createStockItem"]["sku"], sku, "{body}");
}

/// How many ledger rows every tenant has together (read as the owner role).
pub async fn ledger_rows(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM inventory.ledger")
        .fetch_one(&app.db.owner)
        .await
        .expect("count")
}

/// Settings for a test app on `database_url`, with a fresh signing key, plus
/// `extra` TOML lines; and the issuer of tokens the app accepts.
pub fn settings(database_url: &str, extra: &str) -> (Settings, TokenIssuer) {
    let (private, _) = generate_keypair().expect("keys");
    let issuer = TokenIssuer::from_private_pem(&private, "souk", "souk").expect("issuer");
    let settings = signed_settings(database_url, extra, private.expose_secret());
    (settings, issuer)
}

/// Settings for a test app on `database_url` that signs with `private_pem`.
fn signed_settings(database_url: &str, extra: &str, private_pem: &str) -> Settings {
    // A quick expiry sweep unless the test sets its own interval.
    let sweep = if extra.contains("reservation_expiry_interval_ms") {
        ""
    } else {
        "reservation_expiry_interval_ms = 200\n"
    };
    // Payments through the test provider unless `extra` says otherwise.
    let payments = if extra.contains("test_payments") || extra.contains("stripe_connect_secret_key")
    {
        ""
    } else {
        "test_payments = true\n"
    };
    // Images in a folder of the test's own.
    let media = if extra.contains("media_dir") {
        String::new()
    } else {
        let dir = std::env::temp_dir().join(format!("souk-media-{}", uuid::Uuid::new_v4()));
        format!("media_dir = '{}'\n", dir.display())
    };
    let toml = format!(
        "database_url = '{database_url}'\nlisten_addr = '127.0.0.1:0'\nlog_format = 'pretty'\n\
         {sweep}{payments}{media}shutdown_timeout_secs = 10\n\
         jwt_private_key = '''\n{private_pem}'''\n{extra}\n"
    );
    Settings::extract(Figment::from(Toml::string(&toml))).expect("settings")
}
