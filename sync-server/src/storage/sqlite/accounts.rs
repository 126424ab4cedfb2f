//! Branches, users and devices (tokens stored hashed).

use super::*;

pub(super) fn role_of(code: &str) -> Role {
    Role::from_code(code).unwrap_or(Role::Representative)
}

pub(super) fn user_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<UserRecord> {
    Ok(UserRecord {
        id: UserId::new(r.get::<_, String>(0)?),
        display_name: r.get(1)?,
        role: role_of(&r.get::<_, String>(2)?),
        branch: BranchCode::new(r.get::<_, String>(3)?),
        password_hash: r.get(4)?,
        active: r.get(5)?,
        locked: r.get("locked")?,
        must_change_password: r.get("must_change_password")?,
        enrol_needs_approval: r.get("enrol_needs_approval")?,
    })
}

impl SqliteStorage {
    pub(super) async fn create_branch(
        &self,
        code: &BranchCode,
        name: &str,
    ) -> Result<(), StorageError> {
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

    pub(super) async fn create_user(&self, user: &UserRecord) -> Result<(), StorageError> {
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

    pub(super) async fn user(&self, id: &UserId) -> Result<Option<UserRecord>, StorageError> {
        let id = id.as_str().to_owned();
        self.run(move |c| {
            c.query_row(
                "SELECT id, display_name, role, branch, password_hash, active, locked_at IS NOT NULL AS locked,
                        must_change_password, enrol_needs_approval
                 FROM users WHERE id = ?1",
                [id],
                user_from_row,
            )
            .optional()
        })
        .await
    }

    pub(super) async fn create_device(
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
            // After a revocation, the user's next device waits for an administrator.
            tx.execute(
                "INSERT INTO devices (code, user_id, name, token_hash, created_at, approved)
                 VALUES (?1, ?2, ?3, ?4, ?5,
                         (SELECT enrol_needs_approval = 0 FROM users WHERE id = ?2))",
                params![code, user, name, hash, now],
            )?;
            tx.commit()?;
            Ok(DeviceCode::new(code))
        })
        .await
    }

    pub(super) async fn session(
        &self,
        token_hash: &[u8],
    ) -> Result<Option<AuthSession>, StorageError> {
        let hash = token_hash.to_vec();
        self.run(move |c| {
            c.query_row(
                "SELECT u.id, u.display_name, u.role, u.branch, u.password_hash, u.active, d.code, d.created_at,
                        u.locked_at IS NOT NULL AS locked, u.must_change_password, u.enrol_needs_approval,
                        d.approved
                 FROM devices d JOIN users u ON u.id = d.user_id
                 WHERE d.token_hash = ?1 AND d.revoked = 0 AND u.active = 1",
                [hash],
                |r| {
                    Ok(AuthSession {
                        user: user_from_row(r)?,
                        device: DeviceCode::new(r.get::<_, String>(6)?),
                        enrolled_at: r.get(7)?,
                        approved: r.get("approved")?,
                    })
                },
            )
            .optional()
        })
        .await
    }

    pub(super) async fn revoke_device(&self, device: &DeviceCode) -> Result<bool, StorageError> {
        let code = device.as_str().to_owned();
        self.run(move |c| {
            let tx = c.transaction()?;
            let n = tx.execute("UPDATE devices SET revoked = 1 WHERE code = ?1", [&code])?;
            // The person's next enrolment (the same phone signing straight back in, maybe in
            // the wrong hands) waits for an administrator's approval.
            tx.execute(
                "UPDATE users SET enrol_needs_approval = 1
                 WHERE id = (SELECT user_id FROM devices WHERE code = ?1)",
                [&code],
            )?;
            tx.commit()?;
            Ok(n > 0)
        })
        .await
    }

    pub(super) async fn revoked_device(
        &self,
        token_hash: &[u8],
    ) -> Result<Option<(DeviceCode, UserId)>, StorageError> {
        let hash = token_hash.to_vec();
        self.run(move |c| {
            c.query_row(
                "SELECT code, user_id FROM devices WHERE token_hash = ?1 AND revoked = 1",
                [hash],
                |r| {
                    Ok((
                        DeviceCode::new(r.get::<_, String>(0)?),
                        UserId::new(r.get::<_, String>(1)?),
                    ))
                },
            )
            .optional()
        })
        .await
    }

    pub(super) async fn approve_device(&self, device: &DeviceCode) -> Result<bool, StorageError> {
        let code = device.as_str().to_owned();
        self.run(move |c| {
            let tx = c.transaction()?;
            let n = tx.execute(
                "UPDATE devices SET approved = 1 WHERE code = ?1 AND revoked = 0 AND approved = 0",
                [&code],
            )?;
            if n > 0 {
                tx.execute(
                    "UPDATE users SET enrol_needs_approval = 0
                     WHERE id = (SELECT user_id FROM devices WHERE code = ?1)",
                    [&code],
                )?;
            }
            tx.commit()?;
            Ok(n > 0)
        })
        .await
    }

    pub(super) async fn devices(&self) -> Result<Vec<DeviceRecord>, StorageError> {
        self.run(|c| {
            let mut stmt = c.prepare(
                "SELECT code, user_id, name, created_at, last_sync, revoked, last_address, approved
                 FROM devices ORDER BY created_at",
            )?;
            stmt.query_map([], |r| {
                Ok(DeviceRecord {
                    code: DeviceCode::new(r.get::<_, String>(0)?),
                    user: UserId::new(r.get::<_, String>(1)?),
                    name: r.get(2)?,
                    created_at: r.get(3)?,
                    last_sync: r.get(4)?,
                    revoked: r.get(5)?,
                    last_address: r.get(6)?,
                    approved: r.get(7)?,
                })
            })?
            .collect()
        })
        .await
    }

    pub(super) async fn touch_device(
        &self,
        device: &DeviceCode,
        now: i64,
        address: &str,
    ) -> Result<(), StorageError> {
        let (code, address) = (device.as_str().to_owned(), address.to_owned());
        self.run(move |c| {
            c.execute(
                "UPDATE devices SET last_sync = ?2, last_address = ?3 WHERE code = ?1",
                params![code, now, address],
            )
            .map(|_| ())
        })
        .await
    }

    pub(super) async fn users(&self) -> Result<Vec<UserRecord>, StorageError> {
        self.run(|c| {
            c.prepare(
                "SELECT id, display_name, role, branch, password_hash, active, locked_at IS NOT NULL AS locked,
                        must_change_password, enrol_needs_approval
                 FROM users ORDER BY id",
            )?
            .query_map([], user_from_row)?
            .collect()
        })
        .await
    }

    pub(super) async fn branches(&self) -> Result<Vec<(BranchCode, String)>, StorageError> {
        self.run(|c| {
            c.prepare("SELECT code, name FROM branches ORDER BY code")?
                .query_map([], |r| {
                    Ok((BranchCode::new(r.get::<_, String>(0)?), r.get(1)?))
                })?
                .collect()
        })
        .await
    }

    pub(super) async fn set_user_active(
        &self,
        user: &UserId,
        active: bool,
    ) -> Result<bool, StorageError> {
        let id = user.as_str().to_owned();
        self.run(move |c| {
            let tx = c.transaction()?;
            let n = tx.execute(
                "UPDATE users SET active = ?2 WHERE id = ?1",
                params![id, active],
            )?;
            if !active {
                // A deactivated user's console sessions end now, and every device of theirs
                // is revoked for good: reactivating the account does not bring an old token
                // (maybe of a lost phone) back; the person signs in again.
                tx.execute("DELETE FROM console_sessions WHERE user_id = ?1", [&id])?;
                tx.execute("UPDATE devices SET revoked = 1 WHERE user_id = ?1", [&id])?;
            }
            tx.commit()?;
            Ok(n > 0)
        })
        .await
    }

    pub(super) async fn set_user_locked(
        &self,
        user: &UserId,
        locked_at: Option<i64>,
    ) -> Result<bool, StorageError> {
        let id = user.as_str().to_owned();
        self.run(move |c| {
            c.execute(
                "UPDATE users SET locked_at = ?2 WHERE id = ?1",
                params![id, locked_at],
            )
            .map(|n| n > 0)
        })
        .await
    }

    pub(super) async fn set_password(
        &self,
        user: &UserId,
        hash: &str,
        must_change: bool,
        keep_session: Option<&[u8]>,
    ) -> Result<bool, StorageError> {
        let (id, hash, keep) = (
            user.as_str().to_owned(),
            hash.to_owned(),
            keep_session.map(<[u8]>::to_vec),
        );
        self.run(move |c| {
            let tx = c.transaction()?;
            let n = tx.execute(
                "UPDATE users SET password_hash = ?2, must_change_password = ?3 WHERE id = ?1",
                params![id, hash, must_change],
            )?;
            // A new password ends the account's other console sessions (one may be an
            // attacker's); the session that changed it goes on.
            tx.execute(
                "DELETE FROM console_sessions WHERE user_id = ?1 AND token_hash IS NOT ?2",
                params![id, keep],
            )?;
            tx.commit()?;
            Ok(n > 0)
        })
        .await
    }

    pub(super) async fn set_role(&self, user: &UserId, role: Role) -> Result<bool, StorageError> {
        let id = user.as_str().to_owned();
        self.run(move |c| {
            c.execute(
                "UPDATE users SET role = ?2 WHERE id = ?1",
                params![id, role.code()],
            )
            .map(|n| n > 0)
        })
        .await
    }
}
