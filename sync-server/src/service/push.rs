//! Storing a push: the one way a change enters the store, for a device's sync and for the
//! console's own changes alike. [`push_case`] takes the case's lock itself, runs the pure
//! checks of [`crate::push`] off the async workers and stores what they accept, in one
//! transaction with the case's snapshot, summary, report rows and actor bindings.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use chrono::Utc;
use mandoob_shared::access::branch_bound;
use mandoob_shared::doc::CaseDoc;
use mandoob_shared::ids::{CaseId, DeviceCode, UserId};
use mandoob_shared::sync::{self as wire, PushDoc, PushOutcome, RefusedChange};

use super::ServiceError;
use crate::push::{self, PushLookups, Pusher};
use crate::state::AppState;
use crate::storage::{BlobAccess, BlobViewer, ImportedCase, Storage, StorageError, UserRecord};

/// The device a push came from: its code, its enrolment time and its view of the photos.
#[derive(Debug, Clone, Copy)]
pub struct FromDevice<'a> {
    pub code: &'a DeviceCode,
    pub enrolled_at: i64,
    pub viewer: &'a BlobViewer,
}

/// What a push's checks ask of storage, answered from a blocking thread.
struct StorageLookups {
    storage: Arc<dyn Storage>,
    handle: tokio::runtime::Handle,
    viewer: Option<BlobViewer>,
}

impl PushLookups for StorageLookups {
    fn actor_owners(&self, actors: &[String]) -> Result<HashMap<String, UserId>, StorageError> {
        if actors.is_empty() {
            return Ok(Default::default());
        }
        Ok(self
            .handle
            .block_on(self.storage.actor_owners(actors))?
            .into_iter()
            .collect())
    }

    fn blob_access(&self, sha256: &str) -> Result<BlobAccess, StorageError> {
        match &self.viewer {
            Some(viewer) => self
                .handle
                .block_on(self.storage.blob_access(sha256, viewer)),
            // The console adds no photos; what HQ may read, it may refer to.
            None => Ok(BlobAccess::Visible),
        }
    }
}

/// Checks and stores one case's changes, one change at a time, as made by `user`: pushed from
/// `device`, or made on the server (the console) when `None`. Holds the case's lock from
/// reading the stored case to storing the accepted changes.
pub async fn push_case(
    state: &AppState,
    user: &UserRecord,
    device: Option<FromDevice<'_>>,
    push: PushDoc,
) -> Result<PushOutcome, ServiceError> {
    let guard = state.case_locks.lock(&push.case).await;
    push_case_locked(state, &guard, user, device, push).await
}

/// [`push_case`] for a caller that already holds the case's lock (`guard`), because it read
/// the case to make these changes (the console): nothing can change the case between its read
/// and this push.
pub async fn push_case_locked(
    state: &AppState,
    guard: &CaseGuard,
    user: &UserRecord,
    device: Option<FromDevice<'_>>,
    push: PushDoc,
) -> Result<PushOutcome, ServiceError> {
    if guard.case != push.case {
        return Err(ServiceError::Internal(format!(
            "pushing to case {} under the lock of case {}",
            push.case, guard.case
        )));
    }
    let stored = state.storage.case(&push.case).await?;
    if let Some(s) = &stored
        && branch_bound(user.role)
        && s.branch != user.branch
    {
        // Not even a hint of what the case holds.
        let refused = push
            .changes
            .iter()
            .map(|c| RefusedChange {
                hash: push::hash_of(&c.0),
                code: "other-branch".into(),
                message: "this case belongs to another branch".into(),
            })
            .collect();
        return Ok(PushOutcome {
            case: push.case,
            accepted: 0,
            refused,
            reset: None,
        });
    }
    let lookups = StorageLookups {
        storage: state.storage.clone(),
        handle: tokio::runtime::Handle::current(),
        viewer: device.map(|d| d.viewer.clone()),
    };
    let enrolled_at = device.map(|d| d.enrolled_at);
    let user_owned = user.clone();
    let case_id = push.case.clone();
    // Loading, merging and reading documents is CPU work: off the async workers.
    let (checked, push) = tokio::task::spawn_blocking(move || {
        let pusher = Pusher {
            user: &user_owned,
            enrolled_at,
            now: Utc::now().timestamp_millis(),
        };
        let checked = push::check_push(
            &pusher,
            stored.as_ref().map(|s| s.snapshot.as_slice()),
            &push,
            &lookups,
        );
        (checked, push)
    })
    .await
    .map_err(|e| ServiceError::Internal(e.to_string()))?;
    let mut checked = checked?;
    if !checked.accepted.is_empty()
        && let Some(case) = &checked.case
    {
        let accepted = std::mem::take(&mut checked.accepted);
        let mut item = ImportedCase::of(case, checked.conflicts, &mut checked.doc, accepted);
        item.authors = Some((user.id.clone(), std::mem::take(&mut checked.actors)));
        match push::check_document_size(&item.snapshot) {
            Ok(()) => {
                state
                    .storage
                    .store_changes(item, device.map(|d| d.code))
                    .await?;
            }
            Err(message) => {
                // Nothing of this push is kept: the device's copy goes back to the server's.
                for (hash, _) in &item.changes {
                    checked.refused.push(RefusedChange {
                        hash: hash.clone(),
                        code: "too-large".into(),
                        message: message.clone(),
                    });
                }
                checked.count = 0;
                let stored = state.storage.case(&case_id).await?;
                checked.doc = match stored {
                    Some(s) => CaseDoc::load(&s.snapshot)
                        .map_err(|e| ServiceError::Internal(e.to_string()))?,
                    None => CaseDoc::empty(),
                };
                checked.case = None;
            }
        }
    }
    if !checked.refused.is_empty() {
        tracing::warn!(user = %user.id, case = %push.case, refused = checked.refused.len(), first = %checked.refused[0].code, "refused pushed changes");
    }
    let exists = !checked.doc.heads().is_empty();
    let reset = if checked.refused.is_empty() || !exists {
        None
    } else {
        Some(wire::Bytes(checked.doc.save()))
    };
    Ok(PushOutcome {
        case: push.case,
        accepted: checked.count,
        refused: checked.refused,
        reset,
    })
}

/// One lock per case, so pushes to different cases run side by side while the read, check and
/// write of one case stay atomic. Entries go away when nobody holds or waits for them.
#[derive(Debug, Default)]
pub struct CaseLocks {
    locks: Mutex<HashMap<CaseId, Weak<tokio::sync::Mutex<()>>>>,
}

/// A held case lock.
#[derive(Debug)]
pub struct CaseGuard {
    case: CaseId,
    _guard: tokio::sync::OwnedMutexGuard<()>,
}

impl CaseLocks {
    /// Waits for the case's lock.
    pub async fn lock(&self, case: &CaseId) -> CaseGuard {
        let lock = {
            let mut locks = self.locks.lock().unwrap_or_else(|p| p.into_inner());
            if locks.len() > 1024 {
                locks.retain(|_, w| w.strong_count() > 0);
            }
            match locks.get(case).and_then(Weak::upgrade) {
                Some(l) => l,
                None => {
                    let l = Arc::new(tokio::sync::Mutex::new(()));
                    locks.insert(case.clone(), Arc::downgrade(&l));
                    l
                }
            }
        };
        CaseGuard {
            case: case.clone(),
            _guard: lock.lock_owned().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn case_locks_are_per_case_and_freed() {
        let locks = CaseLocks::default();
        let a = CaseId::new("a");
        let g = locks.lock(&a).await;
        // Another case is not blocked.
        let _b = locks.lock(&CaseId::new("b")).await;
        drop(g);
        let _again = locks.lock(&a).await;
        assert!(locks.locks.lock().expect("lock").len() <= 2);
    }
}
