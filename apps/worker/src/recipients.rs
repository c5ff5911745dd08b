//! The services as the low-stock emails see them: the vendor's owners and name
//! from tenancy, their addresses from identity, product titles from the catalog,
//! each through its service's boundary.

use std::sync::Arc;

use async_trait::async_trait;
use souk_identity::domain::UserId;
use souk_identity::Identity;
use souk_tenants::TenantId;
use uuid::Uuid;

use crate::notify::Recipients;

/// The services as the worker's low-stock email sees them.
#[derive(Debug)]
pub struct ServiceRecipients {
    pub identity: Arc<dyn Identity>,
    pub tenancy: Arc<dyn souk_vendors::service::Tenancy>,
    /// Absent when the worker has no MongoDB: emails then name the SKU only.
    pub catalog: Option<Arc<dyn souk_catalog::Catalog>>,
}

#[async_trait]
impl Recipients for ServiceRecipients {
    async fn owner_emails(&self, tenant: Uuid) -> Result<Vec<String>, String> {
        let owners = self
            .tenancy
            .owners(TenantId::from_uuid(tenant))
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
            .vendor(TenantId::from_uuid(tenant))
            .await
            .map_err(|e| e.to_string())?;
        Ok(vendor.map_or_else(|| "your store".to_string(), |v| v.name))
    }

    async fn product_title(&self, tenant: Uuid, sku: &str) -> Result<Option<String>, String> {
        let Some(catalog) = &self.catalog else {
            return Ok(None);
        };
        let product = catalog
            .product_by_sku(TenantId::from_uuid(tenant), sku)
            .await
            .map_err(|e| e.to_string())?;
        Ok(product.map(|p| p.title))
    }
}
