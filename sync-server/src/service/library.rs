//! The reference documents HQ publishes to every device (the policy, guides), and the version
//! that tells a device whether its copy is current.

use sha2::{Digest, Sha256};

use mandoob_shared::sync::LibraryDocument;

use super::ServiceError;
use super::audit::{self, By};
use crate::storage::Storage;

/// The setting that holds the library's current version.
pub const LIBRARY_VERSION: &str = "library_version";

/// The most text one reference document may hold (it travels to every device).
pub const MAX_DOCUMENT_CHARS: usize = 200_000;

/// A document to publish, as typed.
#[derive(Debug, Clone)]
pub struct NewDocument<'a> {
    pub title_ar: &'a str,
    pub title_en: &'a str,
    pub body_ar: &'a str,
    pub body_en: &'a str,
}

/// Why a document cannot be published or withdrawn.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentRule {
    #[error("a document has both titles and both texts, at most {MAX_DOCUMENT_CHARS} characters")]
    Invalid,
    #[error("there is no such document")]
    NotFound,
}

/// Publishes a document; returns its id.
pub async fn publish(
    storage: &dyn Storage,
    new: NewDocument<'_>,
    by: &By,
) -> Result<Result<String, DocumentRule>, ServiceError> {
    let parts = [new.title_ar, new.title_en, new.body_ar, new.body_en];
    if parts.iter().any(|p| p.trim().is_empty())
        || parts.iter().map(|p| p.chars().count()).sum::<usize>() > MAX_DOCUMENT_CHARS
    {
        return Ok(Err(DocumentRule::Invalid));
    }
    let mut raw = [0u8; 8];
    getrandom::fill(&mut raw).map_err(|e| ServiceError::Internal(e.to_string()))?;
    let doc = LibraryDocument {
        id: hex::encode(raw),
        title_ar: new.title_ar.trim().to_owned(),
        title_en: new.title_en.trim().to_owned(),
        // Line endings as a browser sends them (CRLF) are stored as plain newlines.
        body_ar: new.body_ar.replace("\r\n", "\n").trim().to_owned(),
        body_en: new.body_en.replace("\r\n", "\n").trim().to_owned(),
        published_at: chrono::Utc::now().timestamp_millis(),
    };
    storage.publish_document(&doc).await?;
    refresh_version(storage).await?;
    let titles = audit::Titles {
        ar: doc.title_ar.clone(),
        en: doc.title_en.clone(),
    };
    audit::record(
        storage,
        by,
        "publish-document",
        &doc.id,
        &audit::json(&titles),
    )
    .await;
    Ok(Ok(doc.id))
}

/// Withdraws a document from every device.
pub async fn retire(
    storage: &dyn Storage,
    id: &str,
    by: &By,
) -> Result<Result<(), DocumentRule>, ServiceError> {
    // Its titles, for the log, before it is withdrawn.
    let titles = storage
        .library()
        .await?
        .into_iter()
        .find(|d| d.id == id)
        .map(|d| audit::Titles {
            ar: d.title_ar,
            en: d.title_en,
        });
    if !storage.retire_document(id).await? {
        return Ok(Err(DocumentRule::NotFound));
    }
    refresh_version(storage).await?;
    let detail = titles.map(|t| audit::json(&t)).unwrap_or_default();
    audit::record(storage, by, "retire-document", id, &detail).await;
    Ok(Ok(()))
}

/// The version devices compare their copy with (kept as a setting: a sync does not read and
/// hash every document's text).
pub async fn current_version(storage: &dyn Storage) -> Result<String, ServiceError> {
    Ok(storage.setting(LIBRARY_VERSION).await?.unwrap_or_default())
}

/// Recomputes and keeps the library's version (after a document is published or withdrawn).
pub async fn refresh_version(storage: &dyn Storage) -> Result<(), ServiceError> {
    let version = version_of(&storage.library().await?);
    storage.set_setting(LIBRARY_VERSION, &version).await?;
    Ok(())
}

/// A version naming exactly this set of documents (empty for none, as on a new device).
pub fn version_of(documents: &[LibraryDocument]) -> String {
    if documents.is_empty() {
        return String::new();
    }
    let mut hash = Sha256::new();
    for d in documents {
        for part in [&d.id, &d.title_ar, &d.title_en, &d.body_ar, &d.body_en] {
            hash.update((part.len() as u64).to_le_bytes());
            hash.update(part.as_bytes());
        }
        hash.update(d.published_at.to_le_bytes());
    }
    hex::encode(&hash.finalize()[..12])
}
