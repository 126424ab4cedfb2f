//! What a revoked device hands over before it wipes its data: its unsent changes and photos.
//! A revoked phone may be in anyone's hands, so nothing it sends after the revocation enters a
//! case by itself: each item is held, unapplied, until an administrator applies it (through
//! the same checks as any push, as made by the device's user on that device) or discards it.
//! Holding, applying and discarding are audited (`hold-push`, `apply-held`, `discard-held`).

use chrono::Utc;
use sha2::{Digest, Sha256};

use mandoob_shared::access::scope_of;
use mandoob_shared::ids::{DeviceCode, UserId};
use mandoob_shared::sync::{self as wire, HandOver, PushDoc};

use super::ServiceError;
use super::accounts::Rule;
use super::audit::{self, By};
use super::push::{FromDevice, push_case};
use crate::state::AppState;
use crate::storage::{BlobViewer, HeldItem, HeldKind, HeldState, HoldOutcome, NewHeld};

/// The most a revoked device may have held, all items together: far more than a day's visits
/// with photos, and a bound on what a stolen phone can make the server keep.
pub const MAX_HELD_BYTES: u64 = 256 * 1024 * 1024;

/// Why a hand-over was not held.
#[derive(Debug, thiserror::Error)]
pub enum HandOverError {
    #[error("{0}")]
    Malformed(String),
    #[error("this device has handed over more than the server holds for one device")]
    Full,
    #[error(transparent)]
    Service(#[from] ServiceError),
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Holds one item within the device's limit, audited as `hold-push` (with `detail`) when it
/// is new.
async fn hold(state: &AppState, item: NewHeld<'_>, detail: &str) -> Result<(), HandOverError> {
    let (device, user) = (item.device.clone(), item.user.clone());
    match state
        .storage
        .hold(item, MAX_HELD_BYTES)
        .await
        .map_err(ServiceError::from)?
    {
        HoldOutcome::Full => Err(HandOverError::Full),
        HoldOutcome::Known => Ok(()),
        HoldOutcome::New => {
            let by = By(user);
            audit::record(
                state.storage.as_ref(),
                &by,
                "hold-push",
                device.as_str(),
                detail,
            )
            .await;
            Ok(())
        }
    }
}

/// Holds a hand-over's changes, one item per case; how many of them are held now (counting
/// those already held: a hand-over sent again after a cut is held once).
pub async fn hold_changes(
    state: &AppState,
    device: &DeviceCode,
    user: &UserId,
    body: &[u8],
) -> Result<u32, HandOverError> {
    let request: HandOver =
        wire::decode(body).map_err(|e| HandOverError::Malformed(e.to_string()))?;
    wire::check_version(request.protocol).map_err(|e| HandOverError::Malformed(e.to_string()))?;
    crate::push::check_push_limits(&request.push).map_err(HandOverError::Malformed)?;
    let mut held = 0;
    for doc in request.push.iter().filter(|d| !d.changes.is_empty()) {
        let bytes = wire::encode(doc);
        let item = NewHeld {
            device,
            user,
            kind: HeldKind::Changes,
            case: Some(&doc.case),
            sha256: &sha256_hex(&bytes),
            body: &bytes,
            changes: doc.changes.len() as u32,
            now: Utc::now().timestamp_millis(),
        };
        let detail = format!("{} {}", doc.case.as_str(), doc.changes.len());
        hold(state, item, &detail).await?;
        held += 1;
    }
    Ok(held)
}

/// Holds a photo a revoked device had not uploaded, once its bytes match its name.
pub async fn hold_photo(
    state: &AppState,
    device: &DeviceCode,
    user: &UserId,
    sha256: &str,
    bytes: &[u8],
) -> Result<(), HandOverError> {
    if bytes.is_empty() || sha256_hex(bytes) != sha256 {
        return Err(HandOverError::Malformed(
            "the photo's bytes do not match its SHA-256".into(),
        ));
    }
    let item = NewHeld {
        device,
        user,
        kind: HeldKind::Photo,
        case: None,
        sha256,
        body: bytes,
        changes: 1,
        now: Utc::now().timestamp_millis(),
    };
    hold(state, item, &format!("photo {sha256}")).await
}

/// Applies a held item: changes go through [`push_case`] as made by the device's user on that
/// device (refused changes stay out, as for any push); a photo becomes that device's upload.
/// The item, and what applying it came to ("accepted refused", or "photo").
pub async fn apply(state: &AppState, id: i64, by: &By) -> Result<(HeldItem, String), ServiceError> {
    let Some((item, body)) = state.storage.held_body(id).await? else {
        return Err(Rule::NotHeld.into());
    };
    let outcome = match item.kind {
        HeldKind::Photo => {
            if !state.storage.apply_held_photo(id).await? {
                return Err(Rule::NotHeld.into());
            }
            "photo".to_owned()
        }
        HeldKind::Changes => {
            let doc: PushDoc = wire::decode(&body)
                .map_err(|e| ServiceError::Internal(format!("held item {id}: {e}")))?;
            let Some(user) = state.storage.user(&item.user).await? else {
                return Err(Rule::NoSuchUser(item.user.as_str().to_owned()).into());
            };
            let devices = state.storage.devices().await?;
            let enrolled_at = devices
                .iter()
                .find(|d| d.code == item.device)
                .map_or(0, |d| d.created_at);
            let viewer = BlobViewer {
                device: item.device.clone(),
                user: user.id.clone(),
                scope: scope_of(user.role, &user.branch),
            };
            let from = FromDevice {
                code: &item.device,
                enrolled_at,
                viewer: &viewer,
            };
            let pushed = push_case(state, &user, Some(from), doc).await?;
            let outcome = format!("{} {}", pushed.accepted, pushed.refused.len());
            if !state
                .storage
                .settle_held(id, HeldState::Applied, &outcome)
                .await?
            {
                return Err(Rule::NotHeld.into());
            }
            outcome
        }
    };
    let target = item.device.as_str();
    let detail = format!("{id} {outcome}");
    audit::record(state.storage.as_ref(), by, "apply-held", target, &detail).await;
    Ok((item, outcome))
}

/// Discards a held item (its bytes are forgotten); the item.
pub async fn discard(state: &AppState, id: i64, by: &By) -> Result<HeldItem, ServiceError> {
    let Some((item, _)) = state.storage.held_body(id).await? else {
        return Err(Rule::NotHeld.into());
    };
    if !state
        .storage
        .settle_held(id, HeldState::Discarded, "")
        .await?
    {
        return Err(Rule::NotHeld.into());
    }
    let detail = id.to_string();
    audit::record(
        state.storage.as_ref(),
        by,
        "discard-held",
        item.device.as_str(),
        &detail,
    )
    .await;
    Ok(item)
}
