use std::sync::Arc;

use souk_identity::domain::{
    AddressInput, Email, Password, PersonName, RawAddress, Registration, User,
};
use souk_identity::hashing::PasswordHasher;
use souk_identity::service::TokenLifetimes;
use souk_identity::{Identity, PgIdentity};
use souk_migrations::testing::TestDatabase;
use souk_tenants::token::{generate_keypair, TokenIssuer};

pub const PASSWORD: &str = "correct horse battery staple";

pub struct Fixture {
    pub db: TestDatabase,
    pub identity: PgIdentity,
    pub issuer: Arc<TokenIssuer>,
}

impl Fixture {
    pub async fn new() -> Self {
        let db = TestDatabase::create().await;
        let (private, _) = generate_keypair().expect("keys");
        let issuer =
            Arc::new(TokenIssuer::from_private_pem(&private, "souk", "souk").expect("issuer"));
        let identity = PgIdentity::new(
            db.app.clone(),
            PasswordHasher::new(2),
            Some(issuer.clone()),
            TokenLifetimes::default(),
        )
        .with_platform(db.platform.clone());
        Self {
            db,
            identity,
            issuer,
        }
    }

    pub async fn user(&self, email: &str) -> User {
        self.identity
            .register(registration(email, PASSWORD))
            .await
            .expect("register")
    }

    /// The session id inside an access token.
    pub fn session_of(&self, access_token: &str) -> uuid::Uuid {
        let principal = self
            .issuer
            .verifier()
            .verify(access_token)
            .expect("a valid access token");
        uuid::Uuid::parse_str(&principal.session.expect("a session")).expect("a session id")
    }
}

pub fn email(raw: &str) -> Email {
    Email::parse(raw).expect("email")
}

pub fn registration(raw_email: &str, password: &str) -> Registration {
    let email = email(raw_email);
    Registration {
        password: Password::parse(password, &email).expect("password"),
        email,
        first_name: PersonName::parse("Ada").expect("name"),
        last_name: PersonName::parse("Lovelace").expect("name"),
        phone: None,
    }
}

pub fn address(line1: &str) -> AddressInput {
    AddressInput::parse(RawAddress {
        recipient: "Ada Lovelace",
        line1,
        city: "London",
        postal_code: "NW1 6XE",
        country: "gb",
        ..RawAddress::default()
    })
    .expect("address")
}
