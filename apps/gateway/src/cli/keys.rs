//! `souk keygen` and `souk dev-token`: the token signing keys, and a token
//! minted with them.

use std::time::Duration;

use anyhow::Context as _;
use secrecy::ExposeSecret;
use souk_tenants::{Role, TenantId};

use crate::app::issuer;
use crate::config::Settings;

/// Writes a new Ed25519 key pair into `out` (the private key readable by its
/// owner only).
pub(super) fn keygen(out: &std::path::Path) -> anyhow::Result<()> {
    let (private, public) = souk_tenants::token::generate_keypair()?;
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let private_path = out.join("jwt-private.pem");
    write_private(&private_path, private.expose_secret())?;
    std::fs::write(out.join("jwt-public.pem"), public)?;
    println!("wrote {} and jwt-public.pem", private_path.display());
    Ok(())
}

#[cfg(unix)]
fn write_private(path: &std::path::Path, contents: &str) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    file.write_all(contents.as_bytes())?;
    Ok(())
}

#[cfg(not(unix))]
fn write_private(path: &std::path::Path, contents: &str) -> anyhow::Result<()> {
    std::fs::write(path, contents).with_context(|| format!("cannot write {}", path.display()))
}

/// Prints an access token for `subject`, signed with the configured private key.
pub(super) fn dev_token(
    settings: &Settings,
    role: Role,
    tenant: Option<&str>,
    subject: &str,
    minutes: u64,
) -> anyhow::Result<()> {
    let issuer = issuer(settings)?.context(
        "dev-token signs with the private key: set SOUK_JWT_PRIVATE_KEY or SOUK_JWT_PRIVATE_KEY_FILE",
    )?;
    let tenant = tenant
        .map(TenantId::parse)
        .transpose()
        .context("--tenant must be a UUID")?;
    if role.is_vendor() && tenant.is_none() {
        anyhow::bail!("vendor roles act in a tenant: pass --tenant");
    }
    let token = issuer.issue(subject, tenant, role, Duration::from_secs(minutes * 60))?;
    println!("{token}");
    Ok(())
}
