//! The engine: one object that owns the store and carries out the app's commands.
//!
//! The UI never touches SQLite or automerge; it sends a [`Command`] and gets a [`Reply`], and
//! listens for [`Event`]s. Commands and replies are plain serializable data, so the same engine
//! runs on a background thread natively ([`crate::handle::EngineHandle`]) and, on the web, in a
//! Web Worker behind `postMessage`.
//!
//! Every command that changes data is one SQLite transaction: the automerge change and the
//! case's index row land together, or not at all.

use std::collections::VecDeque;
use std::path::Path;

use chrono::NaiveDate;
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use mandoob_shared::catalog::RequestCatalog;
use mandoob_shared::dedupe::{self, MatchScore, Person};
use mandoob_shared::doc::{Author, CaseDoc, FieldConflict, FieldPath};
use mandoob_shared::ids::*;
use mandoob_shared::model::*;
use mandoob_shared::summary::Summary;
use mandoob_shared::validate::{self, ValidationError, civil_id, phone};
use mandoob_shared::workflow::{
    self, EventKind, Refusal, RequestState, RequestStatus, Role, SlaPolicy,
};
use mandoob_shared::{arabic, sample};

use crate::capture::{self, CaptureError, CaptureSettings, QualityWarning};
use crate::store::{self, IndexRow, Store, StoreError};

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

/// A command to the engine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(clippy::large_enum_variant)]
pub enum Command {
    SetSession(Session),
    CreateCase(NewHousehold),
    Edit {
        case: CaseId,
        edit: Edit,
    },
    OpenCase(CaseId),
    ResolveConflict {
        case: CaseId,
        path: FieldPath,
        value: serde_json::Value,
    },
    RecordEvent {
        case: CaseId,
        request: RequestId,
        kind: EventKind,
        reason: String,
    },
    List(ListQuery),
    FindDuplicates {
        name: String,
        civil_id: String,
        phone: String,
    },
    AttachPhoto {
        case: CaseId,
        bytes: Vec<u8>,
        kind: DocumentKind,
        member: Option<MemberId>,
        request: Option<RequestId>,
        expires_on: Option<Date>,
    },
    Blob(String),
    Stats,
    PrepareSync {
        page: u32,
    },
    ApplySync(mandoob_shared::sync::SyncResponse),
    RefusedChanges,
    /// Photos not yet confirmed on the server.
    PendingBlobs,
    MarkUploaded(String),
    /// Passes an event to every listener (the sync transport reports its state this way).
    Announce(Event),
    /// Remembers the server and this device's token after a sign-in.
    SaveCredentials(Credentials),
    /// The stored server and token, if signed in.
    Credentials,
    /// Forgets the token and the session (sign-out, or a revoked device). Case files stay.
    SignOut,
    /// The reference documents HQ published.
    Library,
    SaveLibrary(mandoob_shared::sync::Library),
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
    Photo(AttachedPhoto),
    Blob(Option<Vec<u8>>),
    Stats(StorageStats),
    SyncRequest(mandoob_shared::sync::SyncRequest),
    SyncApplied(crate::sync::SyncSummary),
    Refused(Vec<crate::sync::RefusedLocal>),
    Blobs(Vec<String>),
    Credentials(Option<Credentials>),
    Library(mandoob_shared::sync::Library),
}

/// Something the UI may want to react to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Event {
    CaseChanged(CaseId),
    SyncState(SyncState),
    /// Documents and bytes moved so far in the current sync.
    SyncProgress {
        documents: u64,
        bytes: u64,
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
    fn from(e: CaptureError) -> Self {
        EngineError::Photo(e.to_string())
    }
}

/// How many loaded documents to keep in memory (each costs some tens of KiB).
const DOC_CACHE: usize = 16;

/// The engine.
#[derive(Debug)]
pub struct Engine {
    store: Store,
    session: Option<Session>,
    catalog: RequestCatalog,
    sla: SlaPolicy,
    capture: CaptureSettings,
    cache: VecDeque<(String, CaseDoc)>,
    events: Vec<Event>,
    clock: fn() -> Timestamp,
    in_flight: crate::sync::InFlight,
}

fn system_clock() -> Timestamp {
    Timestamp::now()
}

impl Engine {
    /// Opens the engine on the database at `path`.
    pub fn open(path: &Path) -> Result<Self, EngineError> {
        Ok(Self::with_store(Store::open(path)?))
    }

    /// An engine on an in-memory database (tests).
    pub fn in_memory() -> Result<Self, EngineError> {
        Ok(Self::with_store(Store::open_in_memory()?))
    }

    fn with_store(store: Store) -> Self {
        let session = store
            .conn()
            .query_row(
                "SELECT value FROM settings WHERE key = 'session'",
                [],
                |r| r.get::<_, String>(0),
            )
            .optional()
            .ok()
            .flatten()
            .and_then(|s| serde_json::from_str(&s).ok());
        // The SLA headquarters set, as of the last sync.
        let sla = store
            .conn()
            .query_row("SELECT value FROM settings WHERE key = 'sla'", [], |r| {
                r.get::<_, String>(0)
            })
            .optional()
            .ok()
            .flatten()
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_default();
        Self {
            store,
            session,
            catalog: RequestCatalog::builtin(),
            sla,
            capture: CaptureSettings::default(),
            cache: VecDeque::new(),
            events: Vec::new(),
            clock: system_clock,
            in_flight: crate::sync::InFlight::default(),
        }
    }

    /// Uses `clock` instead of the system clock (tests and benchmarks).
    pub fn set_clock(&mut self, clock: fn() -> Timestamp) {
        self.clock = clock;
    }

    pub(crate) fn store(&self) -> &Store {
        &self.store
    }

    pub(crate) fn store_mut(&mut self) -> &mut Store {
        &mut self.store
    }

    pub(crate) fn sla(&self) -> &SlaPolicy {
        &self.sla
    }

    pub(crate) fn replace_sla(&mut self, sla: SlaPolicy) {
        self.sla = sla;
    }

    pub(crate) fn set_in_flight(&mut self, f: crate::sync::InFlight) {
        self.in_flight = f;
    }

    pub(crate) fn take_in_flight(&mut self) -> crate::sync::InFlight {
        std::mem::take(&mut self.in_flight)
    }

    pub(crate) fn forget_cached(&mut self, id: &str) {
        self.cache.retain(|(k, _)| k != id);
    }

    /// Queues an event for the UI (the sync transport reports its state this way).
    pub fn push_event(&mut self, e: Event) {
        self.events.push(e);
    }

    /// The signed-in session, if any.
    pub fn session(&self) -> Option<&Session> {
        self.session.as_ref()
    }

    /// Events since the last call.
    pub fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }

    /// Carries out one command.
    pub fn handle(&mut self, command: Command) -> Result<Reply, EngineError> {
        match command {
            Command::SetSession(s) => self.set_session(s).map(|()| Reply::Done),
            Command::CreateCase(n) => self.create_case(n).map(Reply::Created),
            Command::Edit { case, edit } => self.edit(&case, edit).map(|()| Reply::Done),
            Command::OpenCase(id) => self.open_case(&id).map(Reply::Case),
            Command::ResolveConflict { case, path, value } => self
                .resolve_conflict(&case, &path, &value)
                .map(|()| Reply::Done),
            Command::RecordEvent {
                case,
                request,
                kind,
                reason,
            } => self
                .record_event(&case, &request, kind, &reason)
                .map(|()| Reply::Done),
            Command::List(q) => self.list(&q).map(Reply::Cases),
            Command::FindDuplicates {
                name,
                civil_id,
                phone,
            } => self
                .find_duplicates(&name, &civil_id, &phone)
                .map(Reply::Duplicates),
            Command::AttachPhoto {
                case,
                bytes,
                kind,
                member,
                request,
                expires_on,
            } => self
                .attach_photo(&case, &bytes, kind, member, request, expires_on)
                .map(Reply::Photo),
            Command::Blob(sha) => self.blob(&sha).map(Reply::Blob),
            Command::Stats => self.stats().map(Reply::Stats),
            Command::PrepareSync { page } => self.prepare_sync(page).map(Reply::SyncRequest),
            Command::ApplySync(r) => self.apply_sync(r).map(Reply::SyncApplied),
            Command::RefusedChanges => self.refused_changes().map(Reply::Refused),
            Command::PendingBlobs => self.pending_blobs().map(Reply::Blobs),
            Command::MarkUploaded(sha) => self.mark_uploaded(&sha).map(|()| Reply::Done),
            Command::Library => self.library().map(Reply::Library),
            Command::SaveLibrary(library) => self.save_library(&library).map(|()| Reply::Done),
            Command::Announce(e) => {
                self.push_event(e);
                Ok(Reply::Done)
            }
            Command::SaveCredentials(c) => self.save_credentials(&c).map(|()| Reply::Done),
            Command::Credentials => self.credentials().map(Reply::Credentials),
            Command::SignOut => self.sign_out().map(|()| Reply::Done),
        }
    }

    fn author(&self) -> Result<Author, EngineError> {
        let session = self.session.as_ref().ok_or(EngineError::NoSession)?;
        Ok(Author {
            user: session.user.clone(),
            at: (self.clock)(),
        })
    }

    fn today(&self) -> NaiveDate {
        workflow::kuwait_date((self.clock)())
    }

    /// Signs a user in on this device (the session survives restarts).
    pub fn set_session(&mut self, session: Session) -> Result<(), EngineError> {
        let json =
            serde_json::to_string(&session).map_err(|e| EngineError::Storage(e.to_string()))?;
        self.store.conn().execute(
            "INSERT INTO settings (key, value) VALUES ('session', ?1)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [json],
        )?;
        if self.session.as_ref().map(|s| &s.user) != Some(&session.user) {
            // A cached document writes as one automerge replica, which the server binds to
            // the first account that wrote with it: another account starts from fresh ones.
            self.cache.clear();
        }
        self.session = Some(session);
        Ok(())
    }

    /// Keeps the server address and token of a signed-in device.
    pub fn save_credentials(&mut self, c: &Credentials) -> Result<(), EngineError> {
        let json = serde_json::to_string(c).map_err(|e| EngineError::Storage(e.to_string()))?;
        self.store.conn().execute(
            "INSERT INTO settings (key, value) VALUES ('credentials', ?1)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [json],
        )?;
        Ok(())
    }

    /// The stored server address and token.
    pub fn credentials(&self) -> Result<Option<Credentials>, EngineError> {
        let json: Option<String> = self
            .store
            .conn()
            .query_row(
                "SELECT value FROM settings WHERE key = 'credentials'",
                [],
                |r| r.get(0),
            )
            .optional()?;
        Ok(json.and_then(|j| serde_json::from_str(&j).ok()))
    }

    /// Forgets the token and the session. Case files and unsynced work stay on the device:
    /// the same user's next sign-in syncs them (the server takes a change only from the
    /// account that wrote it, so another account's sign-in cannot).
    pub fn sign_out(&mut self) -> Result<(), EngineError> {
        self.store.conn().execute(
            "DELETE FROM settings WHERE key IN ('credentials', 'session')",
            [],
        )?;
        self.session = None;
        self.cache.clear();
        Ok(())
    }

    /// Registers a new household. Refuses with the candidates when a household with the same
    /// civil ID, or a similar name and phone, is already on file, unless `not_a_duplicate`.
    pub fn create_case(&mut self, new: NewHousehold) -> Result<CaseId, EngineError> {
        let author = self.author()?;
        let session = self.session.clone().ok_or(EngineError::NoSession)?;
        if !new.not_a_duplicate {
            let found =
                self.find_duplicates(&new.head.name_ar, &new.head.civil_id, &new.head.phone)?;
            let found: Vec<_> = if new.head.name_en.trim().is_empty() {
                found
            } else {
                let mut all = found;
                for c in
                    self.find_duplicates(&new.head.name_en, &new.head.civil_id, &new.head.phone)?
                {
                    if !all.iter().any(|a| a.case.id == c.case.id) {
                        all.push(c);
                    }
                }
                all
            };
            if !found.is_empty() {
                return Err(EngineError::PossibleDuplicates(found));
            }
        }
        let errors = validate::member(&new.head, self.today());
        if !errors.is_empty() {
            return Err(EngineError::Invalid(errors));
        }
        let mut head = new.head;
        head.relation = Relation::Head;
        let tx_session = session.clone();
        let case_id = self.store.transaction(|tx| {
            let seq: i64 = tx
                .query_row(
                    "SELECT value FROM settings WHERE key = 'case_sequence'",
                    [],
                    |r| r.get::<_, String>(0),
                )
                .optional()?
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
                + 1;
            tx.execute(
                "INSERT INTO settings (key, value) VALUES ('case_sequence', ?1)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [seq.to_string()],
            )?;
            let reference =
                CaseReference::compose(&tx_session.branch, &tx_session.device, seq as u32);
            let mut case = CaseFile::new(
                reference,
                tx_session.branch.clone(),
                author.user.clone(),
                author.at,
            );
            case.household.members.push(head);
            case.household.address = new.address;
            let mut doc = CaseDoc::create(&case, &author)?;
            // A document with one change has no concurrent values.
            let row = index_row(&case, false, &self.sla, true);
            store::write_index(tx, &row)?;
            store::write_snapshot(tx, case.id.as_str(), &mut doc)?;
            Ok((case.id, doc))
        })?;
        let (id, doc) = case_id;
        self.cache_put(id.as_str().to_owned(), doc);
        self.events.push(Event::CaseChanged(id.clone()));
        Ok(id)
    }

    fn cache_take(&mut self, id: &str) -> Result<CaseDoc, EngineError> {
        if let Some(pos) = self.cache.iter().position(|(k, _)| k == id)
            && let Some((_, doc)) = self.cache.remove(pos)
        {
            return Ok(doc);
        }
        Ok(self.store.load_doc(id)?)
    }

    fn cache_put(&mut self, id: String, doc: CaseDoc) {
        self.cache.retain(|(k, _)| *k != id);
        self.cache.push_front((id, doc));
        self.cache.truncate(DOC_CACHE);
    }

    /// Applies `f` to a case as one change and one transaction. The document is only kept
    /// (cached) when the transaction commits; on any error the stored case is unchanged.
    fn change_case(
        &mut self,
        id: &CaseId,
        f: impl FnOnce(&mut CaseFile),
    ) -> Result<(), EngineError> {
        self.change_case_with(id, f, |_| Ok(()))
    }

    /// [`Self::change_case`], with more writes (`also`) in the same transaction.
    fn change_case_with(
        &mut self,
        id: &CaseId,
        f: impl FnOnce(&mut CaseFile),
        also: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<(), StoreError>,
    ) -> Result<(), EngineError> {
        let author = self.author()?;
        let mut doc = self.cache_take(id.as_str())?;
        let before = doc.clone();
        let heads = doc.heads();
        let result = (|| -> Result<bool, EngineError> {
            // What the server would refuse as a rewrite of history is not written here either.
            let mut frozen = None;
            let edited = doc.edit(&author, |c| {
                let before = c.clone();
                f(c);
                if let Err(v) = mandoob_shared::history::check(&before, c) {
                    *c = before;
                    frozen = Some(v);
                }
            })?;
            if let Some(v) = frozen {
                return Err(EngineError::Frozen(v.message));
            }
            let Some(case) = edited else {
                return Ok(false);
            };
            let changes = doc.changes_since(&heads);
            let row = index_row(&case, doc.has_conflicts()?, &self.sla, true);
            self.store.transaction(|tx| {
                also(tx)?;
                store::append_changes(tx, id.as_str(), &changes, &mut doc)?;
                store::write_index(tx, &row)?;
                Ok(())
            })?;
            Ok(true)
        })();
        match result {
            Ok(changed) => {
                self.cache_put(id.as_str().to_owned(), doc);
                if changed {
                    self.events.push(Event::CaseChanged(id.clone()));
                }
                Ok(())
            }
            Err(e) => {
                self.cache_put(id.as_str().to_owned(), before);
                Err(e)
            }
        }
    }

    /// Applies a field-level edit.
    pub fn edit(&mut self, id: &CaseId, edit: Edit) -> Result<(), EngineError> {
        if let Edit::AddSurvey(s) = &edit {
            let errors = validate::survey(s);
            if !errors.is_empty() {
                return Err(EngineError::Invalid(errors));
            }
        }
        self.change_case(id, move |c| apply_edit(c, edit))
    }

    /// Opens a case: the case file, its conflicts and its requests' derived states.
    pub fn open_case(&mut self, id: &CaseId) -> Result<OpenCase, EngineError> {
        let mut doc = self.cache_take(id.as_str())?;
        let result = (|| {
            let case = doc.hydrate()?;
            let conflicts = doc.conflicts()?;
            let requests = workflow::derive(&case);
            Ok::<_, EngineError>(OpenCase {
                case,
                conflicts,
                requests,
            })
        })();
        self.cache_put(id.as_str().to_owned(), doc);
        result
    }

    /// Resolves a same-field conflict with the chosen value.
    pub fn resolve_conflict(
        &mut self,
        id: &CaseId,
        path: &FieldPath,
        value: &serde_json::Value,
    ) -> Result<(), EngineError> {
        let author = self.author()?;
        let mut doc = self.cache_take(id.as_str())?;
        let before = doc.clone();
        let heads = doc.heads();
        let result = (|| -> Result<(), EngineError> {
            doc.resolve(path, value, &author)?;
            let changes = doc.changes_since(&heads);
            let (case, conflicts) = doc.read_with_conflicts()?;
            let row = index_row(&case, conflicts, &self.sla, true);
            self.store.transaction(|tx| {
                store::append_changes(tx, id.as_str(), &changes, &mut doc)?;
                store::write_index(tx, &row)
            })?;
            Ok(())
        })();
        match result {
            Ok(()) => {
                self.cache_put(id.as_str().to_owned(), doc);
                self.events.push(Event::CaseChanged(id.clone()));
                Ok(())
            }
            Err(e) => {
                self.cache_put(id.as_str().to_owned(), before);
                Err(e)
            }
        }
    }

    /// Records a workflow step by the signed-in user. A submission is validated first (policy
    /// step 2: verify the data at the time of submission).
    pub fn record_event(
        &mut self,
        id: &CaseId,
        request: &RequestId,
        kind: EventKind,
        reason: &str,
    ) -> Result<(), EngineError> {
        let author = self.author()?;
        let role = self.session.as_ref().ok_or(EngineError::NoSession)?.role;
        let opened = self.open_case(id)?;
        let state = opened
            .requests
            .iter()
            .find(|s| &s.request == request)
            .ok_or(EngineError::NoSuchRequest)?;
        let event = WorkflowEvent {
            id: EventId::generate(),
            kind,
            request: request.clone(),
            actor: author.user.clone(),
            role,
            at: author.at,
            reason: reason.trim().to_owned(),
        };
        state.check(&event).map_err(EngineError::Refused)?;
        if matches!(kind, EventKind::Submitted | EventKind::InfoProvided) {
            validate::submission(&opened.case, request, &self.catalog, self.today())
                .map_err(EngineError::Invalid)?;
        }
        self.change_case(id, move |c| c.events.push(event))
    }

    /// Lists cases, newest first, filtered and searched.
    pub fn list(&self, q: &ListQuery) -> Result<Vec<CaseSummary>, EngineError> {
        let limit = if q.limit == 0 { 50 } else { q.limit.min(500) };
        let today = self.today().to_string();
        let mut sql = String::from(
            "SELECT c.id, c.reference, c.head_name_ar, c.head_name_en, c.status, c.due_date,
                    c.follow_up, c.conflicts, c.unsynced
             FROM cases c WHERE 1 = 1",
        );
        let mut args: Vec<rusqlite::types::Value> = Vec::new();
        let text = q.text.trim();
        if !text.is_empty() {
            let digits: String = civil_id::ascii_digits(text)
                .chars()
                .filter(char::is_ascii_digit)
                .collect();
            let looks_numeric = !digits.is_empty()
                && civil_id::ascii_digits(text)
                    .chars()
                    .all(|c| c.is_ascii_digit() || " +-()".contains(c));
            if looks_numeric {
                // A civil ID or phone, whole or as a prefix; or a reference number.
                let phone = phone::parse(text).map(|p| p.e164().to_owned()).ok();
                sql.push_str(
                    " AND (c.id IN (SELECT case_id FROM case_ids WHERE value >= ?1 AND value < ?2)
                           OR c.id IN (SELECT case_id FROM case_ids WHERE value = ?3)
                           OR c.reference LIKE ?4)",
                );
                args.push(digits.clone().into());
                args.push(format!("{digits}\u{10FFFF}").into());
                args.push(phone.unwrap_or_default().into());
                args.push(format!("%{digits}%").into());
            } else {
                // Every word typed must start a name word of the household; or the text is
                // part of the case reference.
                let tokens = arabic::tokens(text);
                let mut name = String::from("1 = 1");
                for token in &tokens {
                    let n = args.len();
                    name.push_str(&format!(
                        " AND c.id IN (SELECT case_id FROM name_tokens WHERE token >= ?{} AND token < ?{})",
                        n + 1,
                        n + 2
                    ));
                    args.push(token.clone().into());
                    args.push(format!("{token}\u{10FFFF}").into());
                }
                if tokens.is_empty() {
                    name = String::from("0 = 1");
                }
                args.push(format!("%{text}%").into());
                sql.push_str(&format!(
                    " AND (({name}) OR c.reference LIKE ?{})",
                    args.len()
                ));
            }
        }
        if let Some(status) = q.status {
            args.push(status.code().to_owned().into());
            sql.push_str(&format!(" AND c.status = ?{}", args.len()));
        }
        if q.overdue_only {
            args.push(today.clone().into());
            sql.push_str(&format!(
                " AND c.status = 'awaiting-decision' AND c.due_date < ?{}",
                args.len()
            ));
        }
        if q.follow_up_only {
            sql.push_str(" AND c.follow_up = 1");
        }
        args.push(i64::from(limit).into());
        args.push(i64::from(q.offset).into());
        sql.push_str(&format!(
            " ORDER BY c.updated_at DESC, c.id LIMIT ?{} OFFSET ?{}",
            args.len() - 1,
            args.len()
        ));
        let conn = self.store.conn();
        let mut stmt = conn.prepare_cached(&sql)?;
        let rows = stmt
            .query_map(rusqlite::params_from_iter(args), |r| {
                summary_from_row(r, &today)
            })?
            .collect::<Result<Vec<_>, _>>()?;
        if rows.is_empty() && !text.is_empty() && q.offset == 0 {
            return self.fuzzy(text, limit as usize);
        }
        Ok(rows)
    }

    /// When no name starts with what was typed, the closest names by similarity.
    fn fuzzy(&self, text: &str, limit: usize) -> Result<Vec<CaseSummary>, EngineError> {
        if civil_id::ascii_digits(text)
            .chars()
            .any(|c| c.is_ascii_digit())
        {
            return Ok(Vec::new());
        }
        let mut scored: Vec<(f64, CaseSummary)> = Vec::new();
        let today = self.today().to_string();
        let conn = self.store.conn();
        let mut stmt = conn.prepare_cached(&format!("SELECT {SUMMARY_COLUMNS} FROM cases"))?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let ar: String = r.get(2)?;
            let en: String = r.get(3)?;
            let score = dedupe::name_similarity(text, &ar).max(dedupe::name_similarity(text, &en));
            if score >= 0.8 {
                scored.push((score, summary_from_row(r, &today)?));
            }
        }
        scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        Ok(scored.into_iter().take(limit).map(|(_, s)| s).collect())
    }

    /// Households on file that may be the one being registered: the same civil ID, or a
    /// similar name (any member) with the same phone.
    pub fn find_duplicates(
        &self,
        name: &str,
        civil: &str,
        phone_text: &str,
    ) -> Result<Vec<DuplicateCandidate>, EngineError> {
        let probe = Person {
            name,
            civil_id: civil,
            phone: phone_text,
        };
        let mut candidates: Vec<String> = Vec::new();
        let conn = self.store.conn();
        let digits: String = civil_id::ascii_digits(civil)
            .chars()
            .filter(char::is_ascii_digit)
            .collect();
        let mut by_value = conn.prepare_cached("SELECT case_id FROM case_ids WHERE value = ?1")?;
        if digits.len() == 12 {
            candidates.extend(
                by_value
                    .query_map([&digits], |r| r.get(0))?
                    .collect::<Result<Vec<String>, _>>()?,
            );
        }
        if let Ok(p) = phone::parse(phone_text) {
            candidates.extend(
                by_value
                    .query_map([p.e164()], |r| r.get(0))?
                    .collect::<Result<Vec<String>, _>>()?,
            );
        }
        // Cases sharing a name token (exact) are compared too, for same-name-other-phone.
        let mut by_token =
            conn.prepare_cached("SELECT case_id FROM name_tokens WHERE token = ?1 LIMIT 200")?;
        for token in arabic::tokens(name).iter().skip(1).take(3) {
            candidates.extend(
                by_token
                    .query_map([token], |r| r.get(0))?
                    .collect::<Result<Vec<String>, _>>()?,
            );
        }
        candidates.sort();
        candidates.dedup();
        let mut out = Vec::new();
        for id in candidates {
            let doc = self.store.load_doc(&id)?;
            let case = doc.hydrate()?;
            let best = case
                .household
                .members
                .iter()
                .map(|m| {
                    let other = Person {
                        name: if m.name_ar.is_empty() {
                            &m.name_en
                        } else {
                            &m.name_ar
                        },
                        civil_id: &m.civil_id,
                        phone: &m.phone,
                    };
                    let mut s = dedupe::score(&probe, &other);
                    if !m.name_en.is_empty() {
                        let en = dedupe::score(
                            &probe,
                            &Person {
                                name: &m.name_en,
                                ..other.clone()
                            },
                        );
                        if en.score > s.score {
                            s = en;
                        }
                    }
                    (s, m.name_ar.clone())
                })
                .max_by(|a, b| a.0.score.total_cmp(&b.0.score));
            if let Some((score, member_name)) = best
                && score.is_candidate()
            {
                let summary = self.summary(&id)?;
                out.push(DuplicateCandidate {
                    case: summary,
                    member_name,
                    score,
                });
            }
        }
        out.sort_by(|a, b| b.score.score.total_cmp(&a.score.score));
        Ok(out)
    }

    fn summary(&self, id: &str) -> Result<CaseSummary, EngineError> {
        let today = self.today().to_string();
        Ok(self.store.conn().query_row(
            &format!("SELECT {SUMMARY_COLUMNS} FROM cases WHERE id = ?1"),
            [id],
            |r| summary_from_row(r, &today),
        )?)
    }

    /// Captures a photo and attaches it to a case (and to a request, when given). A photo
    /// that cannot be used changes nothing.
    pub fn attach_photo(
        &mut self,
        id: &CaseId,
        bytes: &[u8],
        kind: DocumentKind,
        member: Option<MemberId>,
        request: Option<RequestId>,
        expires_on: Option<Date>,
    ) -> Result<AttachedPhoto, EngineError> {
        let author = self.author()?;
        if !self.store.has_case(id.as_str())? {
            return Err(EngineError::NoSuchCase);
        }
        let shot = capture::capture(bytes, &self.capture)?;
        let meta = DocumentMeta {
            id: DocumentId::generate(),
            kind,
            member,
            sha256: shot.sha256.clone(),
            thumbnail_sha256: shot.thumbnail_sha256.clone(),
            bytes: shot.jpeg.len() as u64,
            width: u64::from(shot.width),
            height: u64::from(shot.height),
            captured_at: author.at,
            captured_by: author.user.clone(),
            expires_on,
        };
        let document = meta.id.clone();
        // The photo, its thumbnail and the document's metadata land in one transaction.
        let now = author.at.millis();
        let req = request.clone();
        let doc_id = document.clone();
        let (jpeg, thumb) = (&shot.jpeg, &shot.thumbnail);
        let (sha, thumb_sha) = (&shot.sha256, &shot.thumbnail_sha256);
        self.change_case_with(
            id,
            move |c| {
                c.documents.push(meta);
                if let Some(req) = req
                    && let Some(r) = c.requests.iter_mut().find(|r| r.id == req)
                {
                    r.documents.push(doc_id);
                }
            },
            |tx| {
                let mut put = tx.prepare_cached(
                    "INSERT OR IGNORE INTO blobs (sha256, bytes, mime, created_at)
                     VALUES (?1, ?2, 'image/jpeg', ?3)",
                )?;
                put.execute(params![sha, jpeg, now])?;
                put.execute(params![thumb_sha, thumb, now])?;
                Ok(())
            },
        )?;
        Ok(AttachedPhoto {
            document,
            sha256: shot.sha256,
            bytes: shot.jpeg.len() as u64,
            warnings: shot.warnings,
        })
    }

    /// Photos not yet confirmed on the server.
    pub fn pending_blobs(&self) -> Result<Vec<String>, EngineError> {
        let conn = self.store.conn();
        let mut stmt =
            conn.prepare_cached("SELECT sha256 FROM blobs WHERE uploaded = 0 ORDER BY created_at")?;
        Ok(stmt
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?)
    }

    /// Records that the server has a blob.
    pub fn mark_uploaded(&self, sha256: &str) -> Result<(), EngineError> {
        self.store
            .conn()
            .execute("UPDATE blobs SET uploaded = 1 WHERE sha256 = ?1", [sha256])?;
        Ok(())
    }

    /// A stored blob (photo or thumbnail) by its hash.
    pub fn blob(&self, sha256: &str) -> Result<Option<Vec<u8>>, EngineError> {
        Ok(self
            .store
            .conn()
            .query_row("SELECT bytes FROM blobs WHERE sha256 = ?1", [sha256], |r| {
                r.get(0)
            })
            .optional()?)
    }

    /// Storage use.
    pub fn stats(&self) -> Result<StorageStats, EngineError> {
        let conn = self.store.conn();
        let one = |sql: &str| -> Result<u64, EngineError> {
            Ok(conn.query_row(sql, [], |r| r.get::<_, i64>(0))?.max(0) as u64)
        };
        Ok(StorageStats {
            cases: one("SELECT count(*) FROM cases")?,
            document_bytes: one(
                "SELECT coalesce((SELECT sum(length(bytes)) FROM snapshots), 0)
                      + coalesce((SELECT sum(length(bytes)) FROM changes), 0)",
            )?,
            pending_changes: one("SELECT count(*) FROM cases WHERE unsynced = 1")?,
            blobs: one("SELECT count(*) FROM blobs")?,
            blob_bytes: one("SELECT coalesce(sum(length(bytes)), 0) FROM blobs")?,
            blobs_not_uploaded: one("SELECT count(*) FROM blobs WHERE uploaded = 0")?,
            database_bytes: one(
                "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()",
            )?,
        })
    }

    /// A copy of a case's automerge document (export, inspection).
    pub fn case_doc(&mut self, id: &CaseId) -> Result<CaseDoc, EngineError> {
        let doc = self.cache_take(id.as_str())?;
        let copy = doc.clone();
        self.cache_put(id.as_str().to_owned(), doc);
        Ok(copy)
    }

    /// Imports a whole case document (the server's copy, or a seed), replacing the stored one.
    pub fn import_case(
        &mut self,
        doc: &mut CaseDoc,
        unsynced: bool,
    ) -> Result<CaseId, EngineError> {
        let (case, conflicts) = doc.read_with_conflicts()?;
        let row = index_row(&case, conflicts, &self.sla, unsynced);
        self.store.transaction(|tx| {
            store::write_index(tx, &row)?;
            store::write_snapshot(tx, case.id.as_str(), doc)
        })?;
        self.cache.retain(|(k, _)| k != case.id.as_str());
        Ok(case.id)
    }

    /// Fills the store with `count` realistic sample cases (demo and benchmarks), in batches.
    pub fn seed_samples(&mut self, count: u64, first_seed: u64) -> Result<(), EngineError> {
        let author = self.author()?;
        let mut start = 0;
        while start < count {
            let end = (start + 500).min(count);
            let sla = self.sla.clone();
            self.store.transaction(|tx| {
                for i in start..end {
                    let case = sample::realistic_case(first_seed + i);
                    let mut doc = CaseDoc::create(&case, &author)?;
                    let row = index_row(&case, false, &sla, false);
                    store::write_index(tx, &row)?;
                    store::write_snapshot(tx, case.id.as_str(), &mut doc)?;
                }
                Ok(())
            })?;
            start = end;
        }
        Ok(())
    }
}

/// The columns [`summary_from_row`] reads, in order.
const SUMMARY_COLUMNS: &str =
    "id, reference, head_name_ar, head_name_en, status, due_date, follow_up, conflicts, unsynced";

/// A case-list row from a `cases` row selected as [`SUMMARY_COLUMNS`]; overdue as of `today`
/// (`YYYY-MM-DD`, Kuwait).
fn summary_from_row(r: &rusqlite::Row<'_>, today: &str) -> rusqlite::Result<CaseSummary> {
    let status: String = r.get(4)?;
    let due: Option<String> = r.get(5)?;
    Ok(CaseSummary {
        id: CaseId::new(r.get::<_, String>(0)?),
        reference: r.get(1)?,
        head_name_ar: r.get(2)?,
        head_name_en: r.get(3)?,
        overdue: status == RequestStatus::AwaitingDecision.code()
            && due.as_deref().is_some_and(|d| d < today),
        status,
        due_date: due,
        follow_up: r.get(6)?,
        conflicts: r.get(7)?,
        unsynced: r.get(8)?,
    })
}

fn upsert<T>(list: &mut Vec<T>, item: T, same: impl Fn(&T, &T) -> bool) {
    match list.iter_mut().find(|x| same(x, &item)) {
        Some(slot) => *slot = item,
        None => list.push(item),
    }
}

fn apply_edit(c: &mut CaseFile, edit: Edit) {
    match edit {
        Edit::UpsertMember(m) => upsert(&mut c.household.members, m, |a, b| a.id == b.id),
        Edit::RemoveMember(id) => c.household.members.retain(|m| m.id != id),
        Edit::SetAddress(a) => c.household.address = a,
        Edit::SetHousing(h) => c.household.housing = h,
        Edit::SetHouseholdNotes(n) => c.household.notes = n,
        Edit::UpsertIncome(l) => upsert(&mut c.household.income, l, |a, b| a.id == b.id),
        Edit::RemoveIncome(id) => c.household.income.retain(|l| l.id != id),
        Edit::UpsertExpense(l) => upsert(&mut c.household.expenses, l, |a, b| a.id == b.id),
        Edit::RemoveExpense(id) => c.household.expenses.retain(|l| l.id != id),
        Edit::UpsertRequest(r) => upsert(&mut c.requests, r, |a, b| a.id == b.id),
        Edit::UpsertVisit(v) => upsert(&mut c.visits, v, |a, b| a.id == b.id),
        Edit::SetVisitAnswer {
            visit,
            question,
            answer,
        } => {
            if let Some(v) = c.visits.iter_mut().find(|v| v.id == visit) {
                v.answers.insert(question, answer);
            }
        }
        Edit::UpsertContact(e) => upsert(&mut c.contacts, e, |a, b| a.id == b.id),
        Edit::UpsertReferral(r) => upsert(&mut c.referrals, r, |a, b| a.id == b.id),
        Edit::AddService(s) => upsert(&mut c.services, s, |a, b| a.id == b.id),
        Edit::AddSurvey(s) => upsert(&mut c.surveys, s, |a, b| a.id == b.id),
    }
}

/// The index row of a case: what lists and search need.
pub fn index_row(case: &CaseFile, conflicts: bool, sla: &SlaPolicy, unsynced: bool) -> IndexRow {
    summary_row(
        case.id.as_str(),
        Summary::of(case, conflicts, Vec::new()),
        sla,
        unsynced,
    )
}

/// The index row of a case from its summary (computed here, or by the server).
pub fn summary_row(id: &str, s: Summary, sla: &SlaPolicy, unsynced: bool) -> IndexRow {
    IndexRow {
        id: id.to_owned(),
        due_date: s.due_date(sla).map(|d| d.to_string()),
        awaiting_since: s.awaiting_since.map(Timestamp::millis),
        reference: s.reference,
        branch: s.branch,
        head_name_ar: s.head_name_ar,
        head_name_en: s.head_name_en,
        civil_ids: s.civil_ids,
        phones: s.phones,
        tokens: s.tokens,
        status: s.status.code().to_owned(),
        follow_up: s.follow_up,
        conflicts: s.conflicts,
        updated_at: s.updated_at,
        unsynced,
    }
}
