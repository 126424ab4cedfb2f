//! The one way a change enters the store: a pushed case's changes checked one at a time,
//! against what a case may contain ([`mandoob_shared::schema`]), what may change once written
//! ([`mandoob_shared::history`]), what this person may do ([`crate::authz`]), who wrote the
//! change and when, and which photos they may refer to.
//!
//! [`check_push`] is pure (no IO, no async): what it needs from storage comes through
//! [`PushLookups`], so the fuzz target and the property tests drive exactly the code the
//! server runs. [`crate::service::push`] runs it under the case's lock, from reading the stored
//! case to storing the accepted changes.

use std::collections::HashMap;
use std::sync::Mutex;

use automerge::ChangeHash;
use mandoob_shared::doc::CaseDoc;
use mandoob_shared::ids::UserId;
use mandoob_shared::model::CaseFile;
use mandoob_shared::sync::{self as wire, PushDoc, RefusedChange};

use crate::authz;
use crate::storage::{BlobAccess, StorageError, UserRecord};

/// How far a change's time may be ahead of the server's clock, or before the device's
/// enrolment (clocks of phones drift a little).
pub const CLOCK_SKEW_MS: i64 = 15 * 60 * 1000;

/// The most operations one pushed change may hold (a whole new case file is a few thousand).
pub const MAX_OPS_PER_CHANGE: usize = 100_000;
/// The most items any column of a pushed change may stand for (operations, predecessors…),
/// read from its run lengths before automerge decodes it.
pub const MAX_ITEMS_PER_CHANGE: u64 = 1_000_000;

/// The largest compacted case document the server keeps (its whole history included).
pub const MAX_DOCUMENT_BYTES: usize = 16 * 1024 * 1024;

/// Who pushes: the signed-in account, and when the pushing device was enrolled (`None` for a
/// change made on the server, by the console).
#[derive(Debug, Clone)]
pub struct Pusher<'a> {
    pub user: &'a UserRecord,
    pub enrolled_at: Option<i64>,
    /// The server's clock, in milliseconds.
    pub now: i64,
}

impl Pusher<'_> {
    fn earliest(&self) -> i64 {
        self.enrolled_at.unwrap_or(self.now) - CLOCK_SKEW_MS
    }
}

/// What the check needs to know from storage.
pub trait PushLookups {
    /// The account each actor of `actors` is bound to (those never seen are absent; the
    /// store binds them to the pusher with the accepted changes).
    fn actor_owners(&self, actors: &[String]) -> Result<HashMap<String, UserId>, StorageError>;
    /// Whether a photo is on the server and readable by the pusher.
    fn blob_access(&self, sha256: &str) -> Result<BlobAccess, StorageError>;
}

/// Storage answers kept in memory, for the fuzz target and the property tests: actor
/// bindings as the store keeps them, and photos by a rule.
#[doc(hidden)]
#[derive(Debug)]
pub struct MemoryLookups {
    pub actors: Mutex<HashMap<String, UserId>>,
    pub photos: fn(&str) -> BlobAccess,
}

impl MemoryLookups {
    /// Lookups where every photo is missing and no actor is bound yet.
    pub fn new() -> Self {
        Self {
            actors: Mutex::new(HashMap::new()),
            photos: |_| BlobAccess::Missing,
        }
    }

    /// What the store does with accepted changes: their actors are bound to the pusher.
    pub fn bind(&self, actors: &[String], user: &UserId) {
        let mut known = self.actors.lock().unwrap_or_else(|p| p.into_inner());
        for a in actors {
            known.entry(a.clone()).or_insert_with(|| user.clone());
        }
    }
}

impl Default for MemoryLookups {
    fn default() -> Self {
        Self::new()
    }
}

impl PushLookups for MemoryLookups {
    fn actor_owners(&self, actors: &[String]) -> Result<HashMap<String, UserId>, StorageError> {
        let known = self.actors.lock().unwrap_or_else(|p| p.into_inner());
        Ok(actors
            .iter()
            .filter_map(|a| known.get(a).map(|u| (a.clone(), u.clone())))
            .collect())
    }

    fn blob_access(&self, sha256: &str) -> Result<BlobAccess, StorageError> {
        Ok((self.photos)(sha256))
    }
}

/// The result of checking one case's changes.
#[derive(Debug)]
pub struct Checked {
    /// Changes to store (hash, bytes), in order.
    pub accepted: Vec<(String, Vec<u8>)>,
    /// The automerge actors of the accepted changes (bound to the pusher when stored).
    pub actors: Vec<String>,
    /// How many changes the server now has of the push (new and already present).
    pub count: u32,
    pub refused: Vec<RefusedChange>,
    /// The case as it is after the accepted changes (`None`: it still does not exist).
    pub case: Option<CaseFile>,
    pub conflicts: bool,
    pub doc: CaseDoc,
}

/// Checks `push` against the stored case (`stored`: its compacted document) change by change.
/// A refused change is reported with its reason; changes that depend on it are refused too
/// (their dependency is missing); the rest is accepted.
pub fn check_push(
    pusher: &Pusher<'_>,
    stored: Option<&[u8]>,
    push: &PushDoc,
    lookups: &dyn PushLookups,
) -> Result<Checked, StorageError> {
    let user = pusher.user;
    let mut refused = Vec::new();
    let mut accepted: Vec<(String, Vec<u8>)> = Vec::new();
    let mut count = 0u32;
    let mut doc = match stored {
        Some(bytes) => CaseDoc::load(bytes).map_err(|e| StorageError::Database(e.to_string()))?,
        None => CaseDoc::empty(),
    };
    let mut before = match stored {
        Some(_) => Some(
            doc.read_with_conflicts()
                .map_err(|e| StorageError::Database(e.to_string()))?
                .0,
        ),
        None => None,
    };
    let mut conflicts = false;

    // Parse everything first; bind the actors of well-formed changes in one call.
    let parsed: Vec<Result<automerge::Change, (&'static str, String)>> = push
        .changes
        .iter()
        .map(|c| {
            // Counted from the columns' run lengths before automerge counts them one by one.
            match mandoob_shared::chunk::change_items(&c.0) {
                Some(n) if n <= MAX_ITEMS_PER_CHANGE => {}
                Some(n) => {
                    return Err((
                        "too-large",
                        format!("the change stands for {n} items, more than a change may hold"),
                    ));
                }
                None => {
                    return Err((
                        "damaged",
                        "the change is damaged: not one uncompressed automerge change".into(),
                    ));
                }
            }
            mandoob_shared::doc::parse_change(&c.0)
                .map_err(|e| ("damaged", format!("the change is damaged: {e}")))
        })
        .collect();
    let mut actors: Vec<String> = parsed
        .iter()
        .flatten()
        .map(|c| c.actor_id().to_hex_string())
        .collect();
    actors.sort();
    actors.dedup();
    let owners = lookups.actor_owners(&actors)?;
    let mut accepted_actors: Vec<String> = Vec::new();
    let mut refused_hashes: Vec<ChangeHash> = Vec::new();

    for (raw, parsed) in push.changes.iter().zip(parsed) {
        let change = match parsed {
            Ok(c) => c,
            Err((code, message)) => {
                refused.push(refusal(raw, code, &message));
                continue;
            }
        };
        let hash = change.hash();
        if change.len() > MAX_OPS_PER_CHANGE {
            // A few bytes of run-length encoding can stand for millions of operations:
            // refused before they are applied (and take the server's memory).
            refused.push(refusal(
                raw,
                "too-large",
                &format!(
                    "the change holds {} operations, more than the {MAX_OPS_PER_CHANGE} one change may",
                    change.len()
                ),
            ));
            refused_hashes.push(hash);
            continue;
        }
        if doc.has_change(&hash) {
            count += 1;
            continue;
        }
        // Who wrote it, and when.
        let message = change.message();
        let actor = change.actor_id().to_hex_string();
        if message != Some(user.id.as_str())
            || owners.get(&actor).is_some_and(|owner| owner != &user.id)
        {
            refused.push(refusal(
                raw,
                "author",
                "a change must be written by the signed-in account (its author or replica names someone else)",
            ));
            refused_hashes.push(hash);
            continue;
        }
        let time = change.timestamp();
        if time > pusher.now + CLOCK_SKEW_MS || time < pusher.earliest() {
            refused.push(refusal(
                raw,
                "clock",
                "the change's time is in the future or before this device was enrolled; check the device's date and time",
            ));
            refused_hashes.push(hash);
            continue;
        }
        if change.deps().iter().any(|d| refused_hashes.contains(d)) {
            refused.push(refusal(
                raw,
                "missing-dependency",
                "the change depends on a refused change",
            ));
            refused_hashes.push(hash);
            continue;
        }
        let mut trial = doc.clone();
        if trial.apply_changes(std::slice::from_ref(&raw.0)).is_err() || !trial.has_change(&hash) {
            refused.push(refusal(
                raw,
                "missing-dependency",
                "the change depends on a change the server does not have (or refused)",
            ));
            refused_hashes.push(hash);
            continue;
        }
        // The shape first: reading a document that does not fit could recurse without bound.
        if let Err(e) = trial.check_schema_full() {
            refused.push(refusal(
                raw,
                "schema",
                &format!("not a valid case file: {e}"),
            ));
            refused_hashes.push(hash);
            continue;
        }
        let (after, after_conflicts) = match trial.read_with_conflicts() {
            Ok(a) => a,
            Err(e) => {
                refused.push(refusal(
                    raw,
                    "schema",
                    &format!("not a valid case file: {e}"),
                ));
                refused_hashes.push(hash);
                continue;
            }
        };
        if after.id != push.case {
            refused.push(refusal(
                raw,
                "wrong-case",
                "the change belongs to another case",
            ));
            refused_hashes.push(hash);
            continue;
        }
        let verdict = authz::check(user, before.as_ref(), &after)
            .and_then(|()| check_photos(before.as_ref(), &after, lookups));
        match verdict {
            Ok(()) => {
                if !accepted_actors.contains(&actor) {
                    accepted_actors.push(actor);
                }
                accepted.push((hash.to_string(), raw.0.clone()));
                count += 1;
                doc = trial;
                before = Some(after);
                conflicts = after_conflicts;
            }
            Err(denied) => {
                refused.push(refusal(raw, denied.code, &denied.message));
                refused_hashes.push(hash);
            }
        }
    }
    Ok(Checked {
        accepted,
        actors: accepted_actors,
        count,
        refused,
        case: before,
        conflicts,
        doc,
    })
}

/// A case may refer to a photo on the server only if the pusher may read it (a case in their
/// scope refers to it, or their device uploaded it). A photo not on the server yet may be
/// referred to: the device uploads it after the push.
fn check_photos(
    before: Option<&CaseFile>,
    after: &CaseFile,
    lookups: &dyn PushLookups,
) -> Result<(), authz::Denied> {
    let old = before.map(CaseFile::blob_refs).unwrap_or_default();
    for sha in after.blob_refs() {
        if old.binary_search(&sha).is_ok() {
            continue;
        }
        match lookups.blob_access(&sha) {
            Ok(BlobAccess::Missing | BlobAccess::Visible) => {}
            Ok(BlobAccess::Hidden) => {
                return Err(authz::Denied {
                    code: "photo",
                    message:
                        "a case may refer only to photos this device uploaded or may already read"
                            .into(),
                });
            }
            Err(e) => {
                return Err(authz::Denied {
                    code: "unavailable",
                    message: format!("the photo could not be checked: {e}"),
                });
            }
        }
    }
    Ok(())
}

fn refusal(change: &wire::Bytes, code: &str, message: &str) -> RefusedChange {
    RefusedChange {
        hash: hash_of(&change.0),
        code: code.to_owned(),
        message: message.to_owned(),
    }
}

/// The hash of an encoded change, for a refusal; empty for bytes that are not a change the
/// server would decode (their run lengths are counted first, never decoded one by one).
pub fn hash_of(bytes: &[u8]) -> String {
    match mandoob_shared::chunk::change_items(bytes) {
        Some(n) if n <= MAX_ITEMS_PER_CHANGE => mandoob_shared::doc::parse_change(bytes)
            .map(|c| c.hash().to_string())
            .unwrap_or_default(),
        _ => String::new(),
    }
}

/// Whether a push is within the limits of one sync request ([`wire::MAX_PUSH_CHANGES`],
/// [`wire::MAX_PUSH_BYTES`]); the message tells the device to split it.
pub fn check_push_limits(push: &[PushDoc]) -> Result<(), String> {
    let changes: usize = push.iter().map(|p| p.changes.len()).sum();
    let bytes: usize = push
        .iter()
        .flat_map(|p| &p.changes)
        .map(|c| c.0.len())
        .sum();
    if changes > wire::MAX_PUSH_CHANGES || bytes > wire::MAX_PUSH_BYTES {
        return Err(format!(
            "this push has {changes} changes and {bytes} bytes; the server takes at most {} changes and {} bytes per sync request: split it",
            wire::MAX_PUSH_CHANGES,
            wire::MAX_PUSH_BYTES
        ));
    }
    Ok(())
}

/// Whether the compacted document is small enough to keep.
pub fn check_document_size(snapshot: &[u8]) -> Result<(), String> {
    if snapshot.len() > MAX_DOCUMENT_BYTES {
        return Err(format!(
            "the case file would be {} bytes, more than the {} the server keeps; start a new case file",
            snapshot.len(),
            MAX_DOCUMENT_BYTES
        ));
    }
    Ok(())
}
