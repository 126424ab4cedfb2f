//! The device side of sync, without the network: [`Engine::prepare_sync`] builds the request
//! (every case changed since the server last acknowledged it), [`Engine::apply_sync`] applies
//! the server's answer. The transport (`sync_client`, reqwest) only carries the bytes, so the
//! same logic runs natively and in the browser's worker.
//!
//! Safe to interrupt anywhere: nothing is marked synced until the server's answer is applied,
//! and each answer is applied in one transaction. Sending the same push again is harmless
//! (the server stores each change once).

use std::collections::HashMap;

use automerge::ChangeHash;
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use mandoob_shared::doc::CaseDoc;
use mandoob_shared::ids::CaseId;
use mandoob_shared::summary::Summary;
use mandoob_shared::sync::{self as wire, Library, Pulled, PushDoc, SyncRequest, SyncResponse};

use crate::engine::{Engine, EngineError, Event, index_row, summary_row};
use crate::store::{self, StoreError};

/// What one sync round did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncSummary {
    pub pushed_cases: u32,
    pub pushed_changes: u32,
    pub refused: Vec<RefusedLocal>,
    pub pulled_cases: u32,
    pub pulled_changes: u32,
    pub more: bool,
}

/// A local change the server refused: kept for audit; the case was reset to the server's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefusedLocal {
    pub case: CaseId,
    pub hash: String,
    pub code: String,
    pub message: String,
}

/// The new state of one case, computed before the transaction that writes it.
struct Pending {
    case: CaseId,
    doc: CaseDoc,
    /// Changes to append to the stored tail.
    appended: Vec<Vec<u8>>,
    /// Write a whole snapshot instead (new case, or reset to the server's copy).
    snapshot: bool,
    /// The heads the server is known to have, when known.
    server: Option<Vec<ChangeHash>>,
    /// The document's bytes as received, when it is stored as received.
    received: Option<Vec<u8>>,
    /// What the index needs, when already known for `doc` as it is now.
    read: Option<Indexed>,
}

/// What the index row of a received document comes from.
enum Indexed {
    /// The case file and its conflict flag, read from the document.
    Read(Box<mandoob_shared::model::CaseFile>, bool),
    /// The server's summary, computed at exactly the document's heads.
    Summary(Box<Summary>),
}

/// A whole document decoded (and read, unless the server's summary describes it) on a worker
/// thread.
type Preloaded = Result<(CaseDoc, Indexed), mandoob_shared::DocError>;

/// What was pushed, kept until the answer arrives.
#[derive(Debug, Default)]
pub(crate) struct InFlight {
    heads: HashMap<CaseId, Vec<ChangeHash>>,
    /// Some local changes did not fit this request's limits: sync again to push them.
    left_behind: bool,
}

/// The heads a replica has after `known` and then `changes` (in causal order).
fn heads_after(known: &[ChangeHash], changes: &[Vec<u8>]) -> Vec<ChangeHash> {
    let mut heads: Vec<ChangeHash> = known.to_vec();
    for bytes in changes {
        if let Ok(c) = automerge::Change::try_from(bytes.as_slice()) {
            heads.retain(|h| !c.deps().contains(h));
            heads.push(c.hash());
        }
    }
    heads.sort();
    heads.dedup();
    heads
}

fn heads_to_bytes(heads: &[ChangeHash]) -> Vec<u8> {
    heads.iter().flat_map(|h| h.0).collect()
}

fn heads_from_bytes(bytes: &[u8]) -> Vec<ChangeHash> {
    bytes
        .chunks_exact(32)
        .filter_map(|c| ChangeHash::try_from(c).ok())
        .collect()
}

impl Engine {
    fn setting(&self, key: &str) -> Result<Option<String>, EngineError> {
        Ok(self
            .store()
            .conn()
            .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()?)
    }

    fn server_heads(&self, case: &str) -> Result<Vec<ChangeHash>, EngineError> {
        Ok(self
            .store()
            .conn()
            .query_row(
                "SELECT heads FROM server_heads WHERE case_id = ?1",
                [case],
                |r| r.get::<_, Vec<u8>>(0),
            )
            .optional()?
            .map(|b| heads_from_bytes(&b))
            .unwrap_or_default())
    }

    /// The next sync request: local changes the server has not acknowledged, and the cursor.
    pub fn prepare_sync(&mut self, page: u32) -> Result<SyncRequest, EngineError> {
        let cursor: u64 = self
            .setting("sync_cursor")?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let whole_after = self.setting("sync_whole_after")?.map(CaseId::new);
        let unsynced: Vec<String> = {
            let conn = self.store().conn();
            let mut stmt =
                conn.prepare_cached("SELECT id FROM cases WHERE unsynced = 1 ORDER BY id")?;
            stmt.query_map([], |r| r.get(0))?
                .collect::<Result<_, _>>()?
        };
        let mut push = Vec::new();
        let mut in_flight = InFlight::default();
        // The server takes at most so many changes and bytes per request: push a prefix of
        // the work (whole cases first, then the causal prefix of a large one) and the rest in
        // the next request of the same sync.
        let (mut room_changes, mut room_bytes) = (wire::MAX_PUSH_CHANGES, wire::MAX_PUSH_BYTES);
        for id in unsynced {
            if room_changes == 0 {
                in_flight.left_behind = true;
                break;
            }
            let known = self.server_heads(&id)?;
            let mut doc = self.store().load_doc(&id)?;
            let mut changes = doc.changes_since(&known);
            let mut fits = 0;
            let mut bytes = 0;
            for c in &changes {
                if fits == room_changes || bytes + c.len() > room_bytes {
                    break;
                }
                fits += 1;
                bytes += c.len();
            }
            if fits == 0 && !changes.is_empty() {
                if push.is_empty() {
                    // A single change over the byte limit: sent alone, the server says why.
                    fits = 1;
                } else {
                    in_flight.left_behind = true;
                    break;
                }
            }
            room_changes = room_changes.saturating_sub(fits);
            room_bytes = room_bytes.saturating_sub(bytes);
            let case = CaseId::new(id);
            if fits < changes.len() {
                changes.truncate(fits);
                in_flight
                    .heads
                    .insert(case.clone(), heads_after(&known, &changes));
                in_flight.left_behind = true;
            } else {
                in_flight.heads.insert(case.clone(), doc.heads());
            }
            if !changes.is_empty() {
                push.push(PushDoc {
                    case,
                    changes: changes.into_iter().map(wire::Bytes).collect(),
                });
            }
        }
        self.set_in_flight(in_flight);
        Ok(SyncRequest {
            protocol: wire::PROTOCOL_VERSION,
            cursor,
            whole_after,
            push,
            page,
        })
    }

    /// Applies the server's answer in one transaction.
    pub fn apply_sync(&mut self, response: SyncResponse) -> Result<SyncSummary, EngineError> {
        wire::check_version(response.protocol).map_err(|e| EngineError::Storage(e.to_string()))?;
        if response.sla != *self.sla() {
            self.set_sla(response.sla.clone())?;
        }
        let in_flight = self.take_in_flight();
        let mut summary = SyncSummary {
            more: response.more || in_flight.left_behind,
            ..SyncSummary::default()
        };
        let sla = self.sla().clone();
        let mut changed: Vec<CaseId> = Vec::new();
        // Work out every new document state first, then write them all in one transaction.
        let mut writes: Vec<Pending> = Vec::new();
        let mut refused_rows: Vec<RefusedLocal> = Vec::new();

        for outcome in &response.pushed {
            summary.pushed_cases += 1;
            summary.pushed_changes += outcome.accepted;
            let Some(pushed_heads) = in_flight.heads.get(&outcome.case) else {
                continue;
            };
            if outcome.refused.is_empty() {
                writes.push(Pending {
                    case: outcome.case.clone(),
                    doc: self.store().load_doc(outcome.case.as_str())?,
                    appended: Vec::new(),
                    snapshot: false,
                    server: Some(pushed_heads.clone()),
                    received: None,
                    read: None,
                });
                continue;
            }
            for r in &outcome.refused {
                refused_rows.push(RefusedLocal {
                    case: outcome.case.clone(),
                    hash: r.hash.clone(),
                    code: r.code.clone(),
                    message: r.message.clone(),
                });
            }
            if let Some(reset) = &outcome.reset {
                // The server's copy wins; the refused changes stay in the audit table.
                let mut doc = CaseDoc::load(&reset.0)?;
                let heads = doc.heads();
                writes.push(Pending {
                    case: outcome.case.clone(),
                    doc,
                    appended: Vec::new(),
                    snapshot: true,
                    server: Some(heads),
                    received: Some(reset.0.clone()),
                    read: None,
                });
            }
        }
        // Decoding and reading whole documents is most of a first sync: do both on every
        // core, in one pass.
        let mut loaded: Vec<Option<Preloaded>> = par_map(&response.pulled, |p| match p {
            Pulled::Whole { doc, summary, .. } => Some(CaseDoc::load(&doc.0).and_then(|mut d| {
                let heads: Vec<[u8; 32]> = d.heads().iter().map(|h| h.0).collect();
                match summary {
                    Some(s) if s.describes(&heads) => Ok((d, Indexed::Summary(s.clone()))),
                    _ => {
                        let (case, conflicts) = d.read_with_conflicts()?;
                        Ok((d, Indexed::Read(Box::new(case), conflicts)))
                    }
                }
            })),
            Pulled::Changes { .. } => None,
        });
        // Cases already in `writes` (pushed this round), so a cold sync of thousands does not
        // search the list for every document.
        let mut in_writes: std::collections::HashSet<CaseId> =
            writes.iter().map(|w| w.case.clone()).collect();
        for (pulled, preloaded) in response.pulled.into_iter().zip(loaded.drain(..)) {
            let (case, doc_changes, whole) = match pulled {
                Pulled::Changes { case, changes } => (
                    case,
                    changes.into_iter().map(|b| b.0).collect::<Vec<_>>(),
                    None,
                ),
                Pulled::Whole { case, doc, .. } => (case, Vec::new(), Some(doc.0)),
            };
            summary.pulled_cases += 1;
            summary.pulled_changes += doc_changes.len() as u32;
            // Start from what this round already computed for the case, else from the store.
            let pos = if in_writes.contains(&case) {
                writes.iter().position(|w| w.case == case)
            } else {
                None
            };
            let (mut doc, mut appended, mut snapshot, mut server) = match pos {
                Some(i) => {
                    let w = writes.remove(i);
                    (w.doc, w.appended, w.snapshot, w.server)
                }
                None if self.store().has_case(case.as_str())? => {
                    let heads = self.server_heads(case.as_str())?;
                    (
                        self.store().load_doc(case.as_str())?,
                        Vec::new(),
                        false,
                        Some(heads),
                    )
                }
                None => (CaseDoc::empty(), Vec::new(), true, Some(Vec::new())),
            };
            let mut received = None;
            let mut read = None;
            let before_heads = doc.heads();
            let in_sync = server.as_ref() == Some(&before_heads);
            let before = doc.heads();
            match whole {
                Some(bytes) => {
                    let (mut theirs, their_read) = match preloaded {
                        Some(loaded) => {
                            let (d, r) = loaded?;
                            (d, Some(r))
                        }
                        None => (CaseDoc::load(&bytes)?, None),
                    };
                    if before.is_empty() {
                        doc = theirs;
                        snapshot = true;
                        received = Some(bytes);
                        read = their_read;
                    } else {
                        doc.merge(&mut theirs)?;
                    }
                }
                None => doc.apply_changes(&doc_changes)?,
            }
            if !snapshot {
                appended.extend(doc.changes_since(&before));
            }
            if in_sync {
                server = Some(doc.heads());
            }
            in_writes.insert(case.clone());
            writes.push(Pending {
                case,
                doc,
                appended,
                snapshot,
                server,
                received,
                read,
            });
        }

        let now_unsynced: Vec<bool> = writes
            .iter_mut()
            .map(|w| w.server.as_deref() != Some(w.doc.heads().as_slice()))
            .collect();
        let rows = index_rows(&writes, &now_unsynced, &sla)?;
        changed.extend(writes.iter().map(|w| w.case.clone()));
        let cursor = response.cursor;
        let whole_after = response.whole_after.clone();
        self.store_mut().transaction(|tx| {
            for (Pending { case, doc, appended, snapshot, server, received, .. }, row) in
                writes.iter_mut().zip(&rows)
            {
                store::write_index(tx, row)?;
                if let Some(bytes) = received {
                    store::write_snapshot_bytes(tx, case.as_str(), bytes)?;
                } else if *snapshot {
                    store::write_snapshot(tx, case.as_str(), doc)?;
                } else if !appended.is_empty() {
                    store::append_changes(tx, case.as_str(), appended, doc)?;
                }
                if let Some(heads) = server {
                    tx.prepare_cached(
                        "INSERT INTO server_heads (case_id, heads) VALUES (?1, ?2)
                         ON CONFLICT (case_id) DO UPDATE SET heads = excluded.heads",
                    )?
                    .execute(params![case.as_str(), heads_to_bytes(heads)])?;
                }
            }
            for r in &refused_rows {
                tx.execute(
                    "INSERT INTO refused_changes (case_id, hash, code, message) VALUES (?1, ?2, ?3, ?4)",
                    params![r.case.as_str(), r.hash, r.code, r.message],
                )?;
            }
            tx.execute(
                "INSERT INTO settings (key, value) VALUES ('sync_cursor', ?1)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [cursor.to_string()],
            )?;
            match &whole_after {
                Some(a) => tx.execute(
                    "INSERT INTO settings (key, value) VALUES ('sync_whole_after', ?1)
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    [a.as_str()],
                )?,
                None => tx.execute("DELETE FROM settings WHERE key = 'sync_whole_after'", [])?,
            };
            Ok::<(), StoreError>(())
        })?;
        for w in writes {
            self.forget_cached(w.case.as_str());
        }
        summary.refused = refused_rows;
        for case in changed {
            self.push_event(Event::CaseChanged(case));
        }
        Ok(summary)
    }

    /// Adopts headquarters' SLA setting: keeps it and recomputes every due date, in one
    /// transaction.
    pub fn set_sla(&mut self, sla: mandoob_shared::workflow::SlaPolicy) -> Result<(), EngineError> {
        let json = serde_json::to_string(&sla).map_err(|e| EngineError::Storage(e.to_string()))?;
        // Rows written before the clock's start was indexed: read from their documents.
        let unknown: Vec<String> = {
            let conn = self.store().conn();
            let mut stmt = conn.prepare(
                "SELECT id FROM cases WHERE status = 'awaiting-decision' AND awaiting_since IS NULL",
            )?;
            stmt.query_map([], |r| r.get(0))?
                .collect::<Result<_, _>>()?
        };
        let mut started: Vec<(String, Option<i64>)> = Vec::new();
        for id in unknown {
            let doc = self.store().load_doc(&id)?;
            let (case, _) = doc.read_with_conflicts()?;
            let summary = mandoob_shared::summary::Summary::of(&case, false, Vec::new());
            started.push((id, summary.awaiting_since.map(|t| t.millis())));
        }
        let known: Vec<(String, Option<i64>)> = {
            let conn = self.store().conn();
            let mut stmt = conn
                .prepare("SELECT id, awaiting_since FROM cases WHERE awaiting_since IS NOT NULL")?;
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?
        };
        started.extend(known);
        let due = |start: Option<i64>| {
            start
                .and_then(mandoob_shared::ids::Timestamp::from_millis)
                .map(|t| sla.due_date(t).to_string())
        };
        self.store_mut().transaction(|tx| {
            for (id, start) in &started {
                tx.prepare_cached(
                    "UPDATE cases SET awaiting_since = ?2, due_date = ?3 WHERE id = ?1",
                )?
                .execute(params![id, start, due(*start)])?;
            }
            tx.execute(
                "INSERT INTO settings (key, value) VALUES ('sla', ?1)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [&json],
            )?;
            Ok::<(), StoreError>(())
        })?;
        self.replace_sla(sla);
        Ok(())
    }

    /// The reference documents HQ published, as of the last sync (empty before one).
    pub fn library(&self) -> Result<Library, EngineError> {
        Ok(self
            .setting("library")?
            .and_then(|json| serde_json::from_str(&json).ok())
            .unwrap_or_default())
    }

    /// Keeps the reference documents HQ published.
    pub fn save_library(&mut self, library: &Library) -> Result<(), EngineError> {
        let json =
            serde_json::to_string(library).map_err(|e| EngineError::Storage(e.to_string()))?;
        self.store().conn().execute(
            "INSERT INTO settings (key, value) VALUES ('library', ?1)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [json],
        )?;
        Ok(())
    }

    /// Local changes the server refused, newest last.
    pub fn refused_changes(&self) -> Result<Vec<RefusedLocal>, EngineError> {
        let conn = self.store().conn();
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
}

/// Index rows of the new documents (hydrating is the other large part of a first sync).
fn index_rows(
    writes: &[Pending],
    unsynced: &[bool],
    sla: &mandoob_shared::workflow::SlaPolicy,
) -> Result<Vec<store::IndexRow>, EngineError> {
    let pairs: Vec<(&Pending, bool)> = writes.iter().zip(unsynced.iter().copied()).collect();
    par_map(&pairs, |(w, u)| -> Result<store::IndexRow, EngineError> {
        match &w.read {
            Some(Indexed::Read(case, conflicts)) => Ok(index_row(case, *conflicts, sla, *u)),
            Some(Indexed::Summary(s)) => {
                Ok(summary_row(w.case.as_str(), Summary::clone(s), sla, *u))
            }
            None => {
                let (case, conflicts) = w.doc.read_with_conflicts()?;
                Ok(index_row(&case, conflicts, sla, *u))
            }
        }
    })
    .into_iter()
    .collect()
}

/// `items.iter().map(f)`, spread over the machine's cores natively (results in order); workers
/// take small batches as they go, so one slow core does not hold the rest back. Sequential on
/// the web, where the engine already runs in its own worker.
fn par_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    #[cfg(not(target_arch = "wasm32"))]
    {
        use std::sync::atomic::{AtomicUsize, Ordering};
        const BATCH: usize = 16;
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(8);
        if threads > 1 && items.len() >= 4 * BATCH {
            let next = AtomicUsize::new(0);
            let (f, next) = (&f, &next);
            let mut batches: Vec<(usize, Vec<R>)> = std::thread::scope(|s| {
                let handles: Vec<_> = (0..threads)
                    .map(|_| {
                        s.spawn(move || {
                            let mut done = Vec::new();
                            loop {
                                let start = next.fetch_add(BATCH, Ordering::Relaxed);
                                if start >= items.len() {
                                    break done;
                                }
                                let end = (start + BATCH).min(items.len());
                                done.push((start, items[start..end].iter().map(f).collect()));
                            }
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .flat_map(|h| match h.join() {
                        Ok(v) => v,
                        Err(panic) => std::panic::resume_unwind(panic),
                    })
                    .collect()
            });
            batches.sort_unstable_by_key(|(start, _)| *start);
            return batches.into_iter().flat_map(|(_, r)| r).collect();
        }
    }
    items.iter().map(f).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use mandoob_shared::doc::Author;
    use mandoob_shared::ids::{BranchCode, DeviceCode, Timestamp, UserId};
    use mandoob_shared::workflow::{DayCount, Role, SlaPolicy};

    /// A new SLA recomputes every due date, also for rows indexed before the clock's start
    /// was kept (read from their documents).
    #[test]
    fn a_new_sla_recomputes_due_dates_of_old_and_new_rows() {
        let mut e = Engine::in_memory().expect("engine");
        e.set_session(crate::engine::Session {
            user: UserId::new("rep-7"),
            role: Role::Representative,
            branch: BranchCode::new("QRN"),
            device: DeviceCode::new("A7"),
        })
        .expect("session");
        let mut ids = Vec::new();
        for seed in [1, 2] {
            let case = mandoob_shared::sample::realistic_case(seed);
            let author = Author {
                user: case.created_by.clone(),
                at: Timestamp::now(),
            };
            let mut doc = CaseDoc::create(&case, &author).expect("doc");
            ids.push(e.import_case(&mut doc, false).expect("import"));
        }
        // The first row as an older engine wrote it.
        e.store()
            .conn()
            .execute(
                "UPDATE cases SET awaiting_since = NULL WHERE id = ?1",
                [ids[0].as_str()],
            )
            .expect("update");
        let sla = SlaPolicy {
            days: 30,
            count: DayCount::Working,
            holidays: Vec::new(),
        };
        e.set_sla(sla.clone()).expect("set");
        for id in &ids {
            let opened = e.open_case(id).expect("open");
            let expected = opened.requests[0].due_date(&sla).map(|d| d.to_string());
            assert!(expected.is_some());
            let due: Option<String> = e
                .store()
                .conn()
                .query_row(
                    "SELECT due_date FROM cases WHERE id = ?1",
                    [id.as_str()],
                    |r| r.get(0),
                )
                .expect("row");
            assert_eq!(due, expected, "{id:?}");
        }
        // Kept across a restart of the engine: read back from the settings.
        assert_eq!(e.sla(), &sla);
        let json: String = e
            .store()
            .conn()
            .query_row("SELECT value FROM settings WHERE key = 'sla'", [], |r| {
                r.get(0)
            })
            .expect("saved");
        assert_eq!(serde_json::from_str::<SlaPolicy>(&json).expect("json"), sla);
    }
}
