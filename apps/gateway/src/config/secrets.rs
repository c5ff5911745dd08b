//! The settings' URLs and keys, each resolved from its own setting, a file or
//! another setting, so that secrets stay wrapped.

use secrecy::{ExposeSecret, SecretString};

use super::{ConfigError, Settings};

impl Settings {
    /// The app role's database URL; required by everything that talks to PostgreSQL.
    pub fn database_url(&self) -> Result<&str, ConfigError> {
        self.database_url
            .as_ref()
            .map(|url| url.expose_secret())
            .ok_or_else(|| ConfigError::missing("database_url"))
    }

    /// The MongoDB URL; required by everything that talks to MongoDB.
    pub fn mongodb_url(&self) -> Result<&str, ConfigError> {
        self.mongodb_url
            .as_ref()
            .map(|url| url.expose_secret())
            .ok_or_else(|| ConfigError::missing("mongodb_url"))
    }

    /// The migration role's URL (`migrate_database_url`, else `database_url`).
    pub fn migrate_database_url(&self) -> Result<&str, ConfigError> {
        match &self.migrate_database_url {
            Some(url) => Ok(url.expose_secret()),
            None => self.database_url(),
        }
    }

    /// The platform role's URL: `platform_database_url`, else `database_url` with
    /// the platform role's user name and without the app role's password.
    pub fn platform_database_url(&self) -> Result<SecretString, ConfigError> {
        if let Some(url) = &self.platform_database_url {
            return Ok(url.clone());
        }
        let mut url = url::Url::parse(self.database_url()?)
            .map_err(|_| ConfigError::invalid("database_url", "not a PostgreSQL URL"))?;
        url.set_username(souk_migrations::PLATFORM_ROLE)
            .and_then(|()| url.set_password(None))
            .map_err(|()| ConfigError::invalid("database_url", "not a PostgreSQL URL"))?;
        Ok(SecretString::from(url.to_string()))
    }

    /// The token verification key, PEM: inline, from its file, or derived from the
    /// private key.
    pub fn jwt_public_key_pem(&self) -> Result<Option<String>, ConfigError> {
        if let Some(pem) = &self.jwt_public_key {
            return Ok(Some(pem.clone()));
        }
        match &self.jwt_public_key_file {
            Some(path) => std::fs::read_to_string(path).map(Some).map_err(|err| {
                ConfigError::invalid(
                    "jwt_public_key_file",
                    format!("cannot read {}: {err}", path.display()),
                )
            }),
            None => Ok(None),
        }
    }

    /// The token signing key, PEM, if this process has one.
    pub fn jwt_private_key_pem(&self) -> Result<Option<SecretString>, ConfigError> {
        if let Some(pem) = &self.jwt_private_key {
            return Ok(Some(pem.clone()));
        }
        match &self.jwt_private_key_file {
            Some(path) => std::fs::read_to_string(path)
                .map(|pem| Some(SecretString::from(pem)))
                .map_err(|err| {
                    ConfigError::invalid(
                        "jwt_private_key_file",
                        format!("cannot read {}: {err}", path.display()),
                    )
                }),
            None => Ok(None),
        }
    }
}
