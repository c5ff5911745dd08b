use async_graphql::{InputObject, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};

use crate::domain::{Address, NotificationPreferences, Session, User};

/// A person's account.
#[derive(Debug)]
pub struct UserView(pub User);

#[Object(name = "User")]
impl UserView {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn email(&self) -> &str {
        self.0.email.as_str()
    }
    async fn first_name(&self) -> &str {
        &self.0.first_name
    }
    async fn last_name(&self) -> &str {
        &self.0.last_name
    }
    async fn phone(&self) -> Option<&str> {
        self.0.phone.as_deref()
    }
    async fn platform_admin(&self) -> bool {
        self.0.platform_admin
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// Which emails the signed-in person gets beyond the ones every order sends
/// (placed and refunded always go).
#[derive(Debug, SimpleObject)]
#[graphql(name = "NotificationPreferences")]
pub struct PreferencesView {
    /// Emails when an order is paid, shipped, delivered, cancelled or expires
    /// (default on).
    pub order_updates: bool,
    /// A "new order" email for each order of a vendor the person owns or
    /// manages (default off).
    pub new_orders: bool,
}

impl From<NotificationPreferences> for PreferencesView {
    fn from(p: NotificationPreferences) -> Self {
        Self {
            order_updates: p.order_updates,
            new_orders: p.new_orders,
        }
    }
}

/// What signing in (or refreshing) returns.
#[derive(Debug, SimpleObject)]
pub struct AuthPayload {
    /// Send as `Authorization: Bearer <accessToken>`.
    pub access_token: String,
    pub access_token_expires_at: DateTime<Utc>,
    /// Exchange for new tokens with `refreshToken`; each one works once.
    pub refresh_token: String,
    pub refresh_token_expires_at: DateTime<Utc>,
    pub user: UserView,
}

impl From<Session> for AuthPayload {
    fn from(session: Session) -> Self {
        Self {
            access_token: session.access_token,
            access_token_expires_at: session.access_expires_at,
            refresh_token: session.refresh_token,
            refresh_token_expires_at: session.refresh_expires_at,
            user: UserView(session.user),
        }
    }
}

#[derive(Debug, InputObject)]
pub struct RegisterInput {
    pub email: String,
    pub password: String,
    pub first_name: String,
    pub last_name: String,
    pub phone: Option<String>,
}

#[derive(Debug, InputObject)]
pub struct AddressInputView {
    pub label: Option<String>,
    pub recipient: String,
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub region: Option<String>,
    pub postal_code: String,
    /// ISO 3166-1 alpha-2, such as DE or US.
    pub country: String,
    pub phone: Option<String>,
}

#[derive(Debug)]
pub struct AddressView(pub Address);

#[Object(name = "Address")]
impl AddressView {
    async fn id(&self) -> ID {
        ID(self.0.id.0.to_string())
    }
    async fn label(&self) -> Option<&str> {
        self.0.fields.label.as_deref()
    }
    async fn recipient(&self) -> &str {
        &self.0.fields.recipient
    }
    async fn line1(&self) -> &str {
        &self.0.fields.line1
    }
    async fn line2(&self) -> Option<&str> {
        self.0.fields.line2.as_deref()
    }
    async fn city(&self) -> &str {
        &self.0.fields.city
    }
    async fn region(&self) -> Option<&str> {
        self.0.fields.region.as_deref()
    }
    async fn postal_code(&self) -> &str {
        &self.0.fields.postal_code
    }
    async fn country(&self) -> &str {
        &self.0.fields.country
    }
    async fn phone(&self) -> Option<&str> {
        self.0.fields.phone.as_deref()
    }
    async fn is_default(&self) -> bool {
        self.0.is_default
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}
