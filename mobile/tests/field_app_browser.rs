//! The home visit end to end in headless Chromium (tests/e2e/field_app.mjs), against the real
//! HQ server on 127.0.0.1 and the real app over Dioxus liveview. This test runs both, takes the
//! server away while the representative works "in the home", brings it back, checks what
//! reached headquarters and makes the committee's decision there.
//!
//! Screenshots of the main screens at 360x640, in Arabic and English, go to
//! `target/screenshots/field-app/`.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use mandoob_engine::engine::ListQuery;
use mandoob_shared::ids::Fils;
use mandoob_shared::model::Relation;
use mandoob_shared::sample::realistic_case;
use mandoob_shared::workflow::EventKind;
use mandoob_sync_server::Settings;
use mandoob_sync_server::storage::Scope;
use mandoob_tests::{BrowserScript, Device, PASSWORD, TestServer, repo, temp_dir};

/// Kills the child when the test ends, however it ends.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn home_visit_offline_then_synced_in_a_real_browser() -> anyhow::Result<()> {
    let mut server = Some(TestServer::start().await?);
    let port = server.as_ref().map(|s| s.addr.port()).unwrap_or_default();
    let data_dir = server
        .as_ref()
        .map(|s| s.data_dir.clone())
        .unwrap_or_default();
    let server_url = format!("http://127.0.0.1:{port}");

    // The app: one device, its own database.
    let device_db = temp_dir("device").join("device.sqlite");
    let mut app = Child(
        Command::new(env!("CARGO_BIN_EXE_mandoob-liveview"))
            .args(["--port", "0", "--db"])
            .arg(&device_db)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?,
    );
    let mut app_out = BufReader::new(app.0.stdout.take().expect("stdout"));
    let mut line = String::new();
    app_out.read_line(&mut line)?;
    let app_url = line
        .trim()
        .strip_prefix("listening on ")
        .ok_or_else(|| anyhow::anyhow!("the app did not start: {line}"))?
        .to_owned();

    // People with valid civil IDs (check digit, birth date) from the sample generator.
    let sample = realistic_case(42);
    let head = sample.head().expect("head").clone();
    let spouse = sample
        .household
        .members
        .iter()
        .find(|m| m.relation == Relation::Spouse)
        .expect("spouse")
        .clone();

    let shots = repo().join("target/screenshots/field-app");
    let mut node = BrowserScript::start(
        "field_app.mjs",
        &[
            ("APP_URL", app_url.clone()),
            ("SERVER_URL", server_url.clone()),
            ("USERNAME", "rep-a".to_owned()),
            ("PASSWORD", PASSWORD.to_owned()),
            ("CIVIL_ID", head.civil_id.clone()),
            ("SPOUSE_CIVIL_ID", spouse.civil_id.clone()),
            (
                "PHOTOS",
                repo().join("tests/fixtures/photos").display().to_string(),
            ),
            ("SHOTS", shots.display().to_string()),
        ],
    )?;

    anyhow::ensure!(node.next().await? == "SIGNED_IN");
    // The representative leaves for the family's home: no connection from here.
    if let Some(s) = server.take() {
        s.stop().await?;
    }
    node.say("OFFLINE")?;

    let submitted = node.next().await?;
    let reference = submitted
        .strip_prefix("SUBMITTED ")
        .ok_or_else(|| anyhow::anyhow!("unexpected: {submitted}"))?
        .to_owned();
    // Nothing reached headquarters while offline.
    let settings = Settings {
        data_dir: data_dir.clone(),
        ..Settings::default()
    };
    server = Some(TestServer::start_on_port(settings, port).await?);
    let storage = server.as_ref().expect("server").storage()?;
    let (before, _) = storage.whole_documents(&Scope::All, None, 1000).await?;
    assert!(before.is_empty(), "a case reached the server while offline");
    node.say("ONLINE")?;

    let synced = node.next().await?;
    anyhow::ensure!(
        synced == format!("SYNCED {reference}"),
        "unexpected: {synced}"
    );
    // The case and its photos are at headquarters.
    let mut committee = Device::enrol(server.as_ref().expect("server"), "committee").await?;
    committee.sync().await?;
    let rows = committee.engine.list(&ListQuery {
        text: reference.clone(),
        ..ListQuery::default()
    })?;
    let row = rows
        .iter()
        .find(|r| r.reference == reference)
        .ok_or_else(|| anyhow::anyhow!("case {reference} is not on the server"))?;
    assert_eq!(row.status, "awaiting-decision");
    let open = committee.engine.open_case(&row.id)?;
    let case = &open.case;
    assert_eq!(case.household.members.len(), 2);
    assert_eq!(case.head().expect("head").civil_id, head.civil_id);
    // The corrections made in the home: the head's phone, the address, an income line.
    assert_eq!(case.head().expect("head").phone, "99887755");
    assert_eq!(case.household.address.area, "الجهراء - القصر");
    let request = case.requests.last().expect("request");
    assert!(request.declaration.is_some(), "the declaration is signed");
    assert_eq!(case.documents.len(), 4, "three photos and the signature");
    // The home visit: who, when and what was seen, for the console's "visits and interview".
    assert_eq!(case.visits.len(), 1, "the visit is recorded");
    assert_eq!(case.visits[0].by.as_str(), "rep-a");
    assert!(case.visits[0].notes.contains("رطوبة"), "the visit's notes");
    // The inquiry logged in the home, recorded as the representative's.
    assert_eq!(case.contacts.len(), 1);
    assert_eq!(case.contacts[0].by.as_str(), "rep-a");
    assert_eq!(case.household.income.len(), 1);
    assert_eq!(case.household.income[0].monthly, Fils(275_000));
    for doc in &case.documents {
        for sha in [&doc.sha256, &doc.thumbnail_sha256] {
            let blob = storage.blob(sha).await?;
            assert!(
                blob.is_some(),
                "photo {sha} ({:?}) is on the server",
                doc.kind
            );
        }
    }
    // The committee decides at headquarters.
    committee.engine.record_event(
        &row.id,
        &request.id,
        EventKind::Accepted,
        "الأسرة مستحقة وفق دراسة الحالة",
    )?;
    committee.sync().await?;
    node.say("DECIDED")?;

    anyhow::ensure!(node.next().await? == "DONE");
    node.finish()?;
    Ok(())
}
