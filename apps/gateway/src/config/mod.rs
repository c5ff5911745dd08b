//! Settings: defaults, then an optional TOML file (`--config` or `SOUK_CONFIG`),
//! then `SOUK_*` environment variables. Secrets are wrapped so that neither logs
//! nor `Debug` output can show them.

use std::path::{Path, PathBuf};

use figment::providers::{Env, Format, Toml};
use figment::Figment;
use serde::Deserialize;

pub use settings::Settings;

mod checks;
mod defaults;
mod secrets;
mod settings;

/// A setting that is missing or invalid, named as the operator sets it.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("missing setting {env} (set the environment variable, or `{key}` in the config file)")]
    Missing { env: String, key: String },
    #[error("invalid setting {env}: {reason}")]
    Invalid { env: String, reason: String },
}

impl ConfigError {
    pub fn missing(key: &str) -> Self {
        Self::Missing {
            env: env_name(key),
            key: key.to_string(),
        }
    }

    pub fn invalid(key: &str, reason: impl std::fmt::Display) -> Self {
        Self::Invalid {
            env: env_name(key),
            reason: reason.to_string(),
        }
    }
}

fn env_name(key: &str) -> String {
    format!("SOUK_{}", key.to_ascii_uppercase())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Json,
    Pretty,
}

impl Settings {
    /// Loads settings from the optional file and the environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let file = file
            .map(Path::to_path_buf)
            .or_else(|| std::env::var_os("SOUK_CONFIG").map(PathBuf::from));
        let mut figment = Figment::new();
        if let Some(file) = file {
            if !file.is_file() {
                return Err(ConfigError::invalid(
                    "config",
                    format!("no config file at {}", file.display()),
                ));
            }
            figment = figment.merge(Toml::file(file));
        }
        Self::extract(figment.merge(Env::prefixed("SOUK_")))
    }

    /// Settings from `figment` alone (tests build them from a map).
    pub fn extract(figment: Figment) -> Result<Self, ConfigError> {
        let settings: Settings = figment.extract().map_err(|err| {
            let key = err.path.join("_");
            match &err.kind {
                figment::error::Kind::MissingField(field) => ConfigError::missing(field),
                kind => ConfigError::invalid(&key, kind),
            }
        })?;
        settings.check()?;
        Ok(settings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    fn from_toml(toml: &str) -> Result<Settings, ConfigError> {
        Settings::extract(Figment::from(Toml::string(toml)))
    }

    #[test]
    fn defaults_apply_and_secrets_do_not_print() {
        let settings = from_toml(r#"database_url = "postgres://app:hunter2@db/souk""#)
            .expect("valid settings");
        assert_eq!(settings.listen_addr, defaults::listen_addr());
        assert_eq!(settings.graphql_max_depth, 16);
        let debug = format!("{settings:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
    }

    #[test]
    fn an_invalid_setting_is_named() {
        let err = from_toml(r#"listen_addr = "not an address""#).expect_err("invalid");
        assert!(err.to_string().contains("SOUK_LISTEN_ADDR"), "{err}");
        let err = from_toml("graphql_max_depth = 0").expect_err("invalid");
        assert!(err.to_string().contains("SOUK_GRAPHQL_MAX_DEPTH"), "{err}");
    }

    #[test]
    fn the_platform_url_defaults_to_the_app_url_as_the_platform_role() {
        let settings = from_toml(
            r#"database_url = "postgres://souk_app:hunter2@db:5432/souk?sslmode=prefer""#,
        )
        .expect("valid settings");
        let url = settings.platform_database_url().expect("derived");
        assert_eq!(
            url.expose_secret(),
            "postgres://souk_platform_job@db:5432/souk?sslmode=prefer"
        );
        let settings = from_toml(
            "database_url = 'postgres://souk_app@db/souk'\n\
             platform_database_url = 'postgres://jobs:s3cret@db/souk'",
        )
        .expect("valid settings");
        let url = settings.platform_database_url().expect("explicit");
        assert_eq!(url.expose_secret(), "postgres://jobs:s3cret@db/souk");
        assert_eq!(settings.platform_db_max_connections, 5);
    }

    #[test]
    fn redis_settings_default_to_one_process_and_hide_the_url() {
        let settings = from_toml("").expect("valid");
        assert!(settings.redis_url.is_none());
        assert_eq!((settings.replicas, settings.redis_timeout_ms), (1, 100));
        let settings =
            from_toml("redis_url = 'redis://:hunter2@redis:6379'\nreplicas = 3").expect("valid");
        assert!(!format!("{settings:?}").contains("hunter2"));
        let err = from_toml("replicas = 0").expect_err("invalid");
        assert!(err.to_string().contains("SOUK_REPLICAS"), "{err}");
        let err = from_toml(&format!("redis_prefix = '{}'", "p".repeat(65))).expect_err("long");
        assert!(err.to_string().contains("SOUK_REDIS_PREFIX"), "{err}");
    }

    #[test]
    fn a_missing_database_url_is_named() {
        let settings = from_toml("").expect("valid without a database");
        let err = settings.database_url().expect_err("missing");
        assert!(err.to_string().contains("SOUK_DATABASE_URL"), "{err}");
    }
}
