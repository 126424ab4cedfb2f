//! The app's state as plain data with methods: what each screen shows and what it may do next.
//! Components only render these and send commands, so the logic is tested without a window.

use chrono::NaiveDate;
use mandoob_engine::engine::{CaseSummary, Event, NewHousehold, OpenCase, SyncState};
use mandoob_shared::catalog::RequestCatalog;
use mandoob_shared::doc::FieldPath;
use mandoob_shared::ids::{
    CaseId, ContactId, Date, Fils, MemberId, MoneyLineId, RequestId, Timestamp, UserId,
};
use mandoob_shared::model::{
    Address, CaseFile, Channel, ContactEntry, Direction, DocumentKind, DocumentMeta, Governorate,
    Member, MoneyLine, Relation, RequestType,
};
use mandoob_shared::validate::{self, ValidationError};
use mandoob_shared::workflow::{self, EventKind, RequestStatus, SlaPolicy};

/// Where the representative is in the app.
#[derive(Debug, Clone, PartialEq)]
pub enum Screen {
    SignIn,
    Cases,
    Register,
    Case {
        id: CaseId,
        tab: CaseTab,
    },
    Receipt {
        id: CaseId,
        request: RequestId,
    },
    Survey {
        id: CaseId,
    },
    Sync,
    Library,
    /// Changing the password (from the sync screen, or first when an administrator reset it).
    Password,
}

/// The parts of an open case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseTab {
    Visit,
    Timeline,
    Contacts,
    Services,
    Conflicts,
}

impl CaseTab {
    pub const ALL: [CaseTab; 5] = [
        CaseTab::Visit,
        CaseTab::Timeline,
        CaseTab::Contacts,
        CaseTab::Services,
        CaseTab::Conflicts,
    ];

    pub fn key(self) -> &'static str {
        match self {
            CaseTab::Visit => "tab-visit",
            CaseTab::Timeline => "tab-timeline",
            CaseTab::Contacts => "tab-contacts",
            CaseTab::Services => "tab-services",
            CaseTab::Conflicts => "tab-conflicts",
        }
    }
}

/// The policy's seven handling steps, as the home visit's flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VisitStep {
    /// Welcome the family, log their inquiries and answer them (the reference library helps).
    Welcome,
    /// The household and its members, with the duplicate check.
    Registration,
    /// The social research: request, income and expenses, housing, answers.
    Interview,
    /// The documents the request type needs, photographed.
    Documents,
    /// Unclear cases go to the social-research officer.
    Referral,
    /// The applicant signs that the data is true.
    Declaration,
    /// The request goes to the research committee.
    Submit,
}

impl VisitStep {
    pub const ALL: [VisitStep; 7] = [
        VisitStep::Welcome,
        VisitStep::Registration,
        VisitStep::Interview,
        VisitStep::Documents,
        VisitStep::Referral,
        VisitStep::Declaration,
        VisitStep::Submit,
    ];

    pub fn key(self) -> &'static str {
        match self {
            VisitStep::Welcome => "step-welcome",
            VisitStep::Registration => "step-registration",
            VisitStep::Interview => "step-interview",
            VisitStep::Documents => "step-documents",
            VisitStep::Referral => "step-referral",
            VisitStep::Declaration => "step-declaration",
            VisitStep::Submit => "step-submit",
        }
    }
}

/// Which steps of the visit are done, for the progress bar and the check marks.
pub fn visit_progress(
    open: &OpenCase,
    catalog: &RequestCatalog,
    today: NaiveDate,
) -> Vec<(VisitStep, bool)> {
    let case = &open.case;
    let request = case.requests.last();
    let submitted = open
        .requests
        .last()
        .is_some_and(|s| s.status != RequestStatus::Draft);
    VisitStep::ALL
        .iter()
        .map(|&step| {
            let done = match step {
                VisitStep::Welcome => !case.contacts.is_empty(),
                VisitStep::Registration => {
                    case.head().is_some() && validate::household(case, today).is_empty()
                }
                VisitStep::Interview => request.is_some_and(|r| !r.reason.trim().is_empty()),
                VisitStep::Documents => request.is_some_and(|r| {
                    checklist(case, &r.id, catalog)
                        .iter()
                        .all(|i| i.present.is_some())
                }),
                // Optional: done when asked, or when nothing was unclear and it was submitted.
                VisitStep::Referral => !case.referrals.is_empty() || submitted,
                VisitStep::Declaration => request.is_some_and(|r| r.declaration.is_some()),
                VisitStep::Submit => submitted,
            };
            (step, done)
        })
        .collect()
}

/// Share of visit steps done, 0 to 100.
pub fn progress_percent(steps: &[(VisitStep, bool)]) -> u32 {
    if steps.is_empty() {
        return 0;
    }
    (steps.iter().filter(|(_, d)| *d).count() * 100 / steps.len()) as u32
}

/// The household registration form (policy step 2), as typed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HouseholdForm {
    pub name_ar: String,
    pub name_en: String,
    pub civil_id: String,
    pub phone: String,
    pub governorate: Option<Governorate>,
    pub area: String,
    pub block: String,
    pub street: String,
    pub house: String,
}

impl HouseholdForm {
    /// The head of household as the form describes them.
    pub fn head(&self) -> Member {
        let mut m = Member::new(self.name_ar.trim(), Relation::Head);
        m.name_en = self.name_en.trim().to_owned();
        m.civil_id = self.civil_id.trim().to_owned();
        m.phone = self.phone.trim().to_owned();
        m
    }

    pub fn address(&self) -> Address {
        Address {
            governorate: self.governorate,
            area: self.area.trim().to_owned(),
            block: self.block.trim().to_owned(),
            street: self.street.trim().to_owned(),
            house: self.house.trim().to_owned(),
            ..Address::default()
        }
    }

    /// What is wrong with the form now, by field (shown under each field as the person types).
    pub fn errors(&self, today: NaiveDate) -> Vec<(&'static str, ValidationError)> {
        let mut out = Vec::new();
        if self.name_ar.trim().is_empty() {
            out.push(("name_ar", ValidationError::required(field("name_ar"))));
        }
        if self.civil_id.trim().is_empty() {
            out.push(("civil_id", ValidationError::required(field("civil_id"))));
        } else if let Some(e) = validate::civil_id_field(&self.civil_id, field("civil_id"), today) {
            out.push(("civil_id", e));
        } else {
            // A valid civil ID tells the birth date: a child cannot head a household.
            let mut head = Member::new(self.name_ar.trim(), Relation::Head);
            head.civil_id = self.civil_id.trim().to_owned();
            if let Some(e) = validate::head_minor(&head, today) {
                out.push(("civil_id", e));
            }
        }
        if !self.phone.trim().is_empty()
            && let Some(e) = validate::phone_field(&self.phone, field("phone"))
        {
            out.push(("phone", e));
        }
        if self.governorate.is_none() {
            out.push((
                "governorate",
                ValidationError::required(field("governorate")),
            ));
        }
        out
    }

    /// Whether enough is typed to look for the same household on file.
    pub fn worth_duplicate_check(&self) -> bool {
        self.name_ar.trim().chars().count() >= 3
            || self.civil_id.trim().len() >= 12
            || self.phone.trim().len() >= 8
    }

    /// The household to create; `not_a_duplicate` once the representative checked the
    /// candidates.
    pub fn to_new(&self, not_a_duplicate: bool) -> NewHousehold {
        NewHousehold {
            head: self.head(),
            address: self.address(),
            not_a_duplicate,
        }
    }
}

fn field(name: &str) -> FieldPath {
    FieldPath::default().key(name)
}

/// The support request part of the interview.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestForm {
    pub kind: RequestType,
    /// Dinars as typed (Arabic-Indic digits and a decimal point allowed).
    pub amount: String,
    pub reason: String,
}

impl Default for RequestForm {
    fn default() -> Self {
        Self {
            kind: RequestType::MonthlyAid,
            amount: String::new(),
            reason: String::new(),
        }
    }
}

pub use mandoob_shared::ids::{BadAmount, parse_kwd};

/// One line of the documents checklist.
#[derive(Debug, Clone, PartialEq)]
pub struct ChecklistItem {
    pub kind: DocumentKind,
    /// Whose document (for per-member requirements).
    pub member: Option<MemberId>,
    pub member_name: String,
    /// The photo on file, if any.
    pub present: Option<DocumentMeta>,
}

/// The documents request `request` needs, each with the photo on file if there is one.
pub fn checklist(
    case: &CaseFile,
    request: &RequestId,
    catalog: &RequestCatalog,
) -> Vec<ChecklistItem> {
    let Some(req) = case.request(request) else {
        return Vec::new();
    };
    validate::needed_documents(case, req, catalog)
        .into_iter()
        .map(|n| ChecklistItem {
            kind: n.kind,
            member: n.member.map(|m| m.id.clone()),
            member_name: n.member.map(|m| m.name_ar.clone()).unwrap_or_default(),
            present: n.attached.cloned(),
        })
        .collect()
}

/// What the family is shown after submission (policy step 5: the two-week target).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    pub reference: String,
    pub kind: RequestType,
    pub submitted_on: NaiveDate,
    pub decision_due: NaiveDate,
}

/// The receipt of a submitted request.
pub fn receipt(open: &OpenCase, request: &RequestId, sla: &SlaPolicy) -> Option<Receipt> {
    let req = open.case.request(request)?;
    let state = open.requests.iter().find(|s| &s.request == request)?;
    let submitted = state.submitted_at?;
    let clock = state.clock_started_at.unwrap_or(submitted);
    Some(Receipt {
        reference: open.case.reference.as_str().to_owned(),
        kind: req.kind,
        submitted_on: workflow::kuwait_date(submitted),
        decision_due: sla.due_date(clock),
    })
}

/// Translation key of a status code from the case list.
pub fn status_key(code: &str) -> String {
    format!("status-{code}")
}

/// Translation key of a workflow event.
pub fn event_key(kind: EventKind) -> String {
    format!("event-{}", kind.code())
}

/// The case list's filters and search box.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListFilter {
    pub text: String,
    pub status: Option<RequestStatus>,
    pub overdue_only: bool,
    pub follow_up_only: bool,
    /// Only cases whose request waits for the representative's answer to the committee.
    pub needs_answer: bool,
}

impl ListFilter {
    pub fn query(&self) -> mandoob_engine::engine::ListQuery {
        mandoob_engine::engine::ListQuery {
            text: self.text.trim().to_owned(),
            status: if self.needs_answer {
                Some(RequestStatus::InfoRequested)
            } else {
                self.status
            },
            overdue_only: self.overdue_only,
            follow_up_only: self.follow_up_only,
            limit: 100,
            offset: 0,
        }
    }
}

/// Due date shown in a case row.
pub fn row_due(row: &CaseSummary) -> Option<&str> {
    row.due_date.as_deref()
}

/// What the sync badge and the sync screen show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncView {
    pub state: SyncState,
    pub documents: u64,
    pub bytes: u64,
    /// Of the whole sync, as the server last said (0 until it said).
    pub total_documents: u64,
    pub total_bytes: u64,
    pub last_sync: Option<Timestamp>,
    pub pending_changes: u64,
    pub pending_photos: u64,
    /// Set when the server said this device's token is no longer valid.
    pub revoked: bool,
    /// Set when, revoked, this device handed its unsent work over and wiped its case data.
    pub wiped: bool,
}

impl Default for SyncView {
    fn default() -> Self {
        Self {
            state: SyncState::Offline,
            documents: 0,
            bytes: 0,
            total_documents: 0,
            total_bytes: 0,
            last_sync: None,
            pending_changes: 0,
            pending_photos: 0,
            revoked: false,
            wiped: false,
        }
    }
}

impl SyncView {
    /// Folds an engine event in.
    pub fn apply(&mut self, event: &Event, now: Timestamp) {
        match event {
            Event::SyncState(s) => {
                if *s == SyncState::Syncing {
                    self.documents = 0;
                    self.bytes = 0;
                    self.total_documents = 0;
                    self.total_bytes = 0;
                }
                if *s == SyncState::UpToDate {
                    self.last_sync = Some(now);
                }
                self.state = s.clone();
            }
            Event::SyncProgress {
                documents,
                bytes,
                total_documents,
                total_bytes,
            } => {
                self.documents = *documents;
                self.bytes = *bytes;
                self.total_documents = *total_documents;
                self.total_bytes = *total_bytes;
            }
            Event::CaseChanged(_) => {}
        }
    }

    /// How much of the whole sync has arrived, in percent (by bytes, the link's real work),
    /// when the server said how much there is; `None` before, or when nothing is to come.
    pub fn percent(&self) -> Option<u64> {
        (self.total_bytes > 0).then(|| (self.bytes.min(self.total_bytes) * 100) / self.total_bytes)
    }

    /// Translation key of the badge.
    pub fn badge_key(&self) -> &'static str {
        if self.revoked {
            return "sync-revoked";
        }
        match &self.state {
            SyncState::Offline => "sync-offline",
            SyncState::Syncing => "sync-syncing",
            SyncState::UpToDate if self.pending_changes + self.pending_photos > 0 => "sync-pending",
            SyncState::UpToDate => "sync-up-to-date",
            SyncState::Error(_) => "sync-error",
        }
    }

    /// Whether a sync can be started now.
    pub fn can_sync(&self) -> bool {
        self.state != SyncState::Syncing && !self.revoked
    }
}

/// A date typed in the form `YYYY-MM-DD`, or nothing.
/// A new monthly income or expense line of `kind`.
pub fn money_line<K>(kind: K, monthly: Fils) -> MoneyLine<K> {
    MoneyLine {
        id: MoneyLineId::generate(),
        kind,
        monthly,
        member: None,
        note: String::new(),
    }
}

/// A contact with the family made now by `by` (the contacts log and the welcome step's
/// questions both record one).
pub fn contact_now(
    channel: Channel,
    direction: Direction,
    by: UserId,
    summary: &str,
    follow_up_on: Option<Date>,
) -> ContactEntry {
    ContactEntry {
        id: ContactId::generate(),
        channel,
        direction,
        at: Timestamp::now(),
        by,
        summary: summary.trim().to_owned(),
        follow_up_on,
        follow_up_done: false,
    }
}

/// A date typed as `YYYY-MM-DD` (in ASCII or Arabic-Indic digits); `None` when it cannot be
/// read (a form says so beside the field instead of dropping it).
pub fn parse_date(text: &str) -> Option<Date> {
    // Arabic-Indic and Persian digits, as Arabic keyboards type them, read as ASCII.
    let ascii: String = text
        .trim()
        .chars()
        .map(|c| match c {
            '٠'..='٩' => char::from(b'0' + (c as u32 - '٠' as u32) as u8),
            '۰'..='۹' => char::from(b'0' + (c as u32 - '۰' as u32) as u8),
            c => c,
        })
        .collect();
    NaiveDate::parse_from_str(&ascii, "%Y-%m-%d").ok().map(Date)
}

#[cfg(test)]
mod tests {
    use super::*;
    use mandoob_shared::sample::realistic_case;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()
    }

    #[test]
    fn amounts_in_dinars_with_arabic_digits() {
        assert_eq!(parse_kwd("150"), Ok(Some(Fils(150_000))));
        assert_eq!(parse_kwd(" 150.5 "), Ok(Some(Fils(150_500))));
        assert_eq!(parse_kwd("١٥٠٫٢٥٠"), Ok(Some(Fils(150_250))));
        assert_eq!(parse_kwd(""), Ok(None));
        assert_eq!(parse_kwd("1.2345"), Err(BadAmount));
        assert_eq!(parse_kwd(".5"), Err(BadAmount));
        assert_eq!(parse_kwd("1000000"), Ok(Some(Fils(1_000_000_000))));
        assert_eq!(parse_kwd("1000000.001"), Err(BadAmount));
        assert_eq!(parse_kwd("abc"), Err(BadAmount));
        assert_eq!(parse_kwd(".5"), Err(BadAmount));
        assert_eq!(parse_kwd("1000000"), Ok(Some(Fils(1_000_000_000))));
        assert_eq!(parse_kwd("1000000.001"), Err(BadAmount));
    }

    #[test]
    fn household_form_says_what_is_missing_or_wrong() {
        let mut form = HouseholdForm::default();
        let fields: Vec<_> = form.errors(today()).into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, ["name_ar", "civil_id", "governorate"]);
        form.name_ar = "خالد العنزي".into();
        form.civil_id = "123".into();
        form.phone = "12".into();
        form.governorate = Some(Governorate::Jahra);
        let fields: Vec<_> = form.errors(today()).into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, ["civil_id", "phone"]);
        let case = realistic_case(1);
        let head = case.head().unwrap();
        form.civil_id = head.civil_id.clone();
        form.phone = "99887766".into();
        assert!(
            form.errors(today()).is_empty(),
            "{:?}",
            form.errors(today())
        );
        let new = form.to_new(false);
        assert_eq!(new.head.relation, Relation::Head);
        assert_eq!(new.address.governorate, Some(Governorate::Jahra));
    }

    #[test]
    fn dates_are_read_in_either_digits() {
        let d = parse_date("2015-03-14").expect("ascii");
        assert_eq!(parse_date(" ٢٠١٥-٠٣-١٤ "), Some(d));
        assert_eq!(parse_date("۲۰۱۵-۰۳-۱۴"), Some(d));
        assert_eq!(parse_date("14/3/2015"), None);
        assert_eq!(parse_date("abc"), None);
    }

    #[test]
    fn a_child_cannot_head_a_household() {
        let mut form = HouseholdForm {
            name_ar: "سالم".into(),
            governorate: Some(Governorate::Jahra),
            ..HouseholdForm::default()
        };
        // The civil ID of an 11-year-old: refused at registration, beside the civil ID.
        let birth = today() - chrono::Duration::days(11 * 365 + 30);
        form.civil_id = (1..60)
            .find_map(|s| validate::civil_id::compose(birth, s))
            .expect("an id");
        let errors = form.errors(today());
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].0, "civil_id");
        assert_eq!(errors[0].1.code, validate::Code::HeadMinor);
    }

    #[test]
    fn checklist_follows_the_catalogue_per_member() {
        let case = realistic_case(2);
        let catalog = RequestCatalog::builtin();
        let req = case.requests[0].clone();
        let items = checklist(&case, &req.id, &catalog);
        assert!(!items.is_empty());
        let mut bare = case.clone();
        bare.documents.clear();
        let items = checklist(&bare, &req.id, &catalog);
        assert!(items.iter().all(|i| i.present.is_none()));
        let earning = validate::earning_members(&bare).len();
        let per_member = items.iter().filter(|i| i.member.is_some()).count();
        assert!(per_member >= earning);
    }

    /// The checklist counts what is attached to *this* request, as the submission check does:
    /// a photo taken for an earlier request is not silently reused.
    #[test]
    fn checklist_agrees_with_the_submission_check() {
        let mut case = realistic_case(5);
        let catalog = RequestCatalog::builtin();
        let mut second = case.requests[0].clone();
        second.id = RequestId::generate();
        second.documents.clear();
        second.declaration = None;
        case.requests.push(second.clone());
        let items = checklist(&case, &second.id, &catalog);
        assert!(!items.is_empty());
        assert!(items.iter().all(|i| i.present.is_none()));
        let missing = validate::submission(&case, &second.id, &catalog, today())
            .unwrap_err()
            .iter()
            .filter(|e| e.code == validate::Code::DocumentMissing)
            .count();
        assert_eq!(missing, items.len());
    }

    #[test]
    fn sync_view_follows_engine_events() {
        let mut v = SyncView::default();
        assert_eq!(v.badge_key(), "sync-offline");
        let now = Timestamp::now();
        v.apply(&Event::SyncState(SyncState::Syncing), now);
        assert!(!v.can_sync());
        v.apply(
            &Event::SyncProgress {
                documents: 3,
                bytes: 900,
                total_documents: 10,
                total_bytes: 3000,
            },
            now,
        );
        assert_eq!((v.documents, v.bytes), (3, 900));
        // The bar is of the whole sync, not of one answer.
        assert_eq!(v.percent(), Some(30));
        v.apply(
            &Event::SyncProgress {
                documents: 10,
                bytes: 3000,
                total_documents: 10,
                total_bytes: 3000,
            },
            now,
        );
        assert_eq!(v.percent(), Some(100));
        v.apply(&Event::SyncState(SyncState::Syncing), now);
        assert_eq!(v.percent(), None, "a new sync starts with no total");
        v.apply(&Event::SyncState(SyncState::UpToDate), now);
        assert_eq!(v.last_sync, Some(now));
        assert_eq!(v.badge_key(), "sync-up-to-date");
        v.pending_photos = 1;
        assert_eq!(v.badge_key(), "sync-pending");
        v.apply(&Event::SyncState(SyncState::Error("x".into())), now);
        assert_eq!(v.badge_key(), "sync-error");
        v.revoked = true;
        assert_eq!(v.badge_key(), "sync-revoked");
        assert!(!v.can_sync());
    }

    #[test]
    fn visit_progress_of_a_complete_case() {
        let case = realistic_case(3);
        let open = OpenCase {
            requests: workflow::derive(&case),
            conflicts: Vec::new(),
            case,
        };
        let steps = visit_progress(&open, &RequestCatalog::builtin(), today());
        assert_eq!(steps.len(), 7);
        let done = |s| steps.iter().any(|&(x, d)| x == s && d);
        assert!(done(VisitStep::Registration));
        assert!(done(VisitStep::Interview));
        assert!(done(VisitStep::Declaration));
        let mut empty = open.clone();
        empty.case.requests.clear();
        empty.case.contacts.clear();
        empty.case.referrals.clear();
        empty.case.events.clear();
        empty.requests.clear();
        let steps = visit_progress(&empty, &RequestCatalog::builtin(), today());
        assert!(progress_percent(&steps) < 30);
    }
}
