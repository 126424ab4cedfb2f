//! The HQ console in headless Chromium (tests/e2e/console.mjs) against the real server: the
//! committee opens the overdue case first, a decision without a reason is refused, one with a
//! reason is recorded and reaches the representative's device through the real sync; the
//! administrator revokes that device and its next sync is refused.
//!
//! Screenshots of the queue, a case and the dashboard in Arabic and English go to
//! `target/screenshots/console/`.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use mandoob_shared::workflow::RequestStatus;
use mandoob_tests::{Device, PASSWORD, TestServer, submitted_case};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Kills the child when the test ends, however it ends.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn committee_decides_in_the_browser_and_admin_revokes_a_device() -> anyhow::Result<()> {
    let e2e = repo().join("tests/e2e");
    anyhow::ensure!(
        e2e.join("node_modules/playwright-core").exists(),
        "playwright-core is not installed: run `npm ci` in tests/e2e (.ci/run does)"
    );
    anyhow::ensure!(
        std::path::Path::new("/usr/bin/chromium").exists(),
        "Debian's chromium is not installed (.ci/run installs it)"
    );
    let server = TestServer::start().await?;
    let mut rep = Device::enrol(&server, "rep-a").await?;
    let recent = submitted_case(&mut rep, 31, 2);
    let overdue = submitted_case(&mut rep, 32, 19);
    // A real photo through the capture pipeline, uploaded by the sync, shown in the console.
    let photo = std::fs::read(repo().join("tests/fixtures/photos/DSCN0010.jpg"))?;
    let attached = rep.engine.attach_photo(
        &overdue,
        &photo,
        mandoob_shared::model::DocumentKind::Other,
        None,
        None,
        None,
    )?;
    rep.sync().await?;
    let reference = |rep: &mut Device, id| -> anyhow::Result<String> {
        Ok(rep.engine.open_case(id)?.case.reference.as_str().to_owned())
    };
    let overdue_ref = reference(&mut rep, &overdue)?;
    let recent_ref = reference(&mut rep, &recent)?;

    let shots = repo().join("target/screenshots/console");
    let mut node = Child(
        Command::new("node")
            .arg(e2e.join("console.mjs"))
            .current_dir(&e2e)
            .env("SERVER_URL", server.url(""))
            .env("PASSWORD", PASSWORD)
            .env("OVERDUE_REF", &overdue_ref)
            .env("RECENT_REF", &recent_ref)
            .env("DEVICE", rep.login.device.as_str())
            .env("SHOTS", &shots)
            .env("PHOTO_SHA", &attached.sha256)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?,
    );
    let mut to_node = node.0.stdin.take().expect("stdin");
    let from_node = node.0.stdout.take().expect("stdout");
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    std::thread::spawn(move || {
        for l in BufReader::new(from_node).lines().map_while(Result::ok) {
            if tx.send(l).is_err() {
                break;
            }
        }
    });
    let mut next = async || -> anyhow::Result<String> {
        tokio::time::timeout(Duration::from_secs(300), rx.recv())
            .await?
            .ok_or_else(|| anyhow::anyhow!("the browser script ended early (see its output above)"))
    };

    let decided = next().await?;
    anyhow::ensure!(
        decided == format!("DECIDED {overdue_ref}"),
        "unexpected: {decided}"
    );
    // The decision made in the browser reaches the representative through the real sync.
    rep.sync().await?;
    let state = rep.engine.open_case(&overdue)?.requests[0].clone();
    anyhow::ensure!(
        state.status == RequestStatus::Accepted,
        "{:?}",
        state.status
    );
    let decision = state.decision.expect("decision");
    anyhow::ensure!(decision.by.as_str() == "committee");
    anyhow::ensure!(decision.reason == "الأسرة مستحقة وفق دراسة الحالة");
    // The other case still waits.
    anyhow::ensure!(
        rep.engine.open_case(&recent)?.requests[0].status == RequestStatus::AwaitingDecision
    );
    writeln!(to_node, "SYNCED")?;

    let revoked = next().await?;
    anyhow::ensure!(
        revoked == format!("REVOKED {}", rep.login.device.as_str()),
        "unexpected: {revoked}"
    );
    let refused = tokio::time::timeout(Duration::from_secs(60), rep.sync())
        .await?
        .expect_err("a revoked device synced");
    anyhow::ensure!(refused.to_string().contains("revoked"), "{refused}");
    writeln!(to_node, "REFUSED")?;

    let done = next().await?;
    anyhow::ensure!(done == "DONE", "the browser script said {done}");
    drop(to_node);
    let status = node.0.wait()?;
    anyhow::ensure!(status.success(), "the browser script failed: {status}");
    for name in [
        "ar-queue",
        "ar-case",
        "ar-dashboard",
        "en-queue",
        "en-case",
        "en-dashboard",
    ] {
        let file = shots.join(format!("{name}.png"));
        anyhow::ensure!(
            std::fs::metadata(&file)
                .map(|m| m.len() > 10_000)
                .unwrap_or(false),
            "{} is missing or empty",
            file.display()
        );
    }
    Ok(())
}
