//! Photos: per-device resumable uploads, quotas and expiry, who may read a blob.

use super::*;

/// Replaces the blob references of one case.
pub(super) fn write_case_blobs(
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
pub(super) fn visible_length(
    c: &Connection,
    sha: &str,
    viewer: &BlobViewer,
) -> rusqlite::Result<Option<u64>> {
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
/// Forgets a device's upload of a blob: its parts and its progress.
fn forget_upload(tx: &rusqlite::Transaction<'_>, sha: &str, device: &str) -> rusqlite::Result<()> {
    tx.execute(
        "DELETE FROM blob_parts WHERE sha256 = ?1 AND device = ?2",
        params![sha, device],
    )?;
    tx.execute(
        "DELETE FROM blob_uploads WHERE sha256 = ?1 AND device = ?2",
        params![sha, device],
    )?;
    Ok(())
}

pub(super) fn read_parts(c: &Connection, sha: &str, device: &str) -> rusqlite::Result<Vec<u8>> {
    let mut all = Vec::new();
    let mut stmt = c.prepare_cached(
        "SELECT bytes FROM blob_parts WHERE sha256 = ?1 AND device = ?2 ORDER BY offset",
    )?;
    for part in stmt.query_map(params![sha, device], |r| r.get::<_, Vec<u8>>(0))? {
        all.extend(part?);
    }
    Ok(all)
}

pub(super) const QUOTA_PREFIX: &str = "quota: ";

#[derive(Debug)]
pub(super) struct QuotaExceeded(String);

impl std::fmt::Display for QuotaExceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{QUOTA_PREFIX}{}", self.0)
    }
}

impl std::error::Error for QuotaExceeded {}

impl SqliteStorage {
    pub(super) async fn import_blob(&self, sha256: &str, bytes: &[u8]) -> Result<(), StorageError> {
        let (sha, bytes) = (sha256.to_owned(), bytes.to_vec());
        self.run(move |c| {
            c.execute(
                "INSERT INTO blobs (sha256, bytes) VALUES (?1, ?2) ON CONFLICT (sha256) DO NOTHING",
                params![sha, bytes],
            )
            .map(|_| ())
        })
        .await
    }

    pub(super) async fn blob_state(
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

    pub(super) async fn blob_access(
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

    pub(super) async fn append_blob(&self, part: UploadPart<'_>) -> Result<u64, StorageError> {
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

    pub(super) async fn partial_blob(
        &self,
        sha256: &str,
        device: &DeviceCode,
    ) -> Result<Vec<u8>, StorageError> {
        let (sha, device) = (sha256.to_owned(), device.as_str().to_owned());
        self.run(move |c| read_parts(c, &sha, &device)).await
    }

    pub(super) async fn complete_blob(
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
            forget_upload(&tx, &sha, &device)?;
            tx.commit()
        })
        .await
    }

    pub(super) async fn discard_blob(
        &self,
        sha256: &str,
        device: &DeviceCode,
    ) -> Result<(), StorageError> {
        let (sha, device) = (sha256.to_owned(), device.as_str().to_owned());
        self.run(move |c| {
            let tx = c.transaction()?;
            forget_upload(&tx, &sha, &device)?;
            tx.commit()
        })
        .await
    }

    pub(super) async fn expire_uploads(&self, before: i64) -> Result<u64, StorageError> {
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

    pub(super) async fn blob(&self, sha256: &str) -> Result<Option<Vec<u8>>, StorageError> {
        let sha = sha256.to_owned();
        self.run(move |c| {
            c.query_row("SELECT bytes FROM blobs WHERE sha256 = ?1", [sha], |r| {
                r.get(0)
            })
            .optional()
        })
        .await
    }

    pub(super) async fn blob_in_scope(
        &self,
        sha256: &str,
        scope: &Scope,
    ) -> Result<bool, StorageError> {
        let (filter, arg) = scope_sql(scope);
        let sql =
            format!("SELECT EXISTS (SELECT 1 FROM case_blobs WHERE sha256 = ?2 AND ({filter}))");
        let sha = sha256.to_owned();
        self.run(move |c| c.query_row(&sql, params![arg, sha], |r| r.get(0)))
            .await
    }
}
