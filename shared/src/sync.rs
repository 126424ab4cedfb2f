//! The sync protocol between devices and headquarters (DESIGN §4): types only, no transport.
//!
//! One round trip: the device **pushes**, per case it changed, the automerge changes the
//! server has not acknowledged yet, and **pulls** every change in its scope after its cursor
//! (the server's sequence number of the last change it applied). Bodies are `postcard`
//! (compact binary serde) so automerge bytes travel as bytes; [`encode`] and [`decode`] are
//! the only way in and out, with a protocol version checked on the way in.
//!
//! A device with cursor 0 (first sync) gets whole compacted documents instead of their history
//! ([`Pulled::Whole`]), paged by case; then changes after the cursor those documents include.

use serde::{Deserialize, Serialize};

use crate::ids::{BranchCode, CaseId, DeviceCode, UserId};
use crate::summary::Summary;
use crate::workflow::Role;
use crate::workflow::SlaPolicy;

/// Bumped when the wire format changes incompatibly.
pub const PROTOCOL_VERSION: u32 = 2;

/// The most changes one sync request may push (all cases together); a device with more
/// splits them over several requests.
pub const MAX_PUSH_CHANGES: usize = 5_000;
/// The most bytes of changes one sync request may push.
pub const MAX_PUSH_BYTES: usize = 8 * 1024 * 1024;
/// The largest photo or signature a device may upload.
pub const MAX_BLOB_BYTES: u64 = 32 * 1024 * 1024;

/// Encoded automerge bytes (a change, or a saved document).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Bytes(#[serde(with = "serde_bytes")] pub Vec<u8>);

/// A device's sync request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncRequest {
    pub protocol: u32,
    /// The server sequence of the last change this device has applied (0: none yet).
    pub cursor: u64,
    /// While a first sync is paging through whole documents: where to continue.
    pub whole_after: Option<CaseId>,
    pub push: Vec<PushDoc>,
    /// The most changes (or whole documents) the device wants in this answer.
    pub page: u32,
}

/// Changes of one case, pushed by a device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushDoc {
    pub case: CaseId,
    pub changes: Vec<Bytes>,
}

/// The server's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncResponse {
    pub protocol: u32,
    pub pushed: Vec<PushOutcome>,
    pub pulled: Vec<Pulled>,
    /// The cursor to send next time.
    pub cursor: u64,
    /// Set while a first sync has more whole documents to send.
    pub whole_after: Option<CaseId>,
    /// More is waiting: sync again right away.
    pub more: bool,
    /// The version of the reference library (`GET /api/v1/library`); the device fetches the
    /// library only when this differs from its copy's.
    pub library_version: String,
    /// Headquarters' SLA setting, so due dates on the device are the console's.
    pub sla: SlaPolicy,
}

/// What became of one case's pushed changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushOutcome {
    pub case: CaseId,
    /// How many changes were stored (new) or already there.
    pub accepted: u32,
    pub refused: Vec<RefusedChange>,
    /// When something was refused: the server's whole document, to reset the device's copy.
    pub reset: Option<Bytes>,
}

/// A change the server would not store, and why (in words the device shows).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefusedChange {
    /// The automerge change hash, hex.
    pub hash: String,
    pub code: String,
    pub message: String,
}

/// Something the device receives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Pulled {
    /// Changes of one case, in server order.
    Changes { case: CaseId, changes: Vec<Bytes> },
    /// A whole compacted document (first sync, or a case newly in scope), with the server's
    /// summary of it when it has one, so the device can index it without reading it.
    Whole {
        case: CaseId,
        doc: Bytes,
        summary: Option<Box<Summary>>,
    },
}

/// Sign-in of a device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
    pub device_name: String,
}

/// What a signed-in device learns about its user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginResponse {
    /// The bearer token: shown once, stored hashed on the server.
    pub token: String,
    pub user: UserId,
    pub display_name: String,
    pub role: Role,
    pub branch: BranchCode,
    pub device: DeviceCode,
}

/// A reference document headquarters publishes to every device (a policy, a form's guide, a
/// list of partner organizations), in both languages, for the representative to read offline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LibraryDocument {
    pub id: String,
    pub title_ar: String,
    pub title_en: String,
    /// Plain text; paragraphs separated by blank lines.
    pub body_ar: String,
    pub body_en: String,
    /// Milliseconds since the epoch.
    pub published_at: i64,
}

/// Every published reference document (`GET /api/v1/library`), with a version that changes
/// whenever any of them does (sent back as `If-None-Match`, so an unchanged library costs one
/// small request).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Library {
    pub version: String,
    pub documents: Vec<LibraryDocument>,
}

/// Which of these blobs (sha-256, hex) the server lacks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MissingBlobs {
    pub sha256: Vec<String>,
}

/// Why a body could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WireError {
    #[error("the message is damaged or not a Mandoob sync message: {0}")]
    Malformed(String),
    #[error("protocol version {found} is not supported (this side speaks {supported})")]
    Version { found: u32, supported: u32 },
}

/// Encodes a message.
pub fn encode<T: Serialize>(message: &T) -> Vec<u8> {
    postcard::to_allocvec(message).expect("sync messages always serialize")
}

/// Decodes a message.
pub fn decode<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<T, WireError> {
    postcard::from_bytes(bytes).map_err(|e| WireError::Malformed(e.to_string()))
}

/// Checks a request's protocol version.
pub fn check_version(found: u32) -> Result<(), WireError> {
    if found == PROTOCOL_VERSION {
        Ok(())
    } else {
        Err(WireError::Version {
            found,
            supported: PROTOCOL_VERSION,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_garbage() {
        let req = SyncRequest {
            protocol: PROTOCOL_VERSION,
            cursor: 42,
            whole_after: None,
            push: vec![PushDoc {
                case: CaseId::new("c1"),
                changes: vec![Bytes(vec![1, 2, 3])],
            }],
            page: 500,
        };
        let bytes = encode(&req);
        assert_eq!(decode::<SyncRequest>(&bytes), Ok(req));
        assert!(decode::<SyncRequest>(b"\xff\xff\xff\xff\xff\xff\xff").is_err());
        assert!(decode::<SyncRequest>(&[]).is_err());
        assert!(check_version(PROTOCOL_VERSION + 1).is_err());
    }
}
