//! Submission checks on a whole case file, and their messages in both languages.

use chrono::NaiveDate;
use mandoob_shared::catalog::RequestCatalog;
use mandoob_shared::i18n::{Lang, Translator};
use mandoob_shared::ids::*;
use mandoob_shared::model::*;
use mandoob_shared::sample::realistic_case;
use mandoob_shared::validate::{self, Code, ValidationError};

fn on() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 3).expect("date")
}

fn check(case: &CaseFile) -> Vec<ValidationError> {
    validate::submission(case, &case.requests[0].id, &RequestCatalog::builtin(), on())
        .err()
        .unwrap_or_default()
}

fn codes(errors: &[ValidationError]) -> Vec<Code> {
    errors.iter().map(|e| e.code).collect()
}

#[test]
fn a_complete_sample_passes() {
    for seed in 0..50 {
        let case = realistic_case(seed);
        assert_eq!(check(&case), vec![], "seed {seed}");
    }
}

#[test]
fn missing_documents_are_listed_per_kind_and_member() {
    let mut case = realistic_case(1);
    // Drop the bank statement; the spouse starts earning a salary without a certificate.
    case.requests[0].documents.retain(|d| {
        case.documents
            .iter()
            .find(|x| &x.id == d)
            .is_some_and(|x| x.kind != DocumentKind::BankStatement)
    });
    let spouse = case.household.members[1].id.clone();
    case.household.income.push(MoneyLine {
        id: MoneyLineId::generate(),
        kind: IncomeSource::Salary,
        monthly: Fils::from_kwd(400),
        member: Some(spouse.clone()),
        note: String::new(),
    });
    let errors = check(&case);
    assert_eq!(
        codes(&errors),
        vec![Code::DocumentMissing, Code::DocumentMissing]
    );
    assert_eq!(errors[0].args["kind"], "document-kind-salary-certificate");
    assert_eq!(errors[0].args["member_id"], spouse.as_str());
    assert_eq!(errors[1].args["kind"], "document-kind-bank-statement");
    let en = Translator::new(Lang::En);
    assert_eq!(
        en.error(&errors[1]),
        "A document is missing: \u{2068}Bank statement (3 months)\u{2069}"
    );
    let ar = Translator::new(Lang::Ar);
    assert!(ar.error(&errors[1]).contains("كشف حساب بنكي"));
}

#[test]
fn expiry_is_checked_at_the_submission_date() {
    let mut case = realistic_case(2);
    case.documents[0].expires_on = Date::ymd(2026, 11, 2);
    let errors = check(&case);
    assert_eq!(codes(&errors), vec![Code::DocumentExpired]);
    assert_eq!(errors[0].args["expired_on"], "2026-11-02");
    // The same document was valid for a submission a day earlier.
    let earlier = NaiveDate::from_ymd_opt(2026, 11, 2).expect("date");
    assert!(
        validate::submission(
            &case,
            &case.requests[0].id,
            &RequestCatalog::builtin(),
            earlier
        )
        .is_ok()
    );
}

#[test]
fn household_consistency() {
    let mut case = realistic_case(3);
    // The head is 16 according to their birth date and civil ID.
    let born = NaiveDate::from_ymd_opt(2010, 5, 5).expect("date");
    let civil = (0..50)
        .find_map(|s| validate::civil_id::compose(born, s))
        .expect("id");
    case.household.members[0].birth_date = Some(Date(born));
    case.household.members[0].civil_id = civil;
    let errors = check(&case);
    assert!(codes(&errors).contains(&Code::HeadMinor), "{errors:?}");
    // The minor head also cannot sign the declaration.
    assert!(codes(&errors).contains(&Code::SignerNotAdultMember));

    let mut case = realistic_case(3);
    case.household.members[1].relation = Relation::Head;
    assert!(codes(&check(&case)).contains(&Code::SeveralHeads));

    let mut case = realistic_case(3);
    case.household.members[0].relation = Relation::Father;
    assert!(codes(&check(&case)).contains(&Code::NoHead));

    let mut case = realistic_case(3);
    case.household.members[3].civil_id = case.household.members[2].civil_id.clone();
    case.household.members[3].birth_date = case.household.members[2].birth_date;
    assert!(codes(&check(&case)).contains(&Code::CivilIdRepeated));

    let mut case = realistic_case(3);
    case.household.members[2].birth_date = Date::ymd(2001, 1, 1);
    let errors = check(&case);
    assert_eq!(codes(&errors), vec![Code::CivilIdBirthDateMismatch]);
}

#[test]
fn required_fields_amount_and_declaration() {
    let mut case = realistic_case(4);
    case.household.members[0].phone.clear();
    case.household.address.governorate = None;
    case.requests[0].reason = " ".into();
    case.requests[0].amount = None;
    case.requests[0].declaration = None;
    let errors = check(&case);
    assert_eq!(
        codes(&errors),
        vec![
            Code::Required,
            Code::Required,
            Code::Required,
            Code::AmountRequired,
            Code::DeclarationMissing
        ]
    );
    let paths: Vec<String> = errors.iter().map(|e| e.path.to_string()).collect();
    assert!(paths[0].ends_with(".phone"), "{paths:?}");
    assert_eq!(paths[1], "household.address.governorate");
    assert!(paths[2].starts_with("requests[") && paths[2].ends_with("].reason"));

    let mut case = realistic_case(4);
    case.requests[0].amount = Some(Fils(0));
    assert_eq!(codes(&check(&case)), vec![Code::AmountNotPositive]);
}

#[test]
fn bad_field_values_give_errors_not_panics() {
    let mut case = realistic_case(5);
    let nasty = [
        "",
        "٠",
        "😀😀😀😀😀😀😀😀😀😀😀😀",
        "\u{0000}",
        "999999999999",
        "2880201225960000000000",
        "+",
        "00",
        "-1",
        "\u{202E}288020122596",
    ];
    for value in nasty {
        case.household.members[1].civil_id = value.into();
        case.household.members[1].phone = value.into();
        let _ = check(&case);
        let _ = validate::member(&case.household.members[1], on());
    }
    case.household.members[1].civil_id = "28802O122596".into();
    case.household.members[1].phone = "+44 20 7946 0000".into();
    let errors = validate::member(&case.household.members[1], on());
    assert_eq!(
        codes(&errors),
        vec![Code::CivilIdNotDigits, Code::PhoneForeign]
    );
}

#[test]
fn survey_scores_are_one_to_five() {
    let mut case = realistic_case(6);
    assert!(validate::survey(&case.surveys[0]).is_empty());
    case.surveys[0].speed = Some(0);
    case.surveys[0].overall = Some(9);
    case.surveys[0].clarity = None;
    let errors = validate::survey(&case.surveys[0]);
    assert_eq!(
        codes(&errors),
        vec![Code::ScoreOutOfRange, Code::ScoreOutOfRange]
    );
    assert!(errors[1].path.to_string().ends_with(".overall"));
}

#[test]
fn a_survey_answers_something() {
    let mut survey = realistic_case(6).surveys[0].clone();
    survey.reception = None;
    survey.time_and_answers = None;
    survey.clarity = None;
    survey.speed = None;
    survey.overall = None;
    survey.comment = "  ".into();
    // Wanting a call back is not an answer to the survey.
    survey.wants_contact = true;
    assert_eq!(codes(&validate::survey(&survey)), vec![Code::SurveyEmpty]);
    survey.comment = "الموظف كان لطيفاً".into();
    assert!(validate::survey(&survey).is_empty());
    survey.comment.clear();
    survey.speed = Some(4);
    assert!(validate::survey(&survey).is_empty());
}

#[test]
fn an_unknown_request_is_an_error() {
    let case = realistic_case(7);
    let errors = validate::submission(
        &case,
        &RequestId::new("nope"),
        &RequestCatalog::builtin(),
        on(),
    )
    .expect_err("unknown");
    assert_eq!(codes(&errors), vec![Code::UnknownRequest]);
}
