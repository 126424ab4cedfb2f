//! Devices and HQ against the real server on 127.0.0.1 with its real SQLite storage.

use mandoob_engine::engine::{Edit, ListQuery, NewHousehold};
use mandoob_shared::doc::{Author, CaseDoc, FieldPath};
use mandoob_shared::ids::*;
use mandoob_shared::model::*;
use mandoob_shared::sample::realistic_case;
use mandoob_shared::sync as wire;
use mandoob_shared::workflow::{EventKind, RequestStatus, Role};
use mandoob_tests::{Device, TestServer};

/// A realistic, submitted case registered by `user` on `device`, not yet synced.
fn import_sample(device: &mut Device, seed: u64) -> CaseId {
    let mut case = realistic_case(seed);
    let user = device.login.user.clone();
    mandoob_shared::sample::attribute_to(&mut case, &user);
    case.branch = device.login.branch.clone();
    let author = Author {
        user,
        at: Timestamp::now(),
    };
    let mut doc = CaseDoc::create(&case, &author).expect("create");
    device.engine.import_case(&mut doc, true).expect("import")
}

fn phone_path(case: &CaseFile) -> FieldPath {
    FieldPath::default()
        .key("household")
        .key("members")
        .item(case.head().expect("head").id.as_str())
        .key("phone")
}

fn set_head_phone(device: &mut Device, id: &CaseId, phone: &str) {
    let mut head = device
        .engine
        .open_case(id)
        .expect("open")
        .case
        .head()
        .expect("head")
        .clone();
    head.phone = phone.into();
    device
        .engine
        .edit(id, Edit::UpsertMember(head))
        .expect("edit");
}

fn contact(device: &Device, summary: &str) -> ContactEntry {
    ContactEntry {
        id: ContactId::generate(),
        channel: Channel::Phone,
        direction: Direction::Outbound,
        at: Timestamp::now(),
        by: device.login.user.clone(),
        summary: summary.into(),
        follow_up_on: None,
        follow_up_done: false,
    }
}

#[tokio::test]
async fn three_devices_and_hq_converge_in_any_order() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let mut d1 = Device::enrol(&server, "rep-a").await?;
    let mut d2 = Device::enrol(&server, "rep-a").await?;
    let mut d3 = Device::enrol(&server, "rep-a").await?;
    let mut hq = Device::enrol(&server, "committee").await?;
    let id = import_sample(&mut d1, 7);
    d1.sync().await?;
    for d in [&mut d2, &mut d3, &mut hq] {
        let s = d.sync().await?;
        assert_eq!(s.pulled_cases, 1);
    }
    let request = d1.engine.open_case(&id)?.case.requests[0].id.clone();

    // Everyone offline: the same field on three replicas, concurrent workflow steps, lists.
    set_head_phone(&mut d1, &id, "99111111");
    set_head_phone(&mut d2, &id, "66222222");
    set_head_phone(&mut hq, &id, "55333333");
    let c1 = contact(&d1, "من الجهاز الأول");
    let c3 = contact(&d3, "من الجهاز الثالث");
    d1.engine.edit(&id, Edit::UpsertContact(c1.clone()))?;
    d3.engine.edit(&id, Edit::UpsertContact(c3.clone()))?;
    d2.engine.record_event(
        &id,
        &request,
        EventKind::Referred,
        "الأسرة تسأل عن شروط الدعم",
    )?;
    hq.engine.record_event(
        &id,
        &request,
        EventKind::InfoRequested,
        "نحتاج كشف حساب أحدث",
    )?;
    d3.engine.edit(
        &id,
        Edit::SetHouseholdNotes("ملاحظة من الجهاز الثالث".into()),
    )?;

    // Sync in a scrambled order, then once more each so everyone has everything.
    for d in [&mut d3, &mut hq, &mut d1, &mut d2] {
        let s = d.sync().await?;
        assert!(s.refused.is_empty(), "{:?}", s.refused);
    }
    for d in [&mut d2, &mut d1, &mut hq, &mut d3] {
        d.sync().await?;
    }

    let cases: Vec<CaseFile> = [&mut d1, &mut d2, &mut d3, &mut hq]
        .into_iter()
        .map(|d| d.engine.open_case(&id).map(|o| o.case))
        .collect::<Result<_, _>>()?;
    assert!(
        cases.windows(2).all(|w| w[0] == w[1]),
        "all four are identical"
    );
    let case = &cases[0];
    assert!(case.contacts.iter().any(|c| c.id == c1.id));
    assert!(case.contacts.iter().any(|c| c.id == c3.id));
    assert_eq!(case.household.notes, "ملاحظة من الجهاز الثالث");
    let kinds: Vec<_> = case.events.iter().map(|e| e.kind).collect();
    assert!(kinds.contains(&EventKind::Referred) && kinds.contains(&EventKind::InfoRequested));
    // The same-field conflict shows every value on every replica.
    let path = phone_path(case);
    for d in [&mut d1, &mut d2, &mut d3, &mut hq] {
        let open = d.engine.open_case(&id)?;
        let conflict = open
            .conflicts
            .iter()
            .find(|c| c.path == path)
            .expect("the phone conflict is visible");
        let mut values: Vec<String> = conflict
            .values
            .iter()
            .map(|v| v.value.as_str().unwrap_or_default().to_owned())
            .collect();
        values.sort();
        assert_eq!(values, vec!["55333333", "66222222", "99111111"]);
        let states = open.requests;
        assert_eq!(states[0].status, RequestStatus::InfoRequested);
        assert_eq!(states[0].open_referrals, 1);
    }
    Ok(())
}

#[tokio::test]
async fn a_committee_decision_reaches_the_representative() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let mut rep = Device::enrol(&server, "rep-a").await?;
    let mut hq = Device::enrol(&server, "committee").await?;
    let id = import_sample(&mut rep, 3);
    rep.sync().await?;
    hq.sync().await?;
    let request = hq.engine.open_case(&id)?.case.requests[0].id.clone();
    hq.engine.record_event(
        &id,
        &request,
        EventKind::Accepted,
        "الدخل أقل من حد الكفاية",
    )?;
    let s = hq.sync().await?;
    assert!(s.refused.is_empty(), "{:?}", s.refused);
    let before = rep.engine.open_case(&id)?.requests[0].status;
    assert_eq!(before, RequestStatus::AwaitingDecision);
    rep.sync().await?;
    let state = &rep.engine.open_case(&id)?.requests[0];
    assert_eq!(state.status, RequestStatus::Accepted);
    assert_eq!(
        state.decision.as_ref().map(|d| d.reason.as_str()),
        Some("الدخل أقل من حد الكفاية")
    );
    let listed = rep.engine.list(&ListQuery::default())?;
    assert_eq!(listed[0].status, "accepted");
    assert!(!listed[0].unsynced);
    Ok(())
}

#[tokio::test]
async fn branches_are_isolated_and_forged_decisions_refused() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let mut rep_a = Device::enrol(&server, "rep-a").await?;
    let mut rep_b = Device::enrol(&server, "rep-b").await?;
    let mut hq = Device::enrol(&server, "committee").await?;
    let id = import_sample(&mut rep_a, 5);
    rep_a.sync().await?;

    let s = rep_b.sync().await?;
    assert_eq!(s.pulled_cases, 0);
    assert!(
        rep_b.engine.list(&ListQuery::default())?.is_empty(),
        "branch B sees nothing of A"
    );

    // Branch B cannot push into branch A's case either (it forges the case id).
    let mut foreign = realistic_case(99);
    foreign.id = id.clone();
    foreign.branch = BranchCode::new("JHR");
    foreign.created_by = rep_b.login.user.clone();
    foreign.events.clear();
    let mut doc = CaseDoc::create(
        &foreign,
        &Author {
            user: rep_b.login.user.clone(),
            at: Timestamp::now(),
        },
    )?;
    rep_b.engine.import_case(&mut doc, true)?;
    let s = rep_b.sync().await?;
    assert!(!s.refused.is_empty());
    assert!(
        s.refused.iter().all(|r| r.code == "other-branch"),
        "{:?}",
        s.refused
    );

    // Representative A: a legitimate contact, then a forged committee decision.
    let legit = contact(&rep_a, "اتصال مشروع");
    rep_a.engine.edit(&id, Edit::UpsertContact(legit.clone()))?;
    let other = rep_a.engine.create_case(NewHousehold {
        head: Member::new("أسرة أخرى", Relation::Head),
        address: Address::default(),
        not_a_duplicate: true,
    })?;
    // A tampered device writes the decision straight into its copy of the document.
    let request = rep_a.engine.open_case(&id)?.case.requests[0].id.clone();
    let mut tampered = rep_a.engine.case_doc(&id)?;
    let forger = Author {
        user: rep_a.login.user.clone(),
        at: Timestamp::now(),
    };
    tampered.update(&forger, |c| {
        c.events.push(WorkflowEvent {
            id: EventId::generate(),
            kind: EventKind::Accepted,
            request,
            actor: forger.user.clone(),
            role: Role::Committee,
            at: forger.at,
            reason: "قرار مزور".into(),
            grant: None,
        })
    })?;
    rep_a.engine.import_case(&mut tampered, true)?;
    let s = rep_a.sync().await?;
    assert_eq!(s.refused.len(), 1, "{:?}", s.refused);
    assert_eq!(s.refused[0].code, "identity");
    assert_eq!(rep_a.engine.refused_changes()?.len(), 1, "kept for audit");
    // The device's copy is the server's: no forged decision.
    let state = &rep_a.engine.open_case(&id)?.requests[0];
    assert_eq!(state.status, RequestStatus::AwaitingDecision);
    // The rest of its work landed: HQ sees the contact and the other case.
    hq.sync().await?;
    let at_hq = hq.engine.open_case(&id)?.case;
    assert!(at_hq.contacts.iter().any(|c| c.id == legit.id));
    assert!(at_hq.events.iter().all(|e| e.kind != EventKind::Accepted));
    assert!(hq.engine.open_case(&other).is_ok());
    Ok(())
}

#[tokio::test]
async fn the_same_push_three_times_stores_each_change_once() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let mut rep = Device::enrol(&server, "rep-a").await?;
    import_sample(&mut rep, 9);
    let request = rep.engine.prepare_sync(100)?;
    let body = wire::encode(&request);
    let http = reqwest::Client::new();
    let storage = server.storage()?;
    let mut heads = Vec::new();
    for _ in 0..3 {
        // The answer is "lost": the device never applies it and sends the same push again.
        let resp = http
            .post(server.url("/api/v1/sync"))
            .bearer_auth(rep_token(&rep))
            .body(body.clone())
            .send()
            .await?;
        assert_eq!(resp.status(), 200);
        let answer: wire::SyncResponse = wire::decode(&resp.bytes().await?)?;
        assert!(answer.pushed[0].refused.is_empty());
        heads.push(storage.head_sequence().await?);
    }
    assert!(heads.windows(2).all(|w| w[0] == w[1]), "{heads:?}");
    let changes = storage
        .changes_after(&mandoob_sync_server::storage::Scope::All, 0, 1000)
        .await?;
    let mut hashes: Vec<_> = changes.iter().map(|c| c.bytes.clone()).collect();
    hashes.sort();
    hashes.dedup();
    assert_eq!(hashes.len(), changes.len());
    assert_eq!(changes.len(), request.push[0].changes.len());
    Ok(())
}

fn rep_token(device: &Device) -> String {
    device.client.token().to_owned()
}

#[tokio::test]
async fn garbage_and_unauthenticated_requests_get_clear_errors() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let rep = Device::enrol(&server, "rep-a").await?;
    let http = reqwest::Client::new();
    let resp = http
        .post(server.url("/api/v1/sync"))
        .body("x")
        .send()
        .await?;
    assert_eq!(resp.status(), 401);
    // Every error carries a stable code the app translates (issue 16), beside its English.
    let code = |body: &serde_json::Value| body["code"].as_str().unwrap_or_default().to_owned();
    assert_eq!(code(&resp.json().await?), "not-signed-in");
    let resp = http
        .post(server.url("/api/v1/sync"))
        .bearer_auth("not-a-token")
        .body("x")
        .send()
        .await?;
    assert_eq!(code(&resp.json().await?), "not-signed-in");
    // An app that speaks another protocol is told to update.
    let old = mandoob_shared::sync::SyncRequest {
        protocol: mandoob_shared::sync::PROTOCOL_VERSION + 1,
        cursor: 0,
        whole_after: None,
        push: Vec::new(),
        page: 10,
        budget: None,
    };
    let resp = http
        .post(server.url("/api/v1/sync"))
        .bearer_auth(rep_token(&rep))
        .body(mandoob_shared::sync::encode(&old))
        .send()
        .await?;
    assert_eq!(resp.status(), 400);
    assert_eq!(code(&resp.json().await?), "update-required");
    let resp = http
        .post(server.url("/api/v1/sync"))
        .bearer_auth(rep_token(&rep))
        .body(vec![0xff; 64])
        .send()
        .await?;
    assert_eq!(resp.status(), 400);
    let body: serde_json::Value = resp.json().await?;
    assert_eq!(code(&body), "bad-request");
    assert!(
        body["error"]
            .as_str()
            .unwrap_or_default()
            .contains("damaged"),
        "{body}"
    );
    let resp = http
        .post(server.url("/api/v1/login"))
        .json(&serde_json::json!({"username": "rep-a", "password": "wrong", "device_name": "x"}))
        .send()
        .await?;
    assert_eq!(resp.status(), 401);
    assert_eq!(code(&resp.json().await?), "sign-in-wrong");
    let too_big = vec![0u8; 33 * 1024 * 1024];
    // On a connection of its own: the server answers 413 before reading the body and closes
    // it, which a reused keep-alive connection sees as a reset.
    let resp = reqwest::Client::new()
        .post(server.url("/api/v1/sync"))
        .bearer_auth(rep_token(&rep))
        .body(too_big)
        .send()
        .await?;
    assert_eq!(resp.status(), 413);
    let body: serde_json::Value = resp.json().await?;
    assert_eq!(code(&body), "too-large");
    assert!(
        body["error"]
            .as_str()
            .unwrap_or_default()
            .contains("smaller pages"),
        "{body}"
    );
    Ok(())
}

#[tokio::test]
async fn photo_uploads_resume_and_wrong_bytes_are_refused() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let mut rep = Device::enrol(&server, "rep-a").await?;
    let id = import_sample(&mut rep, 1);
    let photo = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/photos/Portrait_6.jpg"
    ))?;
    let attached = rep
        .engine
        .attach_photo(&id, &photo, DocumentKind::CivilId, None, None, None)?;
    let bytes = rep.engine.blob(&attached.sha256)?.expect("stored");
    let http = reqwest::Client::new();
    let url = server.url(&format!("/api/v1/blobs/{}", attached.sha256));
    // Half the photo, then the connection "drops".
    let half = bytes.len() / 2;
    let resp = http
        .patch(&url)
        .bearer_auth(rep_token(&rep))
        .header("upload-offset", "0")
        .header("upload-length", bytes.len().to_string())
        .body(bytes[..half].to_vec())
        .send()
        .await?;
    assert_eq!(resp.status(), 204);
    let head = http.head(&url).bearer_auth(rep_token(&rep)).send().await?;
    assert_eq!(head.headers()["upload-offset"].to_str()?, half.to_string());
    // The next sync resumes from there and completes.
    rep.sync().await?;
    let stored = server
        .storage()?
        .blob(&attached.sha256)
        .await?
        .expect("complete");
    assert_eq!(stored, bytes);
    assert_eq!(rep.engine.pending_blobs()?.len(), 0);
    // Bytes that do not match their name are refused and not kept.
    let wrong = "0".repeat(64);
    let resp = http
        .patch(server.url(&format!("/api/v1/blobs/{wrong}")))
        .bearer_auth(rep_token(&rep))
        .header("upload-offset", "0")
        .header("upload-length", "5")
        .body("hello")
        .send()
        .await?;
    assert_eq!(resp.status(), 422);
    assert!(server.storage()?.blob(&wrong).await?.is_none());
    Ok(())
}

#[tokio::test]
async fn photos_are_served_only_to_readers_of_their_case() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let mut rep_a = Device::enrol(&server, "rep-a").await?;
    let rep_b = Device::enrol(&server, "rep-b").await?;
    let committee = Device::enrol(&server, "committee").await?;
    let id = import_sample(&mut rep_a, 7);
    let photo = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/photos/Portrait_3.jpg"
    ))?;
    let attached =
        rep_a
            .engine
            .attach_photo(&id, &photo, DocumentKind::CivilId, None, None, None)?;
    rep_a.sync().await?;
    let thumbnail = rep_a
        .engine
        .open_case(&id)?
        .case
        .documents
        .iter()
        .find(|d| d.id == attached.document)
        .expect("document")
        .thumbnail_sha256
        .clone();
    let http = reqwest::Client::new();
    let get = |sha: &str, token: String| {
        http.get(server.url(&format!("/api/v1/blobs/{sha}")))
            .bearer_auth(token)
            .send()
    };
    let expected = rep_a.engine.blob(&attached.sha256)?.expect("stored");
    for (who, token) in [
        ("rep-a", rep_token(&rep_a)),
        ("committee", rep_token(&committee)),
    ] {
        for sha in [&attached.sha256, &thumbnail] {
            let resp = get(sha, token.clone()).await?;
            assert_eq!(resp.status(), 200, "{who} reads {sha}");
        }
    }
    let resp = get(&attached.sha256, rep_token(&rep_a)).await?;
    assert_eq!(resp.bytes().await?.as_ref(), expected.as_slice());
    // Branch B knows the name (say, from a leaked log) but gets the answer of a missing blob.
    for sha in [&attached.sha256, &thumbnail] {
        let resp = get(sha, rep_token(&rep_b)).await?;
        assert_eq!(resp.status(), 404);
    }
    // A blob uploaded but referred to by no case is served to nobody in a branch.
    let orphan = b"not referred to by any case";
    let sha = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(orphan))
    };
    rep_b.client.upload(&sha, orphan).await?;
    assert_eq!(get(&sha, rep_token(&rep_b)).await?.status(), 404);
    Ok(())
}

#[tokio::test]
async fn offline_is_reported_and_retries_reach_the_server_when_it_returns() -> anyhow::Result<()> {
    use mandoob_engine::engine::{Event, SyncState};
    use mandoob_engine::sync_client::{SyncClient, SyncError};
    let server = TestServer::start().await?;
    let data_dir = server.data_dir.clone();
    let mut rep = Device::enrol(&server, "rep-a").await?;
    import_sample(&mut rep, 4);
    server.stop().await?;
    // A free port the server will come back on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let client = SyncClient::new(&format!("http://127.0.0.1:{port}"), rep.client.token());
    rep.engine.take_events();
    let err = client.sync(&mut rep.engine).await.expect_err("offline");
    assert!(matches!(err, SyncError::Offline(_)), "{err}");
    assert!(
        rep.engine
            .take_events()
            .contains(&Event::SyncState(SyncState::Offline))
    );
    let restart = tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(800)).await;
        let settings = mandoob_sync_server::Settings {
            data_dir,
            ..Default::default()
        };
        TestServer::start_on_port(settings, port).await
    });
    let summary = client.sync_with_retry(&mut rep.engine, 6).await?;
    assert_eq!(summary.pushed_cases, 1);
    let events = rep.engine.take_events();
    assert!(
        events.contains(&Event::SyncState(SyncState::UpToDate)),
        "{events:?}"
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::SyncProgress { .. }))
    );
    let _server = restart.await??;
    Ok(())
}
