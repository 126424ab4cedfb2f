//! Validation of a case file, with structured errors (field path, code, arguments) that the
//! UI renders through the translations. Never panics, whatever the input.
//!
//! Policy step 2 asks the employee to verify the data *at the time of submission*; so the
//! checks take the date they apply at (`on`), and [`submission`] is what the app runs before a
//! request goes to the committee. Field-level checks ([`member`], [`phone_field`]) run while
//! typing.

pub mod civil_id;
pub mod phone;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::catalog::{RequestCatalog, Scope};
use crate::doc::FieldPath;
use crate::ids::{MemberId, RequestId};
use crate::model::{
    Address, CaseFile, IncomeSource, Member, MoneyLine, Relation, SatisfactionSurvey, domain_enum,
};

domain_enum!(
    /// What is wrong. Each code has a message in the translations (`error-<code>`).
    Code, "error" {
        Required => "required",
        CivilIdLength => "civil-id-length",
        CivilIdNotDigits => "civil-id-not-digits",
        CivilIdCentury => "civil-id-century",
        CivilIdDate => "civil-id-date",
        CivilIdFuture => "civil-id-future",
        CivilIdCheckDigit => "civil-id-check-digit",
        CivilIdBirthDateMismatch => "civil-id-birth-date-mismatch",
        CivilIdRepeated => "civil-id-repeated",
        PhoneCharacters => "phone-characters",
        PhoneLength => "phone-length",
        PhonePrefix => "phone-prefix",
        PhoneForeign => "phone-foreign",
        BirthDateFuture => "birth-date-future",
        NoHead => "no-head",
        SeveralHeads => "several-heads",
        HeadMinor => "head-minor",
        AmountRequired => "amount-required",
        AmountNotPositive => "amount-not-positive",
        DocumentMissing => "document-missing",
        DocumentExpired => "document-expired",
        DocumentUnknown => "document-unknown",
        DeclarationMissing => "declaration-missing",
        SignerNotAdultMember => "signer-not-adult-member",
        ScoreOutOfRange => "score-out-of-range",
        SurveyEmpty => "survey-empty",
        UnknownRequest => "unknown-request",
        HeadRemoved => "head-removed",
        MemberSigned => "member-signed",
    }
);

/// One problem, where it is, and the values its message needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidationError {
    pub path: FieldPath,
    pub code: Code,
    pub args: BTreeMap<String, String>,
}

impl ValidationError {
    /// A required field left empty (forms check this as the person types).
    pub fn required(path: FieldPath) -> Self {
        Self::new(path, Code::Required)
    }

    fn new(path: FieldPath, code: Code) -> Self {
        Self {
            path,
            code,
            args: BTreeMap::new(),
        }
    }

    fn arg(mut self, name: &str, value: impl ToString) -> Self {
        self.args.insert(name.to_owned(), value.to_string());
        self
    }
}

/// Age in whole years on `on`.
pub fn age_on(birth: NaiveDate, on: NaiveDate) -> i32 {
    let mut age = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        age -= 1;
    }
    age
}

/// The age of majority for a head of household or a signer.
pub const ADULT_AGE: i32 = 18;

fn member_path(member: &Member) -> FieldPath {
    FieldPath::default()
        .key("household")
        .key("members")
        .item(member.id.as_str())
}

/// Checks a civil ID field (empty is allowed here; [`submission`] requires the head's).
pub fn civil_id_field(value: &str, path: FieldPath, on: NaiveDate) -> Option<ValidationError> {
    use civil_id::CivilIdError as E;
    if value.trim().is_empty() {
        return None;
    }
    civil_id::parse(value, on).err().map(|e| match e {
        E::Length(n) => ValidationError::new(path, Code::CivilIdLength).arg("count", n),
        E::NotDigits => ValidationError::new(path, Code::CivilIdNotDigits),
        E::Century => ValidationError::new(path, Code::CivilIdCentury),
        E::Date => ValidationError::new(path, Code::CivilIdDate),
        E::FutureDate => ValidationError::new(path, Code::CivilIdFuture),
        E::CheckDigit => ValidationError::new(path, Code::CivilIdCheckDigit),
    })
}

/// Checks a phone field (empty is allowed here).
pub fn phone_field(value: &str, path: FieldPath) -> Option<ValidationError> {
    use phone::PhoneError as E;
    if value.trim().is_empty() {
        return None;
    }
    phone::parse(value).err().map(|e| {
        let code = match e {
            E::Characters => Code::PhoneCharacters,
            E::Length => Code::PhoneLength,
            E::Prefix => Code::PhonePrefix,
            E::Foreign => Code::PhoneForeign,
        };
        ValidationError::new(path, code)
    })
}

/// Checks one member's fields as of `on`.
pub fn member(m: &Member, on: NaiveDate) -> Vec<ValidationError> {
    let base = member_path(m);
    let mut errors = Vec::new();
    if m.name_ar.trim().is_empty() {
        errors.push(ValidationError::new(
            base.clone().key("name_ar"),
            Code::Required,
        ));
    }
    errors.extend(civil_id_field(
        &m.civil_id,
        base.clone().key("civil_id"),
        on,
    ));
    errors.extend(phone_field(&m.phone, base.clone().key("phone")));
    if let Some(birth) = m.birth_date {
        if birth.0 > on {
            errors.push(ValidationError::new(
                base.clone().key("birth_date"),
                Code::BirthDateFuture,
            ));
        } else if let Ok(id) = civil_id::parse(&m.civil_id, on)
            && id.birth_date() != birth.0
        {
            errors.push(
                ValidationError::new(base.key("birth_date"), Code::CivilIdBirthDateMismatch)
                    .arg("civil_id_date", id.birth_date()),
            );
        }
    }
    errors
}

/// The member's birth date: as entered, else the one in their civil ID.
pub fn birth_date_of(m: &Member, on: NaiveDate) -> Option<NaiveDate> {
    m.birth_date.map(|d| d.0).or_else(|| {
        civil_id::parse(&m.civil_id, on)
            .ok()
            .map(|id| id.birth_date())
    })
}

/// Why `head` cannot head a household on `on`: a minor (by the birth date entered, else the
/// one in the civil ID). Registration checks it offline, before anything is written.
pub fn head_minor(head: &Member, on: NaiveDate) -> Option<ValidationError> {
    let birth = birth_date_of(head, on)?;
    let age = age_on(birth, on);
    (age < ADULT_AGE).then(|| {
        ValidationError::new(member_path(head).key("birth_date"), Code::HeadMinor)
            .arg("age", age)
            .arg("adult_age", ADULT_AGE)
    })
}

/// Why `m` cannot be stored in `case`: another member of the same household already has its
/// civil ID (one person is one member). A civil ID held in *another* household is not an
/// error: a person may move between households (the app names that file as a warning).
pub fn civil_id_repeated(case: &CaseFile, m: &Member, on: NaiveDate) -> Option<ValidationError> {
    let id = civil_id::parse(&m.civil_id, on).ok()?;
    case.household
        .members
        .iter()
        .filter(|other| other.id != m.id)
        .any(|other| civil_id::parse(&other.civil_id, on).is_ok_and(|o| o.as_str() == id.as_str()))
        .then(|| ValidationError::new(member_path(m).key("civil_id"), Code::CivilIdRepeated))
}

/// Why the member `id` cannot be removed from `case`: the head of household (correct their
/// details instead), or the member who signed a request's declaration (it would point at no
/// one). `None` when removing is fine, or when there is no such member.
pub fn member_removal(case: &CaseFile, id: &MemberId) -> Option<ValidationError> {
    let m = case.household.members.iter().find(|m| &m.id == id)?;
    if m.relation == Relation::Head {
        return Some(ValidationError::new(member_path(m), Code::HeadRemoved));
    }
    case.requests
        .iter()
        .any(|r| r.declaration.as_ref().is_some_and(|d| &d.signed_by == id))
        .then(|| ValidationError::new(member_path(m), Code::MemberSigned))
}

/// Checks an address as registration does: the governorate is required.
pub fn address(a: &Address) -> Vec<ValidationError> {
    let path = FieldPath::default().key("household").key("address");
    if a.governorate.is_none() {
        vec![ValidationError::new(
            path.key("governorate"),
            Code::Required,
        )]
    } else {
        Vec::new()
    }
}

/// Checks a monthly income or expense line (`list`: `income` or `expenses`): an amount of
/// more than zero (an empty line would only hide the household's figures).
pub fn money_line<K>(line: &MoneyLine<K>, list: &str) -> Vec<ValidationError> {
    if line.monthly.0 > 0 {
        return Vec::new();
    }
    let path = FieldPath::default()
        .key("household")
        .key(list)
        .item(line.id.as_str())
        .key("monthly");
    vec![ValidationError::new(path, Code::AmountNotPositive)]
}

/// Checks the household as a whole: one adult head, no civil ID twice.
pub fn household(case: &CaseFile, on: NaiveDate) -> Vec<ValidationError> {
    let members_path = FieldPath::default().key("household").key("members");
    let mut errors = Vec::new();
    for m in &case.household.members {
        errors.extend(member(m, on));
    }
    let heads: Vec<&Member> = case
        .household
        .members
        .iter()
        .filter(|m| m.relation == Relation::Head)
        .collect();
    match heads.as_slice() {
        [] => errors.push(ValidationError::new(members_path.clone(), Code::NoHead)),
        [head] => errors.extend(head_minor(head, on)),
        several => errors.push(
            ValidationError::new(members_path.clone(), Code::SeveralHeads)
                .arg("count", several.len()),
        ),
    }
    let mut seen = BTreeSet::new();
    for m in &case.household.members {
        if let Ok(id) = civil_id::parse(&m.civil_id, on)
            && !seen.insert(id.as_str().to_owned())
        {
            errors.push(ValidationError::new(
                member_path(m).key("civil_id"),
                Code::CivilIdRepeated,
            ));
        }
    }
    errors
}

/// Everything that must hold before request `request` is submitted on `on`.
pub fn submission(
    case: &CaseFile,
    request: &RequestId,
    catalog: &RequestCatalog,
    on: NaiveDate,
) -> Result<(), Vec<ValidationError>> {
    let Some(req) = case.request(request) else {
        return Err(vec![ValidationError::new(
            FieldPath::default().key("requests"),
            Code::UnknownRequest,
        )]);
    };
    let req_path = FieldPath::default().key("requests").item(req.id.as_str());
    let mut errors = household(case, on);
    let head = case.head();

    // Required fields.
    if let Some(head) = head {
        let p = member_path(head);
        if head.civil_id.trim().is_empty() {
            errors.push(ValidationError::new(
                p.clone().key("civil_id"),
                Code::Required,
            ));
        }
        if head.phone.trim().is_empty() {
            errors.push(ValidationError::new(p.key("phone"), Code::Required));
        }
    }
    let addr = FieldPath::default().key("household").key("address");
    if case.household.address.governorate.is_none() {
        errors.push(ValidationError::new(
            addr.clone().key("governorate"),
            Code::Required,
        ));
    }
    if case.household.address.area.trim().is_empty() {
        errors.push(ValidationError::new(addr.key("area"), Code::Required));
    }
    if req.reason.trim().is_empty() {
        errors.push(ValidationError::new(
            req_path.clone().key("reason"),
            Code::Required,
        ));
    }
    let spec = catalog.spec(req.kind);
    match req.amount {
        None if spec.needs_amount => errors.push(ValidationError::new(
            req_path.clone().key("amount"),
            Code::AmountRequired,
        )),
        Some(a) if a.0 <= 0 => errors.push(ValidationError::new(
            req_path.clone().key("amount"),
            Code::AmountNotPositive,
        )),
        _ => {}
    }

    // Documents: attached, of the right kinds, for the right people, not expired.
    let mut attached = Vec::new();
    for id in &req.documents {
        match case.document(id) {
            Some(doc) => attached.push(doc),
            None => errors.push(
                ValidationError::new(req_path.clone().key("documents"), Code::DocumentUnknown)
                    .arg("document", id),
            ),
        }
    }
    for doc in &attached {
        if let Some(expiry) = doc.expires_on
            && expiry.0 < on
        {
            errors.push(
                ValidationError::new(
                    FieldPath::default()
                        .key("documents")
                        .item(doc.id.as_str())
                        .key("expires_on"),
                    Code::DocumentExpired,
                )
                .arg("kind", doc.kind.label_key())
                .arg("expired_on", expiry),
            );
        }
    }
    for need in needed_documents(case, req, catalog) {
        if need.attached.is_none() {
            let mut e =
                ValidationError::new(req_path.clone().key("documents"), Code::DocumentMissing)
                    .arg("kind", need.kind.label_key());
            if let Some(m) = need.member {
                e = e.arg("member", &m.name_ar).arg("member_id", &m.id);
            }
            errors.push(e);
        }
    }

    // The applicant's signed declaration (policy step 4).
    let decl_path = req_path.key("declaration");
    match &req.declaration {
        None => errors.push(ValidationError::new(decl_path, Code::DeclarationMissing)),
        Some(decl) => {
            let signer_ok = case
                .member(&decl.signed_by)
                .and_then(|m| birth_date_of(m, on))
                .is_some_and(|b| age_on(b, on) >= ADULT_AGE);
            if !signer_ok {
                errors.push(ValidationError::new(
                    decl_path.clone().key("signed_by"),
                    Code::SignerNotAdultMember,
                ));
            }
            if case.document(&decl.signature).is_none() {
                errors.push(ValidationError::new(
                    decl_path.key("signature"),
                    Code::DeclarationMissing,
                ));
            }
        }
    }

    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// One document a request needs, for whom, and the document attached to the request that
/// provides it (the newest, when several do).
#[derive(Debug, Clone, PartialEq)]
pub struct NeededDocument<'a> {
    pub kind: crate::model::DocumentKind,
    /// Whose document, for per-person requirements (the head, each earning member, each child).
    pub member: Option<&'a Member>,
    pub attached: Option<&'a crate::model::DocumentMeta>,
}

/// The documents `req` needs by the catalogue, each with what is attached for it: the one
/// list both the submission check and the app's checklist read.
pub fn needed_documents<'a>(
    case: &'a CaseFile,
    req: &crate::model::SupportRequest,
    catalog: &RequestCatalog,
) -> Vec<NeededDocument<'a>> {
    let attached: Vec<&crate::model::DocumentMeta> = req
        .documents
        .iter()
        .filter_map(|id| case.document(id))
        .collect();
    let head = case.head();
    let mut out = Vec::new();
    for requirement in catalog.requirements(req.kind) {
        let people: Vec<Option<&Member>> = match requirement.scope {
            Scope::Case => vec![None],
            Scope::Head => vec![head],
            Scope::EarningMember => earning_members(case).into_iter().map(Some).collect(),
            Scope::Child => case
                .household
                .members
                .iter()
                .filter(|m| matches!(m.relation, Relation::Son | Relation::Daughter))
                .map(Some)
                .collect(),
        };
        for member in people {
            let found = attached.iter().rev().copied().find(|d| {
                d.kind == requirement.kind
                    && member.is_none_or(|m| d.member.as_ref() == Some(&m.id))
            });
            out.push(NeededDocument {
                kind: requirement.kind,
                member,
                attached: found,
            });
        }
    }
    out
}

/// Members with salary or pension income.
pub fn earning_members(case: &CaseFile) -> Vec<&Member> {
    case.household
        .members
        .iter()
        .filter(|m| {
            case.household.income.iter().any(|line| {
                line.member.as_ref() == Some(&m.id)
                    && matches!(line.kind, IncomeSource::Salary | IncomeSource::Pension)
            })
        })
        .collect()
}

/// Checks a satisfaction survey: at least one answer (a score or a comment; a survey with
/// none would be counted in the satisfaction figures as if the family had answered), and every
/// answered score 1 to 5.
pub fn survey(s: &SatisfactionSurvey) -> Vec<ValidationError> {
    let base = FieldPath::default().key("surveys").item(s.id.as_str());
    if s.scores().iter().all(|(_, score)| score.is_none()) && s.comment.trim().is_empty() {
        return vec![ValidationError::new(base, Code::SurveyEmpty)];
    }
    s.scores()
        .into_iter()
        .zip([
            "reception",
            "time_and_answers",
            "clarity",
            "speed",
            "overall",
        ])
        .filter_map(|((_, score), field)| {
            score.filter(|v| !(1..=5).contains(v)).map(|v| {
                ValidationError::new(base.clone().key(field), Code::ScoreOutOfRange).arg("value", v)
            })
        })
        .collect()
}
