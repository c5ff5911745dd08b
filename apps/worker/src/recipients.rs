//! The services as the worker's emails see them: the vendor's members and name
//! from tenancy, people's addresses and choices from identity, product titles
//! from the catalog, orders from the orders' store, each through its service's
//! boundary.

use std::sync::Arc;

use async_trait::async_trait;
use souk_identity::domain::UserId;
use souk_identity::Identity;
use souk_tenants::{Role, TenantId};
use uuid::Uuid;

use crate::notify::Recipients;
use crate::order_mail::{Directory, Person};

/// The services as the worker's emails see them.
#[derive(Debug)]
pub struct ServiceRecipients {
    pub identity: Arc<dyn Identity>,
    pub tenancy: Arc<dyn souk_vendors::service::Tenancy>,
    /// Absent when the worker has no MongoDB: low-stock emails then name the
    /// SKU only, and no order emails are sent.
    pub catalog: Option<Arc<dyn souk_catalog::Catalog>>,
    /// The orders' database, read across tenants.
    pub orders: Option<mongodb::Database>,
}

impl ServiceRecipients {
    fn orders(&self) -> Result<&mongodb::Database, String> {
        self.orders
            .as_ref()
            .ok_or_else(|| "order emails need SOUK_MONGODB_URL".to_string())
    }
}

#[async_trait]
impl Directory for ServiceRecipients {
    async fn person(&self, user: Uuid) -> Result<Option<Person>, String> {
        let Some(found) = self
            .identity
            .user(UserId(user))
            .await
            .map_err(|e| e.to_string())?
        else {
            return Ok(None);
        };
        let preferences = self
            .identity
            .notification_preferences(&[UserId(user)])
            .await
            .map_err(|e| e.to_string())?
            .into_iter()
            .next()
            .unwrap_or_default();
        let name = match found.first_name.trim() {
            "" => "there".to_string(),
            first => first.to_string(),
        };
        Ok(Some(Person {
            email: found.email.as_str().to_string(),
            name,
            preferences,
        }))
    }

    async fn vendor_name(&self, tenant: Uuid) -> Result<String, String> {
        Recipients::vendor_name(self, tenant).await
    }

    async fn new_order_recipients(&self, tenant: Uuid) -> Result<Vec<String>, String> {
        let team: Vec<UserId> = self
            .tenancy
            .team(TenantId::from_uuid(tenant))
            .await
            .map_err(|e| e.to_string())?
            .into_iter()
            .filter(|m| matches!(m.role, Role::Owner | Role::Manager))
            .map(|m| UserId(m.user))
            .collect();
        let choices = self
            .identity
            .notification_preferences(&team)
            .await
            .map_err(|e| e.to_string())?;
        let mut emails = Vec::new();
        for (member, choice) in team.into_iter().zip(choices) {
            if !choice.new_orders {
                continue;
            }
            if let Some(user) = self
                .identity
                .user(member)
                .await
                .map_err(|e| e.to_string())?
            {
                emails.push(user.email.as_str().to_string());
            }
        }
        Ok(emails)
    }

    async fn checkout(
        &self,
        customer: &str,
        checkout: &str,
    ) -> Result<souk_orders::mail::Checkout, String> {
        souk_orders::mail::checkout(self.orders()?, customer, checkout)
            .await
            .map_err(|e| e.to_string())
    }

    async fn order(
        &self,
        tenant: Uuid,
        id: &str,
    ) -> Result<Option<souk_orders::domain::Order>, String> {
        souk_orders::mail::order(self.orders()?, tenant, id)
            .await
            .map_err(|e| e.to_string())
    }
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
