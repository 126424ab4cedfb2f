//! A revoked device's last contact with the server: it hands over what it has not sent
//! (changes and photos), which the server holds for an administrator to apply or discard, and
//! then wipes its case data. A phone that was lost or stolen is revoked; whatever its
//! representative recorded before that is not lost, and nothing of the families stays on it.
//!
//! Every request is idempotent (the server holds an item once, by its hash), so after a cut the
//! hand-over starts again from the start; the data is wiped only once every item was received.

use mandoob_shared::sync::{self as wire, HandOver, HandOverReceipt, PushDoc};

use super::transfer::Backoff;
use super::{ServerError, SyncClient, SyncError, SyncTarget};
use crate::commands::EngineApi;

/// What a hand-over sent before the wipe.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HandedOver {
    pub cases: u32,
    pub changes: u32,
    pub photos: u32,
}

/// The pushes in requests within the server's limits per request: whole cases together, and a
/// case too large for one request in consecutive parts (each part a causal prefix of the rest).
pub fn hand_over_requests(push: Vec<PushDoc>) -> Vec<Vec<PushDoc>> {
    let mut requests: Vec<Vec<PushDoc>> = Vec::new();
    let mut current: Vec<PushDoc> = Vec::new();
    let (mut changes, mut bytes) = (0usize, 0usize);
    for doc in push {
        let mut part = PushDoc {
            case: doc.case.clone(),
            changes: Vec::new(),
        };
        for change in doc.changes {
            let len = change.0.len();
            if changes + 1 > wire::MAX_PUSH_CHANGES
                || (bytes + len > wire::MAX_PUSH_BYTES && changes > 0)
            {
                if !part.changes.is_empty() {
                    current.push(std::mem::replace(
                        &mut part,
                        PushDoc {
                            case: doc.case.clone(),
                            changes: Vec::new(),
                        },
                    ));
                }
                requests.push(std::mem::take(&mut current));
                (changes, bytes) = (0, 0);
            }
            changes += 1;
            bytes += len;
            part.changes.push(change);
        }
        if !part.changes.is_empty() {
            current.push(part);
        }
    }
    if !current.is_empty() {
        requests.push(current);
    }
    requests
}

impl SyncClient {
    /// Hands over this revoked device's unsent changes and photos, then wipes its case data
    /// (and its token). An error leaves everything on the device, to try again at the next
    /// contact.
    pub async fn hand_over_and_wipe<T: SyncTarget>(
        &self,
        engine: &mut T,
    ) -> Result<HandedOver, SyncError> {
        let mut backoff = Backoff::default();
        let mut done = HandedOver::default();
        let push = engine.unsent_work().await?;
        done.cases = push.len() as u32;
        for request in hand_over_requests(push) {
            done.changes += request.iter().map(|p| p.changes.len() as u32).sum::<u32>();
            let body = wire::encode(&HandOver {
                protocol: wire::PROTOCOL_VERSION,
                push: request,
            });
            self.hand_over_part(
                self.http
                    .post(format!("{}/api/v1/hand-over", self.base))
                    .header("content-type", "application/x-mandoob-sync"),
                body,
                &mut backoff,
            )
            .await?;
        }
        for sha in engine.pending_blobs().await? {
            let Some(bytes) = engine.blob(sha.clone()).await? else {
                continue;
            };
            self.hand_over_part(
                self.http
                    .put(format!("{}/api/v1/hand-over/photos/{sha}", self.base))
                    .header("content-type", "application/octet-stream"),
                bytes,
                &mut backoff,
            )
            .await?;
            done.photos += 1;
        }
        engine.wipe().await?;
        tracing::info!(?done, "revoked: unsent work handed over, case data wiped");
        Ok(done)
    }

    /// One hand-over request, sent again after failures that may pass.
    async fn hand_over_part(
        &self,
        request: reqwest::RequestBuilder,
        body: Vec<u8>,
        backoff: &mut Backoff,
    ) -> Result<HandOverReceipt, SyncError> {
        loop {
            let attempt = request
                .try_clone()
                .ok_or_else(|| SyncError::Server(ServerError::local("request not clonable")))?
                .bearer_auth(&self.token);
            let answer = self
                .exchange(attempt, Some(body.clone()), (64 * 1024, 0), backoff)
                .await
                .and_then(|a| a.checked());
            match answer {
                Ok(a) => {
                    backoff.reset();
                    return serde_json::from_slice(&a.body)
                        .map_err(|e| SyncError::Server(ServerError::local(e.to_string())));
                }
                Err(e) => {
                    if !backoff.retry(&e).await {
                        return Err(e);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mandoob_shared::ids::CaseId;

    fn doc(case: &str, sizes: &[usize]) -> PushDoc {
        PushDoc {
            case: CaseId::new(case),
            changes: sizes.iter().map(|n| wire::Bytes(vec![0; *n])).collect(),
        }
    }

    /// Every request is within the server's limits and nothing is lost or reordered.
    #[test]
    fn requests_keep_within_the_limits_and_the_order() {
        let big = wire::MAX_PUSH_BYTES / 3 + 1;
        let many = vec![1; wire::MAX_PUSH_CHANGES + 10];
        let push = vec![
            doc("a", &[10, 20]),
            doc("b", &[big, big, big]),
            doc("c", &many),
        ];
        let requests = hand_over_requests(push.clone());
        assert!(requests.len() >= 3, "{}", requests.len());
        for r in &requests {
            let changes: usize = r.iter().map(|p| p.changes.len()).sum();
            let bytes: usize = r.iter().flat_map(|p| &p.changes).map(|c| c.0.len()).sum();
            assert!(changes <= wire::MAX_PUSH_CHANGES && bytes <= wire::MAX_PUSH_BYTES);
            assert!(r.iter().all(|p| !p.changes.is_empty()));
        }
        let mut flat: Vec<(CaseId, usize)> = Vec::new();
        for p in requests.into_iter().flatten() {
            flat.extend(p.changes.iter().map(|c| (p.case.clone(), c.0.len())));
        }
        let expected: Vec<(CaseId, usize)> = push
            .iter()
            .flat_map(|p| p.changes.iter().map(|c| (p.case.clone(), c.0.len())))
            .collect();
        assert_eq!(flat, expected);
        assert!(hand_over_requests(Vec::new()).is_empty());
    }
}
