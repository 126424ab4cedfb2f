//! One user action, one engine command, one transaction: saving the interview, referring,
//! delivering a service and signing the declaration each write everything they change in one
//! automerge change, or nothing at all; keeping both values of a conflict writes its two
//! changes (the choice, the note) together.

mod common;
use common::session;

use std::path::PathBuf;

use mandoob_engine::engine::*;
use mandoob_shared::ids::*;
use mandoob_shared::model::*;
use mandoob_shared::validate::civil_id;
use mandoob_shared::workflow::{EventKind, Refusal, RequestStatus, Role};

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/photos")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// An engine with one household and a draft request for it.
fn case_with_request() -> (Engine, CaseId, SupportRequest) {
    let mut e = Engine::in_memory().expect("engine");
    e.set_session(session(Role::Representative))
        .expect("session");
    let birth = chrono::NaiveDate::from_ymd_opt(1979, 5, 2).expect("date");
    let civil = (1..40)
        .find_map(|s| civil_id::compose(birth, s))
        .expect("an id");
    let mut head = Member::new("سالم العنزي", Relation::Head);
    head.civil_id = civil;
    head.phone = "99112233".into();
    let id = e
        .create_case(NewHousehold {
            head,
            address: Address {
                governorate: Some(Governorate::Jahra),
                area: "الجهراء".into(),
                ..Address::default()
            },
            not_a_duplicate: false,
        })
        .expect("create");
    let request = common::food_basket();
    e.edit(&id, Edit::UpsertRequest(request.clone()))
        .expect("request");
    (e, id, request)
}

fn changes(e: &mut Engine, id: &CaseId) -> usize {
    e.case_doc(id)
        .expect("doc")
        .automerge()
        .get_changes(&[])
        .len()
}

#[test]
fn saving_the_interview_writes_the_request_and_the_notes_or_neither() {
    let (mut e, id, request) = case_with_request();
    let before = changes(&mut e, &id);
    let mut changed = request.clone();
    changed.reason = "دخل الأسرة لا يكفي الغذاء".into();
    e.edit_all(
        &id,
        vec![
            Edit::UpsertRequest(changed.clone()),
            Edit::SetHouseholdNotes("يسكنون مع الجدة".into()),
        ],
    )
    .expect("saved");
    let case = e.open_case(&id).expect("open").case;
    assert_eq!(case.requests[0].reason, changed.reason);
    assert_eq!(case.household.notes, "يسكنون مع الجدة");
    assert_eq!(changes(&mut e, &id), before + 1, "one change for one save");

    // One bad edit among them: nothing of the action is written.
    let mut again = changed.clone();
    again.reason = "سبب آخر".into();
    let bad_survey = SatisfactionSurvey {
        id: SurveyId::generate(),
        at: Timestamp::now(),
        administered_by: UserId::new("rep-7"),
        reception: Some(9),
        time_and_answers: None,
        clarity: None,
        speed: None,
        overall: None,
        comment: String::new(),
        wants_contact: false,
    };
    let err = e
        .edit_all(
            &id,
            vec![Edit::UpsertRequest(again), Edit::AddSurvey(bad_survey)],
        )
        .expect_err("an invalid survey");
    assert!(matches!(err, EngineError::Invalid(_)), "{err:?}");
    let case = e.open_case(&id).expect("open").case;
    assert_eq!(case.requests[0].reason, changed.reason, "nothing written");
    assert!(case.surveys.is_empty());
    assert_eq!(changes(&mut e, &id), before + 1);
}

#[test]
fn a_referral_and_its_step_are_one_change() {
    let (mut e, id, request) = case_with_request();
    let before = changes(&mut e, &id);
    let referral = |question: &str| Referral {
        id: ReferralId::generate(),
        request: Some(request.id.clone()),
        question: question.into(),
        by: UserId::new("rep-7"),
        at: Timestamp::now(),
        answer: None,
        answered_by: None,
        answered_at: None,
    };
    // No question: the step is refused, and the referral is not kept either.
    let err = e.refer(&id, referral("  ")).expect_err("no question");
    assert_eq!(err, EngineError::Refused(Refusal::ReasonRequired));
    assert!(e.open_case(&id).expect("open").case.referrals.is_empty());
    assert_eq!(changes(&mut e, &id), before);

    e.refer(&id, referral("هل يعمل الابن الأكبر؟"))
        .expect("referred");
    let opened = e.open_case(&id).expect("open");
    assert_eq!(opened.case.referrals.len(), 1);
    assert_eq!(
        opened
            .case
            .events
            .iter()
            .filter(|ev| ev.kind == EventKind::Referred)
            .count(),
        1
    );
    assert_eq!(opened.requests[0].open_referrals, 1);
    assert_eq!(changes(&mut e, &id), before + 1);
}

#[test]
fn a_service_carries_its_step_when_the_workflow_allows_it() {
    let (mut e, id, request) = case_with_request();
    let service = || ServiceRecord {
        id: ServiceId::generate(),
        request: Some(request.id.clone()),
        kind: ServiceKind::InKind,
        description: "سلة غذائية".into(),
        value: Fils(15_000),
        delivered_at: Timestamp::now(),
        by: UserId::new("rep-7"),
    };
    // A draft request: the service is recorded, without a step the workflow would refuse.
    e.deliver_service(&id, service()).expect("recorded");
    let opened = e.open_case(&id).expect("open");
    assert_eq!(opened.case.services.len(), 1);
    assert!(
        !opened
            .case
            .events
            .iter()
            .any(|ev| ev.kind == EventKind::ServiceDelivered)
    );

    // Accepted and registered: the service and its step, in one change.
    let mut case = opened.case;
    for (role, kind, reason) in [
        (Role::Representative, EventKind::Submitted, ""),
        (Role::Committee, EventKind::Accepted, "مستحق"),
        (Role::Representative, EventKind::Registered, ""),
    ] {
        case.events.push(WorkflowEvent {
            id: EventId::generate(),
            kind,
            request: request.id.clone(),
            actor: UserId::new("rep-7"),
            role,
            at: Timestamp::now(),
            reason: reason.into(),
            grant: None,
        });
    }
    let author = mandoob_shared::doc::Author {
        user: UserId::new("rep-7"),
        at: Timestamp::now(),
    };
    let mut doc = mandoob_shared::doc::CaseDoc::create(&case, &author).expect("doc");
    let id = e.import_case(&mut doc, true).expect("import");
    assert_eq!(
        e.open_case(&id).expect("open").requests[0].status,
        RequestStatus::Registered
    );
    let before = changes(&mut e, &id);
    e.deliver_service(&id, service()).expect("delivered");
    let opened = e.open_case(&id).expect("open");
    assert_eq!(opened.requests[0].status, RequestStatus::InService);
    assert_eq!(opened.case.services.len(), 2);
    assert_eq!(changes(&mut e, &id), before + 1);
}

#[test]
fn the_signature_and_the_declaration_are_one_change() {
    let (mut e, id, request) = case_with_request();
    let head = e
        .open_case(&id)
        .expect("open")
        .case
        .head()
        .expect("head")
        .id
        .clone();
    let before = changes(&mut e, &id);
    let stats = e.stats().expect("stats");

    // Bytes that are no picture: nothing is kept, neither a document nor a declaration.
    let err = e
        .sign_declaration(
            &id,
            &request.id,
            head.clone(),
            b"not a picture",
            "declaration-v1".into(),
        )
        .expect_err("a broken signature");
    assert!(matches!(err, EngineError::Photo(_)), "{err:?}");
    let case = e.open_case(&id).expect("open").case;
    assert!(case.documents.is_empty() && case.requests[0].declaration.is_none());
    assert_eq!(e.stats().expect("stats").blobs, stats.blobs);

    let signed = e
        .sign_declaration(
            &id,
            &request.id,
            head.clone(),
            &fixture("Portrait_1.jpg"),
            "declaration-v1".into(),
        )
        .expect("signed");
    let case = e.open_case(&id).expect("open").case;
    let declaration = case.requests[0].declaration.as_ref().expect("declared");
    assert_eq!(declaration.signature, signed.document);
    assert_eq!(declaration.signed_by, head);
    let document = case
        .documents
        .iter()
        .find(|d| d.id == signed.document)
        .expect("the signature's document");
    assert_eq!(document.kind, DocumentKind::Signature);
    assert!(e.blob(&document.sha256).expect("blob").is_some());
    assert_eq!(changes(&mut e, &id), before + 1);

    // A request that does not exist: refused before anything is captured.
    let err = e
        .sign_declaration(
            &id,
            &RequestId::generate(),
            head,
            &fixture("Portrait_1.jpg"),
            "declaration-v1".into(),
        )
        .expect_err("no such request");
    assert_eq!(err, EngineError::NoSuchRequest);
}

#[test]
fn keeping_both_values_resolves_and_notes_together() {
    let (mut e, id, _) = case_with_request();
    let author = |user: &str| mandoob_shared::doc::Author {
        user: UserId::new(user),
        at: Timestamp::now(),
    };
    // The head's phone written differently on two replicas, concurrently.
    let mut here = e.case_doc(&id).expect("doc");
    let mut there = here.clone();
    there.set_actor(automerge::ActorId::random());
    here.update(&author("rep-7"), |c| {
        c.household.members[0].phone = "99001111".into()
    })
    .expect("edit here");
    there
        .update(&author("rep-7"), |c| {
            c.household.members[0].phone = "99002222".into()
        })
        .expect("edit there");
    here.merge(&mut there).expect("merge");
    let id = e.import_case(&mut here, true).expect("import");
    let opened = e.open_case(&id).expect("open");
    let conflict = opened.conflicts.first().expect("a conflict").clone();
    let before = changes(&mut e, &id);

    let keep = conflict.values[0].value.clone();
    e.keep_both(&id, &conflict.path, &keep, "الهاتف الآخر: 99002222".into())
        .expect("kept both");
    let opened = e.open_case(&id).expect("open");
    assert!(opened.conflicts.is_empty(), "resolved");
    assert_eq!(
        serde_json::Value::String(opened.case.household.members[0].phone.clone()),
        keep
    );
    assert_eq!(opened.case.household.notes, "الهاتف الآخر: 99002222");
    // The choice and the note are two automerge changes (a resolution is a change of its
    // own), written in one transaction.
    assert_eq!(changes(&mut e, &id), before + 2);
}
