//! How the sync client moves bytes over the links representatives have (issue 17): answers
//! sized to the link (a byte budget from the measured throughput), a stall timeout instead of
//! a deadline (a slow transfer that is still moving is never cut), and retries with backoff
//! and jitter for what may pass (a cut, a stall, an unavailable server).

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use mandoob_shared::sync::DEFAULT_BUDGET;

use super::{ServerError, SyncError};

/// How long no byte may move, either way, before a request is given up as stalled (natively;
/// see [`exchange`] for the web).
pub const STALL_TIMEOUT: Duration = Duration::from_secs(30);
/// How long one answer should take at the measured rate: short enough that a cut loses
/// little, long enough that the round trip is a small part of it.
pub const ANSWER_SECONDS: f64 = 4.0;
/// The smallest and largest budgets a device asks for.
pub const MIN_BUDGET: u32 = 16 * 1024;
pub const MAX_BUDGET: u32 = 8 * 1024 * 1024;
/// Failures in a row (without an answer between them) before a sync gives up.
pub const RETRIES: u32 = 6;
/// Answers smaller than this say more about the round trip than about the rate.
const MEASURABLE: usize = 16 * 1024;
/// Request bodies go out in parts of this size, so that the stall timeout sees them move.
#[cfg(not(target_arch = "wasm32"))]
const SENT_PART: usize = 16 * 1024;
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// What the client knows of its link: the rate answers arrive at (bytes per second, a running
/// mean), from which it sizes the answers it asks for, and a ceiling that each cut halves and
/// each whole answer doubles (a link that drops every few seconds gets answers that fit).
#[derive(Debug)]
pub(super) struct LinkEstimate {
    rate: Mutex<Option<f64>>,
    ceiling: Mutex<u32>,
}

impl Default for LinkEstimate {
    fn default() -> Self {
        Self::with_ceiling(MAX_BUDGET)
    }
}

impl LinkEstimate {
    /// An estimate that starts at most at `ceiling` (uploads start with small parts: nothing
    /// was measured that way yet).
    pub(super) fn with_ceiling(ceiling: u32) -> Self {
        Self {
            rate: Mutex::new(None),
            ceiling: Mutex::new(ceiling),
        }
    }

    /// The byte budget to ask for: [`ANSWER_SECONDS`] at the measured rate, or
    /// [`DEFAULT_BUDGET`] before anything was measured, under the ceiling.
    pub(super) fn budget(&self) -> u32 {
        let by_rate = match *self.rate.lock().expect("lock") {
            None => DEFAULT_BUDGET,
            Some(rate) => {
                (rate * ANSWER_SECONDS).clamp(f64::from(MIN_BUDGET), f64::from(MAX_BUDGET)) as u32
            }
        };
        by_rate.min(*self.ceiling.lock().expect("lock"))
    }

    /// A transfer was cut or stalled: ask for half as much.
    pub(super) fn cut_short(&self) {
        let budget = self.budget();
        *self.ceiling.lock().expect("lock") = (budget / 2).max(MIN_BUDGET);
    }

    /// A whole answer arrived: the ceiling may rise again.
    pub(super) fn went_through(&self) {
        let mut ceiling = self.ceiling.lock().expect("lock");
        *ceiling = ceiling.saturating_mul(2).min(MAX_BUDGET);
    }

    /// `bytes` of an answer arrived in `seconds` (from its head to its last byte, or to a cut).
    pub(super) fn measured(&self, bytes: usize, seconds: f64) {
        if bytes < MEASURABLE {
            return;
        }
        let now = bytes as f64 / seconds.max(1e-3);
        let mut rate = self.rate.lock().expect("lock");
        *rate = Some(rate.map_or(now, |before| (before + now) / 2.0));
    }
}

/// An answer, read whole.
#[derive(Debug)]
pub(super) struct Answer {
    pub status: reqwest::StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    /// The answer if it succeeded; otherwise the server's message as the right error (an
    /// unavailable server or gateway is as good as no connection: it may pass).
    pub(super) fn checked(self) -> Result<Self, SyncError> {
        use reqwest::StatusCode as S;
        if self.status.is_success() {
            return Ok(self);
        }
        let said = ServerError::of_answer(self.status, &self.body);
        Err(match self.status {
            S::UNAUTHORIZED => SyncError::Unauthorized(said),
            // A gateway or a server that is down, not ours answering: as good as no connection.
            S::BAD_GATEWAY | S::SERVICE_UNAVAILABLE | S::GATEWAY_TIMEOUT if said.code.is_none() => {
                SyncError::Offline(said.detail)
            }
            _ => SyncError::Server(said),
        })
    }

    /// A header's value as a whole number.
    pub(super) fn header_u64(&self, name: &str) -> Option<u64> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse().ok())
    }
}

fn offline(e: reqwest::Error) -> SyncError {
    SyncError::Offline(e.to_string())
}

fn too_large(limit: u64) -> SyncError {
    SyncError::Server(ServerError::local(format!(
        "the server sent more than {limit} bytes"
    )))
}

/// What one exchange needs besides the request.
pub(super) struct Watch<'a> {
    pub stall: Duration,
    pub link: &'a LinkEstimate,
    /// The same for the way up (the request's body, from the first byte to the answer).
    pub uplink: &'a LinkEstimate,
    /// Counts the answer's bytes as they arrive (a cut answer's too).
    pub received: &'a AtomicU64,
    /// Set once a connection to the server was made.
    pub reached: &'a AtomicBool,
}

/// Sends `request` with `body` and reads the answer, refused past `limit` bytes. Natively, it
/// fails when no byte has moved either way for `watch.stall`, however long a transfer takes
/// while it moves. (On the web, `fetch` streams neither way here: the deadline allows for
/// `expected` answer bytes at 1 kB/s instead.) Answers are measured for the budget.
#[cfg(not(target_arch = "wasm32"))]
pub(super) async fn exchange(
    request: reqwest::RequestBuilder,
    body: Option<Vec<u8>>,
    limit: u64,
    _expected: u64,
    watch: Watch<'_>,
) -> Result<Answer, SyncError> {
    use std::sync::Arc;
    use tokio::time::Instant;
    let moved = Arc::new(Mutex::new(Instant::now()));
    let touch = |m: &Mutex<Instant>| *m.lock().expect("lock") = Instant::now();
    let len = body.as_ref().map_or(0, Vec::len);
    let work = async {
        let request = match body {
            // One part: nothing to follow while it goes (and a plain body costs less).
            Some(bytes) if bytes.len() <= SENT_PART => request.body(bytes),
            Some(bytes) => {
                // Sent in parts, each one noted as it goes out.
                let moved = moved.clone();
                let parts: Vec<Vec<u8>> = bytes.chunks(SENT_PART).map(<[u8]>::to_vec).collect();
                let stream = futures_util::stream::iter(parts.into_iter().map(move |p| {
                    touch(&moved);
                    Ok::<_, std::io::Error>(p)
                }));
                request
                    .header(reqwest::header::CONTENT_LENGTH, len)
                    .body(reqwest::Body::wrap_stream(stream))
            }
            None => request,
        };
        let sending = Instant::now();
        let sent = request.send().await;
        if !matches!(&sent, Err(e) if e.is_connect()) {
            watch.reached.store(true, Relaxed);
        }
        let mut resp = sent.map_err(offline)?;
        touch(&moved);
        watch.uplink.measured(len, sending.elapsed().as_secs_f64());
        let started = Instant::now();
        let (status, headers) = (resp.status(), resp.headers().clone());
        if resp.content_length().is_some_and(|n| n > limit) {
            return Err(too_large(limit));
        }
        let mut body = Vec::new();
        let read = loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    touch(&moved);
                    watch.received.fetch_add(chunk.len() as u64, Relaxed);
                    if (body.len() + chunk.len()) as u64 > limit {
                        break Err(too_large(limit));
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break Ok(()),
                Err(e) => break Err(offline(e)),
            }
        };
        watch
            .link
            .measured(body.len(), started.elapsed().as_secs_f64());
        read.map(|()| Answer {
            status,
            headers,
            body,
        })
    };
    let mut work = std::pin::pin!(work);
    loop {
        let deadline = *moved.lock().expect("lock") + watch.stall;
        let timer = std::pin::pin!(tokio::time::sleep_until(deadline));
        match futures_util::future::select(work.as_mut(), timer).await {
            futures_util::future::Either::Left((result, _)) => return result,
            futures_util::future::Either::Right(_) => {
                if *moved.lock().expect("lock") + watch.stall <= Instant::now() {
                    return Err(SyncError::Offline(format!(
                        "nothing arrived from the server for {} s",
                        watch.stall.as_secs()
                    )));
                }
            }
        }
    }
}

/// On the web: `fetch` with a deadline that allows for the bytes to move at 1 kB/s.
#[cfg(target_arch = "wasm32")]
pub(super) async fn exchange(
    request: reqwest::RequestBuilder,
    body: Option<Vec<u8>>,
    limit: u64,
    expected: u64,
    watch: Watch<'_>,
) -> Result<Answer, SyncError> {
    let sent = body.as_ref().map_or(0, Vec::len) as u64;
    let deadline = watch.stall * 4 + Duration::from_secs((sent + expected) / 1000);
    let request = match body {
        Some(b) => request.body(b),
        None => request,
    };
    let sending = js_sys::Date::now();
    let resp = request.timeout(deadline).send().await.map_err(offline)?;
    watch.reached.store(true, Relaxed);
    watch
        .uplink
        .measured(sent as usize, (js_sys::Date::now() - sending) / 1000.0);
    let started = js_sys::Date::now();
    let (status, headers) = (resp.status(), resp.headers().clone());
    if resp.content_length().is_some_and(|n| n > limit) {
        return Err(too_large(limit));
    }
    let body = resp.bytes().await.map_err(offline)?;
    watch.received.fetch_add(body.len() as u64, Relaxed);
    if body.len() as u64 > limit {
        return Err(too_large(limit));
    }
    watch
        .link
        .measured(body.len(), (js_sys::Date::now() - started) / 1000.0);
    Ok(Answer {
        status,
        headers,
        body: body.to_vec(),
    })
}

/// Retries inside one sync: after a failure that may pass (the connection lost or stalled,
/// the server unavailable), once the server was reached, waits (from half a second, doubling
/// up to 30 s, each wait drawn between half and all of it so that devices cut together do not
/// come back together) and tries again, at most [`RETRIES`] times in a row. A server that
/// cannot be reached at all is reported at once (the app says it is offline, and syncs later).
#[derive(Debug, Default)]
pub(super) struct Backoff {
    failures: u32,
    /// A connection to the server was made (set by [`exchange`]).
    pub(super) reached: AtomicBool,
}

impl Backoff {
    /// After `error`: waits and says whether to try again.
    pub(super) async fn retry(&mut self, error: &SyncError) -> bool {
        if !matches!(error, SyncError::Offline(_))
            || !self.reached.load(Relaxed)
            || self.failures >= RETRIES
        {
            return false;
        }
        let wait = (FIRST_BACKOFF * 2u32.pow(self.failures)).min(MAX_BACKOFF);
        self.failures += 1;
        sleep(wait.mul_f64(0.5 + jitter() / 2.0)).await;
        true
    }

    /// Something went through: the next failure is the first again.
    pub(super) fn reset(&mut self) {
        self.failures = 0;
    }
}

/// A number in [0, 1) from the random bits of a fresh UUID (no other source of randomness is
/// at hand on both targets).
fn jitter() -> f64 {
    (uuid::Uuid::now_v7().as_u128() as u32) as f64 / (f64::from(u32::MAX) + 1.0)
}

/// Waits `d`: natively on Tokio's timer (reqwest already runs on Tokio), on the web on the
/// browser's.
pub(super) async fn sleep(d: Duration) {
    #[cfg(not(target_arch = "wasm32"))]
    tokio::time::sleep(d).await;
    #[cfg(target_arch = "wasm32")]
    gloo_timers::future::sleep(d).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_follows_the_measured_rate() {
        let link = LinkEstimate::default();
        assert_eq!(link.budget(), DEFAULT_BUDGET);
        // Too small to tell the rate.
        link.measured(1000, 1.0);
        assert_eq!(link.budget(), DEFAULT_BUDGET);
        // 128 kbit/s: 16 kB/s, so 64 kB answers.
        link.measured(160_000, 10.0);
        assert_eq!(link.budget(), 64_000);
        link.measured(1_000_000, 0.0001);
        assert_eq!(link.budget(), MAX_BUDGET);
        let slow = LinkEstimate::default();
        slow.measured(20_000, 100.0);
        assert_eq!(slow.budget(), MIN_BUDGET);
    }

    #[test]
    fn cuts_halve_the_budget_and_whole_answers_raise_it_again() {
        let link = LinkEstimate::default();
        link.cut_short();
        assert_eq!(link.budget(), DEFAULT_BUDGET / 2);
        link.cut_short();
        assert_eq!(link.budget(), DEFAULT_BUDGET / 4);
        for _ in 0..10 {
            link.cut_short();
        }
        assert_eq!(link.budget(), MIN_BUDGET);
        link.went_through();
        assert_eq!(link.budget(), 2 * MIN_BUDGET);
        for _ in 0..20 {
            link.went_through();
        }
        assert_eq!(link.budget(), DEFAULT_BUDGET);
    }

    #[test]
    fn jitter_stays_between_zero_and_one() {
        for _ in 0..1000 {
            let j = jitter();
            assert!((0.0..1.0).contains(&j), "{j}");
        }
    }
}
