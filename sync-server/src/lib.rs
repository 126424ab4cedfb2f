//! Mandoob's headquarters server, as a library: the binary (`main.rs`) only reads settings,
//! sets up logging and calls [`serve`]. Tests start it on port 0 with their own shutdown
//! signal and data directory.
//!
//! Layers, from the outside in (an adapter never imports another adapter):
//! - adapters: [`api`] (the device API: sign-in, sync, photos, library), [`console`] (the HQ
//!   console, server-rendered pages) and the command line (`main.rs`, with [`admin`]'s demo
//!   data);
//! - [`service`]: what the adapters call, holding the rules (storing a push under the case's
//!   lock, accounts, the library, the SLA policy, the audit log) over [`state::AppState`];
//! - pure checks: [`push`] (a pushed change against the schema, the history rules and
//!   [`authz`], what each role may change in a case); access rules themselves are
//!   `mandoob_shared::access`;
//! - [`storage`]: the storage trait and its embedded SQLite backend, with [`report`], the
//!   rows it keeps beside each case for the console;
//! - [`auth`]: argon2id passwords, hashed tokens; [`sign_in_limits`]: how often passwords may
//!   be tried; [`headers`]: the security headers of every answer.

pub mod admin;
pub mod api;
pub mod auth;
pub mod authz;
pub mod console;
pub mod first_start;
#[doc(hidden)]
pub mod fuzzing;
pub mod headers;
pub mod push;
pub mod report;
pub mod service;
pub mod settings;
pub mod sign_in_limits;
pub mod state;
pub mod storage;
pub mod tls;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use tokio::net::TcpListener;
use tower_http::compression::Predicate;
use tower_http::compression::predicate::{DefaultPredicate, NotForContentType};
use tower_http::trace::TraceLayer;

pub use settings::Settings;
pub use state::AppState;
use storage::Storage;

/// What `GET /healthz` answers.
#[derive(Debug, Serialize)]
pub struct Health {
    pub status: &'static str,
    pub version: &'static str,
    pub schema_version: u64,
    pub sync_protocol: u32,
}

async fn healthz() -> Json<Health> {
    Json(Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
        schema_version: mandoob_shared::SCHEMA_VERSION,
        sync_protocol: mandoob_shared::sync::PROTOCOL_VERSION,
    })
}

/// The state for `storage` with `settings`' limits.
pub fn state(storage: Arc<dyn Storage>, settings: &Settings) -> AppState {
    AppState::new(storage, settings)
}

/// The HTTP routes.
pub fn app(state: AppState, settings: &Settings) -> Router {
    Router::new()
        .merge(console::routes(state.clone()))
        .merge(api::routes())
        .route("/healthz", get(healthz))
        // The web build of the field app (issue 7): static files; `.wasm` is served as
        // `application/wasm` so browsers compile it while it downloads (issue 17: from its
        // precompressed copy).
        .nest_service(
            "/app",
            tower_http::services::ServeDir::new(&settings.web_dir)
                .append_index_html_on_directories(true)
                // The build's brotli and gzip copies (web/precompress.mjs), sent as they
                // are to browsers that accept them.
                .precompressed_br()
                .precompressed_gzip(),
        )
        // `/app` without its slash would load the page with every relative URL wrong.
        .layer(axum::middleware::from_fn(app_slash))
        // Security headers on every answer (inside compression: it reads the app's pages).
        .layer(axum::middleware::from_fn(headers::security_headers))
        .layer(DefaultBodyLimit::max(settings.max_body_bytes))
        .layer(tower_http::decompression::RequestDecompressionLayer::new())
        // Sync bodies carry automerge data, which is already compressed: gzip would cost CPU
        // on both ends for almost nothing. JSON and the console's pages are compressed.
        .layer(
            tower_http::compression::CompressionLayer::new().compress_when(
                DefaultPredicate::new()
                    .and(NotForContentType::const_new("application/x-mandoob-sync")),
            ),
        )
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

async fn app_slash(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    if request.uri().path() == "/app" {
        return axum::response::Redirect::permanent("/app/").into_response();
    }
    next.run(request).await
}

/// Opens the storage named by `settings` (the embedded SQLite database in the data directory).
pub fn open_storage(settings: &Settings) -> Result<Arc<dyn Storage>, storage::StorageError> {
    Ok(Arc::new(storage::sqlite::SqliteStorage::open(
        &settings.data_dir,
    )?))
}

/// Serves on `listener` until `shutdown` completes, then finishes the requests in flight.
pub async fn serve(
    listener: TcpListener,
    settings: Settings,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let storage = open_storage(&settings)?;
    let router = app(state(storage, &settings), &settings);
    // HTTPS beside plain HTTP when configured; one shutdown stops both.
    let secure = match (&settings.tls_bind, &settings.tls_cert, &settings.tls_key) {
        (Some(addr), Some(cert), Some(key)) => {
            let listener = TcpListener::bind(addr).await?;
            Some((listener.into_std()?, tls::config(cert, key).await?))
        }
        _ => None,
    };
    let handle = axum_server::Handle::new();
    let (stop_plain, plain_stopped) = tokio::sync::oneshot::channel::<()>();
    let stopping = handle.clone();
    tokio::spawn(async move {
        shutdown.await;
        stopping.graceful_shutdown(Some(std::time::Duration::from_secs(10)));
        let _ = stop_plain.send(());
    });
    // The client's address reaches the handlers (the sign-in limits count per address).
    let plain = axum::serve(
        listener,
        router
            .clone()
            .into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = plain_stopped.await;
    })
    .into_future();
    let Some((listener, config)) = secure else {
        plain.await?;
        return Ok(());
    };
    // Requests that came over this server's own HTTPS are marked as such, as a reverse proxy
    // would, so the console's cookies are `Secure` there.
    let router = router.layer(axum::middleware::map_request(
        |mut request: axum::extract::Request| async move {
            request.headers_mut().insert(
                "x-forwarded-proto",
                axum::http::HeaderValue::from_static("https"),
            );
            request
        },
    ));
    let secure = axum_server::from_tcp_rustls(listener, config)
        .handle(handle)
        .serve(router.into_make_service_with_connect_info::<SocketAddr>());
    // If either side fails, the server stops (a half-working server would go unnoticed).
    tokio::try_join!(plain, secure)?;
    Ok(())
}

/// Binds the address in `settings`.
pub async fn bind(settings: &Settings) -> std::io::Result<(TcpListener, SocketAddr)> {
    let listener = TcpListener::bind(settings.bind).await?;
    let addr = listener.local_addr()?;
    Ok((listener, addr))
}
