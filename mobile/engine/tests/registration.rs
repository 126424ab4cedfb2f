//! Registration checks everything that can be checked offline, and an invalid entry is never
//! stored: a child as head of household, a member with an invalid civil ID.

mod common;
use common::engine;

use mandoob_engine::engine::*;
use mandoob_shared::model::*;
use mandoob_shared::validate::{Code, civil_id};

fn born(years_ago: i64) -> String {
    let today = chrono::Utc::now().date_naive();
    let birth = today - chrono::Duration::days(years_ago * 365 + 40);
    (1..80)
        .find_map(|s| civil_id::compose(birth, s))
        .expect("an id")
}

fn household(civil: String) -> NewHousehold {
    let mut head = Member::new("سالم العنزي", Relation::Head);
    head.civil_id = civil;
    NewHousehold {
        head,
        address: Address {
            governorate: Some(Governorate::Jahra),
            area: "الجهراء".into(),
            ..Address::default()
        },
        not_a_duplicate: true,
    }
}

fn codes(err: EngineError) -> Vec<Code> {
    match err {
        EngineError::Invalid(errors) => errors.iter().map(|e| e.code).collect(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_child_cannot_be_registered_as_head_of_household() {
    let mut e = engine();
    let err = e
        .create_case(household(born(11)))
        .expect_err("an 11-year-old head");
    assert_eq!(codes(err), vec![Code::HeadMinor]);
    assert!(
        e.list(&ListQuery::default()).expect("list").is_empty(),
        "nothing registered"
    );
    e.create_case(household(born(40))).expect("an adult head");
}

#[test]
fn an_invalid_member_is_never_stored() {
    let mut e = engine();
    let id = e.create_case(household(born(40))).expect("registered");
    let mut spouse = Member::new("نورة", Relation::Spouse);
    spouse.civil_id = "123456789012".into();
    let err = e
        .edit(&id, Edit::UpsertMember(spouse.clone()))
        .expect_err("an invalid civil ID");
    assert!(!codes(err).is_empty());
    assert_eq!(
        e.open_case(&id).expect("open").case.household.members.len(),
        1
    );
    // Corrected, it is added.
    spouse.civil_id = born(35);
    e.edit(&id, Edit::UpsertMember(spouse)).expect("valid");
    assert_eq!(
        e.open_case(&id).expect("open").case.household.members.len(),
        2
    );
    // A child made head by an edit is refused too.
    let mut child = Member::new("سعد", Relation::Head);
    child.civil_id = born(9);
    let err = e
        .edit(&id, Edit::UpsertMember(child))
        .expect_err("a child as head");
    assert!(codes(err).contains(&Code::HeadMinor));
}
