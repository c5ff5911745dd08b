//! Identity's types, rules and errors. No I/O here.

mod address;
mod errors;
mod values;

pub use address::{Address, AddressId, AddressInput, RawAddress};
pub use errors::{AddressError, IdentityError, InternalError, LoginError, RegisterError};
pub use values::{Email, InvalidValue, Password, PersonName, Phone, UserId};

use chrono::{DateTime, Utc};

/// An account as the service sees it (never with its password hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub email: Email,
    pub first_name: String,
    pub last_name: String,
    pub phone: Option<String>,
    pub platform_admin: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What a new account needs.
#[derive(Debug)]
pub struct Registration {
    pub email: Email,
    pub password: Password,
    pub first_name: PersonName,
    pub last_name: PersonName,
    pub phone: Option<Phone>,
}

/// A profile change; `None` leaves a field as it is.
#[derive(Debug, Default)]
pub struct ProfileChange {
    pub first_name: Option<PersonName>,
    pub last_name: Option<PersonName>,
    /// `Some(None)` clears the phone number.
    pub phone: Option<Option<Phone>>,
}

/// Which emails a person wants beyond the ones every order sends (placed,
/// refunded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotificationPreferences {
    /// Paid, shipped, delivered, cancelled and expired emails about their orders.
    pub order_updates: bool,
    /// A "new order" email for each order of a vendor they own or manage.
    pub new_orders: bool,
}

impl Default for NotificationPreferences {
    fn default() -> Self {
        Self {
            order_updates: true,
            new_orders: false,
        }
    }
}

/// A change of preferences; `None` leaves a choice as it is.
#[derive(Debug, Clone, Copy, Default)]
pub struct PreferencesChange {
    pub order_updates: Option<bool>,
    pub new_orders: Option<bool>,
}

/// A signed-in session: a short-lived access token and a rotating refresh token.
#[derive(Debug, Clone)]
pub struct Session {
    pub access_token: String,
    pub access_expires_at: DateTime<Utc>,
    pub refresh_token: String,
    pub refresh_expires_at: DateTime<Utc>,
    pub user: User,
}
