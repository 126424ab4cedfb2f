//! Photos taken on another device. A case that arrives by sync names its documents' photos and
//! thumbnails, but their bytes stay on the server: the engine keeps which thumbnails each case
//! names (`case_thumbnails`, written with the case by sync and import), tells the sync client
//! which of them this device lacks ([`Engine::wanted_thumbnails`]), and keeps what the client
//! fetched once its bytes match their name ([`Engine::save_fetched_blob`]). Full photos are
//! fetched the same way, one at a time, when someone opens one
//! (`SyncClient::fetch_photo`). The transport is [`crate::sync_client`].

use automerge::{ROOT, ReadDoc, ScalarValue, Value};

use mandoob_shared::doc::CaseDoc;
use mandoob_shared::model::CaseFile;
use mandoob_shared::sync as wire;

use crate::capture::sha256_hex;
use crate::engine::{Engine, EngineError};
use crate::store::{blobs, settings};

/// The most thumbnails one sync asks the server for; the rest come with the next syncs.
pub const THUMBNAILS_PER_SYNC: u32 = 200;

/// The thumbnails a case's documents name.
pub fn thumbnails(case: &CaseFile) -> Vec<String> {
    case.documents
        .iter()
        .map(|d| d.thumbnail_sha256.clone())
        .filter(|s| !s.is_empty())
        .collect()
}

/// The same as [`thumbnails`], read straight from a document without reading the whole case
/// (for cases indexed from the server's summary on a first sync).
pub fn thumbnails_in(doc: &mut CaseDoc) -> Vec<String> {
    let am = doc.automerge();
    let Ok(Some((Value::Object(_), list))) = am.get(ROOT, "documents") else {
        return Vec::new();
    };
    (0..am.length(&list))
        .filter_map(|i| {
            let (_, item) = am.get(&list, i).ok()??;
            match am.get(&item, "thumbnail_sha256").ok()?? {
                (Value::Scalar(s), _) => match s.as_ref() {
                    ScalarValue::Str(t) if !t.is_empty() => Some(t.to_string()),
                    _ => None,
                },
                _ => None,
            }
        })
        .collect()
}

impl Engine {
    /// Thumbnails some case on this device names that are not stored here and are due a try
    /// (never tried first, then those whose last failure is oldest), at most `limit`.
    pub fn wanted_thumbnails(&mut self, limit: u32) -> Result<Vec<String>, EngineError> {
        self.index_earlier_thumbnails()?;
        Ok(blobs::wanted_thumbnails(
            self.store().conn(),
            self.now().millis(),
            limit,
        )?)
    }

    /// Keeps a photo or thumbnail fetched from the server, once its bytes match its name
    /// (a server or a proxy on the way may damage them). It is on the server, so it is never
    /// uploaded again.
    pub fn save_fetched_blob(&mut self, sha256: &str, bytes: &[u8]) -> Result<(), EngineError> {
        if !mandoob_shared::schema::is_sha256(sha256) {
            return Err(EngineError::Photo(
                "a photo is named by its lowercase hex SHA-256".into(),
            ));
        }
        if bytes.len() as u64 > wire::MAX_BLOB_BYTES {
            return Err(EngineError::Photo(format!(
                "{} bytes is more than a photo may have",
                bytes.len()
            )));
        }
        let actual = sha256_hex(bytes);
        if actual != sha256 {
            return Err(EngineError::Photo(format!(
                "the bytes received are not the photo asked for (their SHA-256 is {actual}): \
                 not kept"
            )));
        }
        let now = self.now().millis();
        self.store
            .transaction(|tx| blobs::put_fetched(tx, sha256, bytes, now))?;
        Ok(())
    }

    /// Records that a blob could not be fetched now: the next sync tries again, then after
    /// waits that double from a minute up to a day while it keeps failing.
    pub fn blob_fetch_failed(&mut self, sha256: &str) -> Result<(), EngineError> {
        Ok(blobs::fetch_failed(
            self.store().conn(),
            sha256,
            self.now().millis(),
        )?)
    }

    /// Reads, once, the thumbnails of cases stored before the device kept them.
    fn index_earlier_thumbnails(&mut self) -> Result<(), EngineError> {
        let conn = self.store().conn();
        if settings::get(conn, settings::THUMBNAILS_UNINDEXED)? != Some(true) {
            return Ok(());
        }
        let mut found = Vec::new();
        for id in blobs::all_cases(conn)? {
            // A document that no longer loads names nothing this device can fetch.
            if let Ok(mut doc) = self.store().load_doc(&id) {
                found.push((id, thumbnails_in(&mut doc)));
            }
        }
        self.store.transaction(|tx| {
            for (id, thumbnails) in &found {
                blobs::set_case_thumbnails(tx, id, thumbnails)?;
            }
            settings::remove(tx, settings::THUMBNAILS_UNINDEXED)
        })?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mandoob_shared::doc::Author;
    use mandoob_shared::ids::{Timestamp, UserId};

    #[test]
    fn thumbnails_read_from_the_document_are_those_of_the_case() {
        let author = Author {
            user: UserId::new("rep-a"),
            at: Timestamp::now(),
        };
        for seed in 0..20 {
            let case = mandoob_shared::sample::realistic_case(seed);
            let mut doc = CaseDoc::create(&case, &author).expect("create");
            assert_eq!(thumbnails_in(&mut doc), thumbnails(&case), "seed {seed}");
        }
        let mut empty = CaseDoc::create(
            &CaseFile::new(
                mandoob_shared::ids::CaseReference::compose(
                    &mandoob_shared::ids::BranchCode::new("QRN"),
                    &mandoob_shared::ids::DeviceCode::new("D1"),
                    1,
                ),
                mandoob_shared::ids::BranchCode::new("QRN"),
                author.user.clone(),
                author.at,
            ),
            &author,
        )
        .expect("create");
        assert!(thumbnails_in(&mut empty).is_empty());
    }
}
