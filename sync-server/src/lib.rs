//! Mandoob's headquarters server, as a library: the binary (`main.rs`) only reads settings,
//! sets up logging and calls [`serve`]. Tests start it on port 0 with their own shutdown
//! signal.
//!
//! This is the server's skeleton: settings, `GET /healthz`, request logging and graceful
//! shutdown. Sync, blobs, accounts and the HQ console are added as their own modules.

pub mod settings;

use std::future::Future;
use std::net::SocketAddr;

use axum::{Json, Router, routing::get};
use serde::Serialize;
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;

pub use settings::Settings;

/// What `GET /healthz` answers.
#[derive(Debug, Serialize)]
pub struct Health {
    pub status: &'static str,
    pub version: &'static str,
    pub schema_version: u64,
}

async fn healthz() -> Json<Health> {
    Json(Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
        schema_version: mandoob_shared::SCHEMA_VERSION,
    })
}

/// The HTTP routes.
pub fn app() -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .layer(TraceLayer::new_for_http())
}

/// Serves on `listener` until `shutdown` completes, then finishes the requests in flight.
pub async fn serve(
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app())
        .with_graceful_shutdown(shutdown)
        .await
}

/// Binds the address in `settings`.
pub async fn bind(settings: &Settings) -> std::io::Result<(TcpListener, SocketAddr)> {
    let listener = TcpListener::bind(settings.bind).await?;
    let addr = listener.local_addr()?;
    Ok((listener, addr))
}
