//! The server killed (SIGKILL) in the middle of syncs and restarted loses nothing it
//! acknowledged, and the device completes on its next attempt.
//!
//! The server runs as a child process: this test binary started again with
//! `MANDOOB_CHILD_SERVER=<data dir>`, which makes [`child_server`] serve instead of returning.

#![cfg(unix)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use mandoob_engine::engine::ListQuery;
use mandoob_engine::sync_client::SyncClient;
use mandoob_shared::doc::{Author, CaseDoc};
use mandoob_shared::ids::Timestamp;
use mandoob_shared::sample::realistic_case;
use mandoob_sync_server::Settings;
use mandoob_tests::{Device, seed_accounts, temp_dir};

const CHILD: &str = "MANDOOB_CHILD_SERVER";

/// Not a test of its own: the server process of `killed_server_loses_nothing_acknowledged`.
/// Without the environment variable it returns at once.
#[test]
fn child_server() {
    let Ok(dir) = std::env::var(CHILD) else {
        return;
    };
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .expect("bind");
        println!("listening {}", listener.local_addr().expect("addr"));
        let settings = Settings {
            data_dir: dir.into(),
            ..Settings::default()
        };
        mandoob_sync_server::serve(listener, settings, std::future::pending())
            .await
            .expect("serve");
    });
}

fn spawn_server(dir: &std::path::Path) -> (Child, String) {
    let mut child = Command::new(std::env::current_exe().expect("exe"))
        .args(["--exact", "child_server", "--nocapture", "--test-threads=1"])
        .env(CHILD, dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn server");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let addr = loop {
        let line = lines.next().expect("server output").expect("line");
        // libtest may print "test child_server ... " before it on the same line.
        if let Some(at) = line.find("listening ") {
            break line[at + "listening ".len()..].trim().to_owned();
        }
    };
    // Keep draining the pipe so the child never blocks on a full stdout.
    std::thread::spawn(move || for _ in lines {});
    (child, format!("http://{addr}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_server_loses_nothing_acknowledged() -> anyhow::Result<()> {
    let dir = temp_dir("killed-server");
    {
        let storage = mandoob_sync_server::open_storage(&Settings {
            data_dir: dir.clone(),
            ..Settings::default()
        })?;
        seed_accounts(storage.as_ref()).await?;
    }
    let (mut server, mut base) = spawn_server(&dir);
    let mut device = Device::enrol_at(&base, "rep-a").await?;
    let token = device.client.token().to_owned();
    let user = device.login.user.clone();
    let mut rng = fastrand::Rng::with_seed(7);
    let mut seed = 0;
    let mut cut = 0;
    for round in 0..6 {
        // New work on the device: a batch of cases.
        for _ in 0..40 {
            seed += 1;
            let mut case = realistic_case(seed);
            mandoob_shared::sample::attribute_to(&mut case, &user);
            case.branch = device.login.branch.clone();
            let author = Author {
                user: user.clone(),
                at: Timestamp::now(),
            };
            let mut doc = CaseDoc::create(&case, &author)?;
            device.engine.import_case(&mut doc, true)?;
        }
        // Kill the server (SIGKILL: no chance to flush or finish) at a random moment of the sync.
        let client = SyncClient::new(&base, &token);
        let kill_after = Duration::from_millis(rng.u64(0..150));
        let (result, ()) = tokio::join!(client.sync(&mut device.engine), async {
            tokio::time::sleep(kill_after).await;
            // `Child::kill` sends SIGKILL on Unix.
            let _ = server.kill();
        });
        let _ = server.wait();
        if result.is_err() {
            cut += 1;
        }
        // Restart on the same data: everything the device holds as acknowledged is there.
        let (restarted, new_base) = spawn_server(&dir);
        server = restarted;
        base = new_base;
        let storage = mandoob_sync_server::open_storage(&Settings {
            data_dir: dir.clone(),
            ..Settings::default()
        })?;
        let cases = device.engine.list(&ListQuery {
            limit: 500,
            ..ListQuery::default()
        })?;
        for c in cases.iter().filter(|c| !c.unsynced) {
            let stored = storage.case(&c.id).await?.unwrap_or_else(|| {
                panic!("round {round}: case {} was acknowledged but is lost", c.id)
            });
            let mut theirs = CaseDoc::load(&stored.snapshot)?;
            let mut mine = device.engine.case_doc(&c.id)?;
            for h in mine.heads() {
                assert!(
                    theirs.has_change(&h),
                    "round {round}: an acknowledged change is lost"
                );
            }
        }
        drop(storage);
        // The next attempt completes.
        SyncClient::new(&base, &token)
            .sync(&mut device.engine)
            .await?;
        let all = device.engine.list(&ListQuery {
            limit: 500,
            ..ListQuery::default()
        })?;
        assert_eq!(all.len(), 40 * (round + 1));
        assert!(
            all.iter().all(|c| !c.unsynced),
            "round {round}: everything synced"
        );
    }
    assert!(cut > 0, "at least one sync was cut by the kill");
    let _ = server.kill();
    let _ = server.wait();
    Ok(())
}
