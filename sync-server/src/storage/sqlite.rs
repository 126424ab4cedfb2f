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
    // 5: the console: report rows (`crate::report`, filled for existing cases by
    // `backfill_reports`), console sessions, the audit log, settings.
    "
    CREATE TABLE report_requests (
        case_id TEXT NOT NULL REFERENCES cases(id),
        request_id TEXT NOT NULL,
        branch TEXT NOT NULL,
        reference TEXT NOT NULL,
        head_name_ar TEXT NOT NULL,
        head_name_en TEXT NOT NULL,
        kind TEXT NOT NULL,
        amount INTEGER,
        status TEXT NOT NULL,
        submitted_at INTEGER,
        clock_started_at INTEGER,
        decided_at INTEGER,
        accepted INTEGER,
        decision_reason TEXT NOT NULL,
        open_referrals INTEGER NOT NULL,
        PRIMARY KEY (case_id, request_id)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX report_requests_by_status ON report_requests(status, clock_started_at);
    CREATE TABLE report_surveys (
        case_id TEXT NOT NULL REFERENCES cases(id),
        survey_id TEXT NOT NULL,
        branch TEXT NOT NULL,
        at INTEGER NOT NULL,
        reception INTEGER,
        time_and_answers INTEGER,
        clarity INTEGER,
        speed INTEGER,
        overall INTEGER,
        comment TEXT NOT NULL,
        PRIMARY KEY (case_id, survey_id)
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE report_contacts (
        case_id TEXT NOT NULL REFERENCES cases(id),
        contact_id TEXT NOT NULL,
        branch TEXT NOT NULL,
        channel TEXT NOT NULL,
        at INTEGER NOT NULL,
        PRIMARY KEY (case_id, contact_id)
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE report_services (
        case_id TEXT NOT NULL REFERENCES cases(id),
        service_id TEXT NOT NULL,
        branch TEXT NOT NULL,
        reference TEXT NOT NULL,
        request_id TEXT,
        kind TEXT NOT NULL,
        description TEXT NOT NULL,
        value INTEGER NOT NULL,
        delivered_at INTEGER NOT NULL,
        PRIMARY KEY (case_id, service_id)
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE console_sessions (
        token_hash BLOB PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users(id),
        csrf TEXT NOT NULL,
        expires_at INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at INTEGER NOT NULL,
        user_id TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT NOT NULL,
        detail TEXT NOT NULL
    ) STRICT;
    CREATE TABLE server_settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    ) STRICT;
    ",
    // 6: reference documents published to devices.
    "
    CREATE TABLE library_documents (
        id TEXT PRIMARY KEY,
        title_ar TEXT NOT NULL,
        title_en TEXT NOT NULL,
        body_ar TEXT NOT NULL,
        body_en TEXT NOT NULL,
        published_at INTEGER NOT NULL,
        retired INTEGER NOT NULL DEFAULT 0
    ) STRICT;
    ",
    // 7: the sync boundary trusts no device (issue 13). Which account each automerge actor
    // writes for (filled from the stored changes by `backfill_actors`); partial uploads per
    // device, with their announced length and start (quotas and expiry; uploads in progress
    // before this migration start again); who uploaded each complete blob.
    "
    CREATE TABLE actors (
        actor TEXT PRIMARY KEY,
        user_id TEXT NOT NULL
    ) STRICT, WITHOUT ROWID;
    DROP TABLE blob_parts;
    CREATE TABLE blob_parts (
        sha256 TEXT NOT NULL,
        device TEXT NOT NULL,
        offset INTEGER NOT NULL,
        bytes BLOB NOT NULL,
        PRIMARY KEY (sha256, device, offset)
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE blob_uploads (
        sha256 TEXT NOT NULL,
        device TEXT NOT NULL,
        length INTEGER NOT NULL,
        started_at INTEGER NOT NULL,
        PRIMARY KEY (sha256, device)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX blob_uploads_by_device ON blob_uploads(device);
    CREATE INDEX blob_uploads_by_start ON blob_uploads(started_at);
    CREATE TABLE blob_owners (
        sha256 TEXT NOT NULL,
        device TEXT NOT NULL,
        user_id TEXT NOT NULL,
        PRIMARY KEY (sha256, device)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX blob_owners_by_user ON blob_owners(user_id, sha256);
    ",
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

/// Migration 7 adds `actors`: each actor of a stored change is bound to the account its first
/// change names (its message), so nobody can write later as that replica. A change without a
/// message binds its actor to nobody (an empty id no account has).
fn backfill_actors(tx: &rusqlite::Transaction<'_>) -> rusqlite::Result<()> {
    let mut insert =
        tx.prepare("INSERT INTO actors (actor, user_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING")?;
    let mut stmt = tx.prepare("SELECT bytes FROM changes ORDER BY seq")?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let bytes: Vec<u8> = row.get(0)?;
        if let Ok(change) = automerge::Change::try_from(bytes.as_slice()) {
            let author = change.message().unwrap_or_default().to_owned();
            insert.execute(params![change.actor_id().to_hex_string(), author])?;
        }
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

/// Migration 5 adds the report rows; those of cases stored before it are read from their
/// documents once.
fn backfill_reports(tx: &rusqlite::Transaction<'_>) -> rusqlite::Result<()> {
    let cases: Vec<(String, Vec<u8>)> = {
        let mut stmt = tx.prepare("SELECT id, snapshot FROM cases")?;
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?
    };
    for (id, snapshot) in cases {
        let Ok(case) = mandoob_shared::doc::CaseDoc::load(&snapshot)
            .and_then(|d| d.read_with_conflicts())
            .map(|(c, _)| c)
        else {
            tracing::warn!(case = %id, "case document does not load; it has no report rows");
            continue;
        };
        write_report(tx, &id, &CaseReport::of(&case))?;
    }
    Ok(())
}

/// Replaces the report rows of one case.
fn write_report(
    tx: &rusqlite::Transaction<'_>,
    case: &str,
    report: &CaseReport,
) -> rusqlite::Result<()> {
    for table in [
        "report_requests",
        "report_surveys",
        "report_contacts",
        "report_services",
    ] {
        tx.prepare_cached(&format!("DELETE FROM {table} WHERE case_id = ?1"))?
            .execute([case])?;
    }
    let mut insert = tx.prepare_cached(
        "INSERT INTO report_requests (case_id, request_id, branch, reference, head_name_ar,
            head_name_en, kind, amount, status, submitted_at, clock_started_at, decided_at,
            accepted, decision_reason, open_referrals)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
         ON CONFLICT DO NOTHING",
    )?;
    for r in &report.requests {
        insert.execute(params![
            case,
            r.request_id,
            r.branch,
            r.reference,
            r.head_name_ar,
            r.head_name_en,
            r.kind,
            r.amount,
            r.status,
            r.submitted_at,
            r.clock_started_at,
            r.decided_at,
            r.accepted,
            r.decision_reason,
            r.open_referrals
        ])?;
    }
    let mut insert = tx.prepare_cached(
        "INSERT INTO report_surveys (case_id, survey_id, branch, at, reception, time_and_answers,
            clarity, speed, overall, comment)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT DO NOTHING",
    )?;
    for s in &report.surveys {
        insert.execute(params![
            case,
            s.survey_id,
            s.branch,
            s.at,
            s.reception,
            s.time_and_answers,
            s.clarity,
            s.speed,
            s.overall,
            s.comment
        ])?;
    }
    let mut insert = tx.prepare_cached(
        "INSERT INTO report_contacts (case_id, contact_id, branch, channel, at)
         VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
    )?;
    for c in &report.contacts {
        insert.execute(params![case, c.contact_id, c.branch, c.channel, c.at])?;
    }
    let mut insert = tx.prepare_cached(
        "INSERT INTO report_services (case_id, service_id, branch, reference, request_id, kind,
            description, value, delivered_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT DO NOTHING",
    )?;
    for s in &report.services {
        insert.execute(params![
            case,
            s.service_id,
            s.branch,
            s.reference,
            s.request_id,
            s.kind,
            s.description,
            s.value,
            s.delivered_at
        ])?;
    }
    Ok(())
}

fn request_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RequestRow> {
    Ok(RequestRow {
        case_id: r.get(0)?,
        request_id: r.get(1)?,
        branch: r.get(2)?,
        reference: r.get(3)?,
        head_name_ar: r.get(4)?,
        head_name_en: r.get(5)?,
        kind: r.get(6)?,
        amount: r.get(7)?,
        status: r.get(8)?,
        submitted_at: r.get(9)?,
        clock_started_at: r.get(10)?,
        decided_at: r.get(11)?,
        accepted: r.get(12)?,
        decision_reason: r.get(13)?,
        open_referrals: r.get(14)?,
    })
}

const REQUEST_COLUMNS: &str = "case_id, request_id, branch, reference, head_name_ar, head_name_en,
    kind, amount, status, submitted_at, clock_started_at, decided_at, accepted, decision_reason,
    open_referrals";

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

/// The length of a complete blob that `viewer` may read: a case in its scope refers to it, or
/// its device or account uploaded it.
fn visible_length(c: &Connection, sha: &str, viewer: &BlobViewer) -> rusqlite::Result<Option<u64>> {
    let (filter, arg) = scope_sql(&viewer.scope);
    let sql = format!(
        "SELECT length(b.bytes) FROM blobs b WHERE b.sha256 = ?2 AND (
            EXISTS (SELECT 1 FROM case_blobs WHERE sha256 = ?2 AND ({filter}))
            OR EXISTS (SELECT 1 FROM blob_owners WHERE sha256 = ?2 AND (device = ?3 OR user_id = ?4)))"
    );
    c.prepare_cached(&sql)?
        .query_row(
            params![arg, sha, viewer.device.as_str(), viewer.user.as_str()],
            |r| r.get::<_, i64>(0),
        )
        .optional()
        .map(|n| n.map(|n| n as u64))
}

/// The bytes of a device's partial upload, in order.
fn read_parts(c: &Connection, sha: &str, device: &str) -> rusqlite::Result<Vec<u8>> {
    let mut all = Vec::new();
    let mut stmt = c.prepare_cached(
        "SELECT bytes FROM blob_parts WHERE sha256 = ?1 AND device = ?2 ORDER BY offset",
    )?;
    for part in stmt.query_map(params![sha, device], |r| r.get::<_, Vec<u8>>(0))? {
        all.extend(part?);
    }
    Ok(all)
}

/// A refused write, reported as a conflict (the caller's state disagrees with the server's).
fn refusal(message: String) -> rusqlite::Error {
    rusqlite::Error::SqliteFailure(
        rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CONSTRAINT),
        Some(message),
    )
}

const QUOTA_PREFIX: &str = "quota: ";

#[derive(Debug)]
struct QuotaExceeded(String);

impl std::fmt::Display for QuotaExceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{QUOTA_PREFIX}{}", self.0)
    }
}

impl std::error::Error for QuotaExceeded {}

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
                5 => backfill_reports(&tx).map_err(db)?,
                7 => backfill_actors(&tx).map_err(db)?,
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
    write_report(tx, id, &item.report)?;
    if let Some((user, actors)) = &item.authors {
        let mut bind = tx.prepare_cached(
            "INSERT INTO actors (actor, user_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
        )?;
        let mut owner = tx.prepare_cached("SELECT user_id FROM actors WHERE actor = ?1")?;
        for actor in actors {
            bind.execute(params![actor, user.as_str()])?;
            let bound: String = owner.query_row([actor], |r| r.get(0))?;
            if bound != user.as_str() {
                // Bound meanwhile to another account by a concurrent push: nothing is stored.
                return Err(refusal(format!(
                    "replica {actor} writes for another account; sync again"
                )));
            }
        }
    }
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
                "SELECT u.id, u.display_name, u.role, u.branch, u.password_hash, u.active, d.code, d.created_at
                 FROM devices d JOIN users u ON u.id = d.user_id
                 WHERE d.token_hash = ?1 AND d.revoked = 0 AND u.active = 1",
                [hash],
                |r| {
                    Ok(AuthSession {
                        user: user_from_row(r)?,
                        device: DeviceCode::new(r.get::<_, String>(6)?),
                        enrolled_at: r.get(7)?,
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

    async fn actor_owners(&self, actors: &[String]) -> Result<Vec<(String, UserId)>, StorageError> {
        let actors = actors.to_vec();
        self.run(move |c| {
            let mut select = c.prepare_cached("SELECT user_id FROM actors WHERE actor = ?1")?;
            let mut owners = Vec::new();
            for actor in actors {
                if let Some(owner) = select
                    .query_row([&actor], |r| r.get::<_, String>(0))
                    .optional()?
                {
                    owners.push((actor, UserId::new(owner)));
                }
            }
            Ok(owners)
        })
        .await
    }

    async fn blob_state(
        &self,
        sha256: &str,
        viewer: &BlobViewer,
    ) -> Result<BlobState, StorageError> {
        let sha = sha256.to_owned();
        let viewer = viewer.clone();
        self.run(move |c| {
            if let Some(len) = visible_length(c, &sha, &viewer)? {
                return Ok(BlobState::Complete(len));
            }
            let partial: i64 = c.query_row(
                "SELECT coalesce(sum(length(bytes)), 0) FROM blob_parts WHERE sha256 = ?1 AND device = ?2",
                params![sha, viewer.device.as_str()],
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

    async fn blob_access(
        &self,
        sha256: &str,
        viewer: &BlobViewer,
    ) -> Result<BlobAccess, StorageError> {
        let sha = sha256.to_owned();
        let viewer = viewer.clone();
        self.run(move |c| {
            let exists: bool = c.query_row(
                "SELECT EXISTS (SELECT 1 FROM blobs WHERE sha256 = ?1)",
                [&sha],
                |r| r.get(0),
            )?;
            Ok(if !exists {
                BlobAccess::Missing
            } else if visible_length(c, &sha, &viewer)?.is_some() {
                BlobAccess::Visible
            } else {
                BlobAccess::Hidden
            })
        })
        .await
    }

    async fn append_blob(&self, part: UploadPart<'_>) -> Result<u64, StorageError> {
        let (sha, device, bytes) = (
            part.sha256.to_owned(),
            part.device.as_str().to_owned(),
            part.bytes.to_vec(),
        );
        let (offset, total, now, quota) = (part.offset, part.total, part.now, part.quota);
        self.run(move |c| {
            let tx = c.transaction()?;
            let announced: Option<i64> = tx
                .query_row(
                    "SELECT length FROM blob_uploads WHERE sha256 = ?1 AND device = ?2",
                    params![sha, device],
                    |r| r.get(0),
                )
                .optional()?;
            match announced {
                Some(len) if len as u64 != total => {
                    return Err(refusal(format!(
                        "this upload was started with Upload-Length {len}, not {total}"
                    )));
                }
                Some(_) => {}
                None => {
                    let pending: i64 = tx.query_row(
                        "SELECT coalesce(sum(length), 0) FROM blob_uploads WHERE device = ?1",
                        [&device],
                        |r| r.get(0),
                    )?;
                    if pending as u64 + total > quota {
                        return Err(rusqlite::Error::ToSqlConversionFailure(Box::new(
                            QuotaExceeded(format!(
                                "this device has {pending} bytes of unfinished uploads; finish them or wait for them to expire (at most {quota} at once)"
                            )),
                        )));
                    }
                    tx.execute(
                        "INSERT INTO blob_uploads (sha256, device, length, started_at) VALUES (?1, ?2, ?3, ?4)",
                        params![sha, device, total as i64, now],
                    )?;
                }
            }
            let have: i64 = tx.query_row(
                "SELECT coalesce(sum(length(bytes)), 0) FROM blob_parts WHERE sha256 = ?1 AND device = ?2",
                params![sha, device],
                |r| r.get(0),
            )?;
            if have as u64 != offset {
                return Err(refusal(format!("upload is at byte {have}, not {offset}")));
            }
            tx.execute(
                "INSERT INTO blob_parts (sha256, device, offset, bytes) VALUES (?1, ?2, ?3, ?4)",
                params![sha, device, offset as i64, bytes],
            )?;
            tx.commit()?;
            Ok(have as u64 + bytes.len() as u64)
        })
        .await
        .map_err(|e| match e {
            StorageError::Database(m) if m.starts_with(QUOTA_PREFIX) => {
                StorageError::Quota(m[QUOTA_PREFIX.len()..].to_owned())
            }
            other => other,
        })
    }

    async fn partial_blob(
        &self,
        sha256: &str,
        device: &DeviceCode,
    ) -> Result<Vec<u8>, StorageError> {
        let (sha, device) = (sha256.to_owned(), device.as_str().to_owned());
        self.run(move |c| read_parts(c, &sha, &device)).await
    }

    async fn complete_blob(
        &self,
        sha256: &str,
        device: &DeviceCode,
        user: &UserId,
    ) -> Result<(), StorageError> {
        let (sha, device, user) = (
            sha256.to_owned(),
            device.as_str().to_owned(),
            user.as_str().to_owned(),
        );
        self.run(move |c| {
            let tx = c.transaction()?;
            let all = read_parts(&tx, &sha, &device)?;
            tx.execute(
                "INSERT INTO blobs (sha256, bytes) VALUES (?1, ?2) ON CONFLICT (sha256) DO NOTHING",
                params![sha, all],
            )?;
            tx.execute(
                "INSERT INTO blob_owners (sha256, device, user_id) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
                params![sha, device, user],
            )?;
            tx.execute(
                "DELETE FROM blob_parts WHERE sha256 = ?1 AND device = ?2",
                params![sha, device],
            )?;
            tx.execute(
                "DELETE FROM blob_uploads WHERE sha256 = ?1 AND device = ?2",
                params![sha, device],
            )?;
            tx.commit()
        })
        .await
    }

    async fn discard_blob(&self, sha256: &str, device: &DeviceCode) -> Result<(), StorageError> {
        let (sha, device) = (sha256.to_owned(), device.as_str().to_owned());
        self.run(move |c| {
            let tx = c.transaction()?;
            tx.execute(
                "DELETE FROM blob_parts WHERE sha256 = ?1 AND device = ?2",
                params![sha, device],
            )?;
            tx.execute(
                "DELETE FROM blob_uploads WHERE sha256 = ?1 AND device = ?2",
                params![sha, device],
            )?;
            tx.commit()
        })
        .await
    }

    async fn expire_uploads(&self, before: i64) -> Result<u64, StorageError> {
        self.run(move |c| {
            let tx = c.transaction()?;
            tx.execute(
                "DELETE FROM blob_parts WHERE (sha256, device) IN
                   (SELECT sha256, device FROM blob_uploads WHERE started_at < ?1)",
                [before],
            )?;
            let n = tx.execute("DELETE FROM blob_uploads WHERE started_at < ?1", [before])?;
            tx.commit()?;
            Ok(n as u64)
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

    async fn requests(
        &self,
        scope: &Scope,
        filter: &RequestFilter,
        limit: u32,
    ) -> Result<Vec<RequestRow>, StorageError> {
        let (scope_filter, arg) = scope_sql(scope);
        let f = filter.clone();
        let sql = format!(
            "SELECT {REQUEST_COLUMNS} FROM report_requests
             WHERE ({scope_filter})
               AND (?2 IS NULL OR branch = ?2)
               AND (?3 IS NULL OR kind = ?3)
               AND (?4 IS NULL OR status = ?4)
               AND (?5 = 0 OR open_referrals > 0)
             ORDER BY status <> 'awaiting-decision',
                      CASE WHEN status = 'awaiting-decision' THEN clock_started_at END,
                      coalesce(decided_at, submitted_at, 0) DESC, reference
             LIMIT ?6"
        );
        self.run(move |c| {
            let mut stmt = c.prepare_cached(&sql)?;
            stmt.query_map(
                params![arg, f.branch, f.kind, f.status, f.referred, limit],
                request_from_row,
            )?
            .collect()
        })
        .await
    }

    async fn report_rows(&self, scope: &Scope) -> Result<ReportRows, StorageError> {
        let (filter, arg) = scope_sql(scope);
        self.run(move |c| {
            let tx = c.transaction()?;
            let requests = tx
                .prepare(&format!(
                    "SELECT {REQUEST_COLUMNS} FROM report_requests WHERE ({filter}) ORDER BY reference, request_id"
                ))?
                .query_map([&arg], request_from_row)?
                .collect::<Result<_, _>>()?;
            let surveys = tx
                .prepare(&format!(
                    "SELECT case_id, survey_id, branch, at, reception, time_and_answers, clarity,
                        speed, overall, comment FROM report_surveys WHERE ({filter}) ORDER BY at"
                ))?
                .query_map([&arg], |r| {
                    Ok(SurveyRow {
                        case_id: r.get(0)?,
                        survey_id: r.get(1)?,
                        branch: r.get(2)?,
                        at: r.get(3)?,
                        reception: r.get(4)?,
                        time_and_answers: r.get(5)?,
                        clarity: r.get(6)?,
                        speed: r.get(7)?,
                        overall: r.get(8)?,
                        comment: r.get(9)?,
                    })
                })?
                .collect::<Result<_, _>>()?;
            let contacts = tx
                .prepare(&format!(
                    "SELECT case_id, contact_id, branch, channel, at FROM report_contacts
                     WHERE ({filter}) ORDER BY at"
                ))?
                .query_map([&arg], |r| {
                    Ok(ContactRow {
                        case_id: r.get(0)?,
                        contact_id: r.get(1)?,
                        branch: r.get(2)?,
                        channel: r.get(3)?,
                        at: r.get(4)?,
                    })
                })?
                .collect::<Result<_, _>>()?;
            let services = tx
                .prepare(&format!(
                    "SELECT case_id, service_id, branch, reference, request_id, kind, description,
                        value, delivered_at FROM report_services WHERE ({filter}) ORDER BY delivered_at"
                ))?
                .query_map([&arg], |r| {
                    Ok(ServiceRow {
                        case_id: r.get(0)?,
                        service_id: r.get(1)?,
                        branch: r.get(2)?,
                        reference: r.get(3)?,
                        request_id: r.get(4)?,
                        kind: r.get(5)?,
                        description: r.get(6)?,
                        value: r.get(7)?,
                        delivered_at: r.get(8)?,
                    })
                })?
                .collect::<Result<_, _>>()?;
            tx.commit()?;
            Ok(ReportRows {
                requests,
                surveys,
                contacts,
                services,
            })
        })
        .await
    }

    async fn users(&self) -> Result<Vec<UserRecord>, StorageError> {
        self.run(|c| {
            c.prepare(
                "SELECT id, display_name, role, branch, password_hash, active FROM users ORDER BY id",
            )?
            .query_map([], user_from_row)?
            .collect()
        })
        .await
    }

    async fn branches(&self) -> Result<Vec<(BranchCode, String)>, StorageError> {
        self.run(|c| {
            c.prepare("SELECT code, name FROM branches ORDER BY code")?
                .query_map([], |r| {
                    Ok((BranchCode::new(r.get::<_, String>(0)?), r.get(1)?))
                })?
                .collect()
        })
        .await
    }

    async fn set_user_active(&self, user: &UserId, active: bool) -> Result<bool, StorageError> {
        let id = user.as_str().to_owned();
        self.run(move |c| {
            let tx = c.transaction()?;
            let n = tx.execute(
                "UPDATE users SET active = ?2 WHERE id = ?1",
                params![id, active],
            )?;
            if !active {
                // A deactivated user's console sessions end now.
                tx.execute("DELETE FROM console_sessions WHERE user_id = ?1", [&id])?;
            }
            tx.commit()?;
            Ok(n > 0)
        })
        .await
    }

    async fn create_console_session(
        &self,
        token_hash: &[u8],
        user: &UserId,
        csrf: &str,
        expires_at: i64,
    ) -> Result<(), StorageError> {
        let (hash, user, csrf) = (
            token_hash.to_vec(),
            user.as_str().to_owned(),
            csrf.to_owned(),
        );
        self.run(move |c| {
            c.execute(
                "INSERT INTO console_sessions (token_hash, user_id, csrf, expires_at) VALUES (?1, ?2, ?3, ?4)",
                params![hash, user, csrf, expires_at],
            )
            .map(|_| ())
        })
        .await
    }

    async fn console_session(
        &self,
        token_hash: &[u8],
        now: i64,
    ) -> Result<Option<ConsoleSession>, StorageError> {
        let hash = token_hash.to_vec();
        self.run(move |c| {
            c.query_row(
                "SELECT u.id, u.display_name, u.role, u.branch, u.password_hash, u.active,
                        s.csrf, s.expires_at
                 FROM console_sessions s JOIN users u ON u.id = s.user_id
                 WHERE s.token_hash = ?1 AND s.expires_at > ?2 AND u.active = 1",
                params![hash, now],
                |r| {
                    Ok(ConsoleSession {
                        user: user_from_row(r)?,
                        csrf: r.get(6)?,
                        expires_at: r.get(7)?,
                    })
                },
            )
            .optional()
        })
        .await
    }

    async fn delete_console_session(&self, token_hash: &[u8]) -> Result<(), StorageError> {
        let hash = token_hash.to_vec();
        self.run(move |c| {
            c.execute("DELETE FROM console_sessions WHERE token_hash = ?1", [hash])
                .map(|_| ())
        })
        .await
    }

    async fn audit(&self, entry: &AuditEntry) -> Result<(), StorageError> {
        let e = entry.clone();
        self.run(move |c| {
            c.execute(
                "INSERT INTO audit_log (at, user_id, action, target, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![e.at, e.user.as_str(), e.action, e.target, e.detail],
            )
            .map(|_| ())
        })
        .await
    }

    async fn audit_log(&self, limit: u32) -> Result<Vec<AuditEntry>, StorageError> {
        self.run(move |c| {
            c.prepare("SELECT at, user_id, action, target, detail FROM audit_log ORDER BY id DESC LIMIT ?1")?
                .query_map([limit], |r| {
                    Ok(AuditEntry {
                        at: r.get(0)?,
                        user: UserId::new(r.get::<_, String>(1)?),
                        action: r.get(2)?,
                        target: r.get(3)?,
                        detail: r.get(4)?,
                    })
                })?
                .collect()
        })
        .await
    }

    async fn publish_document(&self, doc: &LibraryDocument) -> Result<(), StorageError> {
        let d = doc.clone();
        self.run(move |c| {
            c.execute(
                "INSERT INTO library_documents (id, title_ar, title_en, body_ar, body_en, published_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (id) DO UPDATE SET title_ar = excluded.title_ar,
                    title_en = excluded.title_en, body_ar = excluded.body_ar,
                    body_en = excluded.body_en, published_at = excluded.published_at, retired = 0",
                params![d.id, d.title_ar, d.title_en, d.body_ar, d.body_en, d.published_at],
            )
            .map(|_| ())
        })
        .await
    }

    async fn retire_document(&self, id: &str) -> Result<bool, StorageError> {
        let id = id.to_owned();
        self.run(move |c| {
            c.execute(
                "UPDATE library_documents SET retired = 1 WHERE id = ?1 AND retired = 0",
                [id],
            )
            .map(|n| n > 0)
        })
        .await
    }

    async fn library(&self) -> Result<Vec<LibraryDocument>, StorageError> {
        self.run(|c| {
            c.prepare(
                "SELECT id, title_ar, title_en, body_ar, body_en, published_at FROM library_documents
                 WHERE retired = 0 ORDER BY published_at, id",
            )?
            .query_map([], |r| {
                Ok(LibraryDocument {
                    id: r.get(0)?,
                    title_ar: r.get(1)?,
                    title_en: r.get(2)?,
                    body_ar: r.get(3)?,
                    body_en: r.get(4)?,
                    published_at: r.get(5)?,
                })
            })?
            .collect()
        })
        .await
    }

    async fn setting(&self, key: &str) -> Result<Option<String>, StorageError> {
        let key = key.to_owned();
        self.run(move |c| {
            c.query_row(
                "SELECT value FROM server_settings WHERE key = ?1",
                [key],
                |r| r.get(0),
            )
            .optional()
        })
        .await
    }

    async fn set_setting(&self, key: &str, value: &str) -> Result<(), StorageError> {
        let (key, value) = (key.to_owned(), value.to_owned());
        self.run(move |c| {
            c.execute(
                "INSERT INTO server_settings (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )
            .map(|_| ())
        })
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
