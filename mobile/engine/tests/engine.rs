//! The engine through its command interface, on a real (temporary) SQLite file.

mod common;
use common::{engine, session};

use std::path::PathBuf;

use mandoob_engine::engine::*;
use mandoob_engine::handle::{EngineHandle, Location};
use mandoob_shared::ids::*;
use mandoob_shared::model::*;
use mandoob_shared::validate::civil_id;
use mandoob_shared::workflow::{EventKind, Role};

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/photos")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn temp_db(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mandoob-engine-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join("device.sqlite")
}

fn head(name: &str, civil: &str, phone: &str) -> Member {
    let mut m = Member::new(name, Relation::Head);
    m.civil_id = civil.into();
    m.phone = phone.into();
    m
}

fn valid_civil_id(year: i32, serial: u16) -> String {
    let birth = chrono::NaiveDate::from_ymd_opt(year, 3, 14).expect("date");
    (serial..serial + 20)
        .find_map(|s| civil_id::compose(birth, s))
        .expect("an id")
}

fn new_household(name: &str, civil: &str, phone: &str) -> NewHousehold {
    NewHousehold {
        head: head(name, civil, phone),
        address: Address {
            governorate: Some(Governorate::Jahra),
            area: "الجهراء".into(),
            ..Address::default()
        },
        not_a_duplicate: false,
    }
}

#[test]
fn nothing_works_before_sign_in() {
    let mut e = Engine::in_memory().expect("engine");
    let err = e
        .create_case(new_household("خالد", "", ""))
        .expect_err("no session");
    assert_eq!(err, EngineError::NoSession);
}

#[test]
fn create_edit_open_and_list() {
    let mut e = engine();
    let id = e
        .create_case(new_household(
            "خالد عبد الله العجمي",
            &valid_civil_id(1980, 1),
            "99001122",
        ))
        .expect("create");
    let opened = e.open_case(&id).expect("open");
    assert_eq!(opened.case.reference.as_str(), "QRN-A7-00001");
    assert_eq!(opened.case.head().expect("head").relation, Relation::Head);
    let mut spouse = Member::new("نورة سالم", Relation::Spouse);
    spouse.phone = "+965 6600 1122".into();
    e.edit(&id, Edit::UpsertMember(spouse.clone()))
        .expect("add spouse");
    spouse.work = "معلمة".into();
    e.edit(&id, Edit::UpsertMember(spouse.clone()))
        .expect("edit spouse");
    let case = e.open_case(&id).expect("open").case;
    assert_eq!(case.household.members.len(), 2);
    assert_eq!(case.member(&spouse.id).expect("spouse").work, "معلمة");
    let second = e
        .create_case(new_household(
            "فهد ناصر الدوسري",
            &valid_civil_id(1975, 50),
            "55443322",
        ))
        .expect("second");
    let all = e.list(&ListQuery::default()).expect("list");
    assert_eq!(all.len(), 2);
    assert!(all.iter().all(|c| c.unsynced && c.status == "draft"));
    assert_eq!(
        e.open_case(&second).expect("open").case.reference.as_str(),
        "QRN-A7-00002"
    );
}

#[test]
fn search_by_arabic_latin_prefix_fuzzy_civil_id_and_phone() {
    let mut e = engine();
    let civil = valid_civil_id(1980, 1);
    let mut household = new_household("خالد عبدالله العجمي", &civil, "99001122");
    household.head.name_en = "Khalid Abdullah Al-Ajmi".into();
    let id = e.create_case(household).expect("create");
    e.create_case(new_household(
        "فهد ناصر الدوسري",
        &valid_civil_id(1975, 50),
        "55443322",
    ))
    .expect("other");
    let find = |e: &Engine, text: &str| -> Vec<CaseId> {
        e.list(&ListQuery {
            text: text.into(),
            ..ListQuery::default()
        })
        .expect("list")
        .into_iter()
        .map(|c| c.id)
        .collect()
    };
    for text in [
        "خالد",
        "خال",
        "عبد الله",
        "العجمى",
        "اَلعَجمي",
        "khal",
        "al-ajmi",
        "Khalid Abd",
        &civil,
        &civil[..6],
        "99001122",
        "9900",
        "+965 9900 1122",
        "٩٩٠٠١١٢٢",
        "QRN-A7-00001",
    ] {
        assert_eq!(find(&e, text), vec![id.clone()], "{text}");
    }
    // A typo finds it by similarity.
    assert_eq!(find(&e, "خالد عبدالله العجمس"), vec![id.clone()]);
    assert!(find(&e, "سعود").is_empty());
}

#[test]
fn duplicate_household_is_refused_until_confirmed() {
    let mut e = engine();
    let civil = valid_civil_id(1980, 1);
    let first = e
        .create_case(new_household("محمد سالم الشمري", &civil, "99112233"))
        .expect("create");
    // Same civil ID, written in Arabic-Indic digits, another spelling.
    let arabic_digits: String = civil
        .chars()
        .map(|c| char::from_u32(0x0660 + c.to_digit(10).expect("digit")).expect("char"))
        .collect();
    let err = e
        .create_case(new_household("محمّد سالم الشمرى", &arabic_digits, ""))
        .expect_err("duplicate");
    let EngineError::PossibleDuplicates(found) = err else {
        panic!("{err:?}")
    };
    assert_eq!(found[0].case.id, first);
    assert_eq!(found[0].score.score, 1.0);
    // Similar name and the same phone, no civil ID.
    let err = e
        .create_case(new_household("محمد سالم الشمري", "", "+96599112233"))
        .expect_err("duplicate");
    assert!(matches!(err, EngineError::PossibleDuplicates(_)));
    // A different family passes; a confirmed one too.
    e.create_case(new_household(
        "فهد ناصر الدوسري",
        &valid_civil_id(1975, 50),
        "55443322",
    ))
    .expect("different family");
    let mut confirmed = new_household("محمد سالم الشمري", "", "+96599112233");
    confirmed.not_a_duplicate = true;
    e.create_case(confirmed)
        .expect("confirmed by the representative");
}

#[test]
fn photos_attach_and_bad_files_change_nothing() {
    let mut e = engine();
    let id = e
        .create_case(new_household("خالد", &valid_civil_id(1980, 1), "99001122"))
        .expect("create");
    let before = e.stats().expect("stats");
    let case_before = e.open_case(&id).expect("open").case;
    // Refused with a code the app translates, never an English sentence.
    for (bad, code) in [
        (fixture("corrupted.jpg"), "damaged"),
        (Vec::new(), "empty"),
        (
            b"random bytes that are not an image".to_vec(),
            "not-an-image",
        ),
    ] {
        let err = e
            .attach_photo(&id, &bad, DocumentKind::CivilId, None, None, None)
            .expect_err("refused");
        assert_eq!(err, EngineError::Photo(code.into()), "{err:?}");
    }
    assert_eq!(e.stats().expect("stats"), before);
    assert_eq!(e.open_case(&id).expect("open").case, case_before);

    let photo = e
        .attach_photo(
            &id,
            &fixture("Portrait_6.jpg"),
            DocumentKind::CivilId,
            None,
            None,
            None,
        )
        .expect("attach");
    let case = e.open_case(&id).expect("open").case;
    let meta = case.document(&photo.document).expect("meta");
    assert_eq!(meta.sha256, photo.sha256);
    assert!(meta.height > meta.width, "stored upright");
    let blob = e.blob(&photo.sha256).expect("blob").expect("present");
    assert_eq!(mandoob_engine::capture::sha256_hex(&blob), photo.sha256);
    assert!(e.blob(&meta.thumbnail_sha256).expect("thumb").is_some());
    let after = e.stats().expect("stats");
    assert_eq!(after.blobs, before.blobs + 2);
    assert_eq!(after.blobs_not_uploaded, before.blobs_not_uploaded + 2);
    let err = e
        .attach_photo(
            &CaseId::new("nope"),
            &fixture("Portrait_6.jpg"),
            DocumentKind::CivilId,
            None,
            None,
            None,
        )
        .expect_err("no case");
    assert_eq!(err, EngineError::NoSuchCase);
}

#[test]
fn submission_is_validated_and_roles_are_enforced() {
    let mut e = engine();
    let id = e
        .create_case(new_household("خالد", &valid_civil_id(1980, 1), "99001122"))
        .expect("create");
    let request = common::food_basket();
    e.edit(&id, Edit::UpsertRequest(request.clone()))
        .expect("request");
    let err = e
        .record_event(&id, &request.id, EventKind::Submitted, "")
        .expect_err("incomplete");
    let EngineError::Invalid(errors) = err else {
        panic!("{err:?}")
    };
    let codes: Vec<_> = errors.iter().map(|e| e.code).collect();
    assert!(
        codes.contains(&mandoob_shared::validate::Code::DeclarationMissing),
        "{codes:?}"
    );
    assert!(
        codes.contains(&mandoob_shared::validate::Code::DocumentMissing),
        "{codes:?}"
    );

    // Complete it: civil ID photo, signature, declaration.
    let head = e
        .open_case(&id)
        .expect("open")
        .case
        .head()
        .expect("head")
        .id
        .clone();
    let civil = e
        .attach_photo(
            &id,
            &fixture("DSCN0010.jpg"),
            DocumentKind::CivilId,
            Some(head.clone()),
            Some(request.id.clone()),
            None,
        )
        .expect("civil id photo");
    let signature = e
        .attach_photo(
            &id,
            &fixture("Portrait_1.jpg"),
            DocumentKind::Signature,
            Some(head.clone()),
            None,
            None,
        )
        .expect("signature");
    let mut request = e.open_case(&id).expect("open").case.requests[0].clone();
    assert_eq!(request.documents, vec![civil.document.clone()]);
    request.declaration = Some(Declaration {
        signed_by: head,
        signature: signature.document,
        signed_at: Timestamp::now(),
        text_version: "2026-1".into(),
    });
    e.edit(&id, Edit::UpsertRequest(request.clone()))
        .expect("declaration");
    e.record_event(&id, &request.id, EventKind::Submitted, "")
        .expect("submitted");
    let opened = e.open_case(&id).expect("open");
    assert_eq!(
        opened.requests[0].status,
        mandoob_shared::workflow::RequestStatus::AwaitingDecision
    );
    let listed = e.list(&ListQuery::default()).expect("list");
    assert_eq!(listed[0].status, "awaiting-decision");
    assert!(listed[0].due_date.is_some());

    // A representative cannot decide.
    let err = e
        .record_event(&id, &request.id, EventKind::Accepted, "ok")
        .expect_err("not permitted");
    assert_eq!(
        err,
        EngineError::Refused(mandoob_shared::workflow::Refusal::NotPermitted)
    );
    let mut bad_survey = SatisfactionSurvey {
        id: SurveyId::generate(),
        at: Timestamp::now(),
        administered_by: UserId::new("rep-7"),
        reception: Some(7),
        time_and_answers: None,
        clarity: None,
        speed: None,
        overall: Some(5),
        comment: String::new(),
        wants_contact: false,
    };
    assert!(matches!(
        e.edit(&id, Edit::AddSurvey(bad_survey.clone())),
        Err(EngineError::Invalid(_))
    ));
    bad_survey.reception = Some(4);
    e.edit(&id, Edit::AddSurvey(bad_survey))
        .expect("valid survey");
}

#[test]
fn data_survives_reopening_and_loads_on_demand() {
    let path = temp_db("reopen");
    let id = {
        let mut e = Engine::open(&path).expect("open");
        e.set_session(session(Role::Representative))
            .expect("session");
        let id = e
            .create_case(new_household("خالد", &valid_civil_id(1980, 1), "99001122"))
            .expect("create");
        // Enough edits to compact the document at least once.
        for i in 0..150 {
            e.edit(&id, Edit::SetHouseholdNotes(format!("ملاحظة {i}")))
                .expect("edit");
        }
        id
    };
    let mut e = Engine::open(&path).expect("reopen");
    let case = e.open_case(&id).expect("case").case;
    assert_eq!(case.household.notes, "ملاحظة 149");
    // The session is remembered: editing works without signing in again.
    e.edit(&id, Edit::SetHouseholdNotes("بعد الإغلاق".into()))
        .expect("edit");
}

#[test]
fn the_async_handle_runs_commands_and_reports_changes() {
    let (handle, _thread) = EngineHandle::start(Location::Memory).expect("start");
    let mut events = handle.events();
    futures_executor::block_on(async {
        handle
            .call(Command::SetSession(session(Role::Representative)))
            .await
            .expect("session");
        let Reply::Created(id) = handle
            .call(Command::CreateCase(new_household("خالد", "", "99001122")))
            .await
            .expect("create")
        else {
            panic!("expected Created")
        };
        let Reply::Cases(list) = handle
            .call(Command::List(ListQuery::default()))
            .await
            .expect("list")
        else {
            panic!("expected Cases")
        };
        assert_eq!(list.len(), 1);
        use futures_util::StreamExt;
        assert_eq!(events.next().await, Some(Event::CaseChanged(id)));
        let err = handle
            .call(Command::OpenCase(CaseId::new("missing")))
            .await
            .expect_err("missing");
        assert_eq!(err, EngineError::NoSuchCase);
    });
}
