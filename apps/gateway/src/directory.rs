//! The identity service as tenancy's directory of people.

use std::sync::Arc;

use async_trait::async_trait;
use souk_identity::domain::{Email, UserId};
use souk_identity::Identity;
use souk_tenants::fault::Failure;
use souk_vendors::api::Directory;
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
