//! A vendor's API keys, for its integrations: listing, creating and revoking them.

use async_graphql::{Context, Object, Result, SimpleObject, ID};
use chrono::{DateTime, Utc};

use super::{parse_id, tenancy, RoleView};
use crate::service::ApiKey;
use crate::VendorName;
use souk_edge::{vendor, ApiError};
use souk_tenants::Role;

/// An API key, as listed (never its secret).
#[derive(Debug)]
pub struct ApiKeyView(ApiKey);

#[Object(name = "ApiKey")]
impl ApiKeyView {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// The start of the key, to tell keys apart.
    async fn prefix(&self) -> &str {
        &self.0.prefix
    }
    async fn role(&self) -> RoleView {
        RoleView::of(crate::vendor_role(&self.0.role).unwrap_or(Role::Staff))
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn last_used_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_used_at
    }
    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at
    }
}

/// A new API key with its secret, shown this once.
#[derive(Debug, SimpleObject)]
pub struct CreatedApiKey {
    pub key: ApiKeyView,
    /// Send as `Authorization: Bearer <secret>`. Stored only as a hash: copy it now.
    pub secret: String,
}

#[derive(Debug, Default)]
pub struct ApiKeysQuery;

#[Object]
impl ApiKeysQuery {
    /// The API keys of the caller's vendor (owners and managers).
    async fn api_keys(&self, ctx: &Context<'_>) -> Result<Vec<ApiKeyView>> {
        let actor = vendor(ctx)?;
        let keys = tenancy(ctx)?.keys(&actor).await.map_err(ApiError::from)?;
        Ok(keys.into_iter().map(ApiKeyView).collect())
    }
}

#[derive(Debug, Default)]
pub struct ApiKeysMutation;

#[Object]
impl ApiKeysMutation {
    /// Owners and managers: a key for an integration, with a role no higher than
    /// the caller's. The secret is shown once.
    async fn create_api_key(
        &self,
        ctx: &Context<'_>,
        name: String,
        role: RoleView,
    ) -> Result<CreatedApiKey> {
        let actor = vendor(ctx)?;
        let name = VendorName::parse(&name)
            .map_err(|_| ApiError::invalid_argument("name", "1 to 100 characters"))?;
        let (key, secret) = tenancy(ctx)?
            .create_key(&actor, name.as_str(), role.into())
            .await
            .map_err(ApiError::from)?;
        Ok(CreatedApiKey {
            key: ApiKeyView(key),
            secret,
        })
    }

    /// Owners and managers: revokes a key; it stops working at once.
    async fn revoke_api_key(&self, ctx: &Context<'_>, id: ID) -> Result<ApiKeyView> {
        let actor = vendor(ctx)?;
        let id = parse_id(&id, "id")?;
        let key = tenancy(ctx)?
            .revoke_key(&actor, id)
            .await
            .map_err(ApiError::from)?;
        Ok(ApiKeyView(key))
    }
}
