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

crate::model::domain_enum!(
    /// Why the server refused a request, as the device API answers it (`{"code": …,
    /// "error": …}`): the app shows the code's message in the user's language
    /// (`api-error-<code>`); the English `error` is for logs and people reading the wire.
    ApiErrorCode, "api-error" {
        /// A wrong username or password.
        SignInWrong => "sign-in-wrong",
        /// Too many failed sign-ins from this address: wait (`Retry-After`).
        SignInWait => "sign-in-wait",
        /// The account is locked after many failed sign-ins; an administrator lifts it.
        AccountLocked => "account-locked",
        /// The server is busy (checking other sign-ins): try again in a moment.
        ServerBusy => "server-busy",
        /// No device token, or one the server does not know (revoked, signed out).
        NotSignedIn => "not-signed-in",
        /// The app speaks an older or newer protocol: it must be updated.
        UpdateRequired => "update-required",
        /// The request is malformed (a bug or a modified app).
        BadRequest => "bad-request",
        /// A rule of the server refused it.
        Refused => "refused",
        NotFound => "not-found",
        Conflict => "conflict",
        /// Too large to accept.
        TooLarge => "too-large",
        /// Too many unfinished uploads or requests: later.
        Quota => "quota",
        /// The server failed; its log says why.
        Internal => "internal",
        /// A new password shorter than the rule's least.
        PasswordWeak => "password-weak",
        /// A new password that is common or easy to guess.
        PasswordCommon => "password-common",
        /// An administrator set this account's password: change it first.
        PasswordChangeRequired => "password-change-required",
        /// Enrolled after a revocation: waits for an administrator's approval.
        DevicePending => "device-pending",
        /// This device was revoked by an administrator (not merely signed out).
        DeviceRevoked => "device-revoked",
    }
);

/// The body of every error answer of the device API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiErrorBody {
    /// A stable code (a [`ApiErrorCode`]; an older server may send none).
    #[serde(default)]
    pub code: String,
    /// In English, for logs.
    #[serde(default)]
    pub error: String,
}

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
    /// The most bytes the device wants in this answer (see [`DEFAULT_BUDGET`]): the server
    /// adds whole documents or changes while the answer stays within it, so one item alone may
    /// pass it. `None` (a device from before budgets): only `page` counts.
    #[serde(default, deserialize_with = "trailing")]
    pub budget: Option<u32>,
}

/// The byte budget a device asks for before it has measured its link: about 16 s at
/// 128 kbit/s, a fraction of a second on a branch's Wi-Fi.
pub const DEFAULT_BUDGET: u32 = 256 * 1024;

/// What is left to pull after an answer: documents (or changes) and their bytes, so a device
/// can show the progress of the whole sync.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Backlog {
    pub items: u64,
    pub bytes: u64,
}

/// Reads an optional field at the end of a message, or `None` when the message ends before
/// it: postcard is not self-describing, so a field added at the end is absent from what an
/// older peer sends (and an older peer reading a newer message ignores the bytes after what it
/// knows). Only for the last fields of a message.
fn trailing<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d).unwrap_or(None))
}

/// Changes of one case, pushed by a device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushDoc {
    pub case: CaseId,
    pub changes: Vec<Bytes>,
}

/// A revoked device's unsent changes, handed over before it wipes its data
/// (`POST /api/v1/hand-over`): the server holds them, unapplied, for an administrator to apply
/// or discard. At most [`MAX_PUSH_CHANGES`] and [`MAX_PUSH_BYTES`] per request, like a push.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandOver {
    pub protocol: u32,
    pub push: Vec<PushDoc>,
}

/// The server's receipt for a hand-over (JSON): how many items it holds of this request,
/// counting again those it already held (a hand-over sent twice after a cut is held once).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandOverReceipt {
    pub held: u32,
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
    /// What is left to pull after this answer (`None` from a server from before budgets).
    #[serde(default, deserialize_with = "trailing")]
    pub remaining: Option<Backlog>,
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
    /// An administrator set the password: the app asks for a new one before it syncs.
    #[serde(default)]
    pub must_change_password: bool,
    /// Enrolled after a revocation: sync waits for an administrator's approval.
    #[serde(default)]
    pub pending_approval: bool,
}

/// `POST /api/v1/password`: a signed-in device's user changes their password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangePasswordRequest {
    pub current: String,
    pub new: String,
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
            budget: Some(DEFAULT_BUDGET),
        };
        let bytes = encode(&req);
        assert_eq!(decode::<SyncRequest>(&bytes), Ok(req.clone()));
        assert!(decode::<SyncRequest>(b"\xff\xff\xff\xff\xff\xff\xff").is_err());
        assert!(decode::<SyncRequest>(&[]).is_err());
        assert!(check_version(PROTOCOL_VERSION + 1).is_err());
    }

    /// A request as a device from before budgets sends it (the same fields, without `budget`).
    #[derive(Serialize, Deserialize)]
    struct OldRequest {
        protocol: u32,
        cursor: u64,
        whole_after: Option<CaseId>,
        push: Vec<PushDoc>,
        page: u32,
    }

    #[test]
    fn older_devices_and_servers_still_understand_each_other() {
        let old = OldRequest {
            protocol: PROTOCOL_VERSION,
            cursor: 7,
            whole_after: Some(CaseId::new("c9")),
            push: Vec::new(),
            page: 2000,
        };
        // An older device's request reads as one without a budget.
        let new: SyncRequest = decode(&encode(&old)).expect("decodes");
        assert_eq!((new.cursor, new.page, new.budget), (7, 2000, None));
        // An older server reads a newer request's fields and ignores the budget after them.
        let seen: OldRequest = decode(&encode(&SyncRequest {
            budget: Some(1000),
            ..new
        }))
        .expect("decodes");
        assert_eq!((seen.cursor, seen.page), (7, 2000));
        // A damaged budget is not a budget, and the rest of the request still counts.
        let mut bytes = encode(&old);
        bytes.push(1);
        let new: SyncRequest = decode(&bytes).expect("decodes");
        assert_eq!((new.cursor, new.budget), (7, None));
    }
}
