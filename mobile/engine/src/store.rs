//! The device's SQLite store: case documents, the case index for lists and search, blobs
//! (photos), sync metadata and settings.
//!
//! - Each case document is a compacted snapshot plus the changes made since, one row per
//!   automerge change. A user action appends its change in one transaction with the index
//!   update; when the tail grows past [`COMPACT_AFTER`] changes the snapshot is rewritten.
//! - The index row holds what lists and search need (reference, names, civil IDs, phones,
//!   status, due date), so listing never loads documents; a document loads on demand.
//! - Name search uses a table of normalized name tokens (see `mandoob_shared::arabic`), read
//!   with an index range scan for prefixes.
//! - Migrations are append-only, numbered by SQLite's `user_version`.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use mandoob_shared::doc::CaseDoc;

/// Rewrite the snapshot when a document has this many changes after it.
pub const COMPACT_AFTER: i64 = 64;

/// Append-only migrations: never edit one that has shipped, add a new one.
const MIGRATIONS: &[&str] = &[
    // 1: the first schema.
    "
    CREATE TABLE cases (
        id TEXT PRIMARY KEY,
        reference TEXT NOT NULL,
        branch TEXT NOT NULL,
        head_name_ar TEXT NOT NULL,
        head_name_en TEXT NOT NULL,
        civil_ids TEXT NOT NULL,
        phones TEXT NOT NULL,
        status TEXT NOT NULL,
        due_date TEXT,
        follow_up INTEGER NOT NULL,
        conflicts INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        unsynced INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX cases_by_update ON cases(updated_at DESC, id);
    CREATE INDEX cases_by_due ON cases(status, due_date);
    CREATE INDEX cases_by_reference ON cases(reference);

    CREATE TABLE name_tokens (
        token TEXT NOT NULL,
        case_id TEXT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
        PRIMARY KEY (token, case_id)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX name_tokens_by_case ON name_tokens(case_id);

    CREATE TABLE case_ids (
        value TEXT NOT NULL,
        case_id TEXT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
        PRIMARY KEY (value, case_id)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX case_ids_by_case ON case_ids(case_id);

    CREATE TABLE snapshots (
        case_id TEXT PRIMARY KEY REFERENCES cases(id) ON DELETE CASCADE,
        bytes BLOB NOT NULL
    ) STRICT;

    CREATE TABLE changes (
        case_id TEXT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        bytes BLOB NOT NULL,
        PRIMARY KEY (case_id, seq)
    ) STRICT, WITHOUT ROWID;

    CREATE TABLE blobs (
        sha256 TEXT PRIMARY KEY,
        bytes BLOB NOT NULL,
        mime TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        uploaded INTEGER NOT NULL DEFAULT 0
    ) STRICT;

    CREATE TABLE server_heads (
        case_id TEXT PRIMARY KEY REFERENCES cases(id) ON DELETE CASCADE,
        heads BLOB NOT NULL
    ) STRICT;

    CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    ) STRICT;
    ",
    // 2: local changes the server refused, kept for audit.
    "
    CREATE TABLE refused_changes (
        case_id TEXT NOT NULL,
        hash TEXT NOT NULL,
        code TEXT NOT NULL,
        message TEXT NOT NULL
    ) STRICT;
    ",
    // 3: when the committee's clock started for a case awaiting a decision, so due dates can be
    // recomputed when headquarters changes the SLA setting (rows written before this are read
    // from their documents then).
    "ALTER TABLE cases ADD COLUMN awaiting_since INTEGER;",
];

/// Store failures.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error(transparent)]
    Doc(#[from] mandoob_shared::DocError),
    #[error("no case {0}")]
    NoSuchCase(String),
    #[error(
        "the database was written by a newer version of the app (schema {found}, this app knows {known})"
    )]
    NewerSchema { found: i64, known: i64 },
}

/// What the case list and search show of a case, kept beside its document.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IndexRow {
    pub id: String,
    pub reference: String,
    pub branch: String,
    pub head_name_ar: String,
    pub head_name_en: String,
    /// Civil IDs of every member (ASCII digits).
    pub civil_ids: Vec<String>,
    /// Phones of every member in E.164.
    pub phones: Vec<String>,
    /// Normalized name tokens of every member, Arabic and Latin.
    pub tokens: Vec<String>,
    pub status: String,
    pub due_date: Option<String>,
    /// When the committee's clock started (milliseconds), while a decision is awaited.
    pub awaiting_since: Option<i64>,
    pub follow_up: bool,
    pub conflicts: bool,
    pub updated_at: i64,
    pub unsynced: bool,
}

/// The SQLite store.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
}

impl Store {
    /// Opens (or creates) the store at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Self::setup(Connection::open(path)?)
    }

    /// A store in memory, for tests.
    pub fn open_in_memory() -> Result<Self, StoreError> {
        Self::setup(Connection::open_in_memory()?)
    }

    fn setup(conn: Connection) -> Result<Self, StoreError> {
        // WAL: readers never wait for the writer. synchronous=FULL: a committed transaction
        // survives power loss, not only a crash of the app.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // Every write path uses cached statements; a sync page cycles through a dozen.
        conn.set_prepared_statement_cache_capacity(64);
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        let mut store = Self { conn };
        store.migrate()?;
        Ok(store)
    }

    fn migrate(&mut self) -> Result<(), StoreError> {
        let version: i64 = self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?;
        let known = MIGRATIONS.len() as i64;
        if version > known {
            return Err(StoreError::NewerSchema {
                found: version,
                known,
            });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            let tx = self.conn.transaction()?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", (i + 1) as i64)?;
            tx.commit()?;
        }
        Ok(())
    }

    /// The connection, for queries of the engine's own modules.
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    /// Runs `f` in one transaction: all of it lands, or none.
    pub fn transaction<T>(
        &mut self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let tx = self.conn.transaction()?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }

    /// Loads a case document: its snapshot, then its changes since.
    pub fn load_doc(&self, case_id: &str) -> Result<CaseDoc, StoreError> {
        let snapshot: Vec<u8> = self
            .conn
            .query_row(
                "SELECT bytes FROM snapshots WHERE case_id = ?1",
                [case_id],
                |r| r.get(0),
            )
            .optional()?
            .ok_or_else(|| StoreError::NoSuchCase(case_id.to_owned()))?;
        let mut doc = CaseDoc::load(&snapshot)?;
        let mut stmt = self
            .conn
            .prepare_cached("SELECT bytes FROM changes WHERE case_id = ?1 ORDER BY seq")?;
        let changes = stmt
            .query_map([case_id], |r| r.get::<_, Vec<u8>>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        if !changes.is_empty() {
            doc.apply_changes(&changes)?;
        }
        Ok(doc)
    }

    /// Whether a case exists.
    pub fn has_case(&self, case_id: &str) -> Result<bool, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT 1 FROM cases WHERE id = ?1", [case_id], |_| Ok(()))
            .optional()?
            .is_some())
    }
}

/// Writes a whole document as the snapshot of its case (new case, compaction, or a document
/// received whole from the server) and drops its change tail.
pub fn write_snapshot(
    tx: &Transaction<'_>,
    case_id: &str,
    doc: &mut CaseDoc,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO snapshots (case_id, bytes) VALUES (?1, ?2)
         ON CONFLICT (case_id) DO UPDATE SET bytes = excluded.bytes",
        params![case_id, doc.save()],
    )?;
    tx.execute("DELETE FROM changes WHERE case_id = ?1", [case_id])?;
    Ok(())
}

/// Writes saved document bytes as the snapshot of a case (received whole from the server, so
/// not saved again) and drops its change tail.
pub fn write_snapshot_bytes(
    tx: &Transaction<'_>,
    case_id: &str,
    bytes: &[u8],
) -> Result<(), StoreError> {
    tx.prepare_cached(
        "INSERT INTO snapshots (case_id, bytes) VALUES (?1, ?2)
         ON CONFLICT (case_id) DO UPDATE SET bytes = excluded.bytes",
    )?
    .execute(params![case_id, bytes])?;
    tx.prepare_cached("DELETE FROM changes WHERE case_id = ?1")?
        .execute([case_id])?;
    Ok(())
}

/// Appends encoded changes to a case's tail; compacts when the tail is long. `doc` is the
/// document with the changes already applied.
pub fn append_changes(
    tx: &Transaction<'_>,
    case_id: &str,
    changes: &[Vec<u8>],
    doc: &mut CaseDoc,
) -> Result<(), StoreError> {
    let (count, last): (i64, Option<i64>) = tx.query_row(
        "SELECT count(*), max(seq) FROM changes WHERE case_id = ?1",
        [case_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    if count + changes.len() as i64 > COMPACT_AFTER {
        return write_snapshot(tx, case_id, doc);
    }
    let mut seq = last.unwrap_or(0);
    let mut stmt =
        tx.prepare_cached("INSERT INTO changes (case_id, seq, bytes) VALUES (?1, ?2, ?3)")?;
    for change in changes {
        seq += 1;
        stmt.execute(params![case_id, seq, change])?;
    }
    Ok(())
}

/// Writes the index row of a case and its search tokens.
pub fn write_index(tx: &Transaction<'_>, row: &IndexRow) -> Result<(), StoreError> {
    tx.prepare_cached(
        "INSERT INTO cases (id, reference, branch, head_name_ar, head_name_en, civil_ids, phones,
                            status, due_date, follow_up, conflicts, updated_at, unsynced,
                            awaiting_since)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
         ON CONFLICT (id) DO UPDATE SET
            reference = excluded.reference, branch = excluded.branch,
            head_name_ar = excluded.head_name_ar, head_name_en = excluded.head_name_en,
            civil_ids = excluded.civil_ids, phones = excluded.phones, status = excluded.status,
            due_date = excluded.due_date, follow_up = excluded.follow_up,
            conflicts = excluded.conflicts, updated_at = excluded.updated_at,
            unsynced = excluded.unsynced, awaiting_since = excluded.awaiting_since",
    )?
    .execute(params![
        row.id,
        row.reference,
        row.branch,
        row.head_name_ar,
        row.head_name_en,
        row.civil_ids.join(" "),
        row.phones.join(" "),
        row.status,
        row.due_date,
        row.follow_up,
        row.conflicts,
        row.updated_at,
        row.unsynced,
        row.awaiting_since,
    ])?;
    tx.prepare_cached("DELETE FROM name_tokens WHERE case_id = ?1")?
        .execute([&row.id])?;
    tx.prepare_cached("DELETE FROM case_ids WHERE case_id = ?1")?
        .execute([&row.id])?;
    let mut tok =
        tx.prepare_cached("INSERT OR IGNORE INTO name_tokens (token, case_id) VALUES (?1, ?2)")?;
    for t in &row.tokens {
        tok.execute(params![t, row.id])?;
    }
    let mut ids =
        tx.prepare_cached("INSERT OR IGNORE INTO case_ids (value, case_id) VALUES (?1, ?2)")?;
    for v in &row.civil_ids {
        ids.execute(params![v, row.id])?;
    }
    // Phones in E.164 for exact matches and as national numbers for typed prefixes.
    for p in &row.phones {
        ids.execute(params![p, row.id])?;
        if let Some(national) = p.strip_prefix("+965") {
            ids.execute(params![national, row.id])?;
        }
    }
    Ok(())
}
