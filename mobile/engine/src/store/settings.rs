//! The device's settings, typed: every key is one constant here with the type of its value, and
//! [`get`], [`set`] and [`remove`] read and write it (JSON, or plain text for numbers and ids,
//! as the rows have always been written).

use std::marker::PhantomData;

use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;
use serde::de::DeserializeOwned;

use mandoob_shared::ids::CaseId;
use mandoob_shared::sync::Library;
use mandoob_shared::workflow::SlaPolicy;

use super::StoreError;
use crate::protocol::{Credentials, Preferences, Session};
use crate::sync::InFlight;

/// A setting: its key, and how its value is written.
#[derive(Debug)]
pub struct Key<T> {
    name: &'static str,
    encode: fn(&T) -> Result<String, StoreError>,
    decode: fn(&str) -> Option<T>,
    _value: PhantomData<fn() -> T>,
}

impl<T> Clone for Key<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Key<T> {}

impl<T> Key<T> {
    /// The key as stored.
    pub fn name(self) -> &'static str {
        self.name
    }
}

impl<T: Serialize + DeserializeOwned> Key<T> {
    /// A setting written as JSON.
    const fn json(name: &'static str) -> Self {
        Self {
            name,
            encode: to_json::<T>,
            decode: from_json::<T>,
            _value: PhantomData,
        }
    }
}

impl<T: ToString + std::str::FromStr> Key<T> {
    /// A setting written as plain text (numbers).
    const fn text(name: &'static str) -> Self {
        Self {
            name,
            encode: to_text::<T>,
            decode: from_text::<T>,
            _value: PhantomData,
        }
    }
}

fn to_json<T: Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Encode(e.to_string()))
}

fn from_json<T: DeserializeOwned>(text: &str) -> Option<T> {
    serde_json::from_str(text).ok()
}

fn to_text<T: ToString>(value: &T) -> Result<String, StoreError> {
    Ok(value.to_string())
}

fn from_text<T: std::str::FromStr>(text: &str) -> Option<T> {
    text.parse().ok()
}

fn case_id_to_text(id: &CaseId) -> Result<String, StoreError> {
    Ok(id.as_str().to_owned())
}

fn case_id_from_text(text: &str) -> Option<CaseId> {
    Some(CaseId::new(text))
}

/// Who is signed in on this device.
pub const SESSION: Key<Session> = Key::json("session");
/// The server and this device's token.
pub const CREDENTIALS: Key<Credentials> = Key::json("credentials");
/// How the app is read on this device (language, digits).
pub const PREFERENCES: Key<Preferences> = Key::json("preferences");
/// The SLA headquarters set, as of the last sync.
pub const SLA: Key<SlaPolicy> = Key::json("sla");
/// The reference documents HQ published, as of the last sync.
pub const LIBRARY: Key<Library> = Key::json("library");
/// The number of the last case registered on this device (its references count up).
pub const CASE_SEQUENCE: Key<i64> = Key::text("case_sequence");
/// Where the server's feed stands for this device.
pub const SYNC_CURSOR: Key<u64> = Key::text("sync_cursor");
/// The last case of an interrupted first sync's whole documents, if one is under way.
pub const SYNC_WHOLE_AFTER: Key<CaseId> = Key {
    name: "sync_whole_after",
    encode: case_id_to_text,
    decode: case_id_from_text,
    _value: PhantomData,
};
/// What the last sync request pushed, until the server's answer to it is applied.
pub const SYNC_IN_FLIGHT: Key<InFlight> = Key::json("sync_in_flight");
/// Set by migration 4 when cases were stored before `case_thumbnails` existed: their
/// thumbnails are read from their documents once, then this is removed.
pub const THUMBNAILS_UNINDEXED: Key<bool> = Key::json("thumbnails_unindexed");

/// A setting's value: `None` when it is not set, or cannot be read.
pub fn get<T>(conn: &Connection, key: Key<T>) -> Result<Option<T>, StoreError> {
    let text: Option<String> = conn
        .prepare_cached("SELECT value FROM settings WHERE key = ?1")?
        .query_row([key.name], |r| r.get(0))
        .optional()?;
    Ok(text.and_then(|t| (key.decode)(&t)))
}

/// Sets a setting.
pub fn set<T>(conn: &Connection, key: Key<T>, value: &T) -> Result<(), StoreError> {
    let text = (key.encode)(value)?;
    conn.prepare_cached(
        "INSERT INTO settings (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )?
    .execute([key.name, text.as_str()])?;
    Ok(())
}

/// Unsets a setting.
pub fn remove<T>(conn: &Connection, key: Key<T>) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM settings WHERE key = ?1")?
        .execute([key.name])?;
    Ok(())
}
