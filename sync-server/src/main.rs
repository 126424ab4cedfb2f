//! `mandoob-sync-server [--config FILE]`: runs the HQ server until Ctrl-C or SIGTERM.

use std::path::PathBuf;

use anyhow::Context;
use mandoob_sync_server::{Settings, bind, serve};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new("info,tower_http=info")),
        )
        .init();

    let mut args = std::env::args().skip(1);
    let mut config: Option<PathBuf> = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--config" => config = Some(args.next().context("--config needs a file")?.into()),
            "--help" | "-h" => {
                println!(
                    "usage: mandoob-sync-server [--config FILE]\n\nSettings: defaults, then FILE (TOML), then MANDOOB_BIND and MANDOOB_DATA_DIR."
                );
                return Ok(());
            }
            other => anyhow::bail!("unknown argument {other:?} (try --help)"),
        }
    }
    let settings = Settings::load(config.as_deref(), |k| std::env::var(k).ok())?;
    std::fs::create_dir_all(&settings.data_dir)
        .with_context(|| format!("creating data directory {}", settings.data_dir.display()))?;
    let (listener, addr) = bind(&settings)
        .await
        .with_context(|| format!("binding {}", settings.bind))?;
    tracing::info!(%addr, data_dir = %settings.data_dir.display(), "mandoob sync server listening");
    serve(listener, shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
