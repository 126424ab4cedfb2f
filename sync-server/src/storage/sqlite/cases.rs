//! Case documents, the changes feed, actor bindings and the report rows kept beside each case
//! (written in the same transaction as the case).

use super::*;

/// Replaces the report rows of one case.
pub(super) fn write_report(
    tx: &rusqlite::Transaction<'_>,
    case: &str,
    report: &CaseReport,
) -> rusqlite::Result<()> {
    for table in [
        "report_households",
        "report_requests",
        "report_surveys",
        "report_contacts",
        "report_services",
    ] {
        tx.prepare_cached(&format!("DELETE FROM {table} WHERE case_id = ?1"))?
            .execute([case])?;
    }
    let h = &report.household;
    tx.prepare_cached(
        "INSERT INTO report_households (case_id, branch, reference, head_name_ar, head_name_en,
            members, requests, search)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        case,
        h.branch,
        h.reference,
        h.head_name_ar,
        h.head_name_en,
        h.members,
        h.requests,
        h.search
    ])?;
    let mut insert = tx.prepare_cached(
        "INSERT INTO report_requests (case_id, request_id, branch, reference, head_name_ar,
            head_name_en, kind, amount, status, submitted_at, clock_started_at, decided_at,
            accepted, decision_reason, open_referrals, granted_amount, granted_in_kind, rounds)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
            ?18)
         ON CONFLICT DO NOTHING",
    )?;
    for r in &report.requests {
        insert.execute(params![
            case,
            r.request_id,
            r.branch,
            r.reference,
            r.head_name_ar,
            r.head_name_en,
            r.kind,
            r.amount,
            r.status,
            r.submitted_at,
            r.clock_started_at,
            r.decided_at,
            r.accepted,
            r.decision_reason,
            r.open_referrals,
            r.granted_amount,
            r.granted_in_kind,
            r.rounds
        ])?;
    }
    let mut insert = tx.prepare_cached(
        "INSERT INTO report_surveys (case_id, survey_id, branch, at, reception, time_and_answers,
            clarity, speed, overall, comment)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT DO NOTHING",
    )?;
    for s in &report.surveys {
        insert.execute(params![
            case,
            s.survey_id,
            s.branch,
            s.at,
            s.reception,
            s.time_and_answers,
            s.clarity,
            s.speed,
            s.overall,
            s.comment
        ])?;
    }
    let mut insert = tx.prepare_cached(
        "INSERT INTO report_contacts (case_id, contact_id, branch, channel, at)
         VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
    )?;
    for c in &report.contacts {
        insert.execute(params![case, c.contact_id, c.branch, c.channel, c.at])?;
    }
    let mut insert = tx.prepare_cached(
        "INSERT INTO report_services (case_id, service_id, branch, reference, request_id, kind,
            description, value, delivered_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT DO NOTHING",
    )?;
    for s in &report.services {
        insert.execute(params![
            case,
            s.service_id,
            s.branch,
            s.reference,
            s.request_id,
            s.kind,
            s.description,
            s.value,
            s.delivered_at
        ])?;
    }
    Ok(())
}

pub(super) fn request_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RequestRow> {
    Ok(RequestRow {
        case_id: r.get(0)?,
        request_id: r.get(1)?,
        branch: r.get(2)?,
        reference: r.get(3)?,
        head_name_ar: r.get(4)?,
        head_name_en: r.get(5)?,
        kind: r.get(6)?,
        amount: r.get(7)?,
        status: r.get(8)?,
        submitted_at: r.get(9)?,
        clock_started_at: r.get(10)?,
        decided_at: r.get(11)?,
        accepted: r.get(12)?,
        decision_reason: r.get(13)?,
        open_referrals: r.get(14)?,
        granted_amount: r.get(15)?,
        granted_in_kind: r.get(16)?,
        rounds: r.get(17)?,
    })
}

pub(super) const REQUEST_COLUMNS: &str =
    "case_id, request_id, branch, reference, head_name_ar, head_name_en,
    kind, amount, status, submitted_at, clock_started_at, decided_at, accepted, decision_reason,
    open_referrals, granted_amount, granted_in_kind, rounds";

/// One case's changes and snapshot; returns how many changes were new.
pub(super) fn store_case(
    tx: &rusqlite::Transaction<'_>,
    item: &ImportedCase,
    device: Option<&str>,
) -> rusqlite::Result<u32> {
    let id = item.case.as_str();
    tx.execute(
        "INSERT INTO cases (id, branch, snapshot, last_seq, summary) VALUES (?1, ?2, ?3, 0, ?4)
         ON CONFLICT (id) DO UPDATE SET snapshot = excluded.snapshot, summary = excluded.summary",
        params![
            id,
            item.branch.as_str(),
            item.snapshot,
            mandoob_shared::sync::encode(&item.summary)
        ],
    )?;
    let mut new = 0u32;
    let mut insert = tx.prepare_cached(
        "INSERT INTO changes (case_id, branch, hash, bytes, device) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (hash) DO NOTHING",
    )?;
    for (hash, bytes) in &item.changes {
        new += insert.execute(params![id, item.branch.as_str(), hash, bytes, device])? as u32;
    }
    tx.execute(
        "UPDATE cases SET last_seq = (SELECT coalesce(max(seq), 0) FROM changes WHERE case_id = ?1) WHERE id = ?1",
        [id],
    )?;
    write_case_blobs(tx, id, item.branch.as_str(), &item.blobs)?;
    write_report(tx, id, &item.report)?;
    if let Some((user, actors)) = &item.authors {
        let mut bind = tx.prepare_cached(
            "INSERT INTO actors (actor, user_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
        )?;
        let mut owner = tx.prepare_cached("SELECT user_id FROM actors WHERE actor = ?1")?;
        for actor in actors {
            bind.execute(params![actor, user.as_str()])?;
            let bound: String = owner.query_row([actor], |r| r.get(0))?;
            if bound != user.as_str() {
                // Bound meanwhile to another account by a concurrent push: nothing is stored.
                return Err(refusal(format!(
                    "replica {actor} writes for another account; sync again"
                )));
            }
        }
    }
    Ok(new)
}

pub(super) fn scope_sql(scope: &Scope) -> (&'static str, String) {
    match scope {
        Scope::All => ("1 = 1 OR ?1 = ''", String::new()),
        Scope::Branch(b) => ("branch = ?1", b.as_str().to_owned()),
    }
}

/// A backlog from `count(*), sum(size)`.
fn backlog_of(r: &rusqlite::Row<'_>) -> rusqlite::Result<Backlog> {
    Ok(Backlog {
        items: r.get::<_, i64>(0)? as u64,
        bytes: r.get::<_, i64>(1)? as u64,
    })
}

impl SqliteStorage {
    pub(super) async fn case(&self, case: &CaseId) -> Result<Option<StoredCase>, StorageError> {
        let id = case.as_str().to_owned();
        self.run(move |c| {
            c.query_row(
                "SELECT branch, snapshot FROM cases WHERE id = ?1",
                [id],
                |r| {
                    Ok(StoredCase {
                        branch: BranchCode::new(r.get::<_, String>(0)?),
                        snapshot: r.get(1)?,
                    })
                },
            )
            .optional()
        })
        .await
    }

    pub(super) async fn store_changes(
        &self,
        item: ImportedCase,
        device: Option<&DeviceCode>,
    ) -> Result<u32, StorageError> {
        let device = device.map(|d| d.as_str().to_owned());
        self.run(move |c| {
            let tx = c.transaction()?;
            let new = store_case(&tx, &item, device.as_deref())?;
            tx.commit()?;
            Ok(new)
        })
        .await
    }

    pub(super) async fn import_cases(&self, cases: Vec<ImportedCase>) -> Result<(), StorageError> {
        self.run(move |c| {
            let tx = c.transaction()?;
            for item in &cases {
                store_case(&tx, item, None)?;
            }
            tx.commit()
        })
        .await
    }

    pub(super) async fn changes_page(
        &self,
        scope: &Scope,
        cursor: u64,
        limit: &PullLimit,
    ) -> Result<FeedPage, StorageError> {
        let (filter, arg) = scope_sql(scope);
        let sql = format!(
            "SELECT seq, case_id, device, length(bytes) + length(case_id), bytes FROM changes
             WHERE ({filter}) AND seq > ?2 ORDER BY seq LIMIT ?3"
        );
        let backlog = format!(
            "SELECT count(*), coalesce(sum(length(bytes) + length(case_id)), 0) FROM changes
             WHERE ({filter}) AND seq > ?2 AND (device IS NULL OR device <> ?3)"
        );
        let limit = limit.clone();
        let own = limit
            .device
            .as_ref()
            .map(|d| d.as_str().to_owned())
            .unwrap_or_default();
        self.run(move |c| {
            // One read transaction: the page and what is left after it agree.
            let tx = c.transaction()?;
            let (mut changes, mut more, mut used) = (Vec::new(), false, 0u64);
            {
                let mut stmt = tx.prepare_cached(&sql)?;
                let mut rows =
                    stmt.query(params![arg, cursor as i64, i64::from(limit.items) + 1])?;
                while let Some(r) = rows.next()? {
                    let device = r.get::<_, Option<String>>(2)?;
                    // The device's own changes are not sent back to it: they cost nothing.
                    let size = if device.as_deref() == Some(own.as_str()) {
                        0
                    } else {
                        r.get::<_, i64>(3)? as u64
                    };
                    if changes.len() as u32 == limit.items
                        || (used > 0 && used.saturating_add(size) > limit.bytes)
                    {
                        more = true;
                        break;
                    }
                    used += size;
                    changes.push(FeedChange {
                        seq: r.get::<_, i64>(0)? as u64,
                        case: CaseId::new(r.get::<_, String>(1)?),
                        device: device.map(DeviceCode::new),
                        bytes: r.get(4)?,
                    });
                }
            }
            let last = changes.last().map_or(cursor, |c: &FeedChange| c.seq);
            let remaining = if more {
                tx.query_row(&backlog, params![arg, last as i64, own], backlog_of)?
            } else {
                Backlog::default()
            };
            tx.commit()?;
            Ok(FeedPage {
                changes,
                more,
                remaining,
            })
        })
        .await
    }

    pub(super) async fn whole_page(
        &self,
        scope: &Scope,
        after: Option<&CaseId>,
        limit: &PullLimit,
    ) -> Result<WholePage, StorageError> {
        let (filter, arg) = scope_sql(scope);
        let after = after.map(|a| a.as_str().to_owned()).unwrap_or_default();
        // Sizes from the rows' headers (SQLite reads no blob for `length`).
        let size = "length(snapshot) + coalesce(length(summary), 0) + length(id)";
        let sql = format!(
            "SELECT id, {size}, snapshot, summary FROM cases WHERE ({filter}) AND id > ?2
             ORDER BY id LIMIT ?3"
        );
        let backlog = format!(
            "SELECT count(*), coalesce(sum({size}), 0) FROM cases WHERE ({filter}) AND id > ?2"
        );
        let limit = limit.clone();
        self.run(move |c| {
            // One read transaction: the documents and the sequence they include agree.
            let tx = c.transaction()?;
            let head: i64 = tx.query_row("SELECT coalesce(max(seq), 0) FROM changes", [], |r| {
                r.get(0)
            })?;
            let (mut docs, mut more, mut used) = (Vec::new(), false, 0u64);
            {
                let mut stmt = tx.prepare_cached(&sql)?;
                let mut rows = stmt.query(params![arg, after, i64::from(limit.items) + 1])?;
                while let Some(r) = rows.next()? {
                    let size = r.get::<_, i64>(1)? as u64;
                    if docs.len() as u32 == limit.items
                        || (used > 0 && used.saturating_add(size) > limit.bytes)
                    {
                        more = true;
                        break;
                    }
                    used += size;
                    docs.push(WholeDocument {
                        case: CaseId::new(r.get::<_, String>(0)?),
                        snapshot: r.get(2)?,
                        // An unreadable summary is as if there were none: the device reads
                        // the document.
                        summary: r
                            .get::<_, Option<Vec<u8>>>(3)?
                            .and_then(|b| mandoob_shared::sync::decode(&b).ok()),
                    });
                }
            }
            let remaining = match docs.last() {
                Some(last) if more => {
                    tx.query_row(&backlog, params![arg, last.case.as_str()], backlog_of)?
                }
                _ => Backlog::default(),
            };
            tx.commit()?;
            Ok(WholePage {
                docs,
                head: head as u64,
                more,
                remaining,
            })
        })
        .await
    }

    pub(super) async fn head_sequence(&self) -> Result<u64, StorageError> {
        self.run(|c| {
            c.query_row("SELECT coalesce(max(seq), 0) FROM changes", [], |r| {
                r.get::<_, i64>(0)
            })
            .map(|v| v as u64)
        })
        .await
    }

    pub(super) async fn actor_owners(
        &self,
        actors: &[String],
    ) -> Result<Vec<(String, UserId)>, StorageError> {
        let actors = actors.to_vec();
        self.run(move |c| {
            let mut select = c.prepare_cached("SELECT user_id FROM actors WHERE actor = ?1")?;
            let mut owners = Vec::new();
            for actor in actors {
                if let Some(owner) = select
                    .query_row([&actor], |r| r.get::<_, String>(0))
                    .optional()?
                {
                    owners.push((actor, UserId::new(owner)));
                }
            }
            Ok(owners)
        })
        .await
    }

    pub(super) async fn households(
        &self,
        scope: &Scope,
        query: &HouseholdQuery,
        limit: u32,
    ) -> Result<Vec<HouseholdRow>, StorageError> {
        let (scope_filter, arg) = scope_sql(scope);
        // Every word must be found; words are folded letters and digits only (no `%` or `_`).
        let words: Vec<String> = query.words().into_iter().take(8).collect();
        let mut sql = format!(
            "SELECT case_id, branch, reference, head_name_ar, head_name_en, members, requests,
                search FROM report_households WHERE ({scope_filter}) AND (?2 = 0 OR requests = 0)"
        );
        let mut args: Vec<rusqlite::types::Value> = vec![
            arg.into(),
            i64::from(query.without_request).into(),
            i64::from(limit).into(),
        ];
        // Any part of a word (infix: "عنزي" finds العنزي, "Enezi" Al-Enezi), as on the device;
        // a single letter only at a word's start, or it would match nearly everything.
        for w in words {
            sql.push_str(&format!(" AND search LIKE ?{}", args.len() + 1));
            let pattern = if w.chars().count() > 1 {
                format!("%{w}%")
            } else {
                format!("% {w}%")
            };
            args.push(pattern.into());
        }
        sql.push_str(" ORDER BY reference LIMIT ?3");
        self.run(move |c| {
            let mut stmt = c.prepare(&sql)?;
            stmt.query_map(rusqlite::params_from_iter(args), |r| {
                Ok(HouseholdRow {
                    case_id: r.get(0)?,
                    branch: r.get(1)?,
                    reference: r.get(2)?,
                    head_name_ar: r.get(3)?,
                    head_name_en: r.get(4)?,
                    members: r.get(5)?,
                    requests: r.get(6)?,
                    search: r.get(7)?,
                })
            })?
            .collect()
        })
        .await
    }

    pub(super) async fn report_rows(&self, scope: &Scope) -> Result<ReportRows, StorageError> {
        let (filter, arg) = scope_sql(scope);
        self.run(move |c| {
            let tx = c.transaction()?;
            let requests = tx
                .prepare(&format!(
                    "SELECT {REQUEST_COLUMNS} FROM report_requests WHERE ({filter}) ORDER BY reference, request_id"
                ))?
                .query_map([&arg], request_from_row)?
                .collect::<Result<_, _>>()?;
            let surveys = tx
                .prepare(&format!(
                    "SELECT case_id, survey_id, branch, at, reception, time_and_answers, clarity,
                        speed, overall, comment FROM report_surveys WHERE ({filter}) ORDER BY at"
                ))?
                .query_map([&arg], |r| {
                    Ok(SurveyRow {
                        case_id: r.get(0)?,
                        survey_id: r.get(1)?,
                        branch: r.get(2)?,
                        at: r.get(3)?,
                        reception: r.get(4)?,
                        time_and_answers: r.get(5)?,
                        clarity: r.get(6)?,
                        speed: r.get(7)?,
                        overall: r.get(8)?,
                        comment: r.get(9)?,
                    })
                })?
                .collect::<Result<_, _>>()?;
            let contacts = tx
                .prepare(&format!(
                    "SELECT case_id, contact_id, branch, channel, at FROM report_contacts
                     WHERE ({filter}) ORDER BY at"
                ))?
                .query_map([&arg], |r| {
                    Ok(ContactRow {
                        case_id: r.get(0)?,
                        contact_id: r.get(1)?,
                        branch: r.get(2)?,
                        channel: r.get(3)?,
                        at: r.get(4)?,
                    })
                })?
                .collect::<Result<_, _>>()?;
            let services = tx
                .prepare(&format!(
                    "SELECT case_id, service_id, branch, reference, request_id, kind, description,
                        value, delivered_at FROM report_services WHERE ({filter}) ORDER BY delivered_at"
                ))?
                .query_map([&arg], |r| {
                    Ok(ServiceRow {
                        case_id: r.get(0)?,
                        service_id: r.get(1)?,
                        branch: r.get(2)?,
                        reference: r.get(3)?,
                        request_id: r.get(4)?,
                        kind: r.get(5)?,
                        description: r.get(6)?,
                        value: r.get(7)?,
                        delivered_at: r.get(8)?,
                    })
                })?
                .collect::<Result<_, _>>()?;
            tx.commit()?;
            Ok(ReportRows {
                requests,
                surveys,
                contacts,
                services,
            })
        })
        .await
    }
}
