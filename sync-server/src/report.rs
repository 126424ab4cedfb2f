//! The console's view of case files as rows: one per request, survey, contact and service.
//!
//! Case files are automerge documents; the committee's queue, the dashboards and the exports
//! need to sort, filter and count across thousands of them. So whenever the server stores a
//! case (a push, a console decision, an import), it also replaces that case's rows here, in
//! the same transaction. The rows are a projection: they can always be rebuilt from the
//! documents (migration 5 does so for cases stored before it).

use mandoob_shared::arabic;
use mandoob_shared::doc::CaseDoc;
use mandoob_shared::model::CaseFile;
use mandoob_shared::summary::Summary;
use mandoob_shared::workflow::{self, RequestStatus};

use crate::storage::ImportedCase;

/// One support request and where it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRow {
    pub case_id: String,
    pub request_id: String,
    pub branch: String,
    pub reference: String,
    pub head_name_ar: String,
    pub head_name_en: String,
    /// `RequestType` code.
    pub kind: String,
    /// In fils.
    pub amount: Option<i64>,
    /// `RequestStatus` code.
    pub status: String,
    pub submitted_at: Option<i64>,
    /// The latest (re)submission: the committee's clock.
    pub clock_started_at: Option<i64>,
    pub decided_at: Option<i64>,
    pub accepted: Option<bool>,
    pub decision_reason: String,
    /// What the committee granted, when it differs from what was asked (in fils).
    pub granted_amount: Option<i64>,
    /// Help in kind the committee granted (empty when none).
    pub granted_in_kind: String,
    pub open_referrals: u32,
    /// Rounds of "more information needed" so far.
    pub rounds: u32,
}

impl RequestRow {
    /// The amount granted, in fils: the committee's own amount, or the one requested when
    /// it accepted without changing it; `None` before an acceptance and for help in kind only.
    pub fn granted(&self) -> Option<i64> {
        if self.accepted != Some(true) {
            return None;
        }
        match (self.granted_amount, self.granted_in_kind.is_empty()) {
            (Some(a), _) => Some(a),
            (None, true) => self.amount,
            (None, false) => None,
        }
    }
}

/// One satisfaction survey (scores 1 to 5; absent when not answered).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SurveyRow {
    pub case_id: String,
    pub survey_id: String,
    pub branch: String,
    pub at: i64,
    pub reception: Option<i64>,
    pub time_and_answers: Option<i64>,
    pub clarity: Option<i64>,
    pub speed: Option<i64>,
    pub overall: Option<i64>,
    pub comment: String,
}

/// One contact with the family, on any channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactRow {
    pub case_id: String,
    pub contact_id: String,
    pub branch: String,
    /// `Channel` code.
    pub channel: String,
    pub at: i64,
}

/// One service delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceRow {
    pub case_id: String,
    pub service_id: String,
    pub branch: String,
    pub reference: String,
    pub request_id: Option<String>,
    /// `ServiceKind` code.
    pub kind: String,
    pub description: String,
    /// In fils.
    pub value: i64,
    pub delivered_at: i64,
}

/// A household on file, for the console's search (with or without a request).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HouseholdRow {
    pub case_id: String,
    pub branch: String,
    pub reference: String,
    pub head_name_ar: String,
    pub head_name_en: String,
    pub members: u32,
    pub requests: u32,
    /// What a search matches, as words between spaces: every member's names folded as the
    /// device folds them (`arabic::normalize_name`), civil IDs, phones (as typed, national and
    /// international digits) and the reference, folded the same way.
    pub search: String,
}

impl HouseholdRow {
    /// The row of `case`.
    pub fn of(case: &CaseFile) -> Self {
        let head = case.head();
        let mut words: Vec<String> = Vec::new();
        for m in &case.household.members {
            for name in [&m.name_ar, &m.name_en] {
                words.push(arabic::normalize_name(name));
            }
            words.push(arabic::normalize_name(&m.civil_id));
            let digits: String = arabic::normalize_name(&m.phone)
                .chars()
                .filter(char::is_ascii_digit)
                .collect();
            if let Some(national) = digits.strip_prefix("965").filter(|n| n.len() == 8) {
                words.push(national.to_owned());
            }
            words.push(digits);
        }
        words.push(arabic::normalize_name(case.reference.as_str()));
        let words: Vec<&str> = words
            .iter()
            .flat_map(|w| w.split(' '))
            .filter(|w| !w.is_empty())
            .collect();
        Self {
            case_id: case.id.as_str().to_owned(),
            branch: case.branch.as_str().to_owned(),
            reference: case.reference.as_str().to_owned(),
            head_name_ar: head.map(|h| h.name_ar.clone()).unwrap_or_default(),
            head_name_en: head.map(|h| h.name_en.clone()).unwrap_or_default(),
            members: case.household.members.len() as u32,
            requests: case.requests.len() as u32,
            search: format!(" {} ", words.join(" ")),
        }
    }
}

/// What the console's household search asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HouseholdQuery {
    /// Words that must all be found (a name in any spelling the device folds alike, a civil ID,
    /// a phone, a reference, or parts of them).
    pub text: String,
    /// Only households without any request.
    pub without_request: bool,
}

impl HouseholdQuery {
    /// The words to match, folded as the rows are.
    pub fn words(&self) -> Vec<String> {
        arabic::tokens(&self.text)
    }
}

/// Every row of one case.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaseReport {
    pub household: HouseholdRow,
    pub requests: Vec<RequestRow>,
    pub surveys: Vec<SurveyRow>,
    pub contacts: Vec<ContactRow>,
    pub services: Vec<ServiceRow>,
}

fn score(v: Option<u64>) -> Option<i64> {
    v.and_then(|v| i64::try_from(v).ok())
}

impl CaseReport {
    /// The rows of `case`.
    pub fn of(case: &CaseFile) -> Self {
        let id = case.id.as_str().to_owned();
        let branch = case.branch.as_str().to_owned();
        let head = case.head();
        let states = workflow::derive(case);
        let requests = case
            .requests
            .iter()
            .zip(&states)
            .map(|(r, s)| RequestRow {
                case_id: id.clone(),
                request_id: r.id.as_str().to_owned(),
                branch: branch.clone(),
                reference: case.reference.as_str().to_owned(),
                head_name_ar: head.map(|h| h.name_ar.clone()).unwrap_or_default(),
                head_name_en: head.map(|h| h.name_en.clone()).unwrap_or_default(),
                kind: r.kind.code().to_owned(),
                amount: r.amount.map(|f| f.0),
                status: s.status.code().to_owned(),
                submitted_at: s.submitted_at.map(|t| t.millis()),
                clock_started_at: s.clock_started_at.map(|t| t.millis()),
                decided_at: s.decision.as_ref().map(|d| d.at.millis()),
                accepted: s.decision.as_ref().map(|d| d.accepted),
                decision_reason: s
                    .decision
                    .as_ref()
                    .map(|d| d.reason.clone())
                    .unwrap_or_default(),
                granted_amount: s
                    .decision
                    .as_ref()
                    .and_then(|d| d.grant.as_ref())
                    .and_then(|g| g.amount)
                    .map(|f| f.0),
                granted_in_kind: s
                    .decision
                    .as_ref()
                    .and_then(|d| d.grant.as_ref())
                    .map(|g| g.in_kind.clone())
                    .unwrap_or_default(),
                open_referrals: s.open_referrals,
                rounds: s.rounds.len() as u32,
            })
            .collect();
        let surveys = case
            .surveys
            .iter()
            .map(|s| SurveyRow {
                case_id: id.clone(),
                survey_id: s.id.as_str().to_owned(),
                branch: branch.clone(),
                at: s.at.millis(),
                reception: score(s.reception),
                time_and_answers: score(s.time_and_answers),
                clarity: score(s.clarity),
                speed: score(s.speed),
                overall: score(s.overall),
                comment: s.comment.clone(),
            })
            .collect();
        let contacts = case
            .contacts
            .iter()
            .map(|c| ContactRow {
                case_id: id.clone(),
                contact_id: c.id.as_str().to_owned(),
                branch: branch.clone(),
                channel: c.channel.code().to_owned(),
                at: c.at.millis(),
            })
            .collect();
        let services = case
            .services
            .iter()
            .map(|s| ServiceRow {
                case_id: id.clone(),
                service_id: s.id.as_str().to_owned(),
                branch: branch.clone(),
                reference: case.reference.as_str().to_owned(),
                request_id: s.request.as_ref().map(|r| r.as_str().to_owned()),
                kind: s.kind.code().to_owned(),
                description: s.description.clone(),
                value: s.value.0,
                delivered_at: s.delivered_at.millis(),
            })
            .collect();
        Self {
            household: HouseholdRow::of(case),
            requests,
            surveys,
            contacts,
            services,
        }
    }
}

impl RequestRow {
    /// Whether the committee still has to decide.
    pub fn awaiting(&self) -> bool {
        self.status == RequestStatus::AwaitingDecision.code()
    }
}

impl ImportedCase {
    /// A case to store: `doc` (with `changes` new to the server) and what is derived from it,
    /// `case` and `conflicts` being `doc` as read.
    pub fn of(
        case: &CaseFile,
        conflicts: bool,
        doc: &mut CaseDoc,
        changes: Vec<(String, Vec<u8>)>,
    ) -> Self {
        let heads = doc.heads().iter().map(|h| h.0).collect();
        Self {
            case: case.id.clone(),
            branch: case.branch.clone(),
            changes,
            snapshot: doc.save(),
            blobs: case.blob_refs(),
            summary: Summary::of(case, conflicts, heads),
            report: CaseReport::of(case),
            authors: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_household_is_found_by_any_spelling_of_a_name_and_by_its_numbers() {
        let mut case = mandoob_shared::sample::realistic_case(5);
        case.household.members[0].name_ar = "أحمد عبد الله الكنْدري".into();
        case.household.members[0].phone = "+965 9911 2233".into();
        let row = HouseholdRow::of(&case);
        let found = |text: &str| {
            HouseholdQuery {
                text: text.into(),
                without_request: false,
            }
            .words()
            .iter()
            .all(|w| row.search.contains(&format!(" {w}")))
        };
        assert!(found("احمد عبدالله"));
        assert!(found("أحمد الكندري"));
        assert!(found("99112233"));
        assert!(found("٩٩١١٢٢٣٣"), "Arabic-Indic digits");
        assert!(found(&case.household.members[0].civil_id));
        assert!(found(&case.reference.as_str().to_lowercase()));
        assert!(!found("محمود"));
    }
}
