//! `souk healthcheck`, for container health checks.

use std::time::Duration;

/// GET /healthz over plain HTTP/1.0; success is a 200 status line.
pub(super) async fn healthcheck(addr: Option<std::net::SocketAddr>) -> anyhow::Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = match addr {
        Some(addr) => addr,
        None => {
            let port = std::env::var("SOUK_LISTEN_ADDR")
                .ok()
                .and_then(|a| a.parse::<std::net::SocketAddr>().ok())
                .map_or(8080, |a| a.port());
            std::net::SocketAddr::from(([127, 0, 0, 1], port))
        }
    };
    let check = async {
        let mut stream = tokio::net::TcpStream::connect(addr).await?;
        stream
            .write_all(b"GET /healthz HTTP/1.0\r\nHost: localhost\r\n\r\n")
            .await?;
        let mut head = [0_u8; 16];
        let read = stream.read(&mut head).await?;
        Ok::<bool, std::io::Error>(
            head[..read].starts_with(b"HTTP/1.0 200") || head[..read].starts_with(b"HTTP/1.1 200"),
        )
    };
    match tokio::time::timeout(Duration::from_secs(3), check).await {
        Ok(Ok(true)) => Ok(()),
        Ok(Ok(false)) => anyhow::bail!("{addr}/healthz did not answer 200"),
        Ok(Err(err)) => anyhow::bail!("cannot reach {addr}: {err}"),
        Err(_) => anyhow::bail!("{addr}/healthz did not answer within 3 seconds"),
    }
}
