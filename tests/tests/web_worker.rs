//! The device engine in headless Chromium's Web Worker, SQLite on OPFS (tests/e2e/web_worker.mjs),
//! served by the real HQ server from the web build (`web/build.sh`, run here when its output is
//! missing): a case created in the worker survives a reload and a browser relaunch with the
//! same profile; a second tab gets a clear message instead of becoming a second writer; a
//! revoked device's wipe leaves the case's civil ID in no file of the browser profile.

use std::path::PathBuf;
use std::process::Command;

use mandoob_engine::engine::{Command as EngineCommand, ListQuery, NewHousehold, Session};
use mandoob_shared::ids::{BranchCode, DeviceCode, UserId};
use mandoob_shared::model::{Address, Member, Relation};
use mandoob_shared::workflow::Role;
use mandoob_sync_server::Settings;
use mandoob_tests::{TestServer, repo, seed_accounts, temp_dir, web_bundle};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_engine_keeps_its_data_on_opfs_in_a_worker() -> anyhow::Result<()> {
    let e2e = repo().join("tests/e2e");
    anyhow::ensure!(
        e2e.join("node_modules/playwright-core").exists()
            && PathBuf::from("/usr/bin/chromium").exists(),
        "run `npm ci` in tests/e2e and install chromium (.ci/run does both)"
    );
    // The web build plus the test's harness page, served at /app/.
    let web = web_bundle()?;
    std::fs::copy(
        e2e.join("web/engine-check.html"),
        web.join("engine-check.html"),
    )?;
    let data_dir = temp_dir("server");
    let settings = Settings {
        data_dir: data_dir.clone(),
        web_dir: web.clone(),
        ..Settings::default()
    };
    seed_accounts(mandoob_sync_server::open_storage(&settings)?.as_ref()).await?;
    let server = TestServer::start_on(settings).await?;

    let json = |c: &EngineCommand| serde_json::to_string(c).expect("command");
    let session = EngineCommand::SetSession(Session {
        user: UserId::new("rep-a"),
        role: Role::Representative,
        branch: BranchCode::new("QRN"),
        device: DeviceCode::new("W1"),
    });
    let mut head = Member::new("خالد عبدالله العنزي", Relation::Head);
    head.phone = "94123456".into();
    // What the wipe must leave in no file of the browser profile.
    head.civil_id = "287041512345".into();
    let create = EngineCommand::CreateCase(NewHousehold {
        head,
        address: Address {
            area: "الجهراء".into(),
            ..Address::default()
        },
        not_a_duplicate: false,
    });
    let list = EngineCommand::List(ListQuery {
        limit: 50,
        ..ListQuery::default()
    });
    let output = tokio::task::spawn_blocking({
        let e2e = e2e.clone();
        let app = server.url("/app/engine-check.html");
        let profile = temp_dir("profile");
        let (session, create, list) = (json(&session), json(&create), json(&list));
        move || {
            Command::new("node")
                .arg(e2e.join("web_worker.mjs"))
                .current_dir(&e2e)
                .env("APP_URL", app)
                .env("PROFILE", profile)
                .env("SET_SESSION", session)
                .env("CREATE", create)
                .env("LIST", list)
                .env("NEEDLE", "287041512345")
                .output()
        }
    })
    .await??;
    let stdout = String::from_utf8_lossy(&output.stdout);
    eprintln!("{}", String::from_utf8_lossy(&output.stderr));
    println!("{stdout}");
    anyhow::ensure!(
        output.status.success(),
        "the browser script failed: {stdout}"
    );
    anyhow::ensure!(stdout.contains("DONE QRN-W1-"), "unexpected: {stdout}");
    server.stop().await?;
    Ok(())
}
