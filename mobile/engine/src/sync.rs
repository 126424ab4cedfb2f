//! The device side of sync, without the network: [`prepare`] builds the request (every case
//! changed since the server last acknowledged it), [`apply`] applies the server's answer. Both
//! are functions over the store: what a request pushed is kept in the store's settings
//! ([`InFlight`]) until its answer is applied, not in the engine. The transport
//! (`sync_client`, reqwest) only carries the bytes, so the same logic runs natively and in the
//! browser's worker.
//!
//! Safe to interrupt anywhere: nothing is marked synced until the server's answer is applied,
//! and each answer is applied in one transaction. Sending the same push again is harmless
//! (the server stores each change once).

use std::collections::{HashMap, HashSet};

use automerge::ChangeHash;
use serde::{Deserialize, Serialize};

use mandoob_shared::doc::CaseDoc;
use mandoob_shared::ids::CaseId;
use mandoob_shared::model::CaseFile;
use mandoob_shared::summary::Summary;
use mandoob_shared::sync::{self as wire, Pulled, PushDoc, PushOutcome, SyncRequest, SyncResponse};
use mandoob_shared::workflow::SlaPolicy;

use crate::engine::EngineError;
use crate::par::par_map;
use crate::photos::{thumbnails, thumbnails_in};
use crate::search::{index_row, summary_row};
use crate::store::{self, IndexRow, Store, blobs, cases, settings};

/// What one sync round did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncSummary {
    pub pushed_cases: u32,
    pub pushed_changes: u32,
    pub refused: Vec<RefusedLocal>,
    pub pulled_cases: u32,
    pub pulled_changes: u32,
    pub more: bool,
    /// Thumbnails of photos taken on other devices fetched after the pull.
    #[serde(default)]
    pub thumbnails_fetched: u32,
}

/// A local change the server refused: kept for audit; the case was reset to the server's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefusedLocal {
    pub case: CaseId,
    pub hash: String,
    pub code: String,
    pub message: String,
}

/// What the last request pushed, kept in the store ([`settings::SYNC_IN_FLIGHT`]) from
/// [`prepare`] until [`apply`] applies the answer: the heads each pushed case has on the server
/// once the push is stored. (The case may change meanwhile, so these cannot be worked out
/// again when the answer arrives.)
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct InFlight {
    heads: HashMap<CaseId, Vec<ChangeHash>>,
    /// Some local changes did not fit this request's limits: sync again to push them.
    left_behind: bool,
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

impl Pending {
    /// A case as stored (or as the server reset it): nothing to append yet.
    fn unchanged(case: CaseId, doc: CaseDoc, server: Vec<ChangeHash>) -> Self {
        Self {
            case,
            doc,
            appended: Vec::new(),
            snapshot: false,
            server: Some(server),
            received: None,
            read: None,
        }
    }
}

/// What the index row of a received document comes from.
enum Indexed {
    /// The case file and its conflict flag, read from the document.
    Read(Box<CaseFile>, bool),
    /// The server's summary, computed at exactly the document's heads, and the thumbnails
    /// the document names (read without reading the case).
    Summary(Box<Summary>, Vec<String>),
}

/// A whole document decoded (and read, unless the server's summary describes it) on a worker
/// thread.
type Preloaded = Result<(CaseDoc, Indexed), mandoob_shared::DocError>;

/// What applying an answer did: the summary, and the cases it changed.
#[derive(Debug)]
pub struct Applied {
    pub summary: SyncSummary,
    pub changed: Vec<CaseId>,
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

/// The heads the server is known to have of a case (none when unknown).
fn server_heads(store: &Store, case: &str) -> Result<Vec<ChangeHash>, EngineError> {
    Ok(cases::server_heads(store.conn(), case)?
        .map(|b| heads_from_bytes(&b))
        .unwrap_or_default())
}

/// The next sync request: local changes the server has not acknowledged, and the cursor. What
/// it pushes is kept in the store until the answer is applied.
pub fn prepare(store: &Store, page: u32) -> Result<SyncRequest, EngineError> {
    let conn = store.conn();
    let cursor = settings::get(conn, settings::SYNC_CURSOR)?.unwrap_or(0);
    let whole_after = settings::get(conn, settings::SYNC_WHOLE_AFTER)?;
    let unsynced = cases::unsynced(conn)?;
    let mut push = Vec::new();
    let mut in_flight = InFlight::default();
    // The server takes at most so many changes and bytes per request: push a prefix of the
    // work (whole cases first, then the causal prefix of a large one) and the rest in the next
    // request of the same sync.
    let (mut room_changes, mut room_bytes) = (wire::MAX_PUSH_CHANGES, wire::MAX_PUSH_BYTES);
    for id in unsynced {
        if room_changes == 0 {
            in_flight.left_behind = true;
            break;
        }
        let known = server_heads(store, &id)?;
        let mut doc = store.load_doc(&id)?;
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
    if in_flight.heads.is_empty() && !in_flight.left_behind {
        // Nothing pushed (an idle sync, a pull page): no write, so no fsync, unless an
        // earlier request's record is still there.
        if settings::get::<InFlight>(conn, settings::SYNC_IN_FLIGHT)?.is_some() {
            settings::remove(conn, settings::SYNC_IN_FLIGHT)?;
        }
    } else {
        settings::set(conn, settings::SYNC_IN_FLIGHT, &in_flight)?;
    }
    Ok(SyncRequest {
        protocol: wire::PROTOCOL_VERSION,
        cursor,
        whole_after,
        push,
        page,
        // The transport sets it from the link it measures.
        budget: None,
    })
}

/// Every local change the server has not acknowledged, one [`PushDoc`] per case, without
/// the limits of a sync request (the caller splits it) and without recording anything.
pub fn unsent(store: &Store) -> Result<Vec<PushDoc>, EngineError> {
    let mut out = Vec::new();
    for id in cases::unsynced(store.conn())? {
        let known = server_heads(store, &id)?;
        let mut doc = store.load_doc(&id)?;
        let changes = doc.changes_since(&known);
        if !changes.is_empty() {
            out.push(PushDoc {
                case: CaseId::new(id),
                changes: changes.into_iter().map(wire::Bytes).collect(),
            });
        }
    }
    Ok(out)
}

/// Applies the server's answer to the last request [`prepare`]d, in one transaction (with
/// `sla` for due dates; the caller adopts the answer's SLA first).
pub fn apply(
    store: &mut Store,
    sla: &SlaPolicy,
    response: SyncResponse,
) -> Result<Applied, EngineError> {
    let in_flight = settings::get(store.conn(), settings::SYNC_IN_FLIGHT)?.unwrap_or_default();
    let mut summary = SyncSummary {
        more: response.more || in_flight.left_behind,
        ..SyncSummary::default()
    };
    // Work out every new document state first, then write them all in one transaction.
    let (mut writes, refused) = pushed(store, &in_flight, &response.pushed, &mut summary)?;
    pulled(store, &mut writes, response.pulled, &mut summary)?;
    let now_unsynced: Vec<bool> = writes
        .iter_mut()
        .map(|w| w.server.as_deref() != Some(w.doc.heads().as_slice()))
        .collect();
    let rows = index_rows(&writes, &now_unsynced, sla)?;
    let feed = (response.cursor, response.whole_after);
    write(store, &mut writes, &rows, &refused, feed)?;
    summary.refused = refused;
    Ok(Applied {
        summary,
        changed: writes.into_iter().map(|w| w.case).collect(),
    })
}

/// What became of the pushed cases: those stored whole are now as the server has them; those
/// with refused changes are reset to the server's copy (the refusals are kept for audit).
fn pushed(
    store: &Store,
    in_flight: &InFlight,
    outcomes: &[PushOutcome],
    summary: &mut SyncSummary,
) -> Result<(Vec<Pending>, Vec<RefusedLocal>), EngineError> {
    let mut writes = Vec::new();
    let mut refused = Vec::new();
    for outcome in outcomes {
        summary.pushed_cases += 1;
        summary.pushed_changes += outcome.accepted;
        let Some(pushed_heads) = in_flight.heads.get(&outcome.case) else {
            continue;
        };
        if outcome.refused.is_empty() {
            let doc = store.load_doc(outcome.case.as_str())?;
            writes.push(Pending::unchanged(
                outcome.case.clone(),
                doc,
                pushed_heads.clone(),
            ));
            continue;
        }
        for r in &outcome.refused {
            refused.push(RefusedLocal {
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
                snapshot: true,
                received: Some(reset.0.clone()),
                ..Pending::unchanged(outcome.case.clone(), doc, heads)
            });
        }
    }
    Ok((writes, refused))
}

/// Decodes and reads the pulled whole documents (most of a first sync) on every core, in one
/// pass; `None` for pulled changes.
fn preload(pulled: &[Pulled]) -> Vec<Option<Preloaded>> {
    par_map(pulled, |p| match p {
        Pulled::Whole { doc, summary, .. } => Some(CaseDoc::load(&doc.0).and_then(|mut d| {
            let heads: Vec<[u8; 32]> = d.heads().iter().map(|h| h.0).collect();
            match summary {
                Some(s) if s.describes(&heads) => {
                    let thumbnails = thumbnails_in(&mut d);
                    Ok((d, Indexed::Summary(s.clone(), thumbnails)))
                }
                _ => {
                    let (case, conflicts) = d.read_with_conflicts()?;
                    Ok((d, Indexed::Read(Box::new(case), conflicts)))
                }
            }
        })),
        Pulled::Changes { .. } => None,
    })
}

/// Merges what was pulled into each case: as this round already computed it, else as stored,
/// else a new case.
fn pulled(
    store: &Store,
    writes: &mut Vec<Pending>,
    pulled: Vec<Pulled>,
    summary: &mut SyncSummary,
) -> Result<(), EngineError> {
    let mut loaded = preload(&pulled);
    // Cases already in `writes` (pushed this round), so a cold sync of thousands does not
    // search the list for every document.
    let mut in_writes: HashSet<CaseId> = writes.iter().map(|w| w.case.clone()).collect();
    for (pulled, preloaded) in pulled.into_iter().zip(loaded.drain(..)) {
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
            None if store.has_case(case.as_str())? => {
                let heads = server_heads(store, case.as_str())?;
                (
                    store.load_doc(case.as_str())?,
                    Vec::new(),
                    false,
                    Some(heads),
                )
            }
            None => (CaseDoc::empty(), Vec::new(), true, Some(Vec::new())),
        };
        let mut received = None;
        let mut read = None;
        let before = doc.heads();
        let in_sync = server.as_ref() == Some(&before);
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
    Ok(())
}

/// Index rows of the new documents, with the thumbnails each names (hydrating is the other
/// large part of a first sync).
fn index_rows(
    writes: &[Pending],
    unsynced: &[bool],
    sla: &SlaPolicy,
) -> Result<Vec<(IndexRow, Vec<String>)>, EngineError> {
    let pairs: Vec<(&Pending, bool)> = writes.iter().zip(unsynced.iter().copied()).collect();
    par_map(
        &pairs,
        |(w, u)| -> Result<(IndexRow, Vec<String>), EngineError> {
            match &w.read {
                Some(Indexed::Read(case, conflicts)) => {
                    Ok((index_row(case, *conflicts, sla, *u), thumbnails(case)))
                }
                Some(Indexed::Summary(s, thumbnails)) => Ok((
                    summary_row(w.case.as_str(), Summary::clone(s), sla, *u),
                    thumbnails.clone(),
                )),
                None => {
                    let (case, conflicts) = w.doc.read_with_conflicts()?;
                    Ok((index_row(&case, conflicts, sla, *u), thumbnails(&case)))
                }
            }
        },
    )
    .into_iter()
    .collect()
}

/// Writes everything in one transaction: documents, index rows (with the thumbnails each case
/// names) and server heads, the refusals, where the server's feed stands (`feed`: cursor and first-sync position), and
/// that the request is no longer in flight.
fn write(
    store: &mut Store,
    writes: &mut [Pending],
    rows: &[(IndexRow, Vec<String>)],
    refused: &[RefusedLocal],
    (cursor, whole_after): (u64, Option<CaseId>),
) -> Result<(), EngineError> {
    store.transaction(|tx| {
        for (w, (row, thumbnails)) in writes.iter_mut().zip(rows) {
            let case = w.case.as_str();
            store::write_index(tx, row)?;
            blobs::set_case_thumbnails(tx, case, thumbnails)?;
            if let Some(bytes) = &w.received {
                store::write_snapshot_bytes(tx, case, bytes)?;
            } else if w.snapshot {
                store::write_snapshot(tx, case, &mut w.doc)?;
            } else if !w.appended.is_empty() {
                store::append_changes(tx, case, &w.appended, &mut w.doc)?;
            }
            if let Some(heads) = &w.server {
                cases::write_server_heads(tx, case, &heads_to_bytes(heads))?;
            }
        }
        for r in refused {
            cases::add_refused(tx, r)?;
        }
        settings::set(tx, settings::SYNC_CURSOR, &cursor)?;
        match &whole_after {
            Some(a) => settings::set(tx, settings::SYNC_WHOLE_AFTER, a)?,
            None => settings::remove(tx, settings::SYNC_WHOLE_AFTER)?,
        }
        settings::remove(tx, settings::SYNC_IN_FLIGHT)
    })?;
    Ok(())
}
