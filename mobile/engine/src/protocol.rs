//! The engine's protocol: the data its commands carry and answer with ([`Reply`], [`Event`],
//! [`EngineError`] and what they hold). All plain serializable data, so the same engine runs
//! on a thread natively and in a Web Worker behind `postMessage`. The commands themselves are
//! listed once, in [`crate::commands`].

use serde::{Deserialize, Serialize};

use mandoob_shared::dedupe::MatchScore;
use mandoob_shared::doc::FieldConflict;
use mandoob_shared::ids::*;
use mandoob_shared::model::*;
use mandoob_shared::validate::ValidationError;
use mandoob_shared::workflow::{Refusal, RequestState, RequestStatus, Role};

use crate::capture::{CaptureError, QualityWarning};
use crate::store::StoreError;

/// Who is using the device (set when the representative signs in).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub user: UserId,
    pub role: Role,
    pub branch: BranchCode,
    pub device: DeviceCode,
}

/// A new household: its head, and what the representative knows at the door.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewHousehold {
    pub head: Member,
    pub address: Address,
    /// Create even though duplicate candidates exist (the representative checked them).
    pub not_a_duplicate: bool,
}

/// A field-level change to a case file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Edit {
    UpsertMember(Member),
    RemoveMember(MemberId),
    SetAddress(Address),
    SetHousing(Housing),
    SetHouseholdNotes(String),
    UpsertIncome(MoneyLine<IncomeSource>),
    RemoveIncome(MoneyLineId),
    UpsertExpense(MoneyLine<ExpenseKind>),
    RemoveExpense(MoneyLineId),
    UpsertRequest(SupportRequest),
    UpsertVisit(Visit),
    SetVisitAnswer {
        visit: VisitId,
        question: String,
        answer: String,
    },
    UpsertContact(ContactEntry),
    UpsertReferral(Referral),
    AddService(ServiceRecord),
    AddSurvey(SatisfactionSurvey),
}

/// What the list and search ask for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListQuery {
    /// Name (Arabic or Latin, prefix or fuzzy), civil ID, phone or reference.
    pub text: String,
    pub status: Option<RequestStatus>,
    pub overdue_only: bool,
    pub follow_up_only: bool,
    pub limit: u32,
    pub offset: u32,
}

/// One row of the case list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseSummary {
    pub id: CaseId,
    pub reference: String,
    pub head_name_ar: String,
    pub head_name_en: String,
    pub status: String,
    pub due_date: Option<String>,
    pub overdue: bool,
    pub follow_up: bool,
    pub conflicts: bool,
    pub unsynced: bool,
}

/// A case opened for viewing or editing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpenCase {
    pub case: CaseFile,
    pub conflicts: Vec<FieldConflict>,
    pub requests: Vec<RequestState>,
}

/// A household on file that may be the one being registered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DuplicateCandidate {
    pub case: CaseSummary,
    pub member_name: String,
    pub score: MatchScore,
}

/// A household on this device with a member who holds a given civil ID: the file it belongs
/// to, and who holds it there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CivilIdHolder {
    pub case: CaseSummary,
    pub member: MemberId,
    pub member_name: String,
    pub relation: Relation,
}

/// A photo attached to a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachedPhoto {
    pub document: DocumentId,
    pub sha256: String,
    pub bytes: u64,
    pub warnings: Vec<QualityWarning>,
}

/// Where the space goes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StorageStats {
    pub cases: u64,
    pub document_bytes: u64,
    pub pending_changes: u64,
    pub blobs: u64,
    pub blob_bytes: u64,
    pub blobs_not_uploaded: u64,
    pub database_bytes: u64,
}

/// How the person using this device reads the app: its language, and the digits Arabic is
/// written with. Kept on the device, not synced (a phone may be shared within a branch).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Preferences {
    pub lang: mandoob_shared::i18n::Lang,
    pub digits: mandoob_shared::i18n::Digits,
}

/// Where this device syncs, and its token (kept in the device's private database).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credentials {
    pub server: String,
    pub token: String,
    pub username: String,
    pub display_name: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("server", &self.server)
            .field("token", &"<redacted>")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// The engine's answer to a command.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(clippy::large_enum_variant)]
pub enum Reply {
    Done,
    Created(CaseId),
    Case(OpenCase),
    Cases(Vec<CaseSummary>),
    Duplicates(Vec<DuplicateCandidate>),
    Holders(Vec<CivilIdHolder>),
    Photo(AttachedPhoto),
    Blob(Option<Vec<u8>>),
    Stats(StorageStats),
    SyncRequest(mandoob_shared::sync::SyncRequest),
    SyncApplied(crate::sync::SyncSummary),
    Refused(Vec<crate::sync::RefusedLocal>),
    Blobs(Vec<String>),
    Credentials(Option<Credentials>),
    Preferences(Preferences),
    Library(mandoob_shared::sync::Library),
    Pushes(Vec<mandoob_shared::sync::PushDoc>),
}

/// Something the UI may want to react to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Event {
    CaseChanged(CaseId),
    SyncState(SyncState),
    /// Where the current sync stands, after each answer: documents (whole cases and changes)
    /// and bytes received so far, and of the whole sync (so far and what the server says is
    /// left; it grows when the first sync moves from whole cases to the changes made since).
    SyncProgress {
        documents: u64,
        bytes: u64,
        total_documents: u64,
        total_bytes: u64,
    },
}

/// Where sync stands, for the badge and the sync screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SyncState {
    Offline,
    Syncing,
    UpToDate,
    /// In words the representative can act on.
    Error(String),
}

/// Why a command failed. Nothing is written when a command fails.
#[derive(Debug, thiserror::Error, Serialize, Deserialize, Clone, PartialEq)]
pub enum EngineError {
    #[error("sign in first")]
    NoSession,
    #[error("no such case")]
    NoSuchCase,
    #[error("no such request in this case")]
    NoSuchRequest,
    #[error("possible duplicate households are on file")]
    PossibleDuplicates(Vec<DuplicateCandidate>),
    #[error("the data is not complete or not valid")]
    Invalid(Vec<ValidationError>),
    #[error("this step is not allowed: {0:?}")]
    Refused(Refusal),
    #[error("the photo cannot be used: {0}")]
    Photo(String),
    /// The edit would change what is frozen once written (`mandoob_shared::history`).
    #[error("{0}")]
    Frozen(String),
    /// The edit would not fit what a case file may contain (`mandoob_shared::schema`): a text
    /// too long, a list too long.
    #[error("{0}")]
    TooLarge(String),
    #[error("storage error: {0}")]
    Storage(String),
}

impl From<StoreError> for EngineError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NoSuchCase(_) => EngineError::NoSuchCase,
            other => EngineError::Storage(other.to_string()),
        }
    }
}

impl From<mandoob_shared::DocError> for EngineError {
    fn from(e: mandoob_shared::DocError) -> Self {
        match e {
            mandoob_shared::DocError::Schema(e) => EngineError::TooLarge(e.to_string()),
            other => EngineError::Storage(other.to_string()),
        }
    }
}

impl From<rusqlite::Error> for EngineError {
    fn from(e: rusqlite::Error) -> Self {
        EngineError::Storage(e.to_string())
    }
}

impl From<CaptureError> for EngineError {
    /// The refusal's code (`CaptureError::code`), which the app translates.
    fn from(e: CaptureError) -> Self {
        tracing::info!(error = %e, "photo refused");
        EngineError::Photo(e.code().to_owned())
    }
}
