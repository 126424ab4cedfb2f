//! The console's sessions, pages of the queue and the audit log, the library and the server's
//! settings.

use super::*;

impl SqliteStorage {
    pub(super) async fn create_console_session(
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

    pub(super) async fn console_session(
        &self,
        token_hash: &[u8],
        now: i64,
    ) -> Result<Option<ConsoleSession>, StorageError> {
        let hash = token_hash.to_vec();
        self.run(move |c| {
            c.query_row(
                "SELECT u.id, u.display_name, u.role, u.branch, u.password_hash, u.active,
                        s.csrf, s.expires_at, u.locked_at IS NOT NULL AS locked,
                        u.must_change_password, u.enrol_needs_approval
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

    pub(super) async fn delete_console_session(
        &self,
        token_hash: &[u8],
    ) -> Result<(), StorageError> {
        let hash = token_hash.to_vec();
        self.run(move |c| {
            c.execute("DELETE FROM console_sessions WHERE token_hash = ?1", [hash])
                .map(|_| ())
        })
        .await
    }

    pub(super) async fn audit(&self, entry: &AuditEntry) -> Result<(), StorageError> {
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

    pub(super) async fn audit_page(
        &self,
        filter: &AuditFilter,
        offset: u32,
        limit: u32,
    ) -> Result<Page<AuditEntry>, StorageError> {
        let f = filter.clone();
        const WHERE: &str = "WHERE (?1 IS NULL OR user_id = ?1) AND (?2 IS NULL OR action = ?2)
               AND (?3 IS NULL OR at >= ?3) AND (?4 IS NULL OR at < ?4)";
        self.run(move |c| {
            let tx = c.transaction()?;
            let total: i64 = tx.query_row(
                &format!("SELECT count(*) FROM audit_log {WHERE}"),
                params![f.user, f.action, f.from, f.until],
                |r| r.get(0),
            )?;
            let rows = tx
                .prepare(&format!(
                    "SELECT at, user_id, action, target, detail FROM audit_log {WHERE}
                     ORDER BY id DESC LIMIT ?5 OFFSET ?6"
                ))?
                .query_map(
                    params![f.user, f.action, f.from, f.until, limit, offset],
                    |r| {
                        Ok(AuditEntry {
                            at: r.get(0)?,
                            user: UserId::new(r.get::<_, String>(1)?),
                            action: r.get(2)?,
                            target: r.get(3)?,
                            detail: r.get(4)?,
                        })
                    },
                )?
                .collect::<Result<_, _>>()?;
            tx.commit()?;
            Ok(Page {
                rows,
                total: total as u64,
            })
        })
        .await
    }

    pub(super) async fn audit_authors(&self) -> Result<Vec<UserId>, StorageError> {
        self.run(|c| {
            c.prepare("SELECT DISTINCT user_id FROM audit_log ORDER BY user_id")?
                .query_map([], |r| Ok(UserId::new(r.get::<_, String>(0)?)))?
                .collect()
        })
        .await
    }

    pub(super) async fn requests_page(
        &self,
        scope: &Scope,
        filter: &RequestFilter,
        offset: u32,
        limit: u32,
    ) -> Result<Page<RequestRow>, StorageError> {
        let (scope_filter, arg) = scope_sql(scope);
        let f = filter.clone();
        let matching = format!(
            "FROM report_requests
             WHERE ({scope_filter})
               AND (?2 IS NULL OR branch = ?2)
               AND (?3 IS NULL OR kind = ?3)
               AND (?4 IS NULL OR status = ?4)
               AND (?5 = 0 OR open_referrals > 0)"
        );
        let count = format!("SELECT count(*) {matching}");
        // The request id last, so the order is total and pages neither repeat nor skip rows.
        let page = format!(
            "SELECT {REQUEST_COLUMNS} {matching}
             ORDER BY status <> 'awaiting-decision',
                      CASE WHEN status = 'awaiting-decision' THEN clock_started_at END,
                      coalesce(decided_at, submitted_at, 0) DESC, reference, request_id
             LIMIT ?6 OFFSET ?7"
        );
        self.run(move |c| {
            let tx = c.transaction()?;
            let total: i64 = tx.query_row(
                &count,
                params![arg, f.branch, f.kind, f.status, f.referred],
                |r| r.get(0),
            )?;
            let rows = tx
                .prepare_cached(&page)?
                .query_map(
                    params![arg, f.branch, f.kind, f.status, f.referred, limit, offset],
                    request_from_row,
                )?
                .collect::<Result<_, _>>()?;
            tx.commit()?;
            Ok(Page {
                rows,
                total: total as u64,
            })
        })
        .await
    }

    pub(super) async fn publish_document(&self, doc: &LibraryDocument) -> Result<(), StorageError> {
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

    pub(super) async fn retire_document(&self, id: &str) -> Result<bool, StorageError> {
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

    pub(super) async fn library(&self) -> Result<Vec<LibraryDocument>, StorageError> {
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

    pub(super) async fn setting(&self, key: &str) -> Result<Option<String>, StorageError> {
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

    pub(super) async fn set_setting(&self, key: &str, value: &str) -> Result<(), StorageError> {
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
