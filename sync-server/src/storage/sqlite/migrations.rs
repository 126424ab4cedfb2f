//! The schema, as append-only migrations, and the backfills that fill new tables and columns
//! from the documents already stored.

use super::*;

pub(super) const MIGRATIONS: &[&str] = &[
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
    // 8: households for the console's search, with or without a request (issue 15); filled
    // for existing cases by `backfill_reports`.
    "
    CREATE TABLE report_households (
        case_id TEXT PRIMARY KEY REFERENCES cases(id),
        branch TEXT NOT NULL,
        reference TEXT NOT NULL,
        head_name_ar TEXT NOT NULL,
        head_name_en TEXT NOT NULL,
        members INTEGER NOT NULL,
        requests INTEGER NOT NULL,
        search TEXT NOT NULL
    ) STRICT;
    CREATE INDEX report_households_by_branch ON report_households(branch, reference);
    ",
    // 9: what the committee granted and the information rounds, per request (issue 15);
    // filled for existing cases by `backfill_reports`.
    "
    ALTER TABLE report_requests ADD COLUMN granted_amount INTEGER;
    ALTER TABLE report_requests ADD COLUMN granted_in_kind TEXT NOT NULL DEFAULT '';
    ALTER TABLE report_requests ADD COLUMN rounds INTEGER NOT NULL DEFAULT 0;
    ",
    // 10: an account locked after too many failed sign-ins (issue 18), until an administrator
    // unlocks it: when it was locked, or NULL.
    "
    ALTER TABLE users ADD COLUMN locked_at INTEGER;
    ",
    // 11: the console's audit log is paged and filtered by who, what and when (issue 16).
    "
    CREATE INDEX audit_log_by_user ON audit_log(user_id, id);
    CREATE INDEX audit_log_by_action ON audit_log(action, id);
    CREATE INDEX audit_log_by_time ON audit_log(at);
    ",
    // 12: passwords an administrator reset, to be changed at the next sign-in; enrolment
    // approval after a revocation; a device's last address (issue 18).
    "
    ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE users ADD COLUMN enrol_needs_approval INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE devices ADD COLUMN approved INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE devices ADD COLUMN last_address TEXT;
    ",
    // 13: what revoked devices handed over, held for an administrator to apply or discard
    // (issue 18). The bytes are forgotten once decided.
    "
    CREATE TABLE held_items (
        id INTEGER PRIMARY KEY,
        device TEXT NOT NULL REFERENCES devices(code),
        user_id TEXT NOT NULL REFERENCES users(id),
        kind TEXT NOT NULL,
        case_id TEXT,
        sha256 TEXT NOT NULL,
        body BLOB NOT NULL,
        bytes INTEGER NOT NULL,
        changes INTEGER NOT NULL,
        received_at INTEGER NOT NULL,
        state TEXT NOT NULL DEFAULT 'held',
        outcome TEXT NOT NULL DEFAULT '',
        UNIQUE (device, sha256)
    ) STRICT;
    CREATE INDEX held_items_by_user ON held_items(user_id, id);
    ",
];

/// Migration 3 adds `case_blobs`; the references of cases stored before it are read from
/// their documents once.
pub(super) fn backfill_case_blobs(tx: &rusqlite::Transaction<'_>) -> rusqlite::Result<()> {
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
pub(super) fn backfill_actors(tx: &rusqlite::Transaction<'_>) -> rusqlite::Result<()> {
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
pub(super) fn backfill_summaries(tx: &rusqlite::Transaction<'_>) -> rusqlite::Result<()> {
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
pub(super) fn backfill_reports(tx: &rusqlite::Transaction<'_>) -> rusqlite::Result<()> {
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

/// Brings the database to the newest schema, one migration per transaction (with its backfill),
/// and refuses a database written by a newer server.
pub(super) fn migrate(conn: &mut Connection) -> Result<(), StorageError> {
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
            // The report rows of cases stored before them (requests, surveys, contacts and
            // services since 5, households since 8, grants and rounds since 9) are written
            // once, after the last migration that changes a report table: earlier,
            // `write_report` would write to a table or column that does not exist yet.
            9 => backfill_reports(&tx).map_err(db)?,
            7 => backfill_actors(&tx).map_err(db)?,
            _ => {}
        }
        tx.pragma_update(None, "user_version", (i + 1) as i64)
            .map_err(db)?;
        tx.commit().map_err(db)?;
    }
    Ok(())
}
