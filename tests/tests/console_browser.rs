//! The HQ console in headless Chromium (tests/e2e/console.mjs) against the real server: the
//! committee opens the overdue case first, a decision without a reason is refused, one with a
//! reason is recorded and reaches the representative's device through the real sync; the
//! administrator revokes that device and its next sync is refused.
//!
//! Then every page (queue, case, dashboard, administration, audit log, and the others) is shown
//! in Arabic and English at 360x640, 320x640 and 1280x900; the script fails when one is wider
//! than the window, has text under 16 px or (on a phone) a control under 44 px. Screenshots at
//! 360 and 1280 go to `target/screenshots/console/` (`ar-queue-360.png`, …).

use mandoob_shared::workflow::RequestStatus;
use mandoob_tests::{BrowserScript, Device, PASSWORD, TestServer, repo, submitted_case};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn committee_decides_in_the_browser_and_admin_revokes_a_device() -> anyhow::Result<()> {
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
    let mut node = BrowserScript::start(
        "console.mjs",
        &[
            ("SERVER_URL", server.url("")),
            ("PASSWORD", PASSWORD.to_owned()),
            ("OVERDUE_REF", overdue_ref.clone()),
            ("RECENT_REF", recent_ref.clone()),
            ("DEVICE", rep.login.device.as_str().to_owned()),
            ("SHOTS", shots.display().to_string()),
            ("PHOTO_SHA", attached.sha256.clone()),
        ],
    )?;

    let decided = node.next().await?;
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
    node.say("SYNCED")?;

    let revoked = node.next().await?;
    anyhow::ensure!(
        revoked == format!("REVOKED {}", rep.login.device.as_str()),
        "unexpected: {revoked}"
    );
    let refused = tokio::time::timeout(std::time::Duration::from_secs(60), rep.sync())
        .await?
        .expect_err("a revoked device synced");
    anyhow::ensure!(refused.to_string().contains("revoked"), "{refused}");
    node.say("REFUSED")?;

    let done = node.next().await?;
    anyhow::ensure!(done == "DONE", "the browser script said {done}");
    node.finish()?;
    for lang in ["ar", "en"] {
        for page in ["queue", "case", "dashboard", "admin", "audit"] {
            for width in [360, 1280] {
                let file = shots.join(format!("{lang}-{page}-{width}.png"));
                anyhow::ensure!(
                    std::fs::metadata(&file)
                        .map(|m| m.len() > 10_000)
                        .unwrap_or(false),
                    "{} is missing or empty",
                    file.display()
                );
            }
        }
    }
    Ok(())
}
