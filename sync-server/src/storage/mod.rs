//! Where the server keeps its data, behind one trait so that the embedded SQLite default and a
//! PostgreSQL backend (for several server instances) serve the same API.
//!
//! Architecture invariant: handlers never see SQL; they call [`Storage`].

pub mod sqlite;

use async_trait::async_trait;
use mandoob_shared::ids::{BranchCode, CaseId, DeviceCode, UserId};
use mandoob_shared::summary::Summary;
use mandoob_shared::sync::LibraryDocument;

pub use crate::report::{
    CaseReport, ContactRow, HouseholdQuery, HouseholdRow, RequestRow, ServiceRow, SurveyRow,
};
/// Which cases a reader may see (the rule is `mandoob_shared::access::scope_of`).
pub use mandoob_shared::access::Scope;
use mandoob_shared::workflow::Role;

/// Storage failures. Internal details go to the log, not to clients.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("database error: {0}")]
    Database(String),
    #[error("already exists: {0}")]
    Conflict(String),
    #[error("not found: {0}")]
    NotFound(String),
    /// A device's limit (its uploads in progress) would be passed.
    #[error("{0}")]
    Quota(String),
    #[error(
        "the database was written by a newer server (schema {found}, this server knows {known})"
    )]
    NewerSchema { found: i64, known: i64 },
}

/// A user account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub id: UserId,
    pub display_name: String,
    pub role: Role,
    pub branch: BranchCode,
    pub password_hash: String,
    pub active: bool,
    /// Locked after too many failed sign-ins: no password is accepted until an administrator
    /// unlocks it (its devices and sessions go on).
    pub locked: bool,
    /// Its password was set by an administrator: the next sign-in must change it first.
    pub must_change_password: bool,
    /// A device of theirs was revoked: the next device they enrol waits for an
    /// administrator's approval before it syncs.
    pub enrol_needs_approval: bool,
}

/// Who a valid token belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthSession {
    pub user: UserRecord,
    pub device: DeviceCode,
    /// When the device was enrolled (milliseconds).
    pub enrolled_at: i64,
    /// Approved to sync (enrolments after a revocation wait for an administrator).
    pub approved: bool,
}

/// A device as the administrator sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRecord {
    pub code: DeviceCode,
    pub user: UserId,
    pub name: String,
    pub created_at: i64,
    pub last_sync: Option<i64>,
    /// The client address of its last sync (behind a trusted proxy, the forwarded one).
    pub last_address: Option<String>,
    pub revoked: bool,
    /// Waiting for an administrator's approval (enrolled after a revocation).
    pub approved: bool,
}

/// A case as stored: its branch and its compacted document (all its changes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCase {
    pub branch: BranchCode,
    pub snapshot: Vec<u8>,
}

/// A change in the feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedChange {
    pub seq: u64,
    pub case: CaseId,
    /// The device that pushed it (none for changes made on the server).
    pub device: Option<DeviceCode>,
    pub bytes: Vec<u8>,
}

/// A whole case to import: its changes (hash, bytes) and compacted snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedCase {
    pub case: CaseId,
    pub branch: BranchCode,
    pub changes: Vec<(String, Vec<u8>)>,
    pub snapshot: Vec<u8>,
    /// The blobs the case refers to (`CaseFile::blob_refs`): readers of the case may
    /// download them, nobody else.
    pub blobs: Vec<String>,
    /// The case's list entry at `snapshot` (sent with whole documents).
    pub summary: Summary,
    /// The case's rows for the console (queue, dashboards, exports).
    pub report: CaseReport,
    /// The account that wrote these changes and the automerge actors they were made with:
    /// each actor not yet bound is bound to that account in the same transaction, and the
    /// store is refused if one is bound to another (a replica writes for one account).
    pub authors: Option<(UserId, Vec<String>)>,
}

/// A stored case as a first sync sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WholeDocument {
    pub case: CaseId,
    pub snapshot: Vec<u8>,
    /// None for a case stored before summaries were kept whose document did not load.
    pub summary: Option<Summary>,
}

/// How much one pull answer may carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullLimit {
    /// At most so many documents or changes.
    pub items: u32,
    /// Items are added while their bytes stay within this; the first always is, so one item
    /// alone may pass it.
    pub bytes: u64,
    /// Changes this device pushed: listed (the cursor moves past them) but not counted in
    /// `bytes` or the backlog, as they are not sent back to it.
    pub device: Option<DeviceCode>,
}

impl PullLimit {
    /// At most `items`, whatever their size.
    pub fn items(items: u32) -> Self {
        Self {
            items,
            bytes: u64::MAX,
            device: None,
        }
    }
}

/// What is left after a page: items and their bytes.
pub use mandoob_shared::sync::Backlog;

/// A page of whole documents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WholePage {
    pub docs: Vec<WholeDocument>,
    /// The highest sequence number the documents include.
    pub head: u64,
    /// More documents follow.
    pub more: bool,
    /// The documents after this page.
    pub remaining: Backlog,
}

/// A page of the changes feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedPage {
    pub changes: Vec<FeedChange>,
    /// More changes follow.
    pub more: bool,
    /// The changes after this page.
    pub remaining: Backlog,
}

/// A signed-in console user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleSession {
    pub user: UserRecord,
    /// The token every form of this session must carry.
    pub csrf: String,
    pub expires_at: i64,
}

/// What a revoked device handed over: the changes of one case, or one photo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeldKind {
    Changes,
    Photo,
}

/// Where an item handed over stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeldState {
    /// Waiting for an administrator.
    Held,
    Applied,
    Discarded,
}

impl HeldState {
    pub fn code(self) -> &'static str {
        match self {
            HeldState::Held => "held",
            HeldState::Applied => "applied",
            HeldState::Discarded => "discarded",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        [HeldState::Held, HeldState::Applied, HeldState::Discarded]
            .into_iter()
            .find(|s| s.code() == code)
    }
}

/// An item a revoked device handed over (without its bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldItem {
    pub id: i64,
    pub device: DeviceCode,
    pub user: UserId,
    pub kind: HeldKind,
    /// The case of changes (`None` for a photo).
    pub case: Option<CaseId>,
    pub sha256: String,
    pub bytes: u64,
    /// How many changes (1 for a photo).
    pub changes: u32,
    pub received_at: i64,
    pub state: HeldState,
    /// What applying it came to, in the administrator's words (`accepted refused`).
    pub outcome: String,
}

/// An item to hold (see [`Storage::hold`]).
#[derive(Debug, Clone)]
pub struct NewHeld<'a> {
    pub device: &'a DeviceCode,
    pub user: &'a UserId,
    pub kind: HeldKind,
    pub case: Option<&'a CaseId>,
    pub sha256: &'a str,
    pub body: &'a [u8],
    pub changes: u32,
    pub now: i64,
}

/// What holding an item came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoldOutcome {
    New,
    /// Already held (a hand-over sent again after a cut).
    Known,
    /// The device's items would pass the limit: not held.
    Full,
}

/// One entry of the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub at: i64,
    pub user: UserId,
    /// What was done (`decision`, `export`, `resolve-conflict`, `revoke-device`, …).
    pub action: String,
    /// What it was done to (a case reference, a device code, an export's name, …).
    pub target: String,
    pub detail: String,
}

/// Which entries of the audit log to show: by whom, what, and when (each `None` for any).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub user: Option<String>,
    pub action: Option<String>,
    /// From this time on (milliseconds, inclusive).
    pub from: Option<i64>,
    /// Before this time (milliseconds, exclusive).
    pub until: Option<i64>,
}

/// One page of a long list (the console's queue, audit log): its rows, and how many rows the
/// whole list has.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Page<T> {
    pub rows: Vec<T>,
    pub total: u64,
}

/// Which requests the queue shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestFilter {
    pub branch: Option<String>,
    pub kind: Option<String>,
    pub status: Option<String>,
    /// Only requests with an open referral (the social-research officer's inbox).
    pub referred: bool,
}

/// Every row in a scope, for dashboards and exports.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportRows {
    pub requests: Vec<RequestRow>,
    pub surveys: Vec<SurveyRow>,
    pub contacts: Vec<ContactRow>,
    pub services: Vec<ServiceRow>,
}

/// Who asks about a blob: the device, its account, and the cases it may read. Whether a blob
/// exists is told only to a viewer who may read it (a case in its scope refers to it, or this
/// device or account uploaded it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobViewer {
    pub device: DeviceCode,
    pub user: UserId,
    pub scope: Scope,
}

/// Whether a blob is on the server, as one viewer may know it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlobAccess {
    /// Not on the server (a device may refer to it, then upload it).
    Missing,
    /// On the server and readable by the viewer.
    Visible,
    /// On the server, but not the viewer's: it may not refer to it, and is not told it exists.
    Hidden,
}

/// A part of an upload, as the device sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadPart<'a> {
    pub sha256: &'a str,
    pub device: &'a DeviceCode,
    /// Where the part starts (must be what has arrived so far).
    pub offset: u64,
    /// The whole blob's length, as announced.
    pub total: u64,
    pub bytes: &'a [u8],
    pub now: i64,
    /// How many bytes of unfinished uploads the device may have at once.
    pub quota: u64,
}

/// How much of a blob has arrived (for one viewer: another device's partial upload is not
/// this one's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlobState {
    Missing,
    Partial(u64),
    Complete(u64),
}

/// The server's storage.
#[async_trait]
pub trait Storage: Send + Sync + 'static {
    // -- accounts --
    async fn create_branch(&self, code: &BranchCode, name: &str) -> Result<(), StorageError>;
    async fn create_user(&self, user: &UserRecord) -> Result<(), StorageError>;
    async fn user(&self, id: &UserId) -> Result<Option<UserRecord>, StorageError>;
    /// Registers a device for `user` with the hash of its token.
    async fn create_device(
        &self,
        user: &UserId,
        name: &str,
        token_hash: &[u8],
        now: i64,
    ) -> Result<DeviceCode, StorageError>;
    /// The session of a token's hash, unless its device is revoked or its user inactive.
    async fn session(&self, token_hash: &[u8]) -> Result<Option<AuthSession>, StorageError>;
    /// Revokes a device, and makes its user's next enrolment wait for approval.
    async fn revoke_device(&self, device: &DeviceCode) -> Result<bool, StorageError>;
    /// The revoked device a token belonged to, and its user ([`Self::session`] finds none).
    async fn revoked_device(
        &self,
        token_hash: &[u8],
    ) -> Result<Option<(DeviceCode, UserId)>, StorageError>;
    /// Approves a device waiting after a revocation (and lifts its user's wait); false when
    /// there is no such device waiting.
    async fn approve_device(&self, device: &DeviceCode) -> Result<bool, StorageError>;
    async fn devices(&self) -> Result<Vec<DeviceRecord>, StorageError>;
    /// Records a device's sync: when, and from which address.
    async fn touch_device(
        &self,
        device: &DeviceCode,
        now: i64,
        address: &str,
    ) -> Result<(), StorageError>;
    /// Sets a user's password hash (and whether it must be changed at the next sign-in),
    /// ending their console sessions but `keep_session`.
    async fn set_password(
        &self,
        user: &UserId,
        hash: &str,
        must_change: bool,
        keep_session: Option<&[u8]>,
    ) -> Result<bool, StorageError>;
    async fn set_role(&self, user: &UserId, role: Role) -> Result<bool, StorageError>;

    /// Holds an item a revoked device handed over, unless the device's held bytes would pass
    /// `max_bytes`.
    async fn hold(&self, item: NewHeld<'_>, max_bytes: u64) -> Result<HoldOutcome, StorageError>;
    /// The items handed over by a user's devices, oldest first.
    async fn held_items(&self, user: &UserId) -> Result<Vec<HeldItem>, StorageError>;
    /// One item and its bytes, while it is held.
    async fn held_body(&self, id: i64) -> Result<Option<(HeldItem, Vec<u8>)>, StorageError>;
    /// Records an administrator's decision on a held item (and forgets its bytes); false when
    /// it is no longer held.
    async fn settle_held(
        &self,
        id: i64,
        state: HeldState,
        outcome: &str,
    ) -> Result<bool, StorageError>;

    /// Stores a held photo as its device's upload and marks it applied; false when it is no
    /// longer held (or is not a photo).
    async fn apply_held_photo(&self, id: i64) -> Result<bool, StorageError>;

    // -- documents --
    async fn case(&self, case: &CaseId) -> Result<Option<StoredCase>, StorageError>;
    /// Stores changes of one case with its new snapshot, the blobs it now refers to and its
    /// summary, in one transaction; each new change gets the next sequence number. Changes
    /// already stored (same hash) are skipped. Returns how many were new.
    async fn store_changes(
        &self,
        item: ImportedCase,
        device: Option<&DeviceCode>,
    ) -> Result<u32, StorageError>;
    /// Stores many whole cases in one transaction (imports, demo data, benchmarks).
    async fn import_cases(&self, cases: Vec<ImportedCase>) -> Result<(), StorageError>;
    /// Changes in `scope` after `cursor`, within `limit`, in sequence order.
    async fn changes_page(
        &self,
        scope: &Scope,
        cursor: u64,
        limit: &PullLimit,
    ) -> Result<FeedPage, StorageError>;
    /// Whole documents in `scope` with case id after `after`, within `limit`, and the
    /// highest sequence number they include.
    async fn whole_page(
        &self,
        scope: &Scope,
        after: Option<&CaseId>,
        limit: &PullLimit,
    ) -> Result<WholePage, StorageError>;
    /// Changes in `scope` after `cursor`, at most `limit`, in sequence order.
    async fn changes_after(
        &self,
        scope: &Scope,
        cursor: u64,
        limit: u32,
    ) -> Result<Vec<FeedChange>, StorageError> {
        Ok(self
            .changes_page(scope, cursor, &PullLimit::items(limit))
            .await?
            .changes)
    }
    /// Whole documents in `scope` with case id after `after`, at most `limit`, and the
    /// highest sequence number they include.
    async fn whole_documents(
        &self,
        scope: &Scope,
        after: Option<&CaseId>,
        limit: u32,
    ) -> Result<(Vec<WholeDocument>, u64), StorageError> {
        let page = self
            .whole_page(scope, after, &PullLimit::items(limit))
            .await?;
        Ok((page.docs, page.head))
    }
    /// The highest sequence number stored.
    async fn head_sequence(&self) -> Result<u64, StorageError>;

    // -- authors --
    /// The account each of these automerge actors is bound to (those never seen are absent).
    /// Binding happens when changes are stored (`ImportedCase::authors`).
    async fn actor_owners(&self, actors: &[String]) -> Result<Vec<(String, UserId)>, StorageError>;

    // -- blobs --
    /// How much of a blob has arrived, as `viewer` may know it.
    async fn blob_state(
        &self,
        sha256: &str,
        viewer: &BlobViewer,
    ) -> Result<BlobState, StorageError>;
    /// Whether a complete blob is on the server and readable by `viewer`.
    async fn blob_access(
        &self,
        sha256: &str,
        viewer: &BlobViewer,
    ) -> Result<BlobAccess, StorageError>;
    /// Appends a part of a device's upload (the offset must be what has arrived so far).
    /// Returns how much has arrived.
    async fn append_blob(&self, part: UploadPart<'_>) -> Result<u64, StorageError>;
    /// The bytes of a device's partial upload, in order.
    async fn partial_blob(
        &self,
        sha256: &str,
        device: &DeviceCode,
    ) -> Result<Vec<u8>, StorageError>;
    /// Marks a device's upload complete (after the caller verified the hash); the device and
    /// its account may refer to it from then on.
    async fn complete_blob(
        &self,
        sha256: &str,
        device: &DeviceCode,
        user: &UserId,
    ) -> Result<(), StorageError>;
    /// Drops a device's partial upload (its bytes did not match its name).
    async fn discard_blob(&self, sha256: &str, device: &DeviceCode) -> Result<(), StorageError>;
    /// Drops every partial upload started before `before` (milliseconds); returns how many.
    async fn expire_uploads(&self, before: i64) -> Result<u64, StorageError>;
    async fn blob(&self, sha256: &str) -> Result<Option<Vec<u8>>, StorageError>;
    /// Whether a case in `scope` refers to this blob (so a reader in that scope may fetch it).
    async fn blob_in_scope(&self, sha256: &str, scope: &Scope) -> Result<bool, StorageError>;

    // -- the console --
    /// Requests in `scope` matching `filter`: those awaiting a decision first, oldest clock
    /// first; then the rest, newest first. The `limit` rows after the first `offset`, and how
    /// many match in all.
    async fn requests_page(
        &self,
        scope: &Scope,
        filter: &RequestFilter,
        offset: u32,
        limit: u32,
    ) -> Result<Page<RequestRow>, StorageError>;
    /// The first `limit` rows of [`Storage::requests_page`].
    async fn requests(
        &self,
        scope: &Scope,
        filter: &RequestFilter,
        limit: u32,
    ) -> Result<Vec<RequestRow>, StorageError> {
        Ok(self.requests_page(scope, filter, 0, limit).await?.rows)
    }
    /// Stores a complete blob made at HQ (the demo data's photos): readable, like any blob,
    /// by whoever may read a case that refers to it.
    async fn import_blob(&self, sha256: &str, bytes: &[u8]) -> Result<(), StorageError>;
    /// Households in `scope` matching `query`, by reference, at most `limit`.
    async fn households(
        &self,
        scope: &Scope,
        query: &HouseholdQuery,
        limit: u32,
    ) -> Result<Vec<HouseholdRow>, StorageError>;
    /// Every report row in `scope`.
    async fn report_rows(&self, scope: &Scope) -> Result<ReportRows, StorageError>;
    async fn users(&self) -> Result<Vec<UserRecord>, StorageError>;
    async fn branches(&self) -> Result<Vec<(BranchCode, String)>, StorageError>;
    async fn set_user_active(&self, user: &UserId, active: bool) -> Result<bool, StorageError>;
    /// Locks an account (since `locked_at`, milliseconds) or unlocks it (`None`); whether it
    /// exists.
    async fn set_user_locked(
        &self,
        user: &UserId,
        locked_at: Option<i64>,
    ) -> Result<bool, StorageError>;
    async fn create_console_session(
        &self,
        token_hash: &[u8],
        user: &UserId,
        csrf: &str,
        expires_at: i64,
    ) -> Result<(), StorageError>;
    /// The session of a cookie's hash, unless expired or its user inactive.
    async fn console_session(
        &self,
        token_hash: &[u8],
        now: i64,
    ) -> Result<Option<ConsoleSession>, StorageError>;
    async fn delete_console_session(&self, token_hash: &[u8]) -> Result<(), StorageError>;
    async fn audit(&self, entry: &AuditEntry) -> Result<(), StorageError>;
    /// Entries matching `filter`, the newest first: the `limit` after the first `offset`, and
    /// how many match in all.
    async fn audit_page(
        &self,
        filter: &AuditFilter,
        offset: u32,
        limit: u32,
    ) -> Result<Page<AuditEntry>, StorageError>;
    /// The newest `limit` entries.
    async fn audit_log(&self, limit: u32) -> Result<Vec<AuditEntry>, StorageError> {
        Ok(self
            .audit_page(&AuditFilter::default(), 0, limit)
            .await?
            .rows)
    }
    /// Everyone who appears in the audit log (accounts, the command line, the server), sorted.
    async fn audit_authors(&self) -> Result<Vec<UserId>, StorageError>;
    /// Publishes (or replaces) a reference document for devices.
    async fn publish_document(&self, doc: &LibraryDocument) -> Result<(), StorageError>;
    /// Withdraws a reference document; devices drop it on their next sync.
    async fn retire_document(&self, id: &str) -> Result<bool, StorageError>;
    /// The published reference documents, oldest first.
    async fn library(&self) -> Result<Vec<LibraryDocument>, StorageError>;
    async fn setting(&self, key: &str) -> Result<Option<String>, StorageError>;
    async fn set_setting(&self, key: &str, value: &str) -> Result<(), StorageError>;
}
