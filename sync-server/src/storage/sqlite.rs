//! The embedded default: one SQLite file in the data directory (WAL, `synchronous=FULL`), so a
//! change the server acknowledged survives a crash or power loss. Calls run on Tokio's
//! blocking pool; one connection serializes writers, which also assigns sequence numbers in
//! commit order (gap-free for readers).

use std::path::Path;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, params};

use mandoob_shared::ids::{BranchCode, CaseId, DeviceCode, UserId};
use mandoob_shared::workflow::Role;

use super::*;

const MIGRATIONS: &[&str] = &[
    // 1: accounts, documents, the changes feed, blobs.
    "
    CREATE TABLE branches (
        code TEXT PRIMARY KEY,
        name TEXT NOT NULL
    ) STRICT;
    CREATE TABLE users (
        id TEXT PRIMARY KEY,
        display_name TEXT NOT NULL,
        role TEXT NOT NULL,
        branch TEXT NOT NULL REFERENCES branches(code),
        password_hash TEXT NOT NULL,
        active INTEGER NOT NULL DEFAULT 1
    ) STRICT;
    CREATE TABLE devices (
        code TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users(id),
        name TEXT NOT NULL,
        token_hash BLOB NOT NULL UNIQUE,
        created_at INTEGER NOT NULL,
        last_sync INTEGER,
        revoked INTEGER NOT NULL DEFAULT 0
    ) STRICT;
    CREATE TABLE cases (
        id TEXT PRIMARY KEY,
        branch TEXT NOT NULL,
        snapshot BLOB NOT NULL,
        last_seq INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX cases_by_branch ON cases(branch, id);
    CREATE TABLE changes (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        case_id TEXT NOT NULL REFERENCES cases(id),
        branch TEXT NOT NULL,
        hash TEXT NOT NULL UNIQUE,
        bytes BLOB NOT NULL
    ) STRICT;
    CREATE INDEX changes_by_branch ON changes(branch, seq);
    CREATE TABLE blobs (
        sha256 TEXT PRIMARY KEY,
        bytes BLOB NOT NULL
    ) STRICT;
    CREATE TABLE blob_parts (
        sha256 TEXT NOT NULL,
        offset INTEGER NOT NULL,
        bytes BLOB NOT NULL,
        PRIMARY KEY (sha256, offset)
    ) STRICT, WITHOUT ROWID;
    ",
    // 2: which device pushed a change, so its own changes are not sent back to it.
    "ALTER TABLE changes ADD COLUMN device TEXT;",
    // 3: which case refers to which blob, so a blob is served only to readers of such a case
    // (filled for existing cases by `backfill_case_blobs`).
    "
    CREATE TABLE case_blobs (
        sha256 TEXT NOT NULL,
        case_id TEXT NOT NULL REFERENCES cases(id),
        branch TEXT NOT NULL,
        PRIMARY KEY (sha256, case_id)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX case_blobs_by_case ON case_blobs(case_id);
    ",
    // 4: each case's summary (`mandoob_shared::summary`, postcard), sent with whole documents
    // so a device indexes a first sync without reading every document (filled for existing
    // cases by `backfill_summaries`).
    "ALTER TABLE cases ADD COLUMN summary BLOB;",
];

/// Migration 3 adds `case_blobs`; the references of cases stored before it are read from
/// their documents once.
fn backfill_case_blobs(tx: &rusqlite::Transaction<'_>) -> rusqlite::Result<()> {
    let cases: Vec<(String, String, Vec<u8>)> = {
        let mut stmt = tx.prepare("SELECT id, branch, snapshot FROM cases")?;
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<_, _>>()?
    };
    for (id, branch, snapshot) in cases {
        // A document that does not load is left without references: its blobs stay private.
        let Ok(case) = mandoob_shared::doc::CaseDoc::load(&snapshot).and_then(|d| d.hydrate())
        else {
            tracing::warn!(case = %id, "case document does not load; its blobs stay unreadable");
            continue;
        };
        write_case_blobs(tx, &id, &branch, &case.blob_refs())?;
    }
    Ok(())
}

/// Migration 4 adds `cases.summary`; the summaries of cases stored before it are computed
/// from their documents once.
fn backfill_summaries(tx: &rusqlite::Transaction<'_>) -> rusqlite::Result<()> {
    let cases: Vec<(String, Vec<u8>)> = {
        let mut stmt = tx.prepare("SELECT id, snapshot FROM cases")?;
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?
    };
    let mut update = tx.prepare("UPDATE cases SET summary = ?2 WHERE id = ?1")?;
    for (id, snapshot) in cases {
        // A document that does not load keeps no summary: devices read it themselves.
        let Ok(summary) = mandoob_shared::doc::CaseDoc::load(&snapshot).and_then(|mut d| {
            let (case, conflicts) = d.read_with_conflicts()?;
            let heads = d.heads().iter().map(|h| h.0).collect();
            Ok(Summary::of(&case, conflicts, heads))
        }) else {
            tracing::warn!(case = %id, "case document does not load; it has no summary");
            continue;
        };
        update.execute(params![id, mandoob_shared::sync::encode(&summary)])?;
    }
    Ok(())
}

/// Replaces the blob references of one case.
fn write_case_blobs(
    tx: &rusqlite::Transaction<'_>,
    case: &str,
    branch: &str,
    blobs: &[String],
) -> rusqlite::Result<()> {
    tx.execute("DELETE FROM case_blobs WHERE case_id = ?1", [case])?;
    let mut insert = tx.prepare_cached(
        "INSERT INTO case_blobs (sha256, case_id, branch) VALUES (?1, ?2, ?3)
         ON CONFLICT DO NOTHING",
    )?;
    for sha in blobs {
        insert.execute(params![sha, case, branch])?;
    }
    Ok(())
}

/// SQLite storage.
#[derive(Debug, Clone)]
pub struct SqliteStorage {
    conn: Arc<Mutex<Connection>>,
}

fn db(e: impl std::fmt::Display) -> StorageError {
    StorageError::Database(e.to_string())
}

fn role_of(code: &str) -> Role {
    Role::from_code(code).unwrap_or(Role::Representative)
}

impl SqliteStorage {
    /// Opens (or creates) `mandoob.sqlite` in `data_dir`.
    pub fn open(data_dir: &Path) -> Result<Self, StorageError> {
        std::fs::create_dir_all(data_dir).map_err(db)?;
        Self::setup(Connection::open(data_dir.join("mandoob.sqlite")).map_err(db)?)
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
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(db)?;
        let known = MIGRATIONS.len() as i64;
        if version > known {
            return Err(StorageError::NewerSchema {
                found: version,
                known,
            });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            let tx = conn.transaction().map_err(db)?;
            tx.execute_batch(sql).map_err(db)?;
            match i + 1 {
                3 => backfill_case_blobs(&tx).map_err(db)?,
                4 => backfill_summaries(&tx).map_err(db)?,
                _ => {}
            }
            tx.pragma_update(None, "user_version", (i + 1) as i64)
                .map_err(db)?;
            tx.commit().map_err(db)?;
        }
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

fn user_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<UserRecord> {
    Ok(UserRecord {
        id: UserId::new(r.get::<_, String>(0)?),
        display_name: r.get(1)?,
        role: role_of(&r.get::<_, String>(2)?),
        branch: BranchCode::new(r.get::<_, String>(3)?),
        password_hash: r.get(4)?,
        active: r.get(5)?,
    })
}

/// One case's changes and snapshot; returns how many changes were new.
fn store_case(
    tx: &rusqlite::Transaction<'_>,
    item: &ImportedCase,
    device: Option<&str>,
) -> rusqlite::Result<u32> {
    let id = item.case.as_str();
    tx.execute(
        "INSERT INTO cases (id, branch, snapshot, last_seq, summary) VALUES (?1, ?2, ?3, 0, ?4)
         ON CONFLICT (id) DO UPDATE SET snapshot = excluded.snapshot, summary = excluded.summary",
        params![
            id,
            item.branch.as_str(),
            item.snapshot,
            mandoob_shared::sync::encode(&item.summary)
        ],
    )?;
    let mut new = 0u32;
    let mut insert = tx.prepare_cached(
        "INSERT INTO changes (case_id, branch, hash, bytes, device) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (hash) DO NOTHING",
    )?;
    for (hash, bytes) in &item.changes {
        new += insert.execute(params![id, item.branch.as_str(), hash, bytes, device])? as u32;
    }
    tx.execute(
        "UPDATE cases SET last_seq = (SELECT coalesce(max(seq), 0) FROM changes WHERE case_id = ?1) WHERE id = ?1",
        [id],
    )?;
    write_case_blobs(tx, id, item.branch.as_str(), &item.blobs)?;
    Ok(new)
}

fn scope_sql(scope: &Scope) -> (&'static str, String) {
    match scope {
        Scope::All => ("1 = 1 OR ?1 = ''", String::new()),
        Scope::Branch(b) => ("branch = ?1", b.as_str().to_owned()),
    }
}

#[async_trait]
impl Storage for SqliteStorage {
    async fn create_branch(&self, code: &BranchCode, name: &str) -> Result<(), StorageError> {
        let (code, name) = (code.as_str().to_owned(), name.to_owned());
        self.run(move |c| {
            c.execute(
                "INSERT INTO branches (code, name) VALUES (?1, ?2)",
                params![code, name],
            )
            .map(|_| ())
        })
        .await
    }

    async fn create_user(&self, user: &UserRecord) -> Result<(), StorageError> {
        let u = user.clone();
        self.run(move |c| {
            c.execute(
                "INSERT INTO users (id, display_name, role, branch, password_hash, active)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    u.id.as_str(),
                    u.display_name,
                    u.role.code(),
                    u.branch.as_str(),
                    u.password_hash,
                    u.active
                ],
            )
            .map(|_| ())
        })
        .await
    }

    async fn user(&self, id: &UserId) -> Result<Option<UserRecord>, StorageError> {
        let id = id.as_str().to_owned();
        self.run(move |c| {
            c.query_row(
                "SELECT id, display_name, role, branch, password_hash, active FROM users WHERE id = ?1",
                [id],
                user_from_row,
            )
            .optional()
        })
        .await
    }

    async fn create_device(
        &self,
        user: &UserId,
        name: &str,
        token_hash: &[u8],
        now: i64,
    ) -> Result<DeviceCode, StorageError> {
        let (user, name, hash) = (
            user.as_str().to_owned(),
            name.to_owned(),
            token_hash.to_vec(),
        );
        self.run(move |c| {
            let tx = c.transaction()?;
            let n: i64 = tx.query_row("SELECT count(*) FROM devices", [], |r| r.get(0))?;
            // Short codes (D1, D2…) keep case references readable: QRN-D7-00042.
            let code = format!("D{}", n + 1);
            tx.execute(
                "INSERT INTO devices (code, user_id, name, token_hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![code, user, name, hash, now],
            )?;
            tx.commit()?;
            Ok(DeviceCode::new(code))
        })
        .await
    }

    async fn session(&self, token_hash: &[u8]) -> Result<Option<AuthSession>, StorageError> {
        let hash = token_hash.to_vec();
        self.run(move |c| {
            c.query_row(
                "SELECT u.id, u.display_name, u.role, u.branch, u.password_hash, u.active, d.code
                 FROM devices d JOIN users u ON u.id = d.user_id
                 WHERE d.token_hash = ?1 AND d.revoked = 0 AND u.active = 1",
                [hash],
                |r| {
                    Ok(AuthSession {
                        user: user_from_row(r)?,
                        device: DeviceCode::new(r.get::<_, String>(6)?),
                    })
                },
            )
            .optional()
        })
        .await
    }

    async fn revoke_device(&self, device: &DeviceCode) -> Result<bool, StorageError> {
        let code = device.as_str().to_owned();
        self.run(move |c| {
            c.execute("UPDATE devices SET revoked = 1 WHERE code = ?1", [code])
                .map(|n| n > 0)
        })
        .await
    }

    async fn devices(&self) -> Result<Vec<DeviceRecord>, StorageError> {
        self.run(|c| {
            let mut stmt = c.prepare(
                "SELECT code, user_id, name, created_at, last_sync, revoked FROM devices ORDER BY created_at",
            )?;
            stmt.query_map([], |r| {
                Ok(DeviceRecord {
                    code: DeviceCode::new(r.get::<_, String>(0)?),
                    user: UserId::new(r.get::<_, String>(1)?),
                    name: r.get(2)?,
                    created_at: r.get(3)?,
                    last_sync: r.get(4)?,
                    revoked: r.get(5)?,
                })
            })?
            .collect()
        })
        .await
    }

    async fn touch_device(&self, device: &DeviceCode, now: i64) -> Result<(), StorageError> {
        let code = device.as_str().to_owned();
        self.run(move |c| {
            c.execute(
                "UPDATE devices SET last_sync = ?2 WHERE code = ?1",
                params![code, now],
            )
            .map(|_| ())
        })
        .await
    }

    async fn case(&self, case: &CaseId) -> Result<Option<StoredCase>, StorageError> {
        let id = case.as_str().to_owned();
        self.run(move |c| {
            c.query_row(
                "SELECT branch, snapshot FROM cases WHERE id = ?1",
                [id],
                |r| {
                    Ok(StoredCase {
                        branch: BranchCode::new(r.get::<_, String>(0)?),
                        snapshot: r.get(1)?,
                    })
                },
            )
            .optional()
        })
        .await
    }

    async fn store_changes(
        &self,
        item: ImportedCase,
        device: Option<&DeviceCode>,
    ) -> Result<u32, StorageError> {
        let device = device.map(|d| d.as_str().to_owned());
        self.run(move |c| {
            let tx = c.transaction()?;
            let new = store_case(&tx, &item, device.as_deref())?;
            tx.commit()?;
            Ok(new)
        })
        .await
    }

    async fn import_cases(&self, cases: Vec<ImportedCase>) -> Result<(), StorageError> {
        self.run(move |c| {
            let tx = c.transaction()?;
            for item in &cases {
                store_case(&tx, item, None)?;
            }
            tx.commit()
        })
        .await
    }

    async fn changes_after(
        &self,
        scope: &Scope,
        cursor: u64,
        limit: u32,
    ) -> Result<Vec<FeedChange>, StorageError> {
        let (filter, arg) = scope_sql(scope);
        let sql = format!(
            "SELECT seq, case_id, bytes, device FROM changes WHERE ({filter}) AND seq > ?2 ORDER BY seq LIMIT ?3"
        );
        self.run(move |c| {
            let mut stmt = c.prepare_cached(&sql)?;
            stmt.query_map(params![arg, cursor as i64, limit], |r| {
                Ok(FeedChange {
                    seq: r.get::<_, i64>(0)? as u64,
                    case: CaseId::new(r.get::<_, String>(1)?),
                    bytes: r.get(2)?,
                    device: r.get::<_, Option<String>>(3)?.map(DeviceCode::new),
                })
            })?
            .collect()
        })
        .await
    }

    async fn whole_documents(
        &self,
        scope: &Scope,
        after: Option<&CaseId>,
        limit: u32,
    ) -> Result<(Vec<WholeDocument>, u64), StorageError> {
        let (filter, arg) = scope_sql(scope);
        let after = after.map(|a| a.as_str().to_owned()).unwrap_or_default();
        let sql = format!(
            "SELECT id, snapshot, summary FROM cases WHERE ({filter}) AND id > ?2 ORDER BY id LIMIT ?3"
        );
        self.run(move |c| {
            // One read transaction: the documents and the sequence they include agree.
            let tx = c.transaction()?;
            let head: i64 = tx.query_row("SELECT coalesce(max(seq), 0) FROM changes", [], |r| {
                r.get(0)
            })?;
            let docs = {
                let mut stmt = tx.prepare_cached(&sql)?;
                stmt.query_map(params![arg, after, limit], |r| {
                    Ok(WholeDocument {
                        case: CaseId::new(r.get::<_, String>(0)?),
                        snapshot: r.get(1)?,
                        // An unreadable summary is as if there were none: the device reads
                        // the document.
                        summary: r
                            .get::<_, Option<Vec<u8>>>(2)?
                            .and_then(|b| mandoob_shared::sync::decode(&b).ok()),
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?
            };
            tx.commit()?;
            Ok((docs, head as u64))
        })
        .await
    }

    async fn head_sequence(&self) -> Result<u64, StorageError> {
        self.run(|c| {
            c.query_row("SELECT coalesce(max(seq), 0) FROM changes", [], |r| {
                r.get::<_, i64>(0)
            })
            .map(|v| v as u64)
        })
        .await
    }

    async fn blob_state(&self, sha256: &str) -> Result<BlobState, StorageError> {
        let sha = sha256.to_owned();
        self.run(move |c| {
            if let Some(len) = c
                .query_row(
                    "SELECT length(bytes) FROM blobs WHERE sha256 = ?1",
                    [&sha],
                    |r| r.get::<_, i64>(0),
                )
                .optional()?
            {
                return Ok(BlobState::Complete(len as u64));
            }
            let partial: i64 = c.query_row(
                "SELECT coalesce(sum(length(bytes)), 0) FROM blob_parts WHERE sha256 = ?1",
                [&sha],
                |r| r.get(0),
            )?;
            Ok(if partial > 0 {
                BlobState::Partial(partial as u64)
            } else {
                BlobState::Missing
            })
        })
        .await
    }

    async fn append_blob(
        &self,
        sha256: &str,
        offset: u64,
        bytes: &[u8],
    ) -> Result<u64, StorageError> {
        let (sha, bytes) = (sha256.to_owned(), bytes.to_vec());
        self.run(move |c| {
            let tx = c.transaction()?;
            let have: i64 = tx.query_row(
                "SELECT coalesce(sum(length(bytes)), 0) FROM blob_parts WHERE sha256 = ?1",
                [&sha],
                |r| r.get(0),
            )?;
            if have as u64 != offset {
                return Err(rusqlite::Error::SqliteFailure(
                    rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CONSTRAINT),
                    Some(format!("upload is at byte {have}, not {offset}")),
                ));
            }
            tx.execute(
                "INSERT INTO blob_parts (sha256, offset, bytes) VALUES (?1, ?2, ?3)",
                params![sha, offset as i64, bytes],
            )?;
            tx.commit()?;
            Ok(have as u64 + bytes.len() as u64)
        })
        .await
    }

    async fn partial_blob(&self, sha256: &str) -> Result<Vec<u8>, StorageError> {
        let sha = sha256.to_owned();
        self.run(move |c| {
            let mut all = Vec::new();
            let mut stmt =
                c.prepare("SELECT bytes FROM blob_parts WHERE sha256 = ?1 ORDER BY offset")?;
            for part in stmt.query_map([&sha], |r| r.get::<_, Vec<u8>>(0))? {
                all.extend(part?);
            }
            Ok(all)
        })
        .await
    }

    async fn complete_blob(&self, sha256: &str) -> Result<(), StorageError> {
        let sha = sha256.to_owned();
        self.run(move |c| {
            let tx = c.transaction()?;
            let mut all = Vec::new();
            {
                let mut stmt =
                    tx.prepare("SELECT bytes FROM blob_parts WHERE sha256 = ?1 ORDER BY offset")?;
                for part in stmt.query_map([&sha], |r| r.get::<_, Vec<u8>>(0))? {
                    all.extend(part?);
                }
            }
            tx.execute(
                "INSERT INTO blobs (sha256, bytes) VALUES (?1, ?2) ON CONFLICT (sha256) DO NOTHING",
                params![sha, all],
            )?;
            tx.execute("DELETE FROM blob_parts WHERE sha256 = ?1", [&sha])?;
            tx.commit()
        })
        .await
    }

    async fn discard_blob(&self, sha256: &str) -> Result<(), StorageError> {
        let sha = sha256.to_owned();
        self.run(move |c| {
            c.execute("DELETE FROM blob_parts WHERE sha256 = ?1", [sha])
                .map(|_| ())
        })
        .await
    }

    async fn blob(&self, sha256: &str) -> Result<Option<Vec<u8>>, StorageError> {
        let sha = sha256.to_owned();
        self.run(move |c| {
            c.query_row("SELECT bytes FROM blobs WHERE sha256 = ?1", [sha], |r| {
                r.get(0)
            })
            .optional()
        })
        .await
    }

    async fn blob_in_scope(&self, sha256: &str, scope: &Scope) -> Result<bool, StorageError> {
        let (filter, arg) = scope_sql(scope);
        let sql =
            format!("SELECT EXISTS (SELECT 1 FROM case_blobs WHERE sha256 = ?2 AND ({filter}))");
        let sha = sha256.to_owned();
        self.run(move |c| c.query_row(&sql, params![arg, sha], |r| r.get(0)))
            .await
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
        let good = docs.iter().find(|d| d.case == case.id).unwrap();
        let summary = good.summary.as_ref().expect("summary backfilled");
        assert_eq!(*summary, Summary::of(&case, false, heads.clone()));
        assert!(summary.describes(&heads));
        let bad = docs.iter().find(|d| d.case.as_str() == "bad").unwrap();
        assert_eq!(bad.summary, None);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
