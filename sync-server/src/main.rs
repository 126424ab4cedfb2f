//! `mandoob-sync-server [--config FILE] [serve]`: runs the HQ server until Ctrl-C or SIGTERM.
//! `mandoob-sync-server [--config FILE] admin …`: administration (see `--help`).

use std::io::BufRead;
use std::path::PathBuf;

use anyhow::Context;
use mandoob_shared::ids::BranchCode;
use mandoob_shared::workflow::Role;
use mandoob_sync_server::first_start;
use mandoob_sync_server::service::audit::By;
use mandoob_sync_server::service::{accounts, passwords};
use mandoob_sync_server::{Settings, admin, bind, open_storage, serve};
use tracing_subscriber::EnvFilter;

const HELP: &str = "usage: mandoob-sync-server [--config FILE] [COMMAND]

commands:
  serve                                   run the server (the default)
  admin create-branch CODE NAME
  admin create-user ID NAME ROLE BRANCH   password from MANDOOB_PASSWORD or the first line of stdin;
                                          ROLE: representative, social-researcher, committee, administrator
  admin revoke-device CODE
  admin reset-password ID                 a new password (MANDOOB_PASSWORD or stdin), to be changed
                                          at the next sign-in; lifts a sign-in lock
  admin set-role ID ROLE
  admin unlock-user ID                    an account locked after too many failed sign-ins
  admin seed-demo [CASES]                 DEMO ONLY (.ci/start, tests): branch QRN, users rep1,
                                          research1, committee1, admin with the public password
                                          mandoob-demo, and CASES sample cases (default 20)

The first `serve` with no administrator asks for one on the terminal (or refuses to start).
  admin make-certificate NAME...          HTTPS for phones on a network without a domain: a local
                                          authority (DATA_DIR/tls/authority.pem, to install on each
                                          phone) and a certificate for these host names and addresses

settings: defaults, then FILE (TOML), then MANDOOB_BIND, MANDOOB_DATA_DIR, MANDOOB_WEB_DIR, and
for HTTPS beside HTTP all three of MANDOOB_TLS_BIND, MANDOOB_TLS_CERT and MANDOOB_TLS_KEY;
MANDOOB_TRUSTED_PROXIES (addresses, comma-separated, whose X-Forwarded-For is believed) and
MANDOOB_SIGN_IN_HASHES (password checks at once; default the number of processors).";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new("info,tower_http=info")),
        )
        .init();

    let mut config: Option<PathBuf> = None;
    let mut rest = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--config" => config = Some(args.next().context("--config needs a file")?.into()),
            "--help" | "-h" => {
                println!("{HELP}");
                return Ok(());
            }
            _ => rest.push(arg),
        }
    }
    let settings = Settings::load(config.as_deref(), |k| std::env::var(k).ok())?;
    let words: Vec<&str> = rest.iter().map(String::as_str).collect();
    match words.as_slice() {
        [] | ["serve"] => run(settings).await,
        ["admin", command @ ..] => admin_command(&settings, command).await,
        _ => anyhow::bail!("unknown command {rest:?}\n\n{HELP}"),
    }
}

async fn run(settings: Settings) -> anyhow::Result<()> {
    mandoob_sync_server::storage::sqlite::files::secure_data_dir(&settings.data_dir)
        .with_context(|| format!("creating data directory {}", settings.data_dir.display()))?;
    {
        let storage = open_storage(&settings)?;
        if !first_start::has_administrator(storage.as_ref()).await? {
            let stdin = std::io::stdin();
            let terminal = std::io::IsTerminal::is_terminal(&stdin);
            let mut input = stdin.lock();
            let mut output = std::io::stdout();
            let mut password = |question: &str| -> std::io::Result<String> {
                if terminal {
                    rpassword::prompt_password(question)
                } else {
                    // Piped answers (an installer script): one line each.
                    let mut line = String::new();
                    std::io::stdin().read_line(&mut line)?;
                    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
                }
            };
            let mut prompt = first_start::Prompt {
                input: &mut input,
                output: &mut output,
                password: &mut password,
            };
            first_start::create_first_administrator(storage.as_ref(), &mut prompt).await?;
        }
    }
    let (listener, addr) = bind(&settings)
        .await
        .with_context(|| format!("binding {}", settings.bind))?;
    let https = settings.tls_bind.map(|a| a.to_string()).unwrap_or_default();
    tracing::info!(%addr, %https, data_dir = %settings.data_dir.display(), "mandoob sync server listening");
    serve(listener, settings, shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}

async fn admin_command(settings: &Settings, command: &[&str]) -> anyhow::Result<()> {
    if let ["make-certificate", names @ ..] = command {
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let files =
            mandoob_sync_server::tls::local_certificates(&settings.data_dir.join("tls"), &names)?;
        println!(
            "install on each phone (it holds no secret): {}\n\
             then serve with MANDOOB_TLS_BIND=0.0.0.0:8443 MANDOOB_TLS_CERT={} MANDOOB_TLS_KEY={}",
            files.authority.display(),
            files.certificate.display(),
            files.key.display()
        );
        return Ok(());
    }
    let storage = open_storage(settings)?;
    match command {
        ["create-branch", code, name] => {
            accounts::create_branch(storage.as_ref(), code, name, &By::command_line()).await?;
        }
        ["create-user", id, name, role, branch] => {
            let role = Role::from_code(role).with_context(|| format!("unknown role {role}"))?;
            let password = password_from_env_or_stdin()?;
            // The console's rules (`service::accounts`), audited as the command line.
            admin::create_user(
                storage.as_ref(),
                id,
                name,
                role,
                &BranchCode::new(*branch),
                &password,
            )
            .await?;
        }
        ["revoke-device", code] => {
            accounts::revoke_device(storage.as_ref(), code, &By::command_line()).await?;
        }
        ["reset-password", id] => {
            let password = password_from_env_or_stdin()?;
            passwords::reset(storage.as_ref(), id, &password, &By::command_line()).await?;
        }
        ["set-role", id, role] => {
            let role = Role::from_code(role).with_context(|| format!("unknown role {role}"))?;
            accounts::set_role(storage.as_ref(), id, role, &By::command_line()).await?;
        }
        ["unlock-user", id] => {
            accounts::unlock_user(storage.as_ref(), id, &By::command_line()).await?;
        }
        ["seed-demo"] => admin::seed_demo(storage.as_ref(), 20).await?,
        ["seed-demo", n] => admin::seed_demo(storage.as_ref(), n.parse()?).await?,
        _ => anyhow::bail!("unknown admin command {command:?}\n\n{HELP}"),
    }
    println!("done");
    Ok(())
}

/// A password for the command line: `MANDOOB_PASSWORD`, or the first line of standard input.
fn password_from_env_or_stdin() -> anyhow::Result<String> {
    Ok(match std::env::var("MANDOOB_PASSWORD") {
        Ok(p) => p,
        Err(_) => std::io::stdin()
            .lock()
            .lines()
            .next()
            .context("no password on stdin")??,
    })
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
