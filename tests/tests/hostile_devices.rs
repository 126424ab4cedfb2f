//! A device the server must not trust (issue 13): a stolen phone, a modified app, a buggy old
//! version, each with a valid token, against the real server on 127.0.0.1. Every attack is
//! refused with its reason, the server keeps serving other devices, and every case stays
//! loadable and readable in the console.

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ObjType, ReadDoc};
use mandoob_engine::engine::{Edit, NewHousehold};
use mandoob_shared::doc::{Author, CaseDoc};
use mandoob_shared::ids::*;
use mandoob_shared::model::*;
use mandoob_shared::sync::{self as wire, PushDoc, SyncRequest, SyncResponse};
use mandoob_shared::workflow::{EventKind, RequestStatus, Role};
use mandoob_tests::{ConsoleClient, Device, TestServer, submitted_case};
use sha2::{Digest, Sha256};

/// Posts a raw sync request with `device`'s token.
async fn raw_sync(
    server: &TestServer,
    device: &Device,
    push: Vec<PushDoc>,
) -> anyhow::Result<reqwest::Response> {
    let body = wire::encode(&SyncRequest {
        protocol: wire::PROTOCOL_VERSION,
        cursor: u64::MAX / 2,
        whole_after: None,
        push,
        page: 10,
        budget: None,
    });
    Ok(reqwest::Client::new()
        .post(server.url("/api/v1/sync"))
        .bearer_auth(&device.login.token)
        .header("content-type", "application/x-mandoob-sync")
        .body(body)
        .send()
        .await?)
}

/// Pushes `changes` of `case` and returns the codes of the refused ones.
async fn push_codes(
    server: &TestServer,
    device: &Device,
    case: &CaseId,
    changes: Vec<Vec<u8>>,
) -> anyhow::Result<Vec<String>> {
    let res = raw_sync(
        server,
        device,
        vec![PushDoc {
            case: case.clone(),
            changes: changes.into_iter().map(wire::Bytes).collect(),
        }],
    )
    .await?;
    anyhow::ensure!(res.status() == 200, "sync answered {}", res.status());
    let answer: SyncResponse = wire::decode(&res.bytes().await?)?;
    Ok(answer.pushed[0]
        .refused
        .iter()
        .map(|r| r.code.clone())
        .collect())
}

/// Edits the device's copy of `case` with raw automerge operations, committed as `user` at
/// `time`, and returns the new changes (what a modified app would push).
fn forge(
    device: &mut Device,
    case: &CaseId,
    user: &str,
    time: i64,
    edit: impl FnOnce(&mut automerge::AutoCommit),
) -> anyhow::Result<Vec<Vec<u8>>> {
    let mut doc = device.engine.case_doc(case)?;
    let heads = doc.heads();
    let am = doc.automerge();
    edit(am);
    am.commit_with(CommitOptions::default().with_message(user).with_time(time));
    Ok(doc.changes_since(&heads))
}

/// Edits the device's copy of `case` through the model as `user` (a modified app that skips
/// the engine's checks) and returns the new changes.
fn edit_as(
    device: &mut Device,
    case: &CaseId,
    user: &str,
    edit: impl FnOnce(&mut CaseFile),
) -> anyhow::Result<Vec<Vec<u8>>> {
    let mut doc = device.engine.case_doc(case)?;
    let heads = doc.heads();
    let author = Author {
        user: UserId::new(user),
        at: Timestamp::now(),
    };
    doc.update(&author, edit)?;
    Ok(doc.changes_since(&heads))
}

fn now() -> i64 {
    Timestamp::now().millis()
}

fn obj(am: &automerge::AutoCommit, parent: &automerge::ObjId, key: &str) -> automerge::ObjId {
    am.get(parent, key).expect("get").expect("present").1
}

/// After an attack: the server answers, other devices sync, and the case reads in the console
/// and on a new device.
async fn still_serving(server: &TestServer, case: &CaseId) -> anyhow::Result<()> {
    let health = reqwest::get(server.url("/healthz")).await?;
    anyhow::ensure!(health.status() == 200, "the server stopped answering");
    let mut other = Device::enrol(server, "rep-b").await?;
    other.sync().await?;
    let mut fresh = Device::enrol(server, "rep-a").await?;
    fresh.sync().await?;
    fresh.engine.open_case(case)?;
    let console = ConsoleClient::sign_in(server, "committee").await?;
    let page = console
        .get(&format!("/console/cases/{}", case.as_str()))
        .await?;
    anyhow::ensure!(
        page.status() == 200,
        "the case page answered {}",
        page.status()
    );
    // Every stored case loads and fits the schema.
    let storage = server.storage()?;
    let (docs, _) = storage
        .whole_documents(&mandoob_sync_server::storage::Scope::All, None, u32::MAX)
        .await?;
    for d in docs {
        let doc = CaseDoc::load(&d.snapshot)?;
        doc.check_schema_full()?;
        doc.hydrate()?;
    }
    Ok(())
}

/// A household registered on rep-a's device and synced.
async fn synced_case(server: &TestServer) -> anyhow::Result<(Device, CaseId)> {
    let mut rep = Device::enrol(server, "rep-a").await?;
    let id = submitted_case(&mut rep, 5, 1);
    rep.sync().await?;
    Ok((rep, id))
}

#[tokio::test]
async fn item1_deeply_nested_maps_are_refused_and_the_server_lives() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let (mut rep, id) = synced_case(&server).await?;
    let changes = forge(&mut rep, &id, "rep-a", now(), |am| {
        let household = obj(am, &automerge::ROOT, "household");
        let mut o = am
            .put_object(&household, "deep", ObjType::Map)
            .expect("put");
        for _ in 0..5_000 {
            o = am.put_object(&o, "x", ObjType::Map).expect("nest");
        }
    })?;
    let codes = push_codes(&server, &rep, &id, changes).await?;
    assert_eq!(codes, ["schema"]);
    still_serving(&server, &id).await
}

#[tokio::test]
async fn item2_a_signed_schema_version_is_refused() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let (mut rep, id) = synced_case(&server).await?;
    let changes = forge(&mut rep, &id, "rep-a", now(), |am| {
        am.put(automerge::ROOT, "schema_version", 1i64)
            .expect("put");
    })?;
    assert_eq!(push_codes(&server, &rep, &id, changes).await?, ["schema"]);
    still_serving(&server, &id).await
}

/// A case accepted by the committee in the console.
async fn accepted_case(server: &TestServer) -> anyhow::Result<(Device, CaseId)> {
    let (mut rep, id) = synced_case(server).await?;
    let request = rep.engine.open_case(&id)?.case.requests[0].id.clone();
    let console = ConsoleClient::sign_in(server, "committee").await?;
    let res = console
        .post(
            &format!("/console/cases/{}/decide", id.as_str()),
            &[
                ("request", request.as_str()),
                ("outcome", "accepted"),
                ("reason", "مستحق"),
            ],
            true,
        )
        .await?;
    assert_eq!(res.status(), 303);
    rep.sync().await?;
    assert_eq!(
        rep.engine.open_case(&id)?.requests[0].status,
        RequestStatus::Accepted
    );
    Ok((rep, id))
}

#[tokio::test]
async fn item3_history_cannot_be_rewritten() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let (mut rep, id) = accepted_case(&server).await?;

    // Reordering the events (the acceptance moved before the submission).
    let changes = forge(&mut rep, &id, "rep-a", now(), |am| {
        let events = obj(am, &automerge::ROOT, "events");
        let last = am.length(&events) - 1;
        let accepted = am.get(&events, last).expect("get").expect("event").1;
        let keys: Vec<String> = am.keys(&accepted).collect();
        let copy: Vec<(String, automerge::ScalarValue)> = keys
            .into_iter()
            .filter_map(|k| match am.get(&accepted, k.as_str()).ok()?? {
                (automerge::Value::Scalar(s), _) => Some((k, s.into_owned())),
                _ => None,
            })
            .collect();
        am.delete(&events, last).expect("delete");
        let moved = am.insert_object(&events, 0, ObjType::Map).expect("insert");
        for (k, v) in copy {
            am.put(&moved, k, v).expect("put");
        }
    })?;
    assert_eq!(push_codes(&server, &rep, &id, changes).await?, ["history"]);

    // Raising the amount of the accepted request from its value to 4,500 KWD.
    let changes = forge(&mut rep, &id, "rep-a", now(), |am| {
        let requests = obj(am, &automerge::ROOT, "requests");
        let request = am.get(&requests, 0).expect("get").expect("request").1;
        am.put(&request, "amount", Fils::from_kwd(4_500).0)
            .expect("put");
    })?;
    assert_eq!(push_codes(&server, &rep, &id, changes).await?, ["history"]);

    // The device's own engine refuses the same edit before it writes anything.
    let mut request = rep.engine.open_case(&id)?.case.requests[0].clone();
    request.amount = Some(Fils::from_kwd(4_500));
    assert!(matches!(
        rep.engine.edit(&id, Edit::UpsertRequest(request)),
        Err(mandoob_engine::engine::EngineError::Frozen(_))
    ));

    // A referral answered by the researcher, then deleted by the representative.
    let referral = Referral {
        id: ReferralId::generate(),
        request: None,
        question: "هل الدخل محدّث؟".into(),
        by: UserId::new("rep-a"),
        at: Timestamp::now(),
        answer: None,
        answered_by: None,
        answered_at: None,
    };
    rep.engine
        .edit(&id, Edit::UpsertReferral(referral.clone()))?;
    rep.sync().await?;
    let mut researcher = Device::enrol(&server, "researcher").await?;
    researcher.sync().await?;
    // The researcher's modified app signs the answer as the committee: refused.
    let mut forged = referral.clone();
    forged.answer = Some("نعم".into());
    forged.answered_by = Some(UserId::new("committee"));
    forged.answered_at = Some(Timestamp::now());
    let mut doc = researcher.engine.case_doc(&id)?;
    let heads = doc.heads();
    let author = Author {
        user: UserId::new("researcher"),
        at: Timestamp::now(),
    };
    doc.update(&author, |c| {
        if let Some(r) = c.referrals.iter_mut().find(|r| r.id == forged.id) {
            *r = forged.clone();
        }
    })?;
    let changes = doc.changes_since(&heads);
    assert_eq!(
        push_codes(&server, &researcher, &id, changes).await?,
        ["identity"]
    );
    // Answered in their own name: accepted.
    let mut answered = referral.clone();
    answered.answer = Some("نعم، محدّث".into());
    answered.answered_by = Some(UserId::new("researcher"));
    answered.answered_at = Some(Timestamp::now());
    researcher
        .engine
        .edit(&id, Edit::UpsertReferral(answered))?;
    let s = researcher.sync().await?;
    assert!(s.refused.is_empty(), "{:?}", s.refused);
    rep.sync().await?;
    let changes = forge(&mut rep, &id, "rep-a", now(), |am| {
        let referrals = obj(am, &automerge::ROOT, "referrals");
        am.delete(&referrals, 0).expect("delete");
    })?;
    assert_eq!(push_codes(&server, &rep, &id, changes).await?, ["history"]);

    // Nothing of it reached the server: still accepted, at the original amount.
    let mut fresh = Device::enrol(&server, "rep-a").await?;
    fresh.sync().await?;
    let open = fresh.engine.open_case(&id)?;
    assert_eq!(open.requests[0].status, RequestStatus::Accepted);
    assert_ne!(open.case.requests[0].amount, Some(Fils::from_kwd(4_500)));
    assert!(open.case.referrals[0].answer.is_some());
    still_serving(&server, &id).await
}

#[tokio::test]
async fn item4_authorship_is_the_signed_in_account() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let (mut rep, id) = accepted_case(&server).await?;
    let notes = |text: &'static str| {
        move |am: &mut automerge::AutoCommit| {
            let household = obj(am, &automerge::ROOT, "household");
            am.put(&household, "notes", text).expect("put");
        }
    };
    // A change that names the committee as its author.
    let changes = forge(&mut rep, &id, "committee", now(), notes("كتبته اللجنة"))?;
    assert_eq!(push_codes(&server, &rep, &id, changes).await?, ["author"]);
    // A change written as the committee's own replica (its actor, from the decision).
    let mut doc = rep.engine.case_doc(&id)?;
    let committee_actor = doc
        .automerge()
        .get_changes(&[])
        .into_iter()
        .find(|c| c.message() == Some("committee"))
        .expect("the committee's change")
        .actor_id()
        .clone();
    let heads = doc.heads();
    doc.set_actor(committee_actor);
    {
        let am = doc.automerge();
        notes("بنسخة اللجنة")(am);
        am.commit_with(
            CommitOptions::default()
                .with_message("rep-a")
                .with_time(now()),
        );
    }
    let changes = doc.changes_since(&heads);
    assert_eq!(push_codes(&server, &rep, &id, changes).await?, ["author"]);
    // Dated a day ahead, and years before the device was enrolled.
    for time in [now() + 86_400_000, now() - 3 * 365 * 86_400_000] {
        let changes = forge(&mut rep, &id, "rep-a", time, notes("وقت مزور"))?;
        assert_eq!(push_codes(&server, &rep, &id, changes).await?, ["clock"]);
    }
    // A record naming someone else as its author.
    let contact = ContactEntry {
        id: ContactId::generate(),
        channel: Channel::Phone,
        direction: Direction::Outbound,
        at: Timestamp::now(),
        by: UserId::new("committee"),
        summary: "اتصال".into(),
        follow_up_on: None,
        follow_up_done: false,
    };
    let changes = edit_as(&mut rep, &id, "rep-a", |c| c.contacts.push(contact))?;
    assert_eq!(push_codes(&server, &rep, &id, changes).await?, ["identity"]);
    // The console's conflicts name nobody falsely: every stored change names its replica's
    // account.
    still_serving(&server, &id).await
}

#[tokio::test]
async fn item5_ids_that_are_not_ids_are_refused() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let (rep, id) = synced_case(&server).await?;
    let mut case = CaseFile::new(
        CaseReference::new("QRN-D1-00099"),
        BranchCode::new("QRN"),
        UserId::new("rep-a"),
        Timestamp::now(),
    );
    let bad = CaseId::new("../admin/devices/D2/revoke?n=1");
    case.id = bad.clone();
    // A modified app writes the document without the model's checks.
    let mut am = automerge::AutoCommit::new();
    autosurgeon::reconcile(&mut am, &case)?;
    am.commit_with(
        CommitOptions::default()
            .with_message("rep-a")
            .with_time(now()),
    );
    let changes: Vec<Vec<u8>> = am
        .get_changes(&[])
        .into_iter()
        .map(|c| c.raw_bytes().to_vec())
        .collect();
    assert_eq!(push_codes(&server, &rep, &bad, changes).await?, ["schema"]);
    // The console does not take such an id in a link either.
    let console = ConsoleClient::sign_in(&server, "admin").await?;
    let res = console
        .post(
            "/console/cases/..%2Fadmin%2Fdevices%2FD2%2Frevoke/decide",
            &[("request", "x"), ("outcome", "accepted"), ("reason", "x")],
            true,
        )
        .await?;
    assert_ne!(res.status(), 303);
    assert!(
        server
            .storage()?
            .devices()
            .await?
            .iter()
            .all(|d| !d.revoked)
    );
    still_serving(&server, &id).await
}

async fn upload(server: &TestServer, device: &Device, bytes: &[u8]) -> anyhow::Result<String> {
    let sha = hex::encode(Sha256::digest(bytes));
    let res = reqwest::Client::new()
        .patch(server.url(&format!("/api/v1/blobs/{sha}")))
        .bearer_auth(&device.login.token)
        .header("upload-offset", "0")
        .header("upload-length", bytes.len().to_string())
        .body(bytes.to_vec())
        .send()
        .await?;
    anyhow::ensure!(res.status() == 201, "upload answered {}", res.status());
    Ok(sha)
}

#[tokio::test]
async fn item6_photos_do_not_leak_across_branches() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let (mut rep_a, id) = synced_case(&server).await?;
    // Branch A's photo, referred to by its case.
    let photo = std::fs::read(mandoob_tests::repo().join("tests/fixtures/photos/Portrait_6.jpg"))?;
    rep_a
        .engine
        .attach_photo(&id, &photo, DocumentKind::CivilId, None, None, None)?;
    rep_a.sync().await?;
    let sha = rep_a
        .engine
        .open_case(&id)?
        .case
        .documents
        .last()
        .expect("doc")
        .sha256
        .clone();
    let head = |device: &Device| {
        reqwest::Client::new()
            .head(server.url(&format!("/api/v1/blobs/{sha}")))
            .bearer_auth(device.login.token.clone())
            .send()
    };
    assert_eq!(head(&rep_a).await?.status(), 200);

    // Branch B: existence is not told, the photo is not served, and it cannot be claimed.
    let mut rep_b = Device::enrol(&server, "rep-b").await?;
    let res = head(&rep_b).await?;
    assert_eq!(res.status(), 204);
    assert_eq!(res.headers()["upload-offset"], "0");
    let missing: wire::MissingBlobs = reqwest::Client::new()
        .post(server.url("/api/v1/blobs/missing"))
        .bearer_auth(&rep_b.login.token)
        .json(&wire::MissingBlobs {
            sha256: vec![sha.clone()],
        })
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(missing.sha256, std::slice::from_ref(&sha));
    let own = rep_b.engine.create_case(NewHousehold {
        head: Member::new("أسرة في الجهراء", Relation::Head),
        address: Address::default(),
        not_a_duplicate: true,
    })?;
    rep_b.sync().await?;
    let doc_meta = DocumentMeta {
        id: DocumentId::generate(),
        kind: DocumentKind::CivilId,
        member: None,
        sha256: sha.clone(),
        thumbnail_sha256: String::new(),
        bytes: photo.len() as u64,
        width: 10,
        height: 10,
        captured_at: Timestamp::now(),
        captured_by: UserId::new("rep-b"),
        expires_on: None,
    };
    let changes = edit_as(&mut rep_b, &own, "rep-b", |c| c.documents.push(doc_meta))?;
    assert_eq!(push_codes(&server, &rep_b, &own, changes).await?, ["photo"]);
    let res = reqwest::Client::new()
        .get(server.url(&format!("/api/v1/blobs/{sha}")))
        .bearer_auth(&rep_b.login.token)
        .send()
        .await?;
    assert_eq!(res.status(), 404);
    // Uploading the same bytes is accepted (nothing told), and makes them B's to refer to.
    upload(&server, &rep_b, &photo).await?;
    still_serving(&server, &id).await
}

#[tokio::test]
async fn item7_pushes_are_bounded_and_fields_too() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let (mut rep, id) = synced_case(&server).await?;
    // Too many changes in one request: refused whole, with a message to split it.
    let mut doc = rep.engine.case_doc(&id)?;
    let heads = doc.heads();
    for i in 0..(wire::MAX_PUSH_CHANGES + 1) {
        let am = doc.automerge();
        let household = obj(am, &automerge::ROOT, "household");
        am.put(&household, "notes", format!("{i}")).expect("put");
        am.commit_with(
            CommitOptions::default()
                .with_message("rep-a")
                .with_time(now()),
        );
    }
    let changes = doc.changes_since(&heads);
    let res = raw_sync(
        &server,
        &rep,
        vec![PushDoc {
            case: id.clone(),
            changes: changes.into_iter().map(wire::Bytes).collect(),
        }],
    )
    .await?;
    assert_eq!(res.status(), 413);
    assert!(res.text().await?.contains("split"));
    // A megabyte of notes.
    let changes = forge(&mut rep, &id, "rep-a", now(), |am| {
        let household = obj(am, &automerge::ROOT, "household");
        am.put(&household, "notes", "ن".repeat(1 << 20))
            .expect("put");
    })?;
    assert_eq!(push_codes(&server, &rep, &id, changes).await?, ["schema"]);
    // A compressed change (a deflate bomb would inflate before anything bounds it).
    let changes = forge(&mut rep, &id, "rep-a", now(), |am| {
        let household = obj(am, &automerge::ROOT, "household");
        am.put(&household, "notes", "ملاحظة ".repeat(500))
            .expect("put");
    })?;
    let mut change = automerge::Change::try_from(changes[0].as_slice())?;
    let compressed = change.bytes().to_vec();
    assert_eq!(compressed.get(8), Some(&2), "a compressed chunk");
    assert_eq!(
        push_codes(&server, &rep, &id, vec![compressed]).await?,
        ["damaged"]
    );
    // A change of 150,000 operations (one character each): refused before it is applied.
    let changes = forge(&mut rep, &id, "rep-a", now(), |am| {
        let household = obj(am, &automerge::ROOT, "household");
        let text = am
            .put_object(&household, "bulk", ObjType::Text)
            .expect("put");
        am.splice_text(&text, 0, 0, &"x".repeat(150_000))
            .expect("splice");
    })?;
    assert_eq!(
        push_codes(&server, &rep, &id, changes).await?,
        ["too-large"]
    );
    // The device's own engine refuses it before writing, and keeps the case as it was.
    assert!(matches!(
        rep.engine
            .edit(&id, Edit::SetHouseholdNotes("ن".repeat(1 << 20))),
        Err(mandoob_engine::engine::EngineError::TooLarge(_))
    ));
    // A device with more than one request's worth of work splits it over several requests
    // (long notes rewritten many times: more bytes than one request takes).
    let long = "ن".repeat(19_000);
    let edits = 240;
    for i in 0..edits {
        rep.engine
            .edit(&id, Edit::SetHouseholdNotes(format!("{i} {long}")))?;
    }
    rep.client.reset_stats();
    let s = rep.sync().await?;
    assert!(s.refused.is_empty(), "{:?}", s.refused);
    assert!(rep.client.stats().requests >= 2, "{:?}", rep.client.stats());
    let mut fresh = Device::enrol(&server, "rep-a").await?;
    fresh.sync().await?;
    assert_eq!(
        fresh.engine.open_case(&id)?.case.household.notes,
        format!("{} {long}", edits - 1)
    );
    still_serving(&server, &id).await
}

#[tokio::test]
async fn item8_keep_this_value_only_resolves_real_conflicts() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let (mut rep, id) = synced_case(&server).await?;
    let case = rep.engine.case_doc(&id)?.hydrate()?;
    let head = case.head().expect("head");
    let path = format!("household.members[{}].civil_id", head.id.as_str());
    let researcher = ConsoleClient::sign_in(&server, "researcher").await?;
    let res = researcher
        .post(
            &format!("/console/cases/{}/resolve", id.as_str()),
            &[("path", path.as_str()), ("value", "\"289010112345\"")],
            true,
        )
        .await?;
    assert_eq!(res.status(), 303);
    let to = res.headers()["location"].to_str()?.to_owned();
    assert!(to.contains("error=console-not-in-conflict"), "{to}");
    let mut fresh = Device::enrol(&server, "rep-a").await?;
    fresh.sync().await?;
    assert_eq!(
        fresh
            .engine
            .open_case(&id)?
            .case
            .head()
            .expect("head")
            .civil_id,
        head.civil_id
    );
    let audit = server.storage()?.audit_log(100).await?;
    assert!(audit.iter().all(|a| a.action != "resolve-conflict"));
    still_serving(&server, &id).await
}

#[tokio::test]
async fn item9_uploads_are_checked_bounded_and_expire() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let (rep, id) = synced_case(&server).await?;
    let sha = hex::encode(Sha256::digest(b"part of a photo"));
    let patch = |offset: String, length: String, body: &'static [u8]| {
        reqwest::Client::new()
            .patch(server.url(&format!("/api/v1/blobs/{sha}")))
            .bearer_auth(rep.login.token.clone())
            .header("upload-offset", offset)
            .header("upload-length", length)
            .body(body)
            .send()
    };
    let res = patch(u64::MAX.to_string(), "20".into(), b"abc").await?;
    assert_eq!(res.status(), 400);
    let res = patch("0".into(), (1u64 << 50).to_string(), b"abc").await?;
    assert_eq!(res.status(), 413);
    // A partial upload, then expired: the device starts again from 0.
    let res = patch("0".into(), "15".into(), b"part of").await?;
    assert_eq!(res.status(), 204);
    let offset =
        |res: reqwest::Response| res.headers()["upload-offset"].to_str().map(str::to_owned);
    let head = || {
        reqwest::Client::new()
            .head(server.url(&format!("/api/v1/blobs/{sha}")))
            .bearer_auth(rep.login.token.clone())
            .send()
    };
    assert_eq!(offset(head().await?)?, "7");
    assert_eq!(server.storage()?.expire_uploads(i64::MAX).await?, 1);
    assert_eq!(offset(head().await?)?, "0");
    // Another device does not see this device's partial upload.
    let other = Device::enrol(&server, "rep-a").await?;
    patch("0".into(), "15".into(), b"part of").await?;
    let res = reqwest::Client::new()
        .head(server.url(&format!("/api/v1/blobs/{sha}")))
        .bearer_auth(&other.login.token)
        .send()
        .await?;
    assert_eq!(offset(res)?, "0");
    // A quota of unfinished uploads per device: 8 uploads of the largest size fit, the 9th
    // does not.
    server.storage()?.expire_uploads(i64::MAX).await?;
    for i in 0..9u8 {
        let name = hex::encode(Sha256::digest([i]));
        let res = reqwest::Client::new()
            .patch(server.url(&format!("/api/v1/blobs/{name}")))
            .bearer_auth(&rep.login.token)
            .header("upload-offset", "0")
            .header("upload-length", wire::MAX_BLOB_BYTES.to_string())
            .body(vec![i; 10])
            .send()
            .await?;
        let expected = if i < 8 { 204 } else { 429 };
        assert_eq!(res.status(), expected, "upload {i}");
    }
    still_serving(&server, &id).await
}

#[tokio::test]
async fn a_committee_decision_is_still_refused_from_a_device() -> anyhow::Result<()> {
    // The rules that held before still hold through the new checks.
    let server = TestServer::start().await?;
    let (mut rep, id) = synced_case(&server).await?;
    let request = rep.engine.open_case(&id)?.case.requests[0].id.clone();
    let changes = edit_as(&mut rep, &id, "rep-a", |c| {
        c.events.push(WorkflowEvent {
            id: EventId::generate(),
            kind: EventKind::Accepted,
            request,
            actor: UserId::new("rep-a"),
            role: Role::Committee,
            at: Timestamp::now(),
            reason: "قرار مزور".into(),
            grant: None,
        })
    })?;
    assert_eq!(push_codes(&server, &rep, &id, changes).await?, ["identity"]);
    still_serving(&server, &id).await
}

#[tokio::test]
async fn another_account_on_the_same_phone_writes_as_its_own_replica() -> anyhow::Result<()> {
    // A phone handed from the representative (after a sync) to the branch's researcher: the
    // server binds each automerge replica to one account, and the researcher's edits must
    // not be taken for the representative's (nor refused as forged).
    let server = TestServer::start().await?;
    let (mut rep, id) = synced_case(&server).await?;
    rep.engine
        .edit(&id, Edit::SetHouseholdNotes("زيارة المندوب".into()))?;
    let s = rep.sync().await?;
    assert!(s.refused.is_empty(), "{:?}", s.refused);
    let (client, login) = mandoob_engine::sync_client::SyncClient::login(
        &server.url(""),
        "researcher",
        mandoob_tests::PASSWORD,
        "the same phone",
        &mut rep.engine,
    )
    .await?;
    rep.client = client;
    rep.login = login;
    rep.engine
        .edit(&id, Edit::SetHouseholdNotes("ملاحظة الباحث".into()))?;
    let s = rep.sync().await?;
    assert!(s.refused.is_empty(), "{:?}", s.refused);
    let mut fresh = Device::enrol(&server, "rep-a").await?;
    fresh.sync().await?;
    assert_eq!(
        fresh.engine.open_case(&id)?.case.household.notes,
        "ملاحظة الباحث"
    );
    Ok(())
}
