//! The identity service as tenancy's directory of people.

use std::sync::Arc;

use async_trait::async_trait;
use souk_identity::domain::{Email, UserId};
use souk_identity::Identity;
use souk_tenants::fault::Failure;
use souk_tenants::vendors::api::Directory;
use uuid::Uuid;

#[derive(Debug)]
pub struct IdentityDirectory(pub Arc<dyn Identity>);

#[async_trait]
impl Directory for IdentityDirectory {
    async fn user_id_by_email(&self, email: &str) -> Result<Option<Uuid>, Failure> {
        let Ok(email) = Email::parse(email) else {
            return Ok(None);
        };
        let user = self
            .0
            .user_by_email(&email)
            .await
            .map_err(|e| Failure::of(&e))?;
        Ok(user.map(|user| user.id.0))
    }

    async fn email_of(&self, user: Uuid) -> Result<Option<String>, Failure> {
        let user = self
            .0
            .user(UserId(user))
            .await
            .map_err(|e| Failure::of(&e))?;
        Ok(user.map(|user| user.email.as_str().to_string()))
    }
}

/// The services as the worker's low-stock email sees them.
#[derive(Debug)]
pub struct ServiceRecipients {
    pub identity: Arc<dyn Identity>,
    pub tenancy: Arc<dyn souk_tenants::vendors::service::Tenancy>,
    /// Absent when the worker has no MongoDB: emails then name the SKU only.
    pub catalog: Option<Arc<dyn souk_catalog::Catalog>>,
}

#[async_trait]
impl souk_worker::notify::Recipients for ServiceRecipients {
    async fn owner_emails(&self, tenant: Uuid) -> Result<Vec<String>, String> {
        let owners = self
            .tenancy
            .owners(souk_tenants::TenantId::from_uuid(tenant))
            .await
            .map_err(|e| e.to_string())?;
        let mut emails = Vec::with_capacity(owners.len());
        for owner in owners {
            let user = self
                .identity
                .user(UserId(owner))
                .await
                .map_err(|e| e.to_string())?;
            if let Some(user) = user {
                emails.push(user.email.as_str().to_string());
            }
        }
        Ok(emails)
    }

    async fn vendor_name(&self, tenant: Uuid) -> Result<String, String> {
        let vendor = self
            .tenancy
            .vendor(souk_tenants::TenantId::from_uuid(tenant))
            .await
            .map_err(|e| e.to_string())?;
        Ok(vendor.map_or_else(|| "your store".to_string(), |v| v.name))
    }

    async fn product_title(&self, tenant: Uuid, sku: &str) -> Result<Option<String>, String> {
        let Some(catalog) = &self.catalog else {
            return Ok(None);
        };
        let product = catalog
            .product_by_sku(souk_tenants::TenantId::from_uuid(tenant), sku)
            .await
            .map_err(|e| e.to_string())?;
        Ok(product.map(|p| p.title))
    }
}
