//! Blobs: photos and their thumbnails, named by their SHA-256, and whether the server has
//! confirmed each one.

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
