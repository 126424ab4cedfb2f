//! Realistic sample case files, made deterministically from a seed: for tests, benchmarks and
//! the demo data an administrator can seed. Names are common Kuwaiti names in Arabic with a
//! Latin spelling; civil IDs are valid (right check digit) but made up.

use chrono::{Duration, NaiveDate, TimeZone, Utc};

use crate::ids::*;
use crate::model::*;
use crate::validate::civil_id;
use crate::workflow::{EventKind, Role};

const MALE: &[(&str, &str)] = &[
    ("محمد", "Mohammed"),
    ("عبدالله", "Abdullah"),
    ("خالد", "Khalid"),
    ("فهد", "Fahad"),
    ("سعود", "Saud"),
    ("ناصر", "Nasser"),
    ("عبدالرحمن", "Abdulrahman"),
    ("يوسف", "Yousef"),
    ("حمد", "Hamad"),
    ("سالم", "Salem"),
];
const FEMALE: &[(&str, &str)] = &[
    ("فاطمة", "Fatima"),
    ("مريم", "Maryam"),
    ("نورة", "Noura"),
    ("عائشة", "Aisha"),
    ("هيا", "Haya"),
    ("شيخة", "Sheikha"),
    ("دانة", "Dana"),
    ("لطيفة", "Latifa"),
];
const FAMILY: &[(&str, &str)] = &[
    ("العنزي", "Al-Enezi"),
    ("المطيري", "Al-Mutairi"),
    ("العجمي", "Al-Ajmi"),
    ("الرشيدي", "Al-Rashidi"),
    ("الظفيري", "Al-Dhafiri"),
    ("الشمري", "Al-Shammari"),
    ("الهاجري", "Al-Hajri"),
    ("الدوسري", "Al-Dosari"),
    ("العتيبي", "Al-Otaibi"),
    ("الكندري", "Al-Kandari"),
];
const AREAS: &[(Governorate, &str)] = &[
    (Governorate::Jahra, "الجهراء"),
    (Governorate::Farwaniya, "خيطان"),
    (Governorate::Ahmadi, "الفحيحيل"),
    (Governorate::Hawalli, "حولي"),
    (Governorate::Capital, "القرين"),
    (Governorate::MubarakAlKabeer, "صباح السالم"),
];

fn pick<'a, T>(rng: &mut fastrand::Rng, list: &'a [T]) -> &'a T {
    &list[rng.usize(..list.len())]
}

fn civil_id_for(rng: &mut fastrand::Rng, birth: NaiveDate) -> String {
    loop {
        if let Some(id) = civil_id::compose(birth, rng.u16(..10_000)) {
            return id;
        }
    }
}

fn birth(rng: &mut fastrand::Rng, min_age: i64, max_age: i64, today: NaiveDate) -> NaiveDate {
    today - Duration::days(rng.i64(min_age * 365 + 1..max_age * 365))
}

fn at(base: chrono::DateTime<Utc>, minutes: i64) -> Timestamp {
    Timestamp::new(base + Duration::minutes(minutes))
}

/// A household of four (head, spouse, two children) with one submitted monthly-aid request,
/// two visits, five documents, income and expenses, two contacts and a survey: about 60 fields.
pub fn realistic_case(seed: u64) -> CaseFile {
    let mut rng = fastrand::Rng::with_seed(seed);
    let today = NaiveDate::from_ymd_opt(2026, 11, 1).expect("valid date");
    let base = Utc
        .with_ymd_and_hms(2026, 10, 1, 6, 0, 0)
        .single()
        .expect("valid time")
        + Duration::hours(rng.i64(0..24 * 30));
    let branch = BranchCode::new("QRN");
    let rep = UserId::new(format!("rep-{}", rng.u8(1..20)));
    let reference =
        CaseReference::compose(&branch, &DeviceCode::new("A7"), (seed % 100_000) as u32);
    let mut case = CaseFile::new(reference, branch, rep.clone(), at(base, 0));

    let (family_ar, family_en) = *pick(&mut rng, FAMILY);
    let person = |rng: &mut fastrand::Rng, male: bool, relation, min: i64, max: i64| {
        let (first_ar, first_en) = *pick(rng, if male { MALE } else { FEMALE });
        let (father_ar, father_en) = *pick(rng, MALE);
        let born = birth(rng, min, max, today);
        let mut m = Member::new(format!("{first_ar} {father_ar} {family_ar}"), relation);
        m.name_en = format!("{first_en} {father_en} {family_en}");
        m.civil_id = civil_id_for(rng, born);
        m.birth_date = Some(Date(born));
        m.sex = Some(if male { Sex::Male } else { Sex::Female });
        m.nationality = "KWT".into();
        m
    };
    let mut head = person(&mut rng, true, Relation::Head, 30, 60);
    head.phone = format!("9{:07}", rng.u32(..10_000_000));
    head.work = "متقاعد".into();
    head.health = "سكري".into();
    head.education = "ثانوي".into();
    let mut spouse = person(&mut rng, false, Relation::Spouse, 25, 55);
    spouse.phone = format!("6{:07}", rng.u32(..10_000_000));
    spouse.work = "ربة منزل".into();
    let mut son = person(&mut rng, true, Relation::Son, 6, 17);
    son.education = "ابتدائي".into();
    let mut daughter = person(&mut rng, false, Relation::Daughter, 3, 15);
    daughter.education = "روضة".into();
    let head_id = head.id.clone();
    case.household.members = vec![head, spouse, son, daughter];

    let (governorate, area) = *pick(&mut rng, AREAS);
    case.household.address = Address {
        governorate: Some(governorate),
        area: area.into(),
        block: rng.u8(1..12).to_string(),
        street: rng.u8(1..40).to_string(),
        avenue: String::new(),
        house: rng.u16(1..300).to_string(),
        apartment: String::new(),
        paci_number: format!("{:08}", rng.u32(10_000_000..99_999_999)),
        gps: Some(GeoPoint {
            lat: 29.0 + rng.f64() * 0.5,
            lon: 47.6 + rng.f64() * 0.6,
            accuracy_m: Some(8.0),
        }),
    };
    case.household.housing = Housing {
        kind: Some(HousingKind::Rented),
        monthly_rent: Some(Fils::from_kwd(rng.i64(150..450))),
        rooms: Some(rng.u64(2..5)),
        condition: "بحاجة إلى صيانة".into(),
    };
    case.household.income = vec![MoneyLine {
        id: MoneyLineId::generate(),
        kind: IncomeSource::Pension,
        monthly: Fils::from_kwd(rng.i64(300..700)),
        member: Some(head_id.clone()),
        note: String::new(),
    }];
    case.household.expenses = vec![
        MoneyLine {
            id: MoneyLineId::generate(),
            kind: ExpenseKind::Rent,
            monthly: Fils::from_kwd(rng.i64(150..450)),
            member: None,
            note: String::new(),
        },
        MoneyLine {
            id: MoneyLineId::generate(),
            kind: ExpenseKind::LoanInstallment,
            monthly: Fils::from_kwd(rng.i64(50..200)),
            member: None,
            note: "قرض بنك".into(),
        },
    ];

    let mut doc = |kind, minutes, member: Option<MemberId>| DocumentMeta {
        id: DocumentId::generate(),
        kind,
        member,
        sha256: format!(
            "{:016x}{:016x}{:016x}{:016x}",
            rng.u64(..),
            rng.u64(..),
            rng.u64(..),
            rng.u64(..)
        ),
        thumbnail_sha256: format!(
            "{:016x}{:016x}{:016x}{:016x}",
            rng.u64(..),
            rng.u64(..),
            rng.u64(..),
            rng.u64(..)
        ),
        bytes: rng.u64(150_000..400_000),
        width: 1600,
        height: 1200,
        captured_at: at(base, minutes),
        captured_by: rep.clone(),
        expires_on: None,
    };
    let mut civil = doc(DocumentKind::CivilId, 20, Some(head_id.clone()));
    civil.expires_on = Date::ymd(2028, 5, 1);
    let docs = vec![
        civil,
        doc(DocumentKind::SalaryCertificate, 22, Some(head_id.clone())),
        doc(DocumentKind::BankStatement, 24, None),
        doc(DocumentKind::PaciAddress, 26, None),
        doc(DocumentKind::Signature, 40, Some(head_id.clone())),
    ];
    let doc_ids: Vec<DocumentId> = docs.iter().map(|d| d.id.clone()).collect();
    case.documents = docs;

    let request = SupportRequest {
        id: RequestId::generate(),
        kind: RequestType::MonthlyAid,
        amount: Some(Fils::from_kwd(rng.i64(100..300))),
        reason: "دخل الأسرة لا يغطي الإيجار وأقساط القرض".into(),
        documents: doc_ids[..4].to_vec(),
        declaration: Some(Declaration {
            signed_by: head_id.clone(),
            signature: doc_ids[4].clone(),
            signed_at: at(base, 41),
            text_version: "2026-1".into(),
        }),
    };
    let request_id = request.id.clone();
    case.requests = vec![request];

    let visit =
        |minutes: i64, answers: &[(&str, &str)], notes: &str, documents: Vec<DocumentId>| Visit {
            id: VisitId::generate(),
            by: rep.clone(),
            at: at(base, minutes),
            location: None,
            answers: answers
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            notes: notes.into(),
            documents,
        };
    case.visits = vec![
        visit(
            0,
            &[
                ("reason-for-request", "تأخر في سداد الإيجار"),
                ("other-support", "لا يوجد"),
                ("health-needs", "علاج السكري"),
                ("debts", "قرض بنكي"),
            ],
            "استقبلتنا الأسرة في المنزل وأجبنا عن أسئلتهم.",
            doc_ids[..2].to_vec(),
        ),
        visit(
            60 * 24 * 3,
            &[("follow-up", "أحضروا كشف الحساب")],
            "زيارة متابعة لاستكمال المستندات.",
            doc_ids[2..4].to_vec(),
        ),
    ];
    case.contacts = vec![
        ContactEntry {
            id: ContactId::generate(),
            channel: Channel::Phone,
            direction: Direction::Inbound,
            at: at(base, -60 * 24),
            by: rep.clone(),
            summary: "اتصل رب الأسرة يطلب زيارة".into(),
            follow_up_on: None,
            follow_up_done: true,
        },
        ContactEntry {
            id: ContactId::generate(),
            channel: Channel::BranchRepresentative,
            direction: Direction::Outbound,
            at: at(base, 0),
            by: rep.clone(),
            summary: "زيارة منزلية ومقابلة".into(),
            follow_up_on: Date::ymd(2026, 11, 15),
            follow_up_done: false,
        },
    ];
    case.surveys = vec![SatisfactionSurvey {
        id: SurveyId::generate(),
        at: at(base, 45),
        administered_by: rep.clone(),
        reception: Some(5),
        time_and_answers: Some(rng.u64(3..6)),
        clarity: Some(rng.u64(3..6)),
        speed: Some(rng.u64(2..6)),
        overall: Some(rng.u64(3..6)),
        comment: String::new(),
        wants_contact: rng.bool(),
    }];
    case.events = vec![WorkflowEvent {
        id: EventId::generate(),
        kind: EventKind::Submitted,
        request: request_id,
        actor: rep,
        role: Role::Representative,
        at: at(base, 42),
        reason: String::new(),
        grant: None,
    }];
    case
}

/// Names `user` as the author of everything in `case`, as if their device had made it (the
/// server accepts a new record only from the account it names).
pub fn attribute_to(case: &mut CaseFile, user: &UserId) {
    case.created_by = user.clone();
    for v in &mut case.visits {
        v.by = user.clone();
    }
    for d in &mut case.documents {
        d.captured_by = user.clone();
    }
    for c in &mut case.contacts {
        c.by = user.clone();
    }
    for r in &mut case.referrals {
        r.by = user.clone();
    }
    for s in &mut case.services {
        s.by = user.clone();
    }
    for s in &mut case.surveys {
        s.administered_by = user.clone();
    }
    for e in &mut case.events {
        e.actor = user.clone();
    }
}
