use std::sync::Arc;

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, Object, Result, ID};
use souk_edge::{
    client_ip, cursor, page_size, person, platform_admin, service, throttle, trim_page, ApiError,
    Bucket,
};
use uuid::Uuid;

use super::errors::invalid;
use super::objects::{
    AddressInputView, AddressView, AuthPayload, PreferencesView, RegisterInput, UserView,
};
use crate::domain::{
    AddressId, AddressInput, Email, Password, PersonName, Phone, PreferencesChange, ProfileChange,
    RawAddress, Registration, UserId,
};
use crate::Identity;

fn identity<'a>(ctx: &'a Context<'_>) -> Result<&'a Arc<dyn Identity>, ApiError> {
    service::<dyn Identity>(ctx)
}

fn me(ctx: &Context<'_>) -> Result<UserId, ApiError> {
    person(ctx).map(|(id, _)| UserId(id))
}

fn address_fields(input: &AddressInputView) -> Result<AddressInput, ApiError> {
    AddressInput::parse(RawAddress {
        label: input.label.as_deref(),
        recipient: &input.recipient,
        line1: &input.line1,
        line2: input.line2.as_deref(),
        city: &input.city,
        region: input.region.as_deref(),
        postal_code: &input.postal_code,
        country: &input.country,
        phone: input.phone.as_deref(),
    })
    .map_err(|e| ApiError::new("INVALID_ADDRESS", e.0))
}

fn address_id(raw: &str) -> Result<AddressId, ApiError> {
    AddressId::parse(raw).map_err(|_| ApiError::new("NOT_FOUND", "no such address"))
}

#[derive(Debug, Default)]
pub struct IdentityQuery;

#[Object]
impl IdentityQuery {
    /// The signed-in person's account.
    async fn me(&self, ctx: &Context<'_>) -> Result<UserView> {
        let id = me(ctx)?;
        let user = identity(ctx)?
            .user(id)
            .await
            .map_err(ApiError::from)?
            .ok_or_else(|| ApiError::new("NOT_FOUND", "the account no longer exists"))?;
        Ok(UserView(user))
    }

    /// Which emails the signed-in person gets.
    async fn notification_preferences(&self, ctx: &Context<'_>) -> Result<PreferencesView> {
        let id = me(ctx)?;
        let chosen = identity(ctx)?
            .notification_preferences(&[id])
            .await
            .map_err(ApiError::from)?;
        Ok(chosen.into_iter().next().unwrap_or_default().into())
    }

    /// The signed-in person's addresses, oldest first.
    async fn addresses(&self, ctx: &Context<'_>) -> Result<Vec<AddressView>> {
        let id = me(ctx)?;
        let addresses = identity(ctx)?.addresses(id).await.map_err(ApiError::from)?;
        Ok(addresses.into_iter().map(AddressView).collect())
    }

    async fn address(&self, ctx: &Context<'_>, id: ID) -> Result<AddressView> {
        let user = me(ctx)?;
        let address = identity(ctx)?
            .address(user, address_id(&id)?)
            .await
            .map_err(ApiError::from)?;
        Ok(AddressView(address))
    }

    /// Whether an account uses this email address: a yes or no and nothing else.
    /// Rate limited per client address, in one budget with every other answer
    /// that tells whether an email has an account (`register`, `addVendorMember`).
    async fn account_exists(&self, ctx: &Context<'_>, email: String) -> Result<bool> {
        throttle(ctx, Bucket::LookupPerIp, &client_ip(ctx)).await?;
        let email = Email::parse(&email).map_err(invalid("INVALID_EMAIL", "email"))?;
        Ok(identity(ctx)?
            .account_exists(&email)
            .await
            .map_err(ApiError::from)?)
    }

    /// Platform admins: accounts, oldest first.
    async fn users(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Matches email or name, literally, ignoring case.")] search: Option<
            String,
        >,
        #[graphql(desc = "Page size, 1 to 100 (default 20).")] first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, UserView>> {
        platform_admin(ctx)?;
        let limit = page_size(first, 20)?;
        let after = cursor::decode(after)?;
        let search = search.as_deref().map(str::trim).filter(|s| !s.is_empty());
        if search.is_some_and(|s| s.chars().count() > 100) {
            return Err(ApiError::invalid_argument("search", "at most 100 characters").into());
        }
        let users = identity(ctx)?
            .users(search, after, limit + 1)
            .await
            .map_err(ApiError::from)?;
        let (users, has_next) = trim_page(users, limit);
        let mut connection = Connection::new(after.is_some(), has_next);
        connection.edges.extend(
            users
                .into_iter()
                .map(|user| Edge::new(cursor::encode(user.created_at, user.id.0), UserView(user))),
        );
        Ok(connection)
    }
}

#[derive(Debug, Default)]
pub struct IdentityMutation;

#[Object]
impl IdentityMutation {
    /// Creates a customer account. `EMAIL_TAKEN` tells whether an email has an
    /// account, so attempts share `accountExists`'s per-address budget.
    async fn register(&self, ctx: &Context<'_>, input: RegisterInput) -> Result<UserView> {
        throttle(ctx, Bucket::LookupPerIp, &client_ip(ctx)).await?;
        let email = Email::parse(&input.email).map_err(invalid("INVALID_EMAIL", "email"))?;
        let registration = Registration {
            password: Password::parse(&input.password, &email)
                .map_err(invalid("WEAK_PASSWORD", "password"))?,
            email,
            first_name: PersonName::parse(&input.first_name)
                .map_err(invalid("INVALID_ARGUMENT", "firstName"))?,
            last_name: PersonName::parse(&input.last_name)
                .map_err(invalid("INVALID_ARGUMENT", "lastName"))?,
            phone: input
                .phone
                .as_deref()
                .filter(|p| !p.trim().is_empty())
                .map(Phone::parse)
                .transpose()
                .map_err(invalid("INVALID_ARGUMENT", "phone"))?,
        };
        let user = identity(ctx)?
            .register(registration)
            .await
            .map_err(ApiError::from)?;
        Ok(UserView(user))
    }

    /// Signs in: a 15-minute access token and a 30-day refresh token. Attempts are
    /// rate limited per client address and per account.
    async fn login(
        &self,
        ctx: &Context<'_>,
        email: String,
        password: String,
    ) -> Result<AuthPayload> {
        throttle(ctx, Bucket::LoginPerIp, &client_ip(ctx)).await?;
        throttle(
            ctx,
            Bucket::LoginPerAccount,
            &email.trim().to_ascii_lowercase(),
        )
        .await?;
        let session = identity(ctx)?
            .login(&email, &password)
            .await
            .map_err(ApiError::from)?;
        Ok(session.into())
    }

    /// Exchanges a refresh token for new tokens; the old one stops working.
    /// Presenting a used refresh token again ends the whole session.
    async fn refresh_token(&self, ctx: &Context<'_>, refresh_token: String) -> Result<AuthPayload> {
        let session = identity(ctx)?
            .refresh(&refresh_token)
            .await
            .map_err(ApiError::from)?;
        Ok(session.into())
    }

    /// Ends the session the refresh token belongs to.
    async fn logout(&self, ctx: &Context<'_>, refresh_token: String) -> Result<bool> {
        identity(ctx)?
            .logout(&refresh_token)
            .await
            .map_err(ApiError::from)?;
        Ok(true)
    }

    /// Changes the signed-in person's name or phone; omitted fields stay as they
    /// are, an empty phone clears it.
    async fn update_profile(
        &self,
        ctx: &Context<'_>,
        first_name: Option<String>,
        last_name: Option<String>,
        phone: Option<String>,
    ) -> Result<UserView> {
        let id = me(ctx)?;
        let change = ProfileChange {
            first_name: first_name
                .as_deref()
                .map(PersonName::parse)
                .transpose()
                .map_err(invalid("INVALID_ARGUMENT", "firstName"))?,
            last_name: last_name
                .as_deref()
                .map(PersonName::parse)
                .transpose()
                .map_err(invalid("INVALID_ARGUMENT", "lastName"))?,
            phone: phone
                .as_deref()
                .map(|p| {
                    if p.trim().is_empty() {
                        Ok(None)
                    } else {
                        Phone::parse(p).map(Some)
                    }
                })
                .transpose()
                .map_err(invalid("INVALID_ARGUMENT", "phone"))?,
        };
        let user = identity(ctx)?
            .update_profile(id, change)
            .await
            .map_err(ApiError::from)?;
        Ok(UserView(user))
    }

    /// Switches the signed-in person's optional emails on or off; omitted
    /// choices stay as they are. Emails that every order sends (placed,
    /// refunded) cannot be switched off.
    async fn update_notification_preferences(
        &self,
        ctx: &Context<'_>,
        order_updates: Option<bool>,
        new_orders: Option<bool>,
    ) -> Result<PreferencesView> {
        let id = me(ctx)?;
        let chosen = identity(ctx)?
            .update_notification_preferences(
                id,
                PreferencesChange {
                    order_updates,
                    new_orders,
                },
            )
            .await
            .map_err(ApiError::from)?;
        Ok(chosen.into())
    }

    /// Changes the password and signs out every other session.
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        current_password: String,
        new_password: String,
    ) -> Result<bool> {
        let (id, principal) = person(ctx)?;
        let keep = principal
            .session
            .as_deref()
            .and_then(|s| Uuid::parse_str(s).ok());
        identity(ctx)?
            .change_password(UserId(id), keep, &current_password, &new_password)
            .await
            .map_err(ApiError::from)?;
        Ok(true)
    }

    /// Adds an address; the first one becomes the default.
    async fn add_address(&self, ctx: &Context<'_>, input: AddressInputView) -> Result<AddressView> {
        let user = me(ctx)?;
        let fields = address_fields(&input)?;
        let address = identity(ctx)?
            .add_address(user, fields)
            .await
            .map_err(ApiError::from)?;
        Ok(AddressView(address))
    }

    async fn update_address(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: AddressInputView,
    ) -> Result<AddressView> {
        let user = me(ctx)?;
        let fields = address_fields(&input)?;
        let address = identity(ctx)?
            .update_address(user, address_id(&id)?, fields)
            .await
            .map_err(ApiError::from)?;
        Ok(AddressView(address))
    }

    /// Deletes an address; if it was the default, the newest remaining one becomes
    /// the default.
    async fn delete_address(&self, ctx: &Context<'_>, id: ID) -> Result<bool> {
        let user = me(ctx)?;
        identity(ctx)?
            .delete_address(user, address_id(&id)?)
            .await
            .map_err(ApiError::from)?;
        Ok(true)
    }

    async fn set_default_address(&self, ctx: &Context<'_>, id: ID) -> Result<AddressView> {
        let user = me(ctx)?;
        let address = identity(ctx)?
            .set_default_address(user, address_id(&id)?)
            .await
            .map_err(ApiError::from)?;
        Ok(AddressView(address))
    }
}
