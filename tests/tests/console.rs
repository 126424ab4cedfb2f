//! The HQ console over plain HTTP against the real server: who may open it, CSRF (sign-in
//! limits: `sign_in_limits.rs`), decisions reaching devices, revoked devices, exports read back by a real XLSX reader.

use calamine::{Data, Reader, Xlsx};
use mandoob_shared::ids::UserId;
use mandoob_shared::workflow::RequestStatus;
use mandoob_sync_server::storage::{RequestFilter, Scope};
use mandoob_tests::{ConsoleClient, Device, PASSWORD, TestServer, submitted_case};

/// Every page of the console, as a path to GET.
const PAGES: &[&str] = &[
    "/console/queue",
    "/console/referrals",
    "/console/dashboard",
    "/console/admin",
    "/console/audit",
    "/console/export/requests.csv",
    "/console/export/cases.xlsx",
];

#[tokio::test]
async fn representatives_cannot_open_any_console_page() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    // Their right password is refused, and no session is handed out.
    let res = http
        .post(server.url("/console/sign-in"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("username=rep-a&password={PASSWORD}"))
        .send()
        .await?;
    assert_eq!(res.status(), 403);
    assert!(
        !res.headers()
            .get_all("set-cookie")
            .iter()
            .any(|c| c.to_str().unwrap_or("").starts_with("mandoob_console=")),
        "a representative got a console session"
    );
    assert!(res.text().await?.contains("تطبيق الميدان"));
    // Without a session, every page sends to the sign-in.
    for page in PAGES {
        let res = http.get(server.url(page)).send().await?;
        assert_eq!(res.status(), 303, "{page}");
        assert_eq!(res.headers()["location"], "/console/sign-in", "{page}");
    }
    // Even a session made for a representative (not through the form) opens nothing.
    let storage = server.storage()?;
    let token = "a-representative-session-token";
    storage
        .create_console_session(
            &mandoob_sync_server::auth::token_hash(token),
            &UserId::new("rep-a"),
            "csrf",
            chrono::Utc::now().timestamp_millis() + 3_600_000,
        )
        .await?;
    for page in PAGES {
        let res = http
            .get(server.url(page))
            .header("cookie", format!("mandoob_console={token}"))
            .send()
            .await?;
        assert_eq!(res.status(), 403, "{page}");
    }
    // A device token is not a console session either.
    let rep = Device::enrol(&server, "rep-a").await?;
    let res = http
        .get(server.url("/console/queue"))
        .bearer_auth(&rep.login.token)
        .send()
        .await?;
    assert_eq!(res.status(), 303);
    Ok(())
}

#[tokio::test]
async fn forms_need_the_session_token_and_decisions_need_a_reason() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let mut rep = Device::enrol(&server, "rep-a").await?;
    let id = submitted_case(&mut rep, 5, 3);
    rep.sync().await?;
    let storage = server.storage()?;
    let awaiting = |rows: Vec<mandoob_sync_server::storage::RequestRow>| {
        rows.into_iter()
            .find(|r| r.case_id == id.as_str())
            .map(|r| r.status)
    };
    let request = rep.engine.open_case(&id)?.case.requests[0].id.clone();
    let committee = ConsoleClient::sign_in(&server, "committee").await?;
    let decide = format!("/console/cases/{}/decide", id.as_str());
    let fields = [
        ("request", request.as_str()),
        ("outcome", "accepted"),
        ("reason", "الدخل أقل من حد الكفاية"),
    ];

    // No token, then a wrong one: refused, nothing changes.
    let res = committee.post(&decide, &fields, false).await?;
    assert_eq!(res.status(), 403);
    assert!(res.text().await?.contains("رمز الأمان"));
    let mut forged = fields.to_vec();
    forged.push(("_csrf", "not-the-token"));
    assert_eq!(committee.post(&decide, &forged, false).await?.status(), 403);
    // Sign-out is a form too.
    assert_eq!(
        committee
            .post("/console/sign-out", &[], false)
            .await?
            .status(),
        403
    );
    let rows = storage
        .requests(&Scope::All, &RequestFilter::default(), 100)
        .await?;
    assert_eq!(
        awaiting(rows).as_deref(),
        Some(RequestStatus::AwaitingDecision.code())
    );

    // With the token but no reason: refused with the rule's message.
    let no_reason = [
        ("request", request.as_str()),
        ("outcome", "rejected"),
        ("reason", "  "),
    ];
    let res = committee.post(&decide, &no_reason, true).await?;
    assert_eq!(res.status(), 422);
    let page = res.text().await?;
    assert!(
        page.contains("role=\"alert\"") && page.contains("يجب ذكر السبب"),
        "no message shown"
    );
    assert!(
        page.contains("value=\"rejected\" required checked"),
        "the form comes back as it was"
    );

    // With the token and a reason: recorded, and the device receives it.
    let res = committee.post(&decide, &fields, true).await?;
    assert_eq!(res.status(), 303);
    assert!(
        res.headers()["location"]
            .to_str()?
            .contains("done=console-done-accepted")
    );
    let rows = storage
        .requests(&Scope::All, &RequestFilter::default(), 100)
        .await?;
    assert_eq!(awaiting(rows).as_deref(), Some("accepted"));
    rep.sync().await?;
    let state = &rep.engine.open_case(&id)?.requests[0];
    assert_eq!(state.status, RequestStatus::Accepted);
    let decision = state.decision.as_ref().expect("decision");
    assert_eq!(decision.by.as_str(), "committee");
    assert_eq!(decision.reason, "الدخل أقل من حد الكفاية");
    // Deciding again is refused by the workflow (the request is no longer awaiting).
    let res = committee.post(&decide, &fields, true).await?;
    assert!(
        res.headers()["location"]
            .to_str()?
            .contains("error=refusal-invalid-transition")
    );
    // The decision is in the audit log.
    let log = storage.audit_log(10).await?;
    assert!(
        log.iter()
            .any(|e| e.action == "decision" && e.user.as_str() == "committee")
    );
    Ok(())
}

#[tokio::test]
async fn a_revoked_device_is_refused_on_its_next_sync() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let mut rep = Device::enrol(&server, "rep-a").await?;
    rep.sync().await?;
    let admin = ConsoleClient::sign_in(&server, "admin").await?;
    let page = admin.get("/console/admin").await?.text().await?;
    let device = rep.login.device.as_str().to_owned();
    assert!(page.contains(&format!("data-device=\"{device}\"")));
    // Revoking asks first, naming the device and its owner; unconfirmed, nothing happens.
    let path = format!("/console/admin/devices/{device}/revoke");
    let res = admin.post(&path, &[], true).await?;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"].to_str()?, path);
    let question = admin.get(&path).await?.text().await?;
    assert!(
        question.contains("name=\"confirm\" value=\"yes\""),
        "{question}"
    );
    assert!(question.contains(&rep.login.device.as_str().to_owned()));
    rep.sync().await?;
    let res = admin.post(&path, &[("confirm", "yes")], true).await?;
    assert_eq!(res.status(), 303);
    let err = rep.sync().await.expect_err("a revoked device syncs");
    assert!(err.to_string().contains("revoked"), "{err}");
    let log = server.storage()?.audit_log(10).await?;
    assert!(
        log.iter()
            .any(|e| e.action == "revoke-device" && e.target == device)
    );
    // Not for the committee: administration is the administrator's.
    let committee = ConsoleClient::sign_in(&server, "committee").await?;
    assert_eq!(committee.get("/console/admin").await?.status(), 403);
    Ok(())
}

#[tokio::test]
async fn exports_keep_arabic_and_the_users_scope() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let mut rep_a = Device::enrol(&server, "rep-a").await?;
    let mut rep_b = Device::enrol(&server, "rep-b").await?;
    let a = submitted_case(&mut rep_a, 11, 2);
    let b = submitted_case(&mut rep_b, 12, 2);
    rep_a.sync().await?;
    rep_b.sync().await?;
    let head_a = rep_a
        .engine
        .open_case(&a)?
        .case
        .head()
        .expect("head")
        .name_ar
        .clone();
    let ref_a = rep_a
        .engine
        .open_case(&a)?
        .case
        .reference
        .as_str()
        .to_owned();
    let ref_b = rep_b
        .engine
        .open_case(&b)?
        .case
        .reference
        .as_str()
        .to_owned();
    assert!(
        head_a
            .chars()
            .any(|c| ('\u{0600}'..='\u{06FF}').contains(&c))
    );

    let committee = ConsoleClient::sign_in(&server, "committee").await?;
    let res = committee.get("/console/export/requests.xlsx").await?;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-disposition"]
            .to_str()?
            .contains(".xlsx")
    );
    let bytes = res.bytes().await?.to_vec();
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes))?;
    let sheet = book.worksheet_range("requests")?;
    let rows: Vec<Vec<String>> = sheet
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| match c {
                    Data::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect();
    assert_eq!(rows[0][0], "رقم الملف", "headings in the user's language");
    let row_a = rows
        .iter()
        .find(|r| r[0] == ref_a)
        .expect("case A exported");
    assert_eq!(row_a[2], head_a, "Arabic name intact");
    assert!(
        rows.iter().any(|r| r[0] == ref_b),
        "the committee sees every branch"
    );

    // CSV: a byte-order mark and the same Arabic text.
    let csv = committee
        .get("/console/export/requests.csv")
        .await?
        .bytes()
        .await?;
    assert!(csv.starts_with(b"\xEF\xBB\xBF"));
    assert!(String::from_utf8(csv.to_vec())?.contains(&head_a));

    // A social-research officer cannot export; the committee's exports are audited.
    let researcher = ConsoleClient::sign_in(&server, "researcher").await?;
    assert_eq!(
        researcher
            .get("/console/export/requests.csv")
            .await?
            .status(),
        403
    );
    let log = server.storage()?.audit_log(10).await?;
    assert_eq!(log.iter().filter(|e| e.action == "export").count(), 2);
    // Unknown exports are a clear 404.
    assert_eq!(
        committee
            .get("/console/export/passwords.csv")
            .await?
            .status(),
        404
    );
    Ok(())
}

#[tokio::test]
async fn the_queue_shows_the_overdue_request_first_and_pages_render() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let mut rep = Device::enrol(&server, "rep-a").await?;
    let recent = submitted_case(&mut rep, 21, 1);
    let overdue = submitted_case(&mut rep, 22, 20);
    rep.sync().await?;
    let recent_ref = rep
        .engine
        .open_case(&recent)?
        .case
        .reference
        .as_str()
        .to_owned();
    let overdue_ref = rep
        .engine
        .open_case(&overdue)?
        .case
        .reference
        .as_str()
        .to_owned();
    let committee = ConsoleClient::sign_in(&server, "committee").await?;
    let queue = committee.get("/console/queue").await?.text().await?;
    let first = queue
        .find(&format!("data-reference=\"{overdue_ref}\""))
        .expect("overdue listed");
    let second = queue
        .find(&format!("data-reference=\"{recent_ref}\""))
        .expect("recent listed");
    assert!(first < second, "the overdue request comes first");
    assert!(queue.contains("class=\"overdue\""));
    assert!(queue.contains("dir=\"rtl\""));
    for page in [
        "/console/dashboard",
        &format!("/console/cases/{}", overdue.as_str()),
    ] {
        let res = committee.get(page).await?;
        assert_eq!(res.status(), 200, "{page}");
        let html = res.text().await?;
        assert!(!html.contains("console-"), "{page}: an untranslated key");
    }
    let dashboard = committee.get("/console/dashboard").await?.text().await?;
    assert!(dashboard.contains("<svg"));
    Ok(())
}

#[tokio::test]
async fn the_researcher_answers_a_referral_and_the_device_receives_it() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let mut rep = Device::enrol(&server, "rep-a").await?;
    let id = submitted_case(&mut rep, 41, 1);
    let request = rep.engine.open_case(&id)?.case.requests[0].id.clone();
    let referral = mandoob_tests::refer(&mut rep, &id, &request, "هل يعمل الابن الأكبر؟")?;
    rep.sync().await?;
    let reference = rep
        .engine
        .open_case(&id)?
        .case
        .reference
        .as_str()
        .to_owned();

    let researcher = ConsoleClient::sign_in(&server, "researcher").await?;
    let inbox = researcher.get("/console/referrals").await?.text().await?;
    assert!(
        inbox.contains(&format!("data-reference=\"{reference}\"")),
        "the referral is in the inbox"
    );
    assert!(
        researcher.get("/console/queue").await?.status() == 403,
        "the queue is the committee's"
    );
    let answer = format!("/console/cases/{}/answer", id.as_str());
    let res = researcher
        .post(
            &answer,
            &[("referral", referral.as_str()), ("answer", " ")],
            true,
        )
        .await?;
    assert!(
        res.headers()["location"]
            .to_str()?
            .contains("error=console-answer-required")
    );
    let res = researcher
        .post(
            &answer,
            &[
                ("referral", referral.as_str()),
                ("answer", "نعم، براتب ٣٠٠ د.ك"),
            ],
            true,
        )
        .await?;
    assert!(
        res.headers()["location"]
            .to_str()?
            .contains("done=console-done-answered")
    );
    let inbox = researcher.get("/console/referrals").await?.text().await?;
    assert!(
        !inbox.contains(&format!("data-reference=\"{reference}\"")),
        "answered, off the inbox"
    );

    rep.sync().await?;
    let opened = rep.engine.open_case(&id)?;
    let r = &opened.case.referrals[0];
    assert_eq!(r.answer.as_deref(), Some("نعم، براتب ٣٠٠ د.ك"));
    assert_eq!(
        r.answered_by.as_ref().map(|u| u.as_str()),
        Some("researcher")
    );
    assert_eq!(opened.requests[0].open_referrals, 0);
    // A researcher of another branch would not even find the case.
    Ok(())
}

#[tokio::test]
async fn a_conflict_is_resolved_in_the_console_and_devices_converge() -> anyhow::Result<()> {
    use mandoob_engine::engine::Edit;
    let server = TestServer::start().await?;
    let mut phone_1 = Device::enrol(&server, "rep-a").await?;
    let mut phone_2 = Device::enrol(&server, "rep-a").await?;
    let id = submitted_case(&mut phone_1, 51, 1);
    phone_1.sync().await?;
    phone_2.sync().await?;
    // The same field changed on both phones before either syncs.
    for (device, phone) in [(&mut phone_1, "94000001"), (&mut phone_2, "94000002")] {
        let mut head = device
            .engine
            .open_case(&id)?
            .case
            .head()
            .expect("head")
            .clone();
        head.phone = phone.into();
        device.engine.edit(&id, Edit::UpsertMember(head))?;
    }
    phone_1.sync().await?;
    phone_2.sync().await?;
    phone_1.sync().await?;
    assert!(!phone_1.engine.open_case(&id)?.conflicts.is_empty());

    let committee = ConsoleClient::sign_in(&server, "committee").await?;
    let page = committee
        .get(&format!("/console/cases/{}", id.as_str()))
        .await?
        .text()
        .await?;
    assert!(page.contains("id=\"conflicts\""));
    assert!(
        page.contains("94000001") && page.contains("94000002"),
        "both values shown"
    );
    let path = page
        .split("name=\"path\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("a conflict path")
        .replace("&quot;", "\"");
    let res = committee
        .post(
            &format!("/console/cases/{}/resolve", id.as_str()),
            &[("path", &path), ("value", "\"94000002\"")],
            true,
        )
        .await?;
    assert!(
        res.headers()["location"]
            .to_str()?
            .contains("done=console-done-resolved")
    );
    for device in [&mut phone_1, &mut phone_2] {
        device.sync().await?;
        let opened = device.engine.open_case(&id)?;
        assert!(opened.conflicts.is_empty(), "{:?}", opened.conflicts);
        assert_eq!(opened.case.head().expect("head").phone, "94000002");
    }
    let log = server.storage()?.audit_log(10).await?;
    assert!(log.iter().any(|e| e.action == "resolve-conflict"));
    Ok(())
}

#[tokio::test]
async fn published_reference_documents_reach_devices_and_can_be_withdrawn() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let mut rep = Device::enrol(&server, "rep-a").await?;
    rep.sync().await?;
    assert!(rep.engine.library()?.documents.is_empty());
    let admin = ConsoleClient::sign_in(&server, "admin").await?;
    let res = admin
        .post(
            "/console/admin/library",
            &[
                ("title_ar", "دليل الجمعيات الشريكة"),
                ("title_en", "Partner organizations"),
                ("body_ar", "بيت الزكاة\r\n\r\nالأمانة العامة للأوقاف"),
                ("body_en", "Zakat House\r\n\r\nAwqaf Public Foundation"),
            ],
            true,
        )
        .await?;
    assert_eq!(res.status(), 303);
    // Without a title in both languages: refused.
    let res = admin
        .post(
            "/console/admin/library",
            &[
                ("title_ar", "x"),
                ("title_en", ""),
                ("body_ar", "x"),
                ("body_en", "x"),
            ],
            true,
        )
        .await?;
    assert_eq!(res.status(), 400);

    rep.sync().await?;
    let library = rep.engine.library()?;
    assert_eq!(library.documents.len(), 1);
    let doc = &library.documents[0];
    assert_eq!(doc.title_ar, "دليل الجمعيات الشريكة");
    assert_eq!(doc.body_en, "Zakat House\n\nAwqaf Public Foundation");
    // An unchanged library is not fetched again: a quiet sync is still one request.
    rep.client.reset_stats();
    rep.sync().await?;
    assert_eq!(rep.client.stats().requests, 1);

    let res = admin
        .post(
            &format!("/console/admin/library/{}/retire", doc.id),
            &[],
            true,
        )
        .await?;
    assert_eq!(res.status(), 303);
    rep.sync().await?;
    assert!(rep.engine.library()?.documents.is_empty());
    let log = server.storage()?.audit_log(10).await?;
    assert!(log.iter().any(|e| e.action == "publish-document"));
    assert!(log.iter().any(|e| e.action == "retire-document"));
    // The library needs a device token.
    let res = reqwest::get(server.url("/api/v1/library")).await?;
    assert_eq!(res.status(), 401);
    Ok(())
}

#[tokio::test]
async fn the_sla_set_in_the_console_gives_devices_the_same_due_dates() -> anyhow::Result<()> {
    use mandoob_engine::engine::ListQuery;
    use mandoob_shared::workflow::{DayCount, SlaPolicy};
    let server = TestServer::start().await?;
    let mut rep = Device::enrol(&server, "rep-a").await?;
    let id = submitted_case(&mut rep, 61, 3);
    rep.sync().await?;
    let started = rep.engine.open_case(&id)?.requests[0]
        .clock_started_at
        .expect("submitted");
    let due_on_device = |rep: &Device| -> anyhow::Result<Option<String>> {
        Ok(rep
            .engine
            .list(&ListQuery {
                limit: 10,
                ..ListQuery::default()
            })?
            .into_iter()
            .find(|c| c.id == id)
            .and_then(|c| c.due_date))
    };
    let two_weeks = SlaPolicy::default().due_date(started).to_string();
    assert_eq!(due_on_device(&rep)?.as_deref(), Some(two_weeks.as_str()));

    let admin = ConsoleClient::sign_in(&server, "admin").await?;
    let res = admin
        .post(
            "/console/admin/sla",
            &[("days", "20"), ("count", "working")],
            true,
        )
        .await?;
    assert_eq!(res.status(), 303);
    let twenty_working_days = SlaPolicy {
        days: 20,
        count: DayCount::Working,
        holidays: Vec::new(),
    };
    let expected = twenty_working_days.due_date(started).to_string();
    assert_ne!(expected, two_weeks);
    // The console shows the new due date at once; the device after its next sync.
    let queue = admin.get("/console/queue").await?.text().await?;
    assert!(queue.contains(&expected), "the queue uses the new SLA");
    rep.sync().await?;
    assert_eq!(due_on_device(&rep)?.as_deref(), Some(expected.as_str()));
    // And it is kept on the device: a new case indexed offline uses it too.
    let other = submitted_case(&mut rep, 62, 1);
    let other_due = rep
        .engine
        .list(&ListQuery {
            limit: 10,
            ..ListQuery::default()
        })?
        .into_iter()
        .find(|c| c.id == other)
        .and_then(|c| c.due_date);
    let other_start = rep.engine.open_case(&other)?.requests[0]
        .clock_started_at
        .expect("submitted");
    assert_eq!(
        other_due,
        Some(twenty_working_days.due_date(other_start).to_string())
    );
    let bad = admin
        .post(
            "/console/admin/sla",
            &[("days", "0"), ("count", "working")],
            true,
        )
        .await?;
    assert_eq!(bad.status(), 400);
    Ok(())
}

#[tokio::test]
async fn deactivating_a_user_revokes_their_devices_for_good() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let mut rep = Device::enrol(&server, "rep-a").await?;
    rep.sync().await?;
    let admin = ConsoleClient::sign_in(&server, "admin").await?;
    let active = |on: &'static str| [("active", on)];
    let res = admin
        .post("/console/admin/users/rep-a/active", &active("false"), true)
        .await?;
    assert_eq!(res.status(), 303);
    rep.sync()
        .await
        .expect_err("a deactivated user's device syncs");
    // Reactivated, the account signs in again; the old token (maybe of a lost phone) stays
    // revoked.
    let res = admin
        .post("/console/admin/users/rep-a/active", &active("true"), true)
        .await?;
    assert_eq!(res.status(), 303);
    let err = rep.sync().await.expect_err("the old device came back");
    assert!(err.to_string().contains("revoked"), "{err}");
    let devices = server.storage()?.devices().await?;
    assert!(
        devices
            .iter()
            .filter(|d| d.user.as_str() == "rep-a")
            .all(|d| d.revoked)
    );
    let mut again = Device::enrol(&server, "rep-a").await?;
    again.sync().await?;
    Ok(())
}
