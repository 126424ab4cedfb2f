//! The device's SQLite store: case documents, the case index for lists and search, blobs
//! (photos), sync metadata and settings. Every SQL statement of the engine is in this module
//! and its children; the rest of the engine calls their functions.
//!
//! - [`cases`]: each case document is a compacted snapshot plus the changes made since, one row
//!   per automerge change. A user action appends its change in one transaction with the index
//!   update; when the tail grows past [`COMPACT_AFTER`] changes the snapshot is rewritten. Also
//!   what the server is known to have of each case, and the changes it refused.
//! - [`index`]: the index row holds what lists and search need (reference, names, civil IDs,
//!   phones, status, due date), so listing never loads documents; a document loads on demand.
//!   Name search uses a table of normalized name tokens (see `mandoob_shared::arabic`) and
//!   one of their suffixes, read with index range scans: part of a word is the start of one of
//!   its suffixes.
//! - [`blobs`]: photos and thumbnails by their SHA-256, and whether the server has them; the
//!   thumbnails each case names and the fetches of those this device lacks.
//! - [`settings`]: the typed settings (session, credentials, SLA, sync cursor, …).
//! - Migrations are append-only, numbered by SQLite's `user_version`.

pub mod blobs;
pub mod cases;
pub mod index;
pub mod settings;

use std::path::Path;

use rusqlite::{Connection, Transaction};

use crate::protocol::StorageStats;

pub use cases::{append_changes, write_snapshot, write_snapshot_bytes};
pub use index::{IndexRow, write_index};

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
    // 4: the thumbnails each case's documents name, so that photos taken on another device
    // can be fetched (`blobs::wanted_thumbnails`), and the fetches that failed (tried again
    // later). Cases stored before this are read from their documents once.
    "
    CREATE TABLE case_thumbnails (
        case_id TEXT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
        sha256 TEXT NOT NULL,
        PRIMARY KEY (case_id, sha256)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX case_thumbnails_by_sha ON case_thumbnails(sha256);

    CREATE TABLE blob_fetches (
        sha256 TEXT PRIMARY KEY,
        failures INTEGER NOT NULL,
        tried_at INTEGER NOT NULL,
        next_try_at INTEGER NOT NULL
    ) STRICT;

    INSERT INTO settings (key, value)
        SELECT 'thumbnails_unindexed', 'true' WHERE EXISTS (SELECT 1 FROM cases);
    ",
    // 5: search by part of a name word: every suffix of at least two letters of each name
    // token (`index::suffixes`), keyed by the token, not the case (names repeat, so this stays
    // small), filled here from the tokens already indexed.
    "
    CREATE TABLE name_suffixes (
        suffix TEXT NOT NULL,
        token TEXT NOT NULL,
        PRIMARY KEY (suffix, token)
    ) STRICT, WITHOUT ROWID;

    WITH RECURSIVE s(suffix, token) AS (
        SELECT DISTINCT token, token FROM name_tokens WHERE length(token) >= 2
        UNION ALL
        SELECT substr(suffix, 2), token FROM s WHERE length(suffix) > 2
    )
    INSERT OR IGNORE INTO name_suffixes (suffix, token) SELECT suffix, token FROM s;
    ",
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
    /// A setting's value could not be written as text.
    #[error("{0}")]
    Encode(String),
    #[error(
        "the database was written by a newer version of the app (schema {found}, this app knows {known})"
    )]
    NewerSchema { found: i64, known: i64 },
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

    /// The connection, for the queries of this module's children.
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
}

impl Store {
    /// Removes every case file, photo, search entry and sync position, and the token and
    /// session: what a revoked device does once it has handed its unsent work over. Only how
    /// the app is read (language, digits) stays. The freed pages are overwritten
    /// (`secure_delete`), the file rebuilt without them (`VACUUM`) and the write-ahead log
    /// emptied, so that none of it can be read back from the file.
    pub fn wipe(&mut self) -> Result<(), StoreError> {
        self.conn.pragma_update(None, "secure_delete", "ON")?;
        let tx = self.conn.transaction()?;
        tx.execute_batch(
            "DELETE FROM name_tokens; DELETE FROM case_ids; DELETE FROM name_suffixes;
             DELETE FROM snapshots; DELETE FROM changes; DELETE FROM server_heads;
             DELETE FROM case_thumbnails; DELETE FROM cases; DELETE FROM blobs;
             DELETE FROM blob_fetches; DELETE FROM refused_changes;",
        )?;
        tx.execute(
            "DELETE FROM settings WHERE key <> ?1",
            [settings::PREFERENCES.name()],
        )?;
        tx.commit()?;
        self.conn.execute_batch("VACUUM")?;
        // Not in WAL mode (the browser's storage), this is a no-op that still answers a row.
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        Ok(())
    }
}

/// Storage use.
pub fn usage(conn: &Connection) -> Result<StorageStats, StoreError> {
    let one = |sql: &str| -> Result<u64, StoreError> {
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
