//! The server's own protections over HTTP (issue 18): exports that a spreadsheet cannot run,
//! security headers on every answer, a data directory no other account can read.

use calamine::{Data, Reader, Xlsx};
use mandoob_shared::doc::{Author, CaseDoc};
use mandoob_shared::ids::{CaseId, Fils, RequestId, Timestamp};
use mandoob_shared::model::CaseFile;
use mandoob_sync_server::Settings;
use mandoob_tests::{
    ConsoleClient, Device, PASSWORD, TestServer, seed_accounts, submitted_case, temp_dir,
};

/// A realistic case whose head is named `name`, registered by `device`'s user and submitted to
/// the committee, not yet synced; its id and its request's.
fn case_named(device: &mut Device, seed: u64, name: &str) -> (CaseId, RequestId) {
    let mut case: CaseFile = mandoob_shared::sample::realistic_case(seed);
    let user = device.login.user.clone();
    mandoob_shared::sample::attribute_to(&mut case, &user);
    case.branch = device.login.branch.clone();
    let head = case
        .household
        .members
        .iter_mut()
        .find(|m| m.relation == mandoob_shared::model::Relation::Head)
        .expect("a head");
    head.name_ar = name.to_owned();
    head.name_en = name.to_owned();
    case.requests[0].amount = Some(Fils::from_kwd(150));
    let request = case.requests[0].id.clone();
    let author = Author {
        user,
        at: Timestamp::now(),
    };
    let mut doc = CaseDoc::create(&case, &author).expect("create");
    let id = device.engine.import_case(&mut doc, true).expect("import");
    (id, request)
}

/// A beneficiary named with a formula and decisions whose reasons begin with `+`, `-` and `@`:
/// in the CSV every such cell begins with a single quote (read back with a CSV reader), the
/// amounts are still plain numbers; in the XLSX they are text cells, no formula anywhere.
#[tokio::test]
async fn exported_cells_never_run_as_formulas() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let mut rep = Device::enrol(&server, "rep-a").await?;
    let names = [
        "=HYPERLINK(\"http://x\",\"y\")",
        "+1+1",
        "@SUM(1,1)",
        "\t=1+1",
    ];
    let reasons = ["+cmd|' /C calc'!A0", "-2+3", "@SUM(1,1)", "=1+1"];
    let mut cases = Vec::new();
    for (i, name) in names.iter().enumerate() {
        cases.push(case_named(&mut rep, 300 + i as u64, name));
    }
    rep.sync().await?;
    let committee = ConsoleClient::sign_in(&server, "committee").await?;
    for ((case, request), reason) in cases.iter().zip(reasons) {
        let res = committee
            .post(
                &format!("/console/cases/{}/decide", case.as_str()),
                &[
                    ("request", request.as_str()),
                    ("outcome", "accepted"),
                    ("reason", reason),
                    ("in_kind", "-a food basket"),
                ],
                true,
            )
            .await?;
        assert_eq!(res.status(), 303);
        let back = res.headers()["location"].to_str()?.to_owned();
        assert!(back.contains("done="), "{back}");
    }

    // CSV, read back with a CSV reader.
    let csv = committee
        .get("/console/export/requests.csv")
        .await?
        .bytes()
        .await?;
    let csv = csv
        .strip_prefix(b"\xEF\xBB\xBF")
        .expect("a byte-order mark");
    let mut reader = csv::Reader::from_reader(csv);
    let headings = reader.headers()?.clone();
    let column = |name: &str| {
        headings
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name}"))
    };
    let (head, amount, reason, in_kind) = (
        column("رب الأسرة"),
        column("المبلغ (د.ك)"),
        column("السبب"),
        column("الممنوح عينيًا"),
    );
    let rows: Vec<csv::StringRecord> = reader.records().collect::<Result<_, _>>()?;
    assert_eq!(rows.len(), names.len());
    for (name, reason_given) in names.iter().zip(reasons) {
        let row = rows
            .iter()
            .find(|r| r[head] == format!("'{name}"))
            .unwrap_or_else(|| panic!("{name} not exported inert: {rows:?}"));
        assert_eq!(row[reason], format!("'{reason_given}"));
        assert_eq!(&row[in_kind], "'-a food basket");
        assert_eq!(row[amount].parse::<f64>()?, 150.0, "the amount is a number");
    }
    for row in &rows {
        for cell in row {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "an active cell: {cell:?}"
            );
        }
    }

    // XLSX: the same text as text cells, and no formula in the sheet.
    let bytes = committee
        .get("/console/export/requests.xlsx")
        .await?
        .bytes()
        .await?;
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec()))?;
    let sheet = book.worksheet_range("requests")?;
    for name in names {
        assert!(
            sheet
                .rows()
                .any(|r| r.get(2) == Some(&Data::String(name.to_owned()))),
            "{name} is not a text cell"
        );
    }
    assert!(
        sheet
            .rows()
            .skip(1)
            .all(|r| matches!(r.get(4), Some(Data::Float(a)) if *a == 150.0)),
        "amounts are numbers"
    );
    let formulas = book.worksheet_formula("requests")?;
    assert!(
        formulas.used_cells().all(|(_, _, f)| f.is_empty()),
        "a formula in the XLSX"
    );
    Ok(())
}

/// The headers every answer carries, whatever its part of the server.
fn assert_common_headers(what: &str, res: &reqwest::Response) {
    let h = res.headers();
    let get = |name: &str| h.get(name).and_then(|v| v.to_str().ok()).unwrap_or("");
    assert_eq!(get("x-frame-options"), "DENY", "{what}");
    assert_eq!(get("x-content-type-options"), "nosniff", "{what}");
    assert_eq!(get("referrer-policy"), "same-origin", "{what}");
    assert!(
        get("content-security-policy").contains("frame-ancestors 'none'"),
        "{what}: {:?}",
        get("content-security-policy")
    );
    assert!(
        h.get("strict-transport-security").is_none(),
        "{what}: HSTS over plain HTTP"
    );
}

fn csp(res: &reqwest::Response) -> String {
    res.headers()
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned()
}

/// The console, the device API, health and the web app: each answer has a policy of its own
/// and the common headers.
#[tokio::test]
async fn every_answer_carries_the_security_headers() -> anyhow::Result<()> {
    // A web app page with an inline script (as the real one has), in a folder of its own.
    let web = temp_dir("web");
    let script = "\n  import init from './app.js';\n  init();\n";
    std::fs::write(
        web.join("index.html"),
        format!(
            "<!DOCTYPE html><html><head><style>p {{ color: red }}</style></head><body>\
             <script src=\"boot.js\"></script><script type=\"module\">{script}</script>\
             </body></html>"
        ),
    )?;
    std::fs::write(web.join("worker.js"), "postMessage('ready');")?;
    let settings = Settings {
        data_dir: temp_dir("server"),
        web_dir: web,
        ..Settings::default()
    };
    seed_accounts(mandoob_sync_server::open_storage(&settings)?.as_ref()).await?;
    let server = TestServer::start_on(settings).await?;
    let http = reqwest::Client::new();

    // The console: no script at all, its own stylesheet only.
    let committee = ConsoleClient::sign_in(&server, "committee").await?;
    let page = committee.get("/console/queue").await?;
    assert_eq!(page.status(), 200);
    assert_common_headers("console page", &page);
    let policy = csp(&page);
    assert!(policy.starts_with("default-src 'none'"), "{policy}");
    assert!(policy.contains("style-src 'self'"), "{policy}");
    assert!(!policy.contains("script-src"), "{policy}");
    assert!(!policy.contains("unsafe"), "{policy}");
    let html = page.text().await?;
    assert!(
        !html.contains("<script") && !html.contains(" style="),
        "inline script or style"
    );
    assert!(!html.contains(" onclick=") && !html.contains(" onsubmit="));
    let sign_in = http.get(server.url("/console/sign-in")).send().await?;
    assert_common_headers("sign-in page", &sign_in);
    let css = http
        .get(server.url("/console/static/console.css"))
        .send()
        .await?;
    assert_common_headers("stylesheet", &css);
    assert!(
        css.headers()["content-type"]
            .to_str()?
            .starts_with("text/css")
    );

    // The device API, signed in and not, and health: nothing may load from them.
    let login = http
        .post(server.url("/api/v1/login"))
        .json(&serde_json::json!({
            "username": "rep-a", "password": PASSWORD, "device_name": "test phone"
        }))
        .send()
        .await?;
    assert_eq!(login.status(), 200);
    assert_common_headers("API sign-in", &login);
    assert!(csp(&login).starts_with("default-src 'none'"));
    let token = login.json::<serde_json::Value>().await?["token"]
        .as_str()
        .expect("a token")
        .to_owned();
    let library = http
        .get(server.url("/api/v1/library"))
        .bearer_auth(&token)
        .send()
        .await?;
    assert_eq!(library.status(), 200);
    assert_common_headers("API answer", &library);
    let refused = http.get(server.url("/api/v1/library")).send().await?;
    assert_eq!(refused.status(), 401);
    assert_common_headers("API refusal", &refused);
    assert_common_headers("health", &http.get(server.url("/healthz")).send().await?);
    assert_common_headers("not found", &http.get(server.url("/nowhere")).send().await?);

    // The web app: its wasm, worker and inline style allowed, its inline script by its hash.
    let app = http.get(server.url("/app/")).send().await?;
    assert_eq!(app.status(), 200);
    assert_common_headers("web app page", &app);
    let policy = csp(&app);
    let hash = {
        use base64::Engine;
        use sha2::Digest;
        base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(script))
    };
    assert!(
        policy.contains(&format!("'sha256-{hash}'")),
        "the inline script's hash: {policy}"
    );
    let scripts = policy
        .split(';')
        .find(|d| d.trim().starts_with("script-src"))
        .unwrap_or_default();
    assert!(
        !scripts.contains("'unsafe-inline'"),
        "inline scripts allowed: {policy}"
    );
    for needed in [
        "script-src 'self' 'wasm-unsafe-eval'",
        "worker-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "connect-src 'self'",
    ] {
        assert!(policy.contains(needed), "{needed} missing: {policy}");
    }
    assert_eq!(
        app.text().await?.matches("<script").count(),
        2,
        "the page intact"
    );
    let worker = http.get(server.url("/app/worker.js")).send().await?;
    assert_common_headers("the worker", &worker);
    assert!(csp(&worker).contains("'wasm-unsafe-eval'"));
    server.stop().await?;
    Ok(())
}

/// After a start and a photo upload, the data directory is `0700` and every file in it `0600`
/// (the photos are rows of the database); a directory loosened by hand (a restored backup) is
/// tightened at the next start.
#[cfg(unix)]
#[tokio::test]
async fn the_data_directory_is_the_servers_alone() -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| -> anyhow::Result<u32> {
        Ok(std::fs::metadata(p)?.permissions().mode() & 0o777)
    };
    let files = |dir: &std::path::Path| -> anyhow::Result<Vec<std::path::PathBuf>> {
        Ok(std::fs::read_dir(dir)?
            .map(|e| e.map(|e| e.path()))
            .collect::<Result<_, _>>()?)
    };
    // The test's folder is made as anyone would make it (0755 here): the server tightens it.
    let server = TestServer::start().await?;
    let mut rep = Device::enrol(&server, "rep-a").await?;
    let case = submitted_case(&mut rep, 41, 1);
    let photo = std::fs::read(mandoob_tests::repo().join("tests/fixtures/photos/Portrait_1.jpg"))?;
    let attached = rep.engine.attach_photo(
        &case,
        &photo,
        mandoob_shared::model::DocumentKind::CivilId,
        None,
        None,
        None,
    )?;
    rep.sync().await?;
    assert!(
        rep.engine.pending_blobs()?.is_empty(),
        "the photo was uploaded"
    );
    let on_server = reqwest::Client::new()
        .get(server.url(&format!("/api/v1/blobs/{}", attached.sha256)))
        .bearer_auth(&rep.login.token)
        .send()
        .await?;
    assert_eq!(on_server.status(), 200);
    let dir = server.data_dir.clone();
    assert_eq!(mode(&dir)?, 0o700, "the data directory");
    let stored = files(&dir)?;
    assert!(
        stored.iter().any(|f| f.ends_with("mandoob.sqlite-wal")),
        "{stored:?}"
    );
    for file in &stored {
        assert_eq!(mode(file)?, 0o600, "{}", file.display());
    }

    // Loosened by hand while the server was stopped: owner-only again once it starts.
    server.stop().await?;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755))?;
    for file in files(&dir)? {
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644))?;
    }
    let server = TestServer::start_on(Settings {
        data_dir: dir.clone(),
        ..Settings::default()
    })
    .await?;
    let health = reqwest::get(server.url("/healthz")).await?;
    assert!(health.status().is_success());
    assert_eq!(mode(&dir)?, 0o700, "the data directory, tightened");
    for file in files(&dir)? {
        assert_eq!(mode(&file)?, 0o600, "{}, tightened", file.display());
    }
    server.stop().await?;
    Ok(())
}
