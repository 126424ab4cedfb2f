//! Case documents in the store: a snapshot and the change tail of each case, what the server
//! is known to have of it, and the local changes the server refused.

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use mandoob_shared::doc::CaseDoc;
use mandoob_shared::ids::CaseId;

use super::{COMPACT_AFTER, Store, StoreError};
use crate::sync::RefusedLocal;

impl Store {
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

/// Ids of the cases with local changes the server has not acknowledged, in id order.
pub fn unsynced(conn: &Connection) -> Result<Vec<String>, StoreError> {
    let mut stmt = conn.prepare_cached("SELECT id FROM cases WHERE unsynced = 1 ORDER BY id")?;
    Ok(stmt
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?)
}

/// The heads the server is known to have of a case (as bytes: 32 per head), if known.
pub fn server_heads(conn: &Connection, case_id: &str) -> Result<Option<Vec<u8>>, StoreError> {
    Ok(conn
        .query_row(
            "SELECT heads FROM server_heads WHERE case_id = ?1",
            [case_id],
            |r| r.get::<_, Vec<u8>>(0),
        )
        .optional()?)
}

/// Records the heads the server has of a case.
pub fn write_server_heads(
    tx: &Transaction<'_>,
    case_id: &str,
    heads: &[u8],
) -> Result<(), StoreError> {
    tx.prepare_cached(
        "INSERT INTO server_heads (case_id, heads) VALUES (?1, ?2)
         ON CONFLICT (case_id) DO UPDATE SET heads = excluded.heads",
    )?
    .execute(params![case_id, heads])?;
    Ok(())
}

/// Keeps a local change the server refused, for audit.
pub fn add_refused(tx: &Transaction<'_>, r: &RefusedLocal) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO refused_changes (case_id, hash, code, message) VALUES (?1, ?2, ?3, ?4)",
        params![r.case.as_str(), r.hash, r.code, r.message],
    )?;
    Ok(())
}

/// Local changes the server refused, oldest first.
pub fn refused(conn: &Connection) -> Result<Vec<RefusedLocal>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT case_id, hash, code, message FROM refused_changes ORDER BY rowid",
    )?;
    Ok(stmt
        .query_map([], |r| {
            Ok(RefusedLocal {
                case: CaseId::new(r.get::<_, String>(0)?),
                hash: r.get(1)?,
                code: r.get(2)?,
                message: r.get(3)?,
            })
        })?
        .collect::<Result<_, _>>()?)
}
