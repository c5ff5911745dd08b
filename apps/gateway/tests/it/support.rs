//! A gateway router built from settings like the binary's, driven in process.

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Request, StatusCode};
use axum::Router;
use figment::providers::{Format, Toml};
use figment::Figment;
use secrecy::ExposeSecret;
use serde_json::{json, Value};
use souk_gateway::{Application, Settings};
use souk_migrations::testing::{TestDatabase, TestMongo};
use souk_tenants::token::{generate_keypair, TokenIssuer};
use souk_tenants::{Role, TenantId};
use tower::ServiceExt;

/// PostgreSQL and MongoDB addresses nothing listens on.
const NOWHERE_PG: &str = "postgres://souk_app@127.0.0.1:1/souk";
const NOWHERE_MONGO: &str = "mongodb://127.0.0.1:1/souk?serverSelectionTimeoutMS=300";

/// The gateway's router, and what the test needs to talk to it.
pub struct Edge {
    pub router: Router,
    pub issuer: TokenIssuer,
    pub db: Option<TestDatabase>,
    _mongo: Option<TestMongo>,
}

/// One answer: status, headers and the body as text.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|err| panic!("{err}: {}", self.text))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// The `extensions.code` of the first error.
    pub fn code(&self) -> Option<String> {
        self.json()["errors"][0]["extensions"]["code"]
            .as_str()
            .map(str::to_string)
    }
}

fn settings(database_url: &str, mongodb_url: &str, extra: &str) -> (Settings, TokenIssuer) {
    let (private, _) = generate_keypair().expect("keys");
    let issuer = TokenIssuer::from_private_pem(&private, "souk", "souk").expect("issuer");
    let extra = if extra.contains("rate_limits") {
        extra.to_string()
    } else {
        format!("rate_limits = false\n{extra}")
    };
    let extra = if extra.contains("test_payments") {
        extra
    } else {
        format!("test_payments = true\n{extra}")
    };
    let toml = format!(
        "database_url = '{database_url}'\nmongodb_url = '{mongodb_url}'\n\
         listen_addr = '127.0.0.1:0'\nlog_format = 'pretty'\n\
         web_dir = '/nonexistent-souk-web'\n\
         jwt_private_key = '''\n{}'''\n{extra}\n",
        private.expose_secret()
    );
    let settings = Settings::extract(Figment::from(Toml::string(&toml))).expect("settings");
    (settings, issuer)
}

impl Edge {
    /// A gateway whose databases are unreachable (lazily connected, so it
    /// builds); enough for everything answered before a store is asked.
    pub async fn offline(extra: &str) -> Self {
        Self::offline_at(NOWHERE_PG, extra).await
    }

    /// A gateway on an unreachable PostgreSQL at `database_url`.
    pub async fn offline_at(database_url: &str, extra: &str) -> Self {
        let (settings, issuer) = settings(database_url, NOWHERE_MONGO, extra);
        let router = Application::router(settings).await.expect("router");
        Self {
            router,
            issuer,
            db: None,
            _mongo: None,
        }
    }

    /// A gateway on a fresh migrated database and MongoDB database.
    pub async fn online(extra: &str) -> Self {
        let db = TestDatabase::create().await;
        let mongo = TestMongo::create();
        let (settings, issuer) = settings(&db.app_url, &mongo.url, extra);
        let router = Application::router(settings).await.expect("router");
        Self {
            router,
            issuer,
            db: Some(db),
            _mongo: Some(mongo),
        }
    }

    pub fn db(&self) -> &TestDatabase {
        self.db.as_ref().expect("an online edge")
    }

    pub fn token(&self, role: Role, tenant: Option<TenantId>) -> String {
        self.issuer
            .issue("user-1", tenant, role, Duration::from_secs(600))
            .expect("token")
    }

    /// Registers a vendor with `status` directly in the database.
    pub async fn tenant(&self, status: &str) -> TenantId {
        let tenant = TenantId::generate();
        sqlx::query(
            "INSERT INTO tenancy.tenants (id, name, slug, status, created_by)
             VALUES ($1, 'Edge vendor', $2, $3, $1)",
        )
        .bind(tenant.as_uuid())
        .bind(format!("edge-{}", tenant.as_uuid().simple()))
        .bind(status)
        .execute(&self.db().owner)
        .await
        .expect("insert tenant");
        tenant
    }

    /// Sends one request through a clone of the router, as from `peer`.
    pub async fn send_from(&self, peer: SocketAddr, mut request: Request<Body>) -> Reply {
        request.extensions_mut().insert(ConnectInfo(peer));
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body");
        Reply {
            status,
            headers,
            text: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    pub async fn send(&self, request: Request<Body>) -> Reply {
        self.send_from(peer(1), request).await
    }

    /// Posts `{query, variables}` with an optional bearer token.
    pub async fn gql(&self, token: Option<&str>, query: &str) -> Reply {
        self.send(gql_request(token, query)).await
    }
}

/// A client address `10.0.0.n`.
pub fn peer(n: u8) -> SocketAddr {
    SocketAddr::from(([10, 0, 0, n], 40000))
}

pub fn gql_request(token: Option<&str>, query: &str) -> Request<Body> {
    let body = json!({ "query": query }).to_string();
    let mut builder = Request::post("/graphql").header("content-type", "application/json");
    if let Some(token) = token {
        builder = builder.header("authorization", format!("Bearer {token}"));
    }
    builder.body(Body::from(body)).expect("request")
}

pub fn get(path: &str) -> Request<Body> {
    Request::get(path).body(Body::empty()).expect("request")
}
