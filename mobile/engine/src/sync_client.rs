//! The sync transport: HTTP to the HQ server with reqwest (rustls). It carries the engine's
//! [`SyncRequest`](wire::SyncRequest)s and photos; the logic of what to send and how to apply
//! the answer is the engine's ([`crate::sync`]), reached through its typed commands
//! ([`EngineApi`]) on the engine itself or a handle to it.

mod error;
mod hand_over;
mod transfer;

pub use error::{ServerError, SyncError};
pub use hand_over::{HandedOver, hand_over_requests};

use std::sync::Arc;
use std::time::Duration;

use mandoob_shared::sync::{
    self as wire, ChangePasswordRequest, Library, LoginRequest, LoginResponse, MissingBlobs,
    SyncRequest, SyncResponse,
};

pub use transfer::{ANSWER_SECONDS, MAX_BUDGET, MIN_BUDGET, RETRIES, STALL_TIMEOUT};
use transfer::{Answer, Backoff, LinkEstimate, Watch, exchange};

use crate::commands::EngineApi;
use crate::engine::{Engine, EngineError, Event, Session, SyncState};
use crate::sync::SyncSummary;

/// A signed-in connection to the server.
#[derive(Debug, Clone)]
pub struct SyncClient {
    http: reqwest::Client,
    base: String,
    token: String,
    counters: Arc<Counters>,
    /// What the client measured of its link, down (answers) and up (pushes and photos).
    link: Arc<LinkEstimate>,
    uplink: Arc<LinkEstimate>,
    stall: Duration,
}

#[derive(Debug, Default)]
struct Counters {
    requests: std::sync::atomic::AtomicU64,
    sent: std::sync::atomic::AtomicU64,
    received: std::sync::atomic::AtomicU64,
}

/// Traffic of a client: requests and sync payload bytes (before HTTP compression), including
/// what was sent or received of requests a cut or a stall interrupted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TrafficStats {
    pub requests: u64,
    pub bytes_sent: u64,
    pub bytes_received: u64,
}

/// The longest one small request (sign-in, the library, which photos the server lacks) may
/// take before sync reports the server unreachable (the browser's `fetch` has no timeout of
/// its own, and a stalled one would leave sync "in progress"). Sync answers and photos have a
/// stall timeout instead ([`STALL_TIMEOUT`]): they take as long as they take while they move.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);

/// Changes or documents per sync answer.
pub const PAGE: u32 = 2000;
/// The largest photo upload part: a dropped connection loses at most this much. On a slow link
/// parts are smaller: a few seconds each at the rate the client measured sending.
pub const PART: usize = 256 * 1024;
/// The first photo part, before the client has measured how fast it can send.
const FIRST_PART: u32 = 64 * 1024;
/// The most a thumbnail may weigh (they are 320 px JPEGs of some tens of KiB): a server
/// answering with more is not read further.
pub const MAX_THUMBNAIL_BYTES: u64 = 1024 * 1024;

#[cfg(not(target_arch = "wasm32"))]
fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .gzip(true)
        .build()
        .expect("a TLS client can be built")
}

/// On the web, requests go through the browser's `fetch` (which also decompresses).
#[cfg(target_arch = "wasm32")]
fn http() -> reqwest::Client {
    reqwest::Client::new()
}

/// The response if it succeeded; otherwise the server's message as the right error.
async fn checked(resp: reqwest::Response) -> Result<reqwest::Response, SyncError> {
    let status = resp.status();
    if status.is_success() {
        return Ok(resp);
    }
    let body = resp.bytes().await.unwrap_or_default();
    let said = ServerError::of_answer(status, &body);
    Err(if status == reqwest::StatusCode::UNAUTHORIZED {
        SyncError::Unauthorized(said)
    } else {
        SyncError::Server(said)
    })
}

impl SyncClient {
    /// A client for `base` (`http://host:port`) with a stored token.
    pub fn new(base: &str, token: &str) -> Self {
        Self {
            http: http(),
            base: base.trim_end_matches('/').to_owned(),
            token: token.to_owned(),
            counters: Default::default(),
            link: Default::default(),
            uplink: Arc::new(LinkEstimate::with_ceiling(FIRST_PART)),
            stall: STALL_TIMEOUT,
        }
    }

    /// The same client with another stall timeout (tests on a link that black-holes).
    pub fn with_stall_timeout(mut self, stall: Duration) -> Self {
        self.stall = stall;
        self
    }

    /// The byte budget this client asks for now (from the rate it measured).
    pub fn budget(&self) -> u32 {
        self.link.budget()
    }

    /// One request through [`exchange`], counted.
    async fn exchange(
        &self,
        request: reqwest::RequestBuilder,
        body: Option<Vec<u8>>,
        (limit, expected): (u64, u64),
        backoff: &Backoff,
    ) -> Result<Answer, SyncError> {
        use std::sync::atomic::Ordering::Relaxed;
        self.counters.requests.fetch_add(1, Relaxed);
        let sent = body.as_ref().map_or(0, Vec::len) as u64;
        self.counters.sent.fetch_add(sent, Relaxed);
        let watch = Watch {
            stall: self.stall,
            link: &self.link,
            uplink: &self.uplink,
            received: &self.counters.received,
            reached: &backoff.reached,
        };
        exchange(request, body, limit, expected, watch).await
    }

    /// Requests and bytes so far.
    pub fn stats(&self) -> TrafficStats {
        use std::sync::atomic::Ordering::Relaxed;
        TrafficStats {
            requests: self.counters.requests.load(Relaxed),
            bytes_sent: self.counters.sent.load(Relaxed),
            bytes_received: self.counters.received.load(Relaxed),
        }
    }

    /// Starts counting again.
    pub fn reset_stats(&self) {
        use std::sync::atomic::Ordering::Relaxed;
        self.counters.requests.store(0, Relaxed);
        self.counters.sent.store(0, Relaxed);
        self.counters.received.store(0, Relaxed);
    }

    fn count(&self, sent: usize, received: usize) {
        use std::sync::atomic::Ordering::Relaxed;
        self.counters.requests.fetch_add(1, Relaxed);
        self.counters.sent.fetch_add(sent as u64, Relaxed);
        self.counters.received.fetch_add(received as u64, Relaxed);
    }

    /// The device's bearer token (kept in the device's settings by the app).
    pub fn token(&self) -> &str {
        &self.token
    }

    /// Signs in once (online) and signs the engine in with the answer.
    pub async fn login(
        base: &str,
        username: &str,
        password: &str,
        device_name: &str,
        engine: &mut Engine,
    ) -> Result<(Self, LoginResponse), SyncError> {
        let (client, login) = Self::sign_in(base, username, password, device_name).await?;
        engine.set_session(session_of(&login))?;
        Ok((client, login))
    }

    /// Signs in once (online): a client with the device's new token, and who the user is.
    /// The caller signs the engine in ([`session_of`]) and keeps the token.
    pub async fn sign_in(
        base: &str,
        username: &str,
        password: &str,
        device_name: &str,
    ) -> Result<(Self, LoginResponse), SyncError> {
        let base = base.trim_end_matches('/');
        let resp = http()
            .post(format!("{base}/api/v1/login"))
            .timeout(REQUEST_TIMEOUT)
            .json(&LoginRequest {
                username: username.into(),
                password: password.into(),
                device_name: device_name.into(),
            })
            .send()
            .await
            .map_err(|e| SyncError::Offline(e.to_string()))?;
        let resp = checked(resp).await?;
        let login: LoginResponse = resp
            .json()
            .await
            .map_err(|e| SyncError::Server(ServerError::local(e.to_string())))?;
        Ok((Self::new(base, &login.token), login))
    }

    /// Changes the signed-in user's password (online): the current one is checked by the
    /// server within its sign-in limits; a refusal carries its code (`password-common`,
    /// `sign-in-wrong`, …).
    pub async fn change_password(&self, current: &str, new: &str) -> Result<(), SyncError> {
        let resp = http()
            .post(format!("{}/api/v1/password", self.base))
            .timeout(REQUEST_TIMEOUT)
            .bearer_auth(&self.token)
            .json(&ChangePasswordRequest {
                current: current.into(),
                new: new.into(),
            })
            .send()
            .await
            .map_err(|e| SyncError::Offline(e.to_string()))?;
        checked(resp).await?;
        Ok(())
    }

    /// The server's address, as given at sign-in.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// One sync request, sent again after failures that may pass (the answer it prepared is
    /// still the one to ask for: nothing was applied). The answer and its size.
    async fn post_sync(
        &self,
        mut request: SyncRequest,
        backoff: &mut Backoff,
    ) -> Result<(SyncResponse, u64), SyncError> {
        loop {
            let budget = self.link.budget();
            request.budget = Some(budget);
            let http = self
                .http
                .post(format!("{}/api/v1/sync", self.base))
                .bearer_auth(&self.token)
                .header("content-type", "application/x-mandoob-sync");
            let answer = self
                .exchange(
                    http,
                    Some(wire::encode(&request)),
                    (u64::MAX, budget.into()),
                    backoff,
                )
                .await
                .and_then(Answer::checked);
            match answer {
                Ok(a) => {
                    backoff.reset();
                    self.link.went_through();
                    let size = a.body.len() as u64;
                    let response = wire::decode(&a.body)
                        .map_err(|e| SyncError::Server(ServerError::local(e.to_string())))?;
                    return Ok((response, size));
                }
                Err(e) => {
                    if matches!(e, SyncError::Offline(_)) {
                        self.link.cut_short();
                    }
                    if !backoff.retry(&e).await {
                        return Err(e);
                    }
                }
            }
        }
    }

    /// Syncs, retrying with exponential backoff (0.5 s, 1 s, 2 s, …) while the server cannot
    /// be reached or fails; a refused sign-in is not retried. Reports its state as events.
    pub async fn sync_with_retry<T: SyncTarget>(
        &self,
        engine: &mut T,
        attempts: u32,
    ) -> Result<SyncSummary, SyncError> {
        let mut delay = Duration::from_millis(500);
        let mut attempt = 1;
        loop {
            match self.sync(engine).await {
                Ok(s) => return Ok(s),
                Err(SyncError::Offline(_) | SyncError::Server(_)) if attempt < attempts => {
                    transfer::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(60));
                    attempt += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Pushes, then pulls until up to date; then uploads pending photos and fetches the
    /// thumbnails of photos taken on other devices. `engine` is the
    /// engine itself or an [`EngineHandle`](crate::handle::EngineHandle) to its thread.
    pub async fn sync<T: SyncTarget>(&self, engine: &mut T) -> Result<SyncSummary, SyncError> {
        engine
            .announce(Event::SyncState(SyncState::Syncing))
            .await?;
        let result = self.sync_inner(engine).await;
        engine
            .announce(Event::SyncState(match &result {
                Ok(_) => SyncState::UpToDate,
                Err(SyncError::Offline(_)) => SyncState::Offline,
                Err(e) => {
                    tracing::warn!(error = %e, "sync failed");
                    SyncState::Error(e.message_key())
                }
            }))
            .await?;
        result
    }

    async fn sync_inner<T: SyncTarget>(&self, engine: &mut T) -> Result<SyncSummary, SyncError> {
        let mut total = SyncSummary::default();
        let mut progress = Progress::default();
        let mut library_version = String::new();
        // Failures that may pass are retried within this sync once it has reached the server
        // (a cut); an unreachable server at the start is reported at once.
        let mut backoff = Backoff::default();
        loop {
            // Each answer is applied in its own transaction, with where the feed stands: after
            // a cut, the next request (in this sync or the next) continues from there.
            let request = engine.prepare_sync(PAGE).await?;
            let (response, size) = self.post_sync(request, &mut backoff).await?;
            library_version.clone_from(&response.library_version);
            progress.answer(&response, size);
            let s = engine.apply_sync(response).await?;
            engine.announce(progress.event()).await?;
            total.pushed_cases += s.pushed_cases;
            total.pushed_changes += s.pushed_changes;
            total.pulled_cases += s.pulled_cases;
            total.pulled_changes += s.pulled_changes;
            total.refused.extend(s.refused);
            if !s.more {
                break;
            }
        }
        self.upload_pending(engine, &mut backoff).await?;
        if engine.library().await?.version != library_version {
            self.update_library(engine).await?;
        }
        total.thumbnails_fetched = self.download_thumbnails(engine).await?;
        Ok(total)
    }

    /// Fetches the reference library HQ published and keeps it on the device.
    pub async fn update_library<T: SyncTarget>(&self, engine: &mut T) -> Result<(), SyncError> {
        let resp = self
            .http
            .get(format!("{}/api/v1/library", self.base))
            .bearer_auth(&self.token)
            .timeout(REQUEST_TIMEOUT)
            .send()
            .await
            .map_err(|e| SyncError::Offline(e.to_string()))?;
        let resp = checked(resp).await?;
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| SyncError::Offline(e.to_string()))?;
        self.count(0, bytes.len());
        let library: Library = serde_json::from_slice(&bytes)
            .map_err(|e| SyncError::Server(ServerError::local(e.to_string())))?;
        engine.save_library(library).await?;
        Ok(())
    }

    /// Uploads the photos the server lacks, resuming partial uploads.
    pub async fn upload_photos<T: SyncTarget>(&self, engine: &mut T) -> Result<u32, SyncError> {
        self.upload_pending(engine, &mut Backoff::default()).await
    }

    async fn upload_pending<T: SyncTarget>(
        &self,
        engine: &mut T,
        backoff: &mut Backoff,
    ) -> Result<u32, SyncError> {
        let pending = engine.pending_blobs().await?;
        if pending.is_empty() {
            return Ok(0);
        }
        let resp = self
            .http
            .post(format!("{}/api/v1/blobs/missing", self.base))
            .bearer_auth(&self.token)
            .timeout(REQUEST_TIMEOUT)
            .json(&MissingBlobs {
                sha256: pending.clone(),
            })
            .send()
            .await
            .map_err(|e| SyncError::Offline(e.to_string()))?;
        let resp = checked(resp).await?;
        let missing: MissingBlobs = resp
            .json()
            .await
            .map_err(|e| SyncError::Server(ServerError::local(e.to_string())))?;
        let mut uploaded = 0;
        for sha in &pending {
            if missing.sha256.contains(sha) {
                let bytes = engine.blob(sha.clone()).await?.unwrap_or_default();
                self.upload_with(sha, &bytes, backoff).await?;
                uploaded += 1;
            }
            engine.mark_uploaded(sha.clone()).await?;
        }
        Ok(uploaded)
    }

    /// Uploads one blob from wherever the server's copy stops, asking again where that is
    /// after a failure that may pass (a part cut short is not kept by the server).
    pub async fn upload(&self, sha: &str, bytes: &[u8]) -> Result<(), SyncError> {
        self.upload_with(sha, bytes, &mut Backoff::default()).await
    }

    async fn upload_with(
        &self,
        sha: &str,
        bytes: &[u8],
        backoff: &mut Backoff,
    ) -> Result<(), SyncError> {
        loop {
            match self.upload_from_server_offset(sha, bytes, backoff).await {
                Ok(()) => return Ok(()),
                Err(e) => {
                    if matches!(e, SyncError::Offline(_)) {
                        // Smaller parts, so that one fits between cuts.
                        self.uplink.cut_short();
                    }
                    if !backoff.retry(&e).await {
                        return Err(e);
                    }
                }
            }
        }
    }

    async fn upload_from_server_offset(
        &self,
        sha: &str,
        bytes: &[u8],
        backoff: &mut Backoff,
    ) -> Result<(), SyncError> {
        let url = format!("{}/api/v1/blobs/{sha}", self.base);
        let head = self
            .exchange(
                self.http.head(&url).bearer_auth(&self.token),
                None,
                (0, 0),
                backoff,
            )
            .await?
            .checked()?;
        if head.status == reqwest::StatusCode::OK {
            return Ok(());
        }
        let mut offset = head.header_u64("upload-offset").unwrap_or(0) as usize;
        while offset < bytes.len() {
            let part = (self.uplink.budget() as usize).clamp(MIN_BUDGET as usize, PART);
            let end = (offset + part).min(bytes.len());
            let http = self
                .http
                .patch(&url)
                .bearer_auth(&self.token)
                .header("upload-offset", offset.to_string())
                .header("upload-length", bytes.len().to_string());
            let answer = self
                .exchange(
                    http,
                    Some(bytes[offset..end].to_vec()),
                    (64 * 1024, 0),
                    backoff,
                )
                .await?
                .checked()?;
            backoff.reset();
            self.uplink.went_through();
            offset = answer
                .header_u64("upload-offset")
                .map_or(end, |n| n as usize);
        }
        Ok(())
    }
}

/// Photos taken on other devices (see [`crate::photos`]).
impl SyncClient {
    /// Fetches the thumbnails this device lacks (at most
    /// [`THUMBNAILS_PER_SYNC`](crate::photos::THUMBNAILS_PER_SYNC) per call), asking first which
    /// of them the server can give. One that cannot be fetched, or arrives damaged, is recorded
    /// and tried again by a later sync; the others go on. Losing the connection stops here
    /// without an error (the sync itself is done). How many were stored.
    pub async fn download_thumbnails<T: SyncTarget>(
        &self,
        engine: &mut T,
    ) -> Result<u32, SyncError> {
        let wanted = engine
            .wanted_thumbnails(crate::photos::THUMBNAILS_PER_SYNC)
            .await?;
        if wanted.is_empty() {
            return Ok(0);
        }
        let Ok(missing) = self.missing_on_server(&wanted).await else {
            // Unreachable now: the next sync asks again.
            return Ok(0);
        };
        let mut stored = 0;
        for sha in wanted {
            if missing.contains(&sha) {
                // Not uploaded yet by the device that took it, or not readable here.
                engine.blob_fetch_failed(sha).await?;
                continue;
            }
            match self.download(engine, &sha, MAX_THUMBNAIL_BYTES).await {
                Ok(_) => stored += 1,
                Err(SyncError::Engine(EngineError::Photo(_)) | SyncError::Server(_)) => {
                    engine.blob_fetch_failed(sha).await?;
                }
                Err(SyncError::Engine(e)) => return Err(e.into()),
                // Offline, or signed out: the next sync goes on from here.
                Err(_) => break,
            }
        }
        Ok(stored)
    }

    /// A full photo (or any blob of this device's cases): from the device when it is kept
    /// there, else fetched from the server, checked against its name and kept, so that it can
    /// be seen offline afterwards.
    pub async fn fetch_photo<T: SyncTarget>(
        &self,
        engine: &mut T,
        sha256: &str,
    ) -> Result<Vec<u8>, SyncError> {
        if let Some(bytes) = engine.blob(sha256.to_owned()).await? {
            return Ok(bytes);
        }
        self.download(engine, sha256, wire::MAX_BLOB_BYTES).await
    }

    /// Which of `sha256` the server cannot give this device.
    async fn missing_on_server(&self, sha256: &[String]) -> Result<Vec<String>, SyncError> {
        let resp = self
            .http
            .post(format!("{}/api/v1/blobs/missing", self.base))
            .bearer_auth(&self.token)
            .timeout(REQUEST_TIMEOUT)
            .json(&MissingBlobs {
                sha256: sha256.to_vec(),
            })
            .send()
            .await
            .map_err(|e| SyncError::Offline(e.to_string()))?;
        let resp = checked(resp).await?;
        let missing: MissingBlobs = resp
            .json()
            .await
            .map_err(|e| SyncError::Server(ServerError::local(e.to_string())))?;
        self.count(0, 0);
        Ok(missing.sha256)
    }

    /// `GET /api/v1/blobs/{sha}`, at most `limit` bytes, kept by the engine once they match
    /// their name (a server or a proxy on the way may damage them).
    async fn download<T: SyncTarget>(
        &self,
        engine: &mut T,
        sha256: &str,
        limit: u64,
    ) -> Result<Vec<u8>, SyncError> {
        if !mandoob_shared::schema::is_sha256(sha256) {
            return Err(SyncError::Server(ServerError::local(format!(
                "{sha256:?} is not a photo's name"
            ))));
        }
        let http = self
            .http
            .get(format!("{}/api/v1/blobs/{sha256}", self.base))
            .bearer_auth(&self.token);
        let bytes = self
            .exchange(http, None, (limit, limit), &Backoff::default())
            .await?
            .checked()?
            .body;
        engine
            .save_fetched_blob(sha256.to_owned(), bytes.clone())
            .await?;
        Ok(bytes)
    }
}

/// Where a sync stands, for the app's progress bar: what arrived so far in this sync, and
/// the whole of it (what arrived and what the server says is left).
#[derive(Debug, Default)]
struct Progress {
    documents: u64,
    bytes: u64,
    left: wire::Backlog,
}

impl Progress {
    fn answer(&mut self, response: &SyncResponse, size: u64) {
        for p in &response.pulled {
            self.documents += match p {
                wire::Pulled::Whole { .. } => 1,
                wire::Pulled::Changes { changes, .. } => changes.len() as u64,
            };
        }
        self.bytes += size;
        self.left = response.remaining.unwrap_or_default();
    }

    fn event(&self) -> Event {
        Event::SyncProgress {
            documents: self.documents,
            bytes: self.bytes,
            total_documents: self.documents + self.left.items,
            total_bytes: self.bytes + self.left.bytes,
        }
    }
}

/// The engine session of a signed-in user.
pub fn session_of(login: &LoginResponse) -> Session {
    Session {
        user: login.user.clone(),
        role: login.role,
        branch: login.branch.clone(),
        device: login.device.clone(),
    }
}

/// What sync needs of the device: the engine itself (tests, benchmarks) or a handle to the
/// engine's thread (the app, whose UI must never wait on SQLite), through the typed commands of
/// [`EngineApi`].
pub use crate::commands::Transport as SyncTarget;
