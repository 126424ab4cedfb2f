//! Registration checks everything that can be checked offline, and an invalid entry is never
//! stored: a child as head of household, a member with an invalid civil ID, a civil ID given
//! twice in one household. A civil ID already on file in another household is named with its
//! file (a warning: a person may move between households). Corrections of the head, the
//! address and income and expense lines follow the same rules, field by field.

mod common;
use common::engine;

use mandoob_engine::engine::*;
use mandoob_shared::ids::{CaseId, Fils, MoneyLineId};
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

/// The head of the household `id`.
fn head(e: &mut Engine, id: &CaseId) -> Member {
    e.open_case(id)
        .expect("open")
        .case
        .head()
        .expect("head")
        .clone()
}

/// How many automerge changes the case has, and how many operations its latest one made.
fn changes(e: &mut Engine, id: &CaseId) -> (usize, usize) {
    let mut doc = e.case_doc(id).expect("doc");
    let all = doc.automerge().get_changes(&[]);
    (all.len(), all.last().map_or(0, |c| c.len()))
}

#[test]
fn the_heads_phone_is_corrected_in_place_and_an_invalid_one_never_stored() {
    let mut e = engine();
    let mut new = household(born(40));
    new.head.phone = "99112233".into();
    let id = e.create_case(new).expect("registered");
    let mut h = head(&mut e, &id);
    h.phone = "99887755".into();
    e.edit(&id, Edit::UpsertMember(h.clone()))
        .expect("a valid phone");
    let stored = head(&mut e, &id);
    assert_eq!(stored, h, "only the phone changed");
    // One small edit: the phone's value, not a rewrite of the household.
    let (count, ops) = changes(&mut e, &id);
    assert_eq!(ops, 1, "one operation for one field");

    let mut wrong = h.clone();
    wrong.phone = "12345".into();
    let err = e
        .edit(&id, Edit::UpsertMember(wrong))
        .expect_err("an invalid phone");
    assert_eq!(codes(err), vec![Code::PhoneLength]);
    assert_eq!(head(&mut e, &id).phone, "99887755", "nothing stored");
    assert_eq!(changes(&mut e, &id).0, count, "no change written");
}

#[test]
fn a_correction_cannot_make_the_head_a_minor() {
    let mut e = engine();
    let id = e.create_case(household(born(40))).expect("registered");
    let before = head(&mut e, &id);
    let count = changes(&mut e, &id).0;
    // A child's civil ID, and the birth date it tells.
    let child = born(10);
    let mut h = before.clone();
    h.civil_id = child.clone();
    let err = e
        .edit(&id, Edit::UpsertMember(h.clone()))
        .expect_err("a child's civil ID");
    assert_eq!(codes(err), vec![Code::HeadMinor]);
    h.birth_date = civil_id::parse(&child, chrono::Utc::now().date_naive())
        .ok()
        .map(|c| mandoob_shared::ids::Date(c.birth_date()));
    let err = e
        .edit(&id, Edit::UpsertMember(h))
        .expect_err("a child's birth date");
    assert_eq!(codes(err), vec![Code::HeadMinor]);
    assert_eq!(head(&mut e, &id), before, "nothing stored");
    assert_eq!(changes(&mut e, &id).0, count);
}

#[test]
fn the_address_is_corrected_field_by_field() {
    let mut e = engine();
    let id = e.create_case(household(born(40))).expect("registered");
    let mut address = e.open_case(&id).expect("open").case.household.address;
    address.area = "الجهراء الجديدة".into();
    address.block = "4".into();
    e.edit(&id, Edit::SetAddress(address.clone()))
        .expect("corrected");
    assert_eq!(
        e.open_case(&id).expect("open").case.household.address,
        address
    );
    assert_eq!(changes(&mut e, &id).1, 2, "the two fields that changed");
    // The governorate is required, as at registration.
    let count = changes(&mut e, &id).0;
    let mut wrong = address.clone();
    wrong.governorate = None;
    let err = e
        .edit(&id, Edit::SetAddress(wrong))
        .expect_err("no governorate");
    assert_eq!(codes(err), vec![Code::Required]);
    assert_eq!(
        e.open_case(&id).expect("open").case.household.address,
        address
    );
    assert_eq!(changes(&mut e, &id).0, count);
}

#[test]
fn income_and_expense_lines_are_edited_in_place() {
    let mut e = engine();
    let id = e.create_case(household(born(40))).expect("registered");
    let mut income = MoneyLine {
        id: MoneyLineId::generate(),
        kind: IncomeSource::SocialAssistance,
        monthly: Fils(250_000),
        member: None,
        note: "من الشؤون".into(),
    };
    e.edit(&id, Edit::UpsertIncome(income.clone()))
        .expect("added");
    income.kind = IncomeSource::Pension;
    income.monthly = Fils(300_500);
    e.edit(&id, Edit::UpsertIncome(income.clone()))
        .expect("edited");
    let household = e.open_case(&id).expect("open").case.household;
    assert_eq!(
        household.income,
        vec![income.clone()],
        "the same line, edited"
    );
    assert_eq!(changes(&mut e, &id).1, 2, "the kind and the amount");

    // An amount of nothing is refused, and the line stays as it was.
    let count = changes(&mut e, &id).0;
    for bad in [Fils(0), Fils(-5_000)] {
        let mut wrong = income.clone();
        wrong.monthly = bad;
        let err = e
            .edit(&id, Edit::UpsertIncome(wrong))
            .expect_err("no amount");
        assert_eq!(codes(err), vec![Code::AmountNotPositive]);
    }
    assert_eq!(
        e.open_case(&id).expect("open").case.household.income,
        vec![income]
    );
    assert_eq!(changes(&mut e, &id).0, count);

    let mut expense = MoneyLine {
        id: MoneyLineId::generate(),
        kind: ExpenseKind::Rent,
        monthly: Fils(999_000),
        member: None,
        note: String::new(),
    };
    e.edit(&id, Edit::UpsertExpense(expense.clone()))
        .expect("added");
    expense.monthly = Fils(350_000);
    e.edit(&id, Edit::UpsertExpense(expense.clone()))
        .expect("edited");
    let mut wrong = expense.clone();
    wrong.monthly = Fils(0);
    let err = e
        .edit(&id, Edit::UpsertExpense(wrong))
        .expect_err("no amount");
    assert_eq!(codes(err), vec![Code::AmountNotPositive]);
    assert_eq!(
        e.open_case(&id).expect("open").case.household.expenses,
        vec![expense]
    );
}

#[test]
fn a_civil_id_on_file_names_the_household_that_holds_it() {
    let mut e = engine();
    let head_id = born(40);
    let first = e.create_case(household(head_id.clone())).expect("first");
    let reference = |e: &mut Engine, id: &CaseId| {
        e.open_case(id)
            .expect("open")
            .case
            .reference
            .as_str()
            .to_owned()
    };
    // A second household with a son.
    let mut other = household(born(45));
    other.head.name_ar = "فهد المطيري".into();
    let second = e.create_case(other).expect("second");
    let son_id = born(12);
    let mut son = Member::new("بدر فهد المطيري", Relation::Son);
    son.civil_id = son_id.clone();
    e.edit(&second, Edit::UpsertMember(son.clone()))
        .expect("the son");

    // The head of the first household: named with their file, from anywhere but that file.
    let held = e.civil_id_holders(&head_id, None).expect("holders");
    assert_eq!(held.len(), 1, "{held:?}");
    assert_eq!(held[0].case.id, first);
    assert_eq!(held[0].case.reference, reference(&mut e, &first));
    assert_eq!(held[0].relation, Relation::Head);
    assert_eq!(held[0].member_name, "سالم العنزي");
    let held = e
        .civil_id_holders(&head_id, Some(&second))
        .expect("holders");
    assert_eq!(held.len(), 1);
    assert!(
        e.civil_id_holders(&head_id, Some(&first))
            .expect("holders")
            .is_empty(),
        "no flag for the case itself"
    );

    // A member (not the head) of the second household, typed in Arabic-Indic digits.
    let arabic: String = son_id
        .chars()
        .map(|c| char::from_u32('٠' as u32 + c.to_digit(10).expect("digit")).expect("digit"))
        .collect();
    let held = e.civil_id_holders(&arabic, Some(&first)).expect("holders");
    assert_eq!(held.len(), 1, "{held:?}");
    assert_eq!(held[0].case.reference, reference(&mut e, &second));
    assert_eq!(held[0].relation, Relation::Son);
    assert_eq!(held[0].member, son.id);
    assert!(
        e.civil_id_holders(&son_id, Some(&second))
            .expect("holders")
            .is_empty()
    );
    // Nothing for what is not a civil ID.
    assert!(
        e.civil_id_holders("12345", None)
            .expect("holders")
            .is_empty()
    );

    // The same child in the first household too: allowed (a warning in the app), while the
    // same civil ID twice in one household is refused.
    let mut moved = Member::new("بدر", Relation::Son);
    moved.civil_id = son_id.clone();
    e.edit(&first, Edit::UpsertMember(moved))
        .expect("another household");
    assert_eq!(e.civil_id_holders(&son_id, None).expect("holders").len(), 2);
    let mut twice = Member::new("بدر مكرر", Relation::Son);
    twice.civil_id = son_id;
    let err = e
        .edit(&second, Edit::UpsertMember(twice))
        .expect_err("twice in one household");
    assert_eq!(codes(err), vec![Code::CivilIdRepeated]);
    assert_eq!(
        e.open_case(&second)
            .expect("open")
            .case
            .household
            .members
            .len(),
        2
    );
}

#[test]
fn a_member_is_removed_but_never_the_head_or_a_signer() {
    let mut e = engine();
    let id = e.create_case(household(born(40))).expect("registered");
    let mut spouse = Member::new("نورة", Relation::Spouse);
    spouse.civil_id = born(35);
    let mut child = Member::new("سعد", Relation::Son);
    child.civil_id = born(9);
    for m in [spouse.clone(), child.clone()] {
        e.edit(&id, Edit::UpsertMember(m)).expect("added");
    }
    let count = changes(&mut e, &id).0;
    e.edit(&id, Edit::RemoveMember(child.id.clone()))
        .expect("removed");
    let members = e.open_case(&id).expect("open").case.household.members;
    assert_eq!(
        members
            .iter()
            .map(|m| m.name_ar.as_str())
            .collect::<Vec<_>>(),
        vec!["سالم العنزي", "نورة"],
        "the child is gone, the others stay"
    );
    let (after, ops) = changes(&mut e, &id);
    assert_eq!(after, count + 1, "one change");
    assert_eq!(ops, 1, "one deletion from the members list, not a rewrite");

    // The head: corrected, never removed.
    let head = head(&mut e, &id);
    let err = e
        .edit(&id, Edit::RemoveMember(head.id.clone()))
        .expect_err("the head");
    assert_eq!(codes(err), vec![Code::HeadRemoved]);

    // The member who signed a declaration stays: it would point at no one.
    let mut request = common::food_basket();
    request.reason = "سلة".into();
    e.edit(&id, Edit::UpsertRequest(request.clone()))
        .expect("request");
    let mut png = Vec::new();
    image::RgbaImage::from_pixel(64, 32, image::Rgba([20, 30, 40, 255]))
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .expect("png");
    e.sign_declaration(
        &id,
        &request.id,
        spouse.id.clone(),
        &png,
        "declaration-v1".into(),
    )
    .expect("signed by the spouse");
    let count = changes(&mut e, &id).0;
    let err = e
        .edit(&id, Edit::RemoveMember(spouse.id.clone()))
        .expect_err("the signer");
    assert_eq!(codes(err), vec![Code::MemberSigned]);
    assert_eq!(changes(&mut e, &id).0, count, "nothing written");
    assert_eq!(
        e.open_case(&id).expect("open").case.household.members.len(),
        2
    );
}

#[test]
fn an_income_line_is_removed_alone() {
    let mut e = engine();
    let id = e.create_case(household(born(40))).expect("registered");
    let line = |kind, fils| MoneyLine {
        id: MoneyLineId::generate(),
        kind,
        monthly: Fils(fils),
        member: None,
        note: String::new(),
    };
    let pension = line(IncomeSource::Pension, 300_000);
    let assistance = line(IncomeSource::SocialAssistance, 120_500);
    for l in [pension.clone(), assistance.clone()] {
        e.edit(&id, Edit::UpsertIncome(l)).expect("added");
    }
    let count = changes(&mut e, &id).0;
    e.edit(&id, Edit::RemoveIncome(pension.id.clone()))
        .expect("removed");
    assert_eq!(
        e.open_case(&id).expect("open").case.household.income,
        vec![assistance],
        "only the other line stays"
    );
    let (after, ops) = changes(&mut e, &id);
    assert_eq!(after, count + 1, "one change");
    assert_eq!(ops, 1, "one deletion, not a rewrite");
}
