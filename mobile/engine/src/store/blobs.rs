//! Blobs: photos and their thumbnails, named by their SHA-256, and whether the server has
//! confirmed each one; the thumbnails each case's documents name, and the fetches of those this
//! device does not have (photos taken on another device) that failed.

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::StoreError;

/// Keeps a JPEG (a photo or a thumbnail) unless it is already stored.
pub fn put_jpeg(
    tx: &Transaction<'_>,
    sha256: &str,
    bytes: &[u8],
    created_at: i64,
) -> Result<(), StoreError> {
    tx.prepare_cached(
        "INSERT OR IGNORE INTO blobs (sha256, bytes, mime, created_at)
         VALUES (?1, ?2, 'image/jpeg', ?3)",
    )?
    .execute(params![sha256, bytes, created_at])?;
    Ok(())
}

/// A stored blob by its hash.
pub fn get(conn: &Connection, sha256: &str) -> Result<Option<Vec<u8>>, StoreError> {
    Ok(conn
        .query_row("SELECT bytes FROM blobs WHERE sha256 = ?1", [sha256], |r| {
            r.get(0)
        })
        .optional()?)
}

/// Blobs not yet confirmed on the server, oldest first.
pub fn pending(conn: &Connection) -> Result<Vec<String>, StoreError> {
    let mut stmt =
        conn.prepare_cached("SELECT sha256 FROM blobs WHERE uploaded = 0 ORDER BY created_at")?;
    Ok(stmt
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?)
}

/// Records that the server has a blob.
pub fn mark_uploaded(conn: &Connection, sha256: &str) -> Result<(), StoreError> {
    conn.execute("UPDATE blobs SET uploaded = 1 WHERE sha256 = ?1", [sha256])?;
    Ok(())
}

/// Keeps a blob fetched from the server (a photo or thumbnail taken on another device): it is
/// on the server, so it is never uploaded; a failed fetch of it is forgotten.
pub fn put_fetched(
    tx: &Transaction<'_>,
    sha256: &str,
    bytes: &[u8],
    now: i64,
) -> Result<(), StoreError> {
    tx.prepare_cached(
        "INSERT INTO blobs (sha256, bytes, mime, created_at, uploaded)
         VALUES (?1, ?2, 'image/jpeg', ?3, 1)
         ON CONFLICT (sha256) DO UPDATE SET uploaded = 1",
    )?
    .execute(params![sha256, bytes, now])?;
    tx.prepare_cached("DELETE FROM blob_fetches WHERE sha256 = ?1")?
        .execute([sha256])?;
    Ok(())
}

/// Replaces the thumbnails a case's documents name (empty names are skipped).
pub fn set_case_thumbnails(
    tx: &Transaction<'_>,
    case_id: &str,
    thumbnails: &[String],
) -> Result<(), StoreError> {
    tx.prepare_cached("DELETE FROM case_thumbnails WHERE case_id = ?1")?
        .execute([case_id])?;
    let mut insert = tx.prepare_cached(
        "INSERT OR IGNORE INTO case_thumbnails (case_id, sha256) VALUES (?1, ?2)",
    )?;
    for sha in thumbnails.iter().filter(|s| !s.is_empty()) {
        insert.execute(params![case_id, sha])?;
    }
    Ok(())
}

/// Thumbnails some case names that are not stored here and are due a try at `now`: never
/// tried first, then those whose last failure is oldest; at most `limit`.
pub fn wanted_thumbnails(
    conn: &Connection,
    now: i64,
    limit: u32,
) -> Result<Vec<String>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT t.sha256 FROM case_thumbnails t
         LEFT JOIN blob_fetches f ON f.sha256 = t.sha256
         WHERE NOT EXISTS (SELECT 1 FROM blobs b WHERE b.sha256 = t.sha256)
           AND coalesce(f.next_try_at, 0) <= ?1
         GROUP BY t.sha256
         ORDER BY min(coalesce(f.tried_at, 0)), t.sha256
         LIMIT ?2",
    )?;
    Ok(stmt
        .query_map(params![now, limit], |r| r.get(0))?
        .collect::<Result<_, _>>()?)
}

/// How long after a second failed fetch a blob is tried again (milliseconds); it doubles with
/// each further failure, up to [`FETCH_WAIT_MAX_MS`]. After a first failure the next sync
/// tries again.
pub const FETCH_WAIT_MS: i64 = 60_000;
/// The longest wait between tries of a blob that keeps failing: a day.
pub const FETCH_WAIT_MAX_MS: i64 = 24 * 60 * 60 * 1000;

/// Records a failed fetch of a blob at `now`.
pub fn fetch_failed(conn: &Connection, sha256: &str, now: i64) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO blob_fetches (sha256, failures, tried_at, next_try_at)
         VALUES (?1, 1, ?2, ?2)
         ON CONFLICT (sha256) DO UPDATE SET
            failures = failures + 1,
            tried_at = ?2,
            next_try_at = ?2 + min(?3 << min(failures - 1, 20), ?4)",
    )?
    .execute(params![sha256, now, FETCH_WAIT_MS, FETCH_WAIT_MAX_MS])?;
    Ok(())
}

/// Every case on the device (to read the thumbnails of cases stored before
/// `case_thumbnails` existed).
pub fn all_cases(conn: &Connection) -> Result<Vec<String>, StoreError> {
    let mut stmt = conn.prepare("SELECT id FROM cases ORDER BY id")?;
    Ok(stmt
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?)
}
