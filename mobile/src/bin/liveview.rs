//! The field app served to a browser over a websocket (Dioxus liveview), on 127.0.0.1 only:
//! development on any machine, and the browser end-to-end tests. One process is one device
//! (one engine and database); every browser tab connected to it shows the same device.
//!
//! `mandoob-liveview [--port N] [--db PATH]` (port 0 picks a free one; the chosen address is
//! printed as `listening on http://…`).

use std::net::SocketAddr;

use axum::Router;
use axum::extract::ws::WebSocketUpgrade;
use axum::response::Html;
use axum::routing::get;
use dioxus::prelude::*;
use dioxus_liveview::{LiveViewPool, axum_socket, interpreter_glue};
use mandoob_engine::handle::{EngineHandle, Location};
use mandoob_mobile::backend::Backend;
use mandoob_mobile::platform::Renderer;
use mandoob_mobile::ui::App;

fn page() -> Html<String> {
    Html(format!(
        r#"<!DOCTYPE html>
<html lang="ar" dir="rtl"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>مندوب</title></head>
<body><div id="main"></div>{}</body></html>"#,
        interpreter_glue("/ws")
    ))
}

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let port: u16 = arg("--port").and_then(|p| p.parse().ok()).unwrap_or(8090);
    let db = arg("--db")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(mandoob_mobile::default_database);
    let (engine, _thread) = EngineHandle::start(Location::File(db.clone()))
        .map_err(|e| format!("cannot open the device database {}: {e}", db.display()))?;
    let backend = Backend::new(engine)
        .await
        .map_err(|e| format!("cannot start: {e}"))?;
    let pool = LiveViewPool::new();
    let app = Router::new().route("/", get(|| async { page() })).route(
        "/ws",
        get(move |ws: WebSocketUpgrade| {
            let pool = pool.clone();
            let backend = backend.clone();
            async move {
                ws.on_upgrade(move |socket| async move {
                    let _ = pool
                        .launch_virtualdom(axum_socket(socket), move || {
                            VirtualDom::new(App)
                                .with_root_context(backend)
                                .with_root_context(Renderer::Liveview)
                        })
                        .await;
                })
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port)))
        .await
        .map_err(|e| format!("cannot listen on port {port}: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    println!("listening on http://{addr}");
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(|e| e.to_string())?;
    Ok(())
}
