//! The embedded default: one SQLite file in the data directory (WAL, `synchronous=FULL`), so a
//! change the server acknowledged survives a crash or power loss. Calls run on Tokio's
//! blocking pool; one connection serializes writers, which also assigns sequence numbers in
//! commit order (gap-free for readers).
//!
//! One module per concern, all behind the one [`Storage`] trait: [`migrations`], [`accounts`],
//! [`cases`] (documents, the changes feed, report rows), [`blobs`] and [`console`] (sessions,
//! audit log, library, settings). Each holds the SQL of its concern as inherent methods of
//! [`SqliteStorage`]; the trait implementation below forwards to them (an inherent method is
//! found before the trait's method of the same name). [`files`]: the data directory and the
//! database readable by the server's account only.

mod accounts;
mod blobs;
mod cases;
mod console;
pub mod files;
mod held;
mod migrations;

use std::path::Path;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, params};

use mandoob_shared::ids::{BranchCode, CaseId, DeviceCode, UserId};
use mandoob_shared::workflow::Role;

use super::*;
use accounts::*;
use blobs::*;
use cases::*;
use migrations::*;

/// A refused write, reported as a conflict (the caller's state disagrees with the server's).
pub(super) fn refusal(message: String) -> rusqlite::Error {
    rusqlite::Error::SqliteFailure(
        rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CONSTRAINT),
        Some(message),
    )
}

/// SQLite storage.
#[derive(Debug, Clone)]
pub struct SqliteStorage {
    conn: Arc<Mutex<Connection>>,
}

pub(super) fn db(e: impl std::fmt::Display) -> StorageError {
    StorageError::Database(e.to_string())
}

impl SqliteStorage {
    /// Opens (or creates) `mandoob.sqlite` in `data_dir`, the directory and the database
    /// readable by this account only ([`files`]).
    pub fn open(data_dir: &Path) -> Result<Self, StorageError> {
        files::secure_data_dir(data_dir).map_err(db)?;
        let storage = Self::setup(Connection::open(data_dir.join(files::DATABASE)).map_err(db)?)?;
        // SQLite made its `-wal` and `-shm` files just now (with the database's mode).
        files::secure_database_files(data_dir, &mut Vec::new()).map_err(db)?;
        Ok(storage)
    }

    /// An in-memory database (unit tests).
    pub fn in_memory() -> Result<Self, StorageError> {
        Self::setup(Connection::open_in_memory().map_err(db)?)
    }

    fn setup(mut conn: Connection) -> Result<Self, StorageError> {
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(db)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(db)?;
        conn.pragma_update(None, "foreign_keys", "ON").map_err(db)?;
        migrate(&mut conn)?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    async fn run<T, F>(&self, f: F) -> Result<T, StorageError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, rusqlite::Error> + Send + 'static,
    {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = conn.lock().map_err(|_| db("storage lock poisoned"))?;
            f(&mut guard).map_err(|e| match e {
                rusqlite::Error::SqliteFailure(code, msg)
                    if code.code == rusqlite::ErrorCode::ConstraintViolation =>
                {
                    StorageError::Conflict(msg.unwrap_or_default())
                }
                other => db(other),
            })
        })
        .await
        .map_err(db)?
    }
}

#[async_trait]
impl Storage for SqliteStorage {
    async fn hold(&self, item: NewHeld<'_>, max_bytes: u64) -> Result<HoldOutcome, StorageError> {
        SqliteStorage::hold(self, item, max_bytes).await
    }

    async fn apply_held_photo(&self, id: i64) -> Result<bool, StorageError> {
        SqliteStorage::apply_held_photo(self, id).await
    }

    async fn held_items(&self, user: &UserId) -> Result<Vec<HeldItem>, StorageError> {
        SqliteStorage::held_items(self, user).await
    }

    async fn held_body(&self, id: i64) -> Result<Option<(HeldItem, Vec<u8>)>, StorageError> {
        SqliteStorage::held_body(self, id).await
    }

    async fn settle_held(
        &self,
        id: i64,
        state: HeldState,
        outcome: &str,
    ) -> Result<bool, StorageError> {
        SqliteStorage::settle_held(self, id, state, outcome).await
    }

    async fn create_branch(&self, code: &BranchCode, name: &str) -> Result<(), StorageError> {
        SqliteStorage::create_branch(self, code, name).await
    }

    async fn create_user(&self, user: &UserRecord) -> Result<(), StorageError> {
        SqliteStorage::create_user(self, user).await
    }

    async fn user(&self, id: &UserId) -> Result<Option<UserRecord>, StorageError> {
        SqliteStorage::user(self, id).await
    }

    async fn create_device(
        &self,
        user: &UserId,
        name: &str,
        token_hash: &[u8],
        now: i64,
    ) -> Result<DeviceCode, StorageError> {
        SqliteStorage::create_device(self, user, name, token_hash, now).await
    }

    async fn session(&self, token_hash: &[u8]) -> Result<Option<AuthSession>, StorageError> {
        SqliteStorage::session(self, token_hash).await
    }

    async fn revoke_device(&self, device: &DeviceCode) -> Result<bool, StorageError> {
        SqliteStorage::revoke_device(self, device).await
    }

    async fn revoked_device(
        &self,
        token_hash: &[u8],
    ) -> Result<Option<(DeviceCode, UserId)>, StorageError> {
        SqliteStorage::revoked_device(self, token_hash).await
    }

    async fn approve_device(&self, device: &DeviceCode) -> Result<bool, StorageError> {
        SqliteStorage::approve_device(self, device).await
    }

    async fn devices(&self) -> Result<Vec<DeviceRecord>, StorageError> {
        SqliteStorage::devices(self).await
    }

    async fn touch_device(
        &self,
        device: &DeviceCode,
        now: i64,
        address: &str,
    ) -> Result<(), StorageError> {
        SqliteStorage::touch_device(self, device, now, address).await
    }

    async fn set_password(
        &self,
        user: &UserId,
        hash: &str,
        must_change: bool,
        keep_session: Option<&[u8]>,
    ) -> Result<bool, StorageError> {
        SqliteStorage::set_password(self, user, hash, must_change, keep_session).await
    }

    async fn set_role(&self, user: &UserId, role: Role) -> Result<bool, StorageError> {
        SqliteStorage::set_role(self, user, role).await
    }

    async fn case(&self, case: &CaseId) -> Result<Option<StoredCase>, StorageError> {
        SqliteStorage::case(self, case).await
    }

    async fn store_changes(
        &self,
        item: ImportedCase,
        device: Option<&DeviceCode>,
    ) -> Result<u32, StorageError> {
        SqliteStorage::store_changes(self, item, device).await
    }

    async fn import_cases(&self, cases: Vec<ImportedCase>) -> Result<(), StorageError> {
        SqliteStorage::import_cases(self, cases).await
    }

    async fn changes_page(
        &self,
        scope: &Scope,
        cursor: u64,
        limit: &PullLimit,
    ) -> Result<FeedPage, StorageError> {
        SqliteStorage::changes_page(self, scope, cursor, limit).await
    }

    async fn whole_page(
        &self,
        scope: &Scope,
        after: Option<&CaseId>,
        limit: &PullLimit,
    ) -> Result<WholePage, StorageError> {
        SqliteStorage::whole_page(self, scope, after, limit).await
    }

    async fn head_sequence(&self) -> Result<u64, StorageError> {
        SqliteStorage::head_sequence(self).await
    }

    async fn actor_owners(&self, actors: &[String]) -> Result<Vec<(String, UserId)>, StorageError> {
        SqliteStorage::actor_owners(self, actors).await
    }

    async fn blob_state(
        &self,
        sha256: &str,
        viewer: &BlobViewer,
    ) -> Result<BlobState, StorageError> {
        SqliteStorage::blob_state(self, sha256, viewer).await
    }

    async fn blob_access(
        &self,
        sha256: &str,
        viewer: &BlobViewer,
    ) -> Result<BlobAccess, StorageError> {
        SqliteStorage::blob_access(self, sha256, viewer).await
    }

    async fn append_blob(&self, part: UploadPart<'_>) -> Result<u64, StorageError> {
        SqliteStorage::append_blob(self, part).await
    }

    async fn partial_blob(
        &self,
        sha256: &str,
        device: &DeviceCode,
    ) -> Result<Vec<u8>, StorageError> {
        SqliteStorage::partial_blob(self, sha256, device).await
    }

    async fn complete_blob(
        &self,
        sha256: &str,
        device: &DeviceCode,
        user: &UserId,
    ) -> Result<(), StorageError> {
        SqliteStorage::complete_blob(self, sha256, device, user).await
    }

    async fn discard_blob(&self, sha256: &str, device: &DeviceCode) -> Result<(), StorageError> {
        SqliteStorage::discard_blob(self, sha256, device).await
    }

    async fn expire_uploads(&self, before: i64) -> Result<u64, StorageError> {
        SqliteStorage::expire_uploads(self, before).await
    }

    async fn blob(&self, sha256: &str) -> Result<Option<Vec<u8>>, StorageError> {
        SqliteStorage::blob(self, sha256).await
    }

    async fn blob_in_scope(&self, sha256: &str, scope: &Scope) -> Result<bool, StorageError> {
        SqliteStorage::blob_in_scope(self, sha256, scope).await
    }

    async fn requests_page(
        &self,
        scope: &Scope,
        filter: &RequestFilter,
        offset: u32,
        limit: u32,
    ) -> Result<Page<RequestRow>, StorageError> {
        SqliteStorage::requests_page(self, scope, filter, offset, limit).await
    }

    async fn import_blob(&self, sha256: &str, bytes: &[u8]) -> Result<(), StorageError> {
        SqliteStorage::import_blob(self, sha256, bytes).await
    }

    async fn households(
        &self,
        scope: &Scope,
        query: &HouseholdQuery,
        limit: u32,
    ) -> Result<Vec<HouseholdRow>, StorageError> {
        SqliteStorage::households(self, scope, query, limit).await
    }

    async fn report_rows(&self, scope: &Scope) -> Result<ReportRows, StorageError> {
        SqliteStorage::report_rows(self, scope).await
    }

    async fn users(&self) -> Result<Vec<UserRecord>, StorageError> {
        SqliteStorage::users(self).await
    }

    async fn branches(&self) -> Result<Vec<(BranchCode, String)>, StorageError> {
        SqliteStorage::branches(self).await
    }

    async fn set_user_active(&self, user: &UserId, active: bool) -> Result<bool, StorageError> {
        SqliteStorage::set_user_active(self, user, active).await
    }

    async fn set_user_locked(
        &self,
        user: &UserId,
        locked_at: Option<i64>,
    ) -> Result<bool, StorageError> {
        SqliteStorage::set_user_locked(self, user, locked_at).await
    }

    async fn create_console_session(
        &self,
        token_hash: &[u8],
        user: &UserId,
        csrf: &str,
        expires_at: i64,
    ) -> Result<(), StorageError> {
        SqliteStorage::create_console_session(self, token_hash, user, csrf, expires_at).await
    }

    async fn console_session(
        &self,
        token_hash: &[u8],
        now: i64,
    ) -> Result<Option<ConsoleSession>, StorageError> {
        SqliteStorage::console_session(self, token_hash, now).await
    }

    async fn delete_console_session(&self, token_hash: &[u8]) -> Result<(), StorageError> {
        SqliteStorage::delete_console_session(self, token_hash).await
    }

    async fn audit(&self, entry: &AuditEntry) -> Result<(), StorageError> {
        SqliteStorage::audit(self, entry).await
    }

    async fn audit_page(
        &self,
        filter: &AuditFilter,
        offset: u32,
        limit: u32,
    ) -> Result<Page<AuditEntry>, StorageError> {
        SqliteStorage::audit_page(self, filter, offset, limit).await
    }

    async fn audit_authors(&self) -> Result<Vec<UserId>, StorageError> {
        SqliteStorage::audit_authors(self).await
    }

    async fn publish_document(&self, doc: &LibraryDocument) -> Result<(), StorageError> {
        SqliteStorage::publish_document(self, doc).await
    }

    async fn retire_document(&self, id: &str) -> Result<bool, StorageError> {
        SqliteStorage::retire_document(self, id).await
    }

    async fn library(&self) -> Result<Vec<LibraryDocument>, StorageError> {
        SqliteStorage::library(self).await
    }

    async fn setting(&self, key: &str) -> Result<Option<String>, StorageError> {
        SqliteStorage::setting(self, key).await
    }

    async fn set_setting(&self, key: &str, value: &str) -> Result<(), StorageError> {
        SqliteStorage::set_setting(self, key, value).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mandoob_shared::doc::{Author, CaseDoc};
    use mandoob_shared::ids::Timestamp;

    /// A database written before migration 3 gets the blob references of its cases, and
    /// (migration 4) their summaries.
    #[test]
    fn migrations_3_and_4_backfill_blob_references_and_summaries() {
        let dir = std::env::temp_dir().join(format!("mandoob-mig3-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("mandoob.sqlite");
        let case = mandoob_shared::sample::realistic_case(3);
        let heads: Vec<[u8; 32]>;
        assert!(!case.blob_refs().is_empty());
        {
            let conn = Connection::open(&path).unwrap();
            for sql in &MIGRATIONS[..2] {
                conn.execute_batch(sql).unwrap();
            }
            conn.pragma_update(None, "user_version", 2).unwrap();
            let author = Author {
                user: case.created_by.clone(),
                at: Timestamp::now(),
            };
            let mut doc = CaseDoc::create(&case, &author).unwrap();
            heads = doc.heads().iter().map(|h| h.0).collect();
            let snapshot = doc.save();
            conn.execute(
                "INSERT INTO cases (id, branch, snapshot, last_seq) VALUES (?1, ?2, ?3, 0)",
                params![case.id.as_str(), case.branch.as_str(), snapshot],
            )
            .unwrap();
            // A damaged document must not stop the migration.
            conn.execute(
                "INSERT INTO cases (id, branch, snapshot, last_seq) VALUES ('bad', 'QRN', x'00ff', 0)",
                [],
            )
            .unwrap();
        }
        let storage = SqliteStorage::open(&dir).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        for sha in case.blob_refs() {
            let own = Scope::Branch(case.branch.clone());
            let other = Scope::Branch(BranchCode::new("ELSEWHERE"));
            assert!(rt.block_on(storage.blob_in_scope(&sha, &own)).unwrap());
            assert!(
                rt.block_on(storage.blob_in_scope(&sha, &Scope::All))
                    .unwrap()
            );
            assert!(!rt.block_on(storage.blob_in_scope(&sha, &other)).unwrap());
        }
        let (docs, _) = rt
            .block_on(storage.whole_documents(&Scope::All, None, 10))
            .unwrap();
        assert_eq!(docs.len(), 2);
        // Migration 8: the household of the stored case is searchable (the damaged one has
        // no row, and did not stop the migration).
        let households = rt
            .block_on(storage.households(&Scope::All, &HouseholdQuery::default(), 10))
            .unwrap();
        assert_eq!(households.len(), 1);
        assert_eq!(households[0].case_id, case.id.as_str());
        let good = docs.iter().find(|d| d.case == case.id).unwrap();
        let summary = good.summary.as_ref().expect("summary backfilled");
        assert_eq!(*summary, Summary::of(&case, false, heads.clone()));
        assert!(summary.describes(&heads));
        let bad = docs.iter().find(|d| d.case.as_str() == "bad").unwrap();
        assert_eq!(bad.summary, None);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
