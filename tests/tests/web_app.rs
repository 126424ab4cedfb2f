//! The installable web app end to end (issue 7; tests/e2e/web_app.mjs in headless Chromium):
//! loaded from the real HQ server, enrolled, then offline: the page reloads from the service
//! worker's cache, a household is registered with a real phone photo and a signature and its
//! request submitted; the browser is closed and opened again on the same profile while the
//! server is down, and the case is still there; a second tab is refused while the first keeps
//! working; the server comes back, the app syncs, and the cases and photos are on the server.
//! Last, a new version published on the server is offered in the app and taken when asked.
//!
//! It also prints the figures the issue asks for: the bundle's size (raw and gzipped) and the
//! time from a reload to a usable case list with `CASES` cases stored on the device.

use mandoob_engine::engine::ListQuery;
use mandoob_shared::model::DocumentKind;
use mandoob_shared::sample::realistic_case;
use mandoob_sync_server::Settings;
use mandoob_tests::{
    BrowserScript, Device, PASSWORD, TestServer, repo, seed_accounts, submitted_case, temp_dir,
    web_bundle,
};

/// Cases on the server for the representative's branch before the app first syncs.
const CASES: u64 = 1000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_web_app_works_offline_across_reloads_and_relaunches() -> anyhow::Result<()> {
    let web = web_bundle()?;
    let settings = Settings {
        data_dir: temp_dir("server"),
        web_dir: web.clone(),
        ..Settings::default()
    };
    seed_accounts(mandoob_sync_server::open_storage(&settings)?.as_ref()).await?;
    let mut server = Some(TestServer::start_on(settings.clone()).await?);
    let port = server.as_ref().map(|s| s.addr.port()).unwrap_or_default();
    let app_url = format!("http://127.0.0.1:{port}/app/");

    // The branch's caseload, registered from another device of the same representative.
    let mut other = Device::enrol(server.as_ref().expect("server"), "rep-a").await?;
    for seed in 0..CASES {
        submitted_case(&mut other, seed, (seed % 20) as i64);
    }
    other.sync().await?;

    let civil_id = |seed| {
        realistic_case(seed)
            .head()
            .map(|h| h.civil_id.clone())
            .unwrap_or_default()
    };
    let shots = repo().join("target/screenshots/web-app");
    let mut node = BrowserScript::start(
        "web_app.mjs",
        &[
            ("APP_URL", app_url),
            ("USERNAME", "rep-a".to_owned()),
            ("PASSWORD", PASSWORD.to_owned()),
            ("CIVIL_ID", civil_id(900_001)),
            ("CIVIL_ID_2", civil_id(900_002)),
            (
                "PHOTOS",
                repo().join("tests/fixtures/photos").display().to_string(),
            ),
            ("PROFILE", temp_dir("profile").display().to_string()),
            ("WEB_DIR", web.display().to_string()),
            ("SHOTS", shots.display().to_string()),
            ("CASES", CASES.to_string()),
        ],
    )?;

    let submitted = node.next().await?;
    let reference = submitted
        .strip_prefix("SUBMITTED ")
        .ok_or_else(|| anyhow::anyhow!("unexpected: {submitted}"))?
        .to_owned();
    if let Some(s) = server.take() {
        s.stop().await?;
    }
    node.say("STOPPED")?;

    let relaunched = node.next().await?;
    anyhow::ensure!(
        relaunched == format!("RELAUNCHED {reference}"),
        "unexpected: {relaunched}"
    );
    server = Some(TestServer::start_on_port(settings, port).await?);
    let running = server.as_ref().expect("server");
    let mut committee = Device::enrol(running, "committee").await?;
    committee.sync().await?;
    let find = |engine: &mandoob_engine::Engine, reference: &str| {
        engine.list(&ListQuery {
            text: reference.to_owned(),
            ..ListQuery::default()
        })
    };
    anyhow::ensure!(
        find(&committee.engine, &reference)?.is_empty(),
        "the case reached the server while it was down"
    );
    node.say("STARTED")?;

    let synced = node.next().await?;
    let refs: Vec<&str> = synced
        .strip_prefix("SYNCED ")
        .ok_or_else(|| anyhow::anyhow!("unexpected: {synced}"))?
        .split(' ')
        .collect();
    anyhow::ensure!(
        refs.len() == 2 && refs[0] == reference,
        "unexpected: {synced}"
    );
    committee.sync().await?;
    let storage = running.storage()?;
    let row = find(&committee.engine, &reference)?
        .into_iter()
        .find(|r| r.reference == reference)
        .ok_or_else(|| anyhow::anyhow!("case {reference} is not on the server"))?;
    assert_eq!(row.status, "awaiting-decision");
    let case = committee.engine.open_case(&row.id)?.case;
    assert_eq!(
        case.head().expect("head").civil_id,
        civil_id(900_001),
        "the household registered offline"
    );
    let request = case.requests.last().expect("request");
    assert!(request.declaration.is_some(), "the declaration is signed");
    let kinds: Vec<DocumentKind> = case.documents.iter().map(|d| d.kind).collect();
    assert!(kinds.contains(&DocumentKind::CivilId), "{kinds:?}");
    assert!(kinds.contains(&DocumentKind::Signature), "{kinds:?}");
    for doc in &case.documents {
        for sha in [&doc.sha256, &doc.thumbnail_sha256] {
            assert!(
                storage.blob(sha).await?.is_some(),
                "photo {sha} ({:?}) is on the server",
                doc.kind
            );
        }
    }
    // The household registered in the first tab while a second one was open.
    assert!(
        find(&committee.engine, refs[1])?
            .iter()
            .any(|r| r.reference == refs[1]),
        "case {} is not on the server",
        refs[1]
    );
    node.say("CHECKED")?;

    anyhow::ensure!(node.next().await? == "DONE");
    node.finish()?;

    // The code goes out as the build's brotli copy to browsers that accept it, still typed as
    // wasm so it compiles while it downloads; the service worker is always the file itself.
    let server = server.as_ref().expect("server");
    let http = reqwest::Client::new();
    for (accept, encoding) in [("br, gzip", Some("br")), ("identity", None)] {
        let res = http
            .get(server.url("/app/mandoob-web_bg.wasm"))
            .header("accept-encoding", accept)
            .send()
            .await?;
        assert_eq!(res.status(), 200);
        let header = |name: &str| {
            res.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        assert_eq!(header("content-encoding").as_deref(), encoding, "{accept}");
        assert_eq!(header("content-type").as_deref(), Some("application/wasm"));
    }
    let sw = http
        .get(server.url("/app/sw.js"))
        .header("accept-encoding", "br, gzip")
        .send()
        .await?;
    assert!(
        sw.text().await?.contains("VERSION"),
        "the service worker as it is"
    );
    Ok(())
}
