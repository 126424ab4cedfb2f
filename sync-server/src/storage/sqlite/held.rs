//! What revoked devices handed over, held for an administrator (migration 13).

use super::*;

const COLUMNS: &str =
    "id, device, user_id, kind, case_id, sha256, bytes, changes, received_at, state, outcome";

fn held_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<HeldItem> {
    let kind: String = r.get(3)?;
    let state: String = r.get(9)?;
    Ok(HeldItem {
        id: r.get(0)?,
        device: DeviceCode::new(r.get::<_, String>(1)?),
        user: UserId::new(r.get::<_, String>(2)?),
        kind: if kind == "photo" {
            HeldKind::Photo
        } else {
            HeldKind::Changes
        },
        case: r.get::<_, Option<String>>(4)?.map(CaseId::new),
        sha256: r.get(5)?,
        bytes: r.get::<_, i64>(6)?.max(0) as u64,
        changes: r.get::<_, i64>(7)?.max(0) as u32,
        received_at: r.get(8)?,
        state: HeldState::from_code(&state).unwrap_or(HeldState::Held),
        outcome: r.get(10)?,
    })
}

impl SqliteStorage {
    pub(super) async fn hold(
        &self,
        item: NewHeld<'_>,
        max_bytes: u64,
    ) -> Result<HoldOutcome, StorageError> {
        let device = item.device.as_str().to_owned();
        let user = item.user.as_str().to_owned();
        let kind = match item.kind {
            HeldKind::Changes => "changes",
            HeldKind::Photo => "photo",
        };
        let case = item.case.map(|c| c.as_str().to_owned());
        let sha = item.sha256.to_owned();
        let body = item.body.to_vec();
        let (changes, now) = (i64::from(item.changes), item.now);
        self.run(move |c| {
            let tx = c.transaction()?;
            let known: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM held_items WHERE device = ?1 AND sha256 = ?2)",
                params![device, sha],
                |r| r.get(0),
            )?;
            if known {
                return Ok(HoldOutcome::Known);
            }
            let held: i64 = tx.query_row(
                "SELECT coalesce(sum(bytes), 0) FROM held_items WHERE device = ?1",
                [&device],
                |r| r.get(0),
            )?;
            if held.max(0) as u64 + body.len() as u64 > max_bytes {
                return Ok(HoldOutcome::Full);
            }
            tx.execute(
                "INSERT INTO held_items (device, user_id, kind, case_id, sha256, body, bytes, changes, received_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![device, user, kind, case, sha, body, body.len() as i64, changes, now],
            )?;
            tx.commit()?;
            Ok(HoldOutcome::New)
        })
        .await
    }

    pub(super) async fn held_items(&self, user: &UserId) -> Result<Vec<HeldItem>, StorageError> {
        let user = user.as_str().to_owned();
        self.run(move |c| {
            let mut stmt = c.prepare(&format!(
                "SELECT {COLUMNS} FROM held_items WHERE user_id = ?1 ORDER BY id"
            ))?;
            stmt.query_map([user], held_from_row)?.collect()
        })
        .await
    }

    pub(super) async fn held_body(
        &self,
        id: i64,
    ) -> Result<Option<(HeldItem, Vec<u8>)>, StorageError> {
        self.run(move |c| {
            c.query_row(
                &format!("SELECT {COLUMNS}, body FROM held_items WHERE id = ?1 AND state = 'held'"),
                [id],
                |r| Ok((held_from_row(r)?, r.get(11)?)),
            )
            .optional()
        })
        .await
    }

    pub(super) async fn settle_held(
        &self,
        id: i64,
        state: HeldState,
        outcome: &str,
    ) -> Result<bool, StorageError> {
        let outcome = outcome.to_owned();
        self.run(move |c| {
            let n = c.execute(
                "UPDATE held_items SET state = ?2, outcome = ?3, body = x''
                 WHERE id = ?1 AND state = 'held'",
                params![id, state.code(), outcome],
            )?;
            Ok(n > 0)
        })
        .await
    }

    pub(super) async fn apply_held_photo(&self, id: i64) -> Result<bool, StorageError> {
        self.run(move |c| {
            let tx = c.transaction()?;
            let Some((sha, device, user, body)) = tx
                .query_row(
                    "SELECT sha256, device, user_id, body FROM held_items
                     WHERE id = ?1 AND state = 'held' AND kind = 'photo'",
                    [id],
                    |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, String>(2)?,
                            r.get::<_, Vec<u8>>(3)?,
                        ))
                    },
                )
                .optional()?
            else {
                return Ok(false);
            };
            tx.execute(
                "INSERT INTO blobs (sha256, bytes) VALUES (?1, ?2) ON CONFLICT (sha256) DO NOTHING",
                params![sha, body],
            )?;
            // Its device's and its user's, as if it had been uploaded before the revocation.
            tx.execute(
                "INSERT INTO blob_owners (sha256, device, user_id) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
                params![sha, device, user],
            )?;
            tx.execute(
                "UPDATE held_items SET state = 'applied', body = x'' WHERE id = ?1",
                [id],
            )?;
            tx.commit()?;
            Ok(true)
        })
        .await
    }
}
