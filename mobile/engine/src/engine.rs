//! The engine: one object that owns the store and carries out the app's commands.
//!
//! The UI never touches SQLite or automerge; it sends a [`Command`] and gets a [`Reply`], and
//! listens for [`Event`]s. Commands and replies are plain serializable data
//! ([`crate::protocol`], listed once in [`crate::commands`]), so the same engine runs on a
//! background thread natively ([`crate::handle::EngineHandle`]) and, on the web, in a Web
//! Worker behind `postMessage`.
//!
//! Every command that changes data is one SQLite transaction: the automerge change and the
//! case's index row land together, or not at all. This file holds the engine itself, the
//! session, the stored blobs, and sync's entry points with what headquarters sends with it (SLA,
//! library); the case commands are in [`crate::cases`], lists and search
//! in [`crate::search`], sync in [`crate::sync`].

use std::collections::VecDeque;
use std::path::Path;

use chrono::NaiveDate;

use mandoob_shared::catalog::RequestCatalog;
use mandoob_shared::doc::{Author, CaseDoc};
use mandoob_shared::ids::*;
use mandoob_shared::sample;
use mandoob_shared::summary::Summary;
use mandoob_shared::sync::{self as wire, Library, SyncRequest, SyncResponse};
use mandoob_shared::workflow::{self, SlaPolicy};

use crate::capture::CaptureSettings;
use crate::store::{self, Store, blobs, cases, index, settings};
use crate::sync::{self, RefusedLocal, SyncSummary};

pub use crate::commands::Command;
pub use crate::protocol::*;
pub use crate::search::{index_row, summary_row};

/// How many loaded documents to keep in memory (each costs some tens of KiB).
const DOC_CACHE: usize = 16;

/// The engine.
#[derive(Debug)]
pub struct Engine {
    pub(crate) store: Store,
    pub(crate) session: Option<Session>,
    pub(crate) catalog: RequestCatalog,
    pub(crate) sla: SlaPolicy,
    pub(crate) capture: CaptureSettings,
    cache: VecDeque<(String, CaseDoc)>,
    pub(crate) events: Vec<Event>,
    clock: fn() -> Timestamp,
}

fn system_clock() -> Timestamp {
    Timestamp::now()
}

impl Engine {
    /// Opens the engine on the database at `path`.
    pub fn open(path: &Path) -> Result<Self, EngineError> {
        Ok(Self::with_store(Store::open(path)?))
    }

    /// An engine on an in-memory database (tests).
    pub fn in_memory() -> Result<Self, EngineError> {
        Ok(Self::with_store(Store::open_in_memory()?))
    }

    fn with_store(store: Store) -> Self {
        let session = settings::get(store.conn(), settings::SESSION)
            .ok()
            .flatten();
        // The SLA headquarters set, as of the last sync.
        let sla = settings::get(store.conn(), settings::SLA)
            .ok()
            .flatten()
            .unwrap_or_default();
        Self {
            store,
            session,
            catalog: RequestCatalog::builtin(),
            sla,
            capture: CaptureSettings::default(),
            cache: VecDeque::new(),
            events: Vec::new(),
            clock: system_clock,
        }
    }

    /// Uses `clock` instead of the system clock (tests and benchmarks).
    pub fn set_clock(&mut self, clock: fn() -> Timestamp) {
        self.clock = clock;
    }

    pub(crate) fn store(&self) -> &Store {
        &self.store
    }

    pub(crate) fn forget_cached(&mut self, id: &str) {
        self.cache.retain(|(k, _)| k != id);
    }

    /// Queues an event for the UI (the sync transport reports its state this way).
    pub fn push_event(&mut self, e: Event) {
        self.events.push(e);
    }

    /// The signed-in session, if any.
    pub fn session(&self) -> Option<&Session> {
        self.session.as_ref()
    }

    /// Events since the last call.
    pub fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }

    pub(crate) fn author(&self) -> Result<Author, EngineError> {
        let session = self.session.as_ref().ok_or(EngineError::NoSession)?;
        Ok(Author {
            user: session.user.clone(),
            at: (self.clock)(),
        })
    }

    /// Now, by the engine's clock.
    pub(crate) fn now(&self) -> Timestamp {
        (self.clock)()
    }

    pub(crate) fn today(&self) -> NaiveDate {
        workflow::kuwait_date((self.clock)())
    }

    /// Signs a user in on this device (the session survives restarts).
    pub fn set_session(&mut self, session: Session) -> Result<(), EngineError> {
        settings::set(self.store.conn(), settings::SESSION, &session)?;
        if self.session.as_ref().map(|s| &s.user) != Some(&session.user) {
            // A cached document writes as one automerge replica, which the server binds to
            // the first account that wrote with it: another account starts from fresh ones.
            self.cache.clear();
        }
        self.session = Some(session);
        Ok(())
    }

    /// Keeps the server address and token of a signed-in device.
    pub fn save_credentials(&mut self, c: &Credentials) -> Result<(), EngineError> {
        Ok(settings::set(self.store.conn(), settings::CREDENTIALS, c)?)
    }

    /// How the app is read on this device (the defaults until set).
    pub fn preferences(&self) -> Result<Preferences, EngineError> {
        Ok(settings::get(self.store.conn(), settings::PREFERENCES)?.unwrap_or_default())
    }

    /// Keeps how the app is read on this device.
    pub fn save_preferences(&mut self, p: &Preferences) -> Result<(), EngineError> {
        Ok(settings::set(self.store.conn(), settings::PREFERENCES, p)?)
    }

    /// The stored server address and token.
    pub fn credentials(&self) -> Result<Option<Credentials>, EngineError> {
        Ok(settings::get(self.store.conn(), settings::CREDENTIALS)?)
    }

    /// Forgets the token and the session. Case files and unsynced work stay on the device:
    /// the same user's next sign-in syncs them (the server takes a change only from the
    /// account that wrote it, so another account's sign-in cannot).
    pub fn sign_out(&mut self) -> Result<(), EngineError> {
        self.store.transaction(|tx| {
            settings::remove(tx, settings::CREDENTIALS)?;
            settings::remove(tx, settings::SESSION)
        })?;
        self.session = None;
        self.cache.clear();
        Ok(())
    }

    /// Every local change the server has not acknowledged, whole ([`sync::unsent`]): what a
    /// revoked device hands over before it wipes its data.
    pub fn unsent_work(&mut self) -> Result<Vec<wire::PushDoc>, EngineError> {
        sync::unsent(&self.store)
    }

    /// Removes every case file, photo and the token from this device ([`Store::wipe`]); how
    /// the app is read stays.
    pub fn wipe(&mut self) -> Result<(), EngineError> {
        self.store.wipe()?;
        self.session = None;
        self.sla = SlaPolicy::default();
        self.cache.clear();
        Ok(())
    }

    pub(crate) fn cache_take(&mut self, id: &str) -> Result<CaseDoc, EngineError> {
        if let Some(pos) = self.cache.iter().position(|(k, _)| k == id)
            && let Some((_, doc)) = self.cache.remove(pos)
        {
            return Ok(doc);
        }
        Ok(self.store.load_doc(id)?)
    }

    pub(crate) fn cache_put(&mut self, id: String, doc: CaseDoc) {
        self.cache.retain(|(k, _)| *k != id);
        self.cache.push_front((id, doc));
        self.cache.truncate(DOC_CACHE);
    }

    /// Photos not yet confirmed on the server.
    pub fn pending_blobs(&self) -> Result<Vec<String>, EngineError> {
        Ok(blobs::pending(self.store.conn())?)
    }

    /// Records that the server has a blob.
    pub fn mark_uploaded(&self, sha256: &str) -> Result<(), EngineError> {
        Ok(blobs::mark_uploaded(self.store.conn(), sha256)?)
    }

    /// A stored blob (photo or thumbnail) by its hash.
    pub fn blob(&self, sha256: &str) -> Result<Option<Vec<u8>>, EngineError> {
        Ok(blobs::get(self.store.conn(), sha256)?)
    }

    /// Storage use.
    pub fn stats(&self) -> Result<StorageStats, EngineError> {
        Ok(store::usage(self.store.conn())?)
    }

    /// A copy of a case's automerge document (export, inspection).
    pub fn case_doc(&mut self, id: &CaseId) -> Result<CaseDoc, EngineError> {
        let doc = self.cache_take(id.as_str())?;
        let copy = doc.clone();
        self.cache_put(id.as_str().to_owned(), doc);
        Ok(copy)
    }

    /// Imports a whole case document (the server's copy, or a seed), replacing the stored one.
    pub fn import_case(
        &mut self,
        doc: &mut CaseDoc,
        unsynced: bool,
    ) -> Result<CaseId, EngineError> {
        let (case, conflicts) = doc.read_with_conflicts()?;
        let row = index_row(&case, conflicts, &self.sla, unsynced);
        let thumbnails = crate::photos::thumbnails(&case);
        self.store.transaction(|tx| {
            store::write_index(tx, &row)?;
            blobs::set_case_thumbnails(tx, case.id.as_str(), &thumbnails)?;
            store::write_snapshot(tx, case.id.as_str(), doc)
        })?;
        self.cache.retain(|(k, _)| k != case.id.as_str());
        Ok(case.id)
    }

    /// Fills the store with `count` realistic sample cases (demo and benchmarks), in batches.
    pub fn seed_samples(&mut self, count: u64, first_seed: u64) -> Result<(), EngineError> {
        let author = self.author()?;
        let mut start = 0;
        while start < count {
            let end = (start + 500).min(count);
            let sla = self.sla.clone();
            self.store.transaction(|tx| {
                for i in start..end {
                    let case = sample::realistic_case(first_seed + i);
                    let mut doc = CaseDoc::create(&case, &author)?;
                    let row = index_row(&case, false, &sla, false);
                    store::write_index(tx, &row)?;
                    store::write_snapshot(tx, case.id.as_str(), &mut doc)?;
                }
                Ok(())
            })?;
            start = end;
        }
        Ok(())
    }
}

/// Sync (see [`crate::sync`]) and what headquarters sends with it.
impl Engine {
    /// The next sync request ([`sync::prepare`]).
    pub fn prepare_sync(&mut self, page: u32) -> Result<SyncRequest, EngineError> {
        sync::prepare(&self.store, page)
    }

    /// Applies the server's answer in one transaction ([`sync::apply`]), after adopting its SLA.
    pub fn apply_sync(&mut self, response: SyncResponse) -> Result<SyncSummary, EngineError> {
        wire::check_version(response.protocol).map_err(|e| EngineError::Storage(e.to_string()))?;
        if response.sla != self.sla {
            self.set_sla(response.sla.clone())?;
        }
        let applied = sync::apply(&mut self.store, &self.sla, response)?;
        for case in &applied.changed {
            self.forget_cached(case.as_str());
        }
        for case in applied.changed {
            self.push_event(Event::CaseChanged(case));
        }
        Ok(applied.summary)
    }

    /// Adopts headquarters' SLA setting: keeps it and recomputes every due date, in one
    /// transaction.
    pub fn set_sla(&mut self, sla: SlaPolicy) -> Result<(), EngineError> {
        // Rows written before the clock's start was indexed: read from their documents.
        let mut started: Vec<(String, Option<i64>)> = Vec::new();
        for id in index::awaiting_without_start(self.store.conn())? {
            let doc = self.store.load_doc(&id)?;
            let (case, _) = doc.read_with_conflicts()?;
            let summary = Summary::of(&case, false, Vec::new());
            started.push((id, summary.awaiting_since.map(|t| t.millis())));
        }
        started.extend(index::awaiting_starts(self.store.conn())?);
        let due = |start: Option<i64>| {
            start
                .and_then(mandoob_shared::ids::Timestamp::from_millis)
                .map(|t| sla.due_date(t).to_string())
        };
        self.store.transaction(|tx| {
            for (id, start) in &started {
                index::set_due(tx, id, *start, due(*start))?;
            }
            settings::set(tx, settings::SLA, &sla)
        })?;
        self.sla = sla;
        Ok(())
    }

    /// The reference documents HQ published, as of the last sync (empty before one).
    pub fn library(&self) -> Result<Library, EngineError> {
        Ok(settings::get(self.store.conn(), settings::LIBRARY)?.unwrap_or_default())
    }

    /// Keeps the reference documents HQ published.
    pub fn save_library(&mut self, library: &Library) -> Result<(), EngineError> {
        Ok(settings::set(
            self.store.conn(),
            settings::LIBRARY,
            library,
        )?)
    }

    /// Local changes the server refused, newest last.
    pub fn refused_changes(&self) -> Result<Vec<RefusedLocal>, EngineError> {
        Ok(cases::refused(self.store.conn())?)
    }
}
