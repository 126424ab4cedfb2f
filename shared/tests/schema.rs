//! What a case document may contain (`mandoob_shared::schema`).

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ReadDoc};
use mandoob_shared::doc::{Author, CaseDoc};
use mandoob_shared::ids::{Timestamp, UserId};
use mandoob_shared::schema::*;

fn sample_doc() -> CaseDoc {
    let case = mandoob_shared::sample::realistic_case(7);
    let author = Author {
        user: UserId::new("rep-1"),
        at: Timestamp::now(),
    };
    CaseDoc::create(&case, &author).expect("create")
}

#[test]
fn every_sample_fits() {
    for seed in 0..50 {
        let case = mandoob_shared::sample::realistic_case(seed);
        let mut doc = AutoCommit::new();
        autosurgeon::reconcile(&mut doc, &case).expect("reconcile");
        check_document(&doc).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
    }
}

#[test]
fn wrong_shapes_are_refused_where_they_are() {
    let mut doc = sample_doc();
    let am = doc.automerge();
    am.put(automerge::ROOT, "schema_version", 1i64)
        .expect("put");
    let e = check_document(am).expect_err("signed schema version");
    assert_eq!((e.path.as_str(), e.code), ("schema_version", "wrong-type"));

    let mut doc = sample_doc();
    let am = doc.automerge();
    let (_, household) = am
        .get(automerge::ROOT, "household")
        .expect("get")
        .expect("some");
    let mut obj = am
        .put_object(&household, "deep", ObjType::Map)
        .expect("put");
    for _ in 0..500 {
        obj = am.put_object(&obj, "x", ObjType::Map).expect("nest");
    }
    let e = check_document(am).expect_err("nested maps");
    assert_eq!((e.path.as_str(), e.code), ("household", "unknown-key"));

    let mut doc = sample_doc();
    let am = doc.automerge();
    am.put(automerge::ROOT, "id", "../admin/devices/D2/revoke?n=1")
        .expect("put");
    assert_eq!(check_document(am).expect_err("id").code, "bad-format");

    let mut doc = sample_doc();
    let am = doc.automerge();
    let (_, household) = am
        .get(automerge::ROOT, "household")
        .expect("get")
        .expect("some");
    am.put(&household, "notes", "x".repeat(LONG_TEXT + 1))
        .expect("put");
    let e = check_document(am).expect_err("long notes");
    assert_eq!((e.path.as_str(), e.code), ("household.notes", "too-long"));
}

#[test]
fn formats() {
    assert!(is_uuid("0190a0b1-2c3d-7e4f-8a9b-0c1d2e3f4a5b"));
    assert!(!is_uuid("0190A0B1-2C3D-7E4F-8A9B-0C1D2E3F4A5B"));
    assert!(!is_uuid("../admin/devices/D2/revoke?n=1"));
    assert!(is_case_reference("QRN-D7-00042"));
    assert!(!is_case_reference("QRN/../x"));
    assert!(is_user_id("rep-a") && !is_user_id("a b") && !is_user_id(""));
    assert!(is_date("2026-12-01") && !is_date("2026-13-01") && !is_date("1800-01-01"));
    assert!(is_sha256(&"a".repeat(64)) && !is_sha256(&"A".repeat(64)));
}

/// Layout 2 adds a grant to decisions. Documents of layout 1 still load and are edited
/// without gaining the new key; the first grant raises the document to layout 2; a grant in a
/// document that claims layout 1 is refused (older code would misread it).
#[test]
fn a_later_field_raises_the_layout_and_nothing_else_changes() {
    use mandoob_shared::ids::{EventId, Fils};
    use mandoob_shared::model::{Grant, SCHEMA_VERSION, WorkflowEvent};
    use mandoob_shared::workflow::{EventKind, Role};

    let events_with_grant_key = |doc: &mut CaseDoc| {
        let am = doc.automerge();
        let (_, events) = am
            .get(automerge::ROOT, "events")
            .expect("get")
            .expect("events");
        (0..am.length(&events))
            .filter(|i| {
                let (_, e) = am.get(&events, *i).expect("get").expect("event");
                am.get(&e, "grant").expect("get").is_some()
            })
            .count()
    };
    let author = Author {
        user: UserId::new("c-1"),
        at: Timestamp::now(),
    };
    let mut doc = sample_doc();
    let case = doc.hydrate().expect("hydrate");
    assert_eq!(case.schema_version, 1);
    assert!(!case.events.is_empty() && case.events.iter().all(|e| e.grant.is_none()));
    assert_eq!(events_with_grant_key(&mut doc), 0);
    doc.update(&author, |c| c.household.notes.push_str(" ."))
        .expect("edit");
    assert_eq!(events_with_grant_key(&mut doc), 0);
    assert_eq!(doc.hydrate().expect("hydrate").schema_version, 1);

    let request = case.requests[0].id.clone();
    doc.update(&author, |c| {
        c.events.push(WorkflowEvent {
            id: EventId::generate(),
            kind: EventKind::Accepted,
            request,
            actor: UserId::new("c-1"),
            role: Role::Committee,
            at: Timestamp::now(),
            reason: "الدخل يغطي جزءًا من الإيجار".into(),
            grant: Some(Grant {
                amount: Some(Fils(150_000)),
                in_kind: String::new(),
            }),
        })
    })
    .expect("grant");
    let after = doc.hydrate().expect("hydrate");
    assert_eq!(after.schema_version, SCHEMA_VERSION);
    assert_eq!(events_with_grant_key(&mut doc), 1);
    check_document(doc.automerge()).expect("layout 2 fits");
    let reloaded = CaseDoc::load(&doc.save()).expect("load");
    assert_eq!(reloaded.hydrate().expect("hydrate"), after);

    let am = doc.automerge();
    am.put(automerge::ROOT, "schema_version", 1u64)
        .expect("put");
    let e = check_document(am).expect_err("a grant in layout 1");
    assert_eq!(e.code, "newer-field");
    assert!(e.path.ends_with(".grant"), "{}", e.path);
}
