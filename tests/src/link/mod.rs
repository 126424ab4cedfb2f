//! A test link: a TCP proxy between a device and the test server that behaves like the weak
//! mobile links representatives have (no root needed, so it runs on every CI run). It limits
//! the bandwidth each way, adds a delay, cuts the connections at an interval or at random
//! points, and can black-hole them for a while; it counts the bytes it carries and keeps a log
//! of the HTTP exchanges that went through ([`http::Exchange`]), so a test can tell which
//! answers reached the device whole.

pub mod http;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

pub use http::Exchange;

/// When the link cuts its connections.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cuts {
    Never,
    /// Every open connection, every so often (counted from the link's start).
    Every(Duration),
    /// Every open connection, after waits drawn between these bounds (from the link's seed).
    Randomly {
        min: Duration,
        max: Duration,
    },
}

/// How the link behaves.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LinkConfig {
    /// Bytes per second, each way (`None`: as fast as loopback).
    pub rate: Option<u64>,
    /// Added to every byte, each way (half the round trip).
    pub delay: Duration,
    pub cuts: Cuts,
    /// Seeds the random cuts.
    pub seed: u64,
}

impl Default for LinkConfig {
    fn default() -> Self {
        Self {
            rate: None,
            delay: Duration::ZERO,
            cuts: Cuts::Never,
            seed: 17,
        }
    }
}

impl LinkConfig {
    /// A link of `kbit` kilobits per second each way with `rtt` of round trip.
    pub fn kbit(kbit: u64, rtt: Duration) -> Self {
        Self {
            rate: Some(kbit * 1000 / 8),
            delay: rtt / 2,
            ..Self::default()
        }
    }

    pub fn with_cuts(self, cuts: Cuts) -> Self {
        Self { cuts, ..self }
    }
}

/// What went through the link so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LinkStats {
    /// Bytes delivered to the server.
    pub up: u64,
    /// Bytes delivered to the device.
    pub down: u64,
    pub connections: u64,
    /// How many times the link cut its connections (each cut closes every open one).
    pub cuts: u64,
}

#[derive(Debug, Default)]
struct Counters {
    up: AtomicU64,
    down: AtomicU64,
    connections: AtomicU64,
    cuts: AtomicU64,
}

#[derive(Debug)]
struct Shared {
    config: LinkConfig,
    target: SocketAddr,
    counters: Counters,
    /// Bumped by every cut: each connection closes when it changes.
    cut: watch::Sender<u64>,
    /// Nothing passes before this instant.
    black_hole_until: Mutex<Option<Instant>>,
    log: Mutex<Vec<Exchange>>,
}

/// A running link; dropped, it closes its connections and stops listening.
#[derive(Debug)]
pub struct Link {
    addr: SocketAddr,
    shared: Arc<Shared>,
    tasks: Vec<JoinHandle<()>>,
}

impl Link {
    /// A link listening on a free loopback port, in front of `target`.
    pub async fn start(target: SocketAddr, config: LinkConfig) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            config,
            target,
            counters: Counters::default(),
            cut: watch::channel(0).0,
            black_hole_until: Mutex::new(None),
            log: Mutex::new(Vec::new()),
        });
        let mut tasks = vec![tokio::spawn(accept(listener, shared.clone()))];
        if config.cuts != Cuts::Never {
            tasks.push(tokio::spawn(cutter(shared.clone())));
        }
        Ok(Self {
            addr,
            shared,
            tasks,
        })
    }

    /// `http://127.0.0.1:port`: the base URL a device uses to go through the link.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Cuts every open connection now.
    pub fn cut(&self) {
        cut(&self.shared);
    }

    /// Lets nothing through for `duration` (connections stay open; what is sent meanwhile
    /// waits, as TCP would retransmit it once the path is back).
    pub fn black_hole(&self, duration: Duration) {
        *self.shared.black_hole_until.lock().expect("lock") = Some(Instant::now() + duration);
    }

    pub fn stats(&self) -> LinkStats {
        let c = &self.shared.counters;
        LinkStats {
            up: c.up.load(Relaxed),
            down: c.down.load(Relaxed),
            connections: c.connections.load(Relaxed),
            cuts: c.cuts.load(Relaxed),
        }
    }

    /// The HTTP exchanges so far, in the order their requests started.
    pub fn exchanges(&self) -> Vec<Exchange> {
        self.shared.log.lock().expect("lock").clone()
    }

    /// Forgets the counters and the log (connections stay open).
    pub fn reset(&self) {
        let c = &self.shared.counters;
        for n in [&c.up, &c.down, &c.connections, &c.cuts] {
            n.store(0, Relaxed);
        }
        self.shared.log.lock().expect("lock").clear();
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
        // Open connections close too.
        cut(&self.shared);
    }
}

fn cut(shared: &Shared) {
    shared.counters.cuts.fetch_add(1, Relaxed);
    shared.cut.send_modify(|n| *n += 1);
}

async fn cutter(shared: Arc<Shared>) {
    let mut rng = fastrand::Rng::with_seed(shared.config.seed);
    loop {
        let wait = match shared.config.cuts {
            Cuts::Never => return,
            Cuts::Every(d) => d,
            Cuts::Randomly { min, max } => {
                let span = max.saturating_sub(min).as_millis() as u64;
                min + Duration::from_millis(rng.u64(0..=span))
            }
        };
        tokio::time::sleep(wait).await;
        cut(&shared);
    }
}

async fn accept(listener: TcpListener, shared: Arc<Shared>) {
    let mut id = 0;
    while let Ok((client, _)) = listener.accept().await {
        id += 1;
        shared.counters.connections.fetch_add(1, Relaxed);
        tokio::spawn(connection(client, shared.clone(), id));
    }
}

/// One proxied connection, until either side closes it or the link cuts it.
async fn connection(client: TcpStream, shared: Arc<Shared>, id: u64) {
    let mut cut = shared.cut.subscribe();
    let Ok(server) = TcpStream::connect(shared.target).await else {
        return;
    };
    for s in [&client, &server] {
        let _ = s.set_nodelay(true);
        // A cut resets the connection, as a lost radio link ends in an error on both sides.
        let _ = s.set_zero_linger();
    }
    let conn = Arc::new(Mutex::new(http::Connection::new(id)));
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    let up = pump(
        client_read,
        server_write,
        shared.clone(),
        conn.clone(),
        true,
    );
    let down = pump(
        server_read,
        client_write,
        shared.clone(),
        conn.clone(),
        false,
    );
    let was_cut = tokio::select! {
        _ = async { tokio::join!(up, down) } => false,
        _ = cut.changed() => true,
    };
    conn.lock().expect("lock").close(was_cut, &shared.log);
}

/// How many bytes to move at once: about a tenth of a second at the link's rate.
fn chunk_size(config: &LinkConfig) -> usize {
    config
        .rate
        .map_or(16 * 1024, |r| (r / 10).clamp(512, 16 * 1024) as usize)
}

/// Moves one direction: a reader stamps what arrives; the writer passes it on after the delay,
/// at the link's rate, never during a black hole.
async fn pump(
    mut from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    shared: Arc<Shared>,
    conn: Arc<Mutex<http::Connection>>,
    up: bool,
) {
    let chunk = chunk_size(&shared.config);
    // Enough in flight to fill the delay at the rate (a real path holds as much).
    let in_flight = match shared.config.rate {
        Some(r) => (r as f64 * shared.config.delay.as_secs_f64() * 2.0) as usize / chunk + 8,
        None if shared.config.delay.is_zero() => 8,
        None => 256,
    };
    let (tx, mut rx) = mpsc::channel::<(Instant, Vec<u8>)>(in_flight);
    let reader = async move {
        loop {
            let mut buf = vec![0u8; chunk];
            match from.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    buf.truncate(n);
                    if tx.send((Instant::now(), buf)).await.is_err() {
                        break;
                    }
                }
            }
        }
    };
    let writer = async move {
        let mut free_at = Instant::now();
        while let Some((arrived, bytes)) = rx.recv().await {
            tokio::time::sleep_until(arrived + shared.config.delay).await;
            loop {
                let until = *shared.black_hole_until.lock().expect("lock");
                match until {
                    Some(t) if t > Instant::now() => tokio::time::sleep_until(t).await,
                    _ => break,
                }
            }
            if let Some(rate) = shared.config.rate {
                let start = free_at.max(Instant::now());
                tokio::time::sleep_until(start).await;
                free_at = start + Duration::from_secs_f64(bytes.len() as f64 / rate as f64);
            }
            if to.write_all(&bytes).await.is_err() {
                break;
            }
            let counter = if up {
                &shared.counters.up
            } else {
                &shared.counters.down
            };
            counter.fetch_add(bytes.len() as u64, Relaxed);
            let mut c = conn.lock().expect("lock");
            if up {
                c.sent_up(&bytes, &shared.log);
            } else {
                c.sent_down(&bytes, &shared.log);
            }
        }
        let _ = to.shutdown().await;
    };
    tokio::join!(reader, writer);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A server that echoes every byte back.
    async fn echo() -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let (mut r, mut w) = s.split();
                    let _ = tokio::io::copy(&mut r, &mut w).await;
                });
            }
        });
        addr
    }

    #[tokio::test]
    async fn bytes_pass_through_unchanged_at_the_rate() {
        let link = Link::start(
            echo().await,
            LinkConfig::kbit(800, Duration::from_millis(20)),
        )
        .await
        .unwrap();
        let mut s = TcpStream::connect(link.addr()).await.unwrap();
        let sent: Vec<u8> = (0..50_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let (mut r, mut w) = s.split();
        let write = async {
            w.write_all(&sent).await.unwrap();
            w.shutdown().await.unwrap();
        };
        let mut back = Vec::new();
        let read = r.read_to_end(&mut back);
        let started = std::time::Instant::now();
        let (_, n) = tokio::join!(write, read);
        n.unwrap();
        assert_eq!(back, sent);
        let stats = link.stats();
        assert_eq!((stats.up, stats.down), (50_000, 50_000));
        // Figures, not assertions (a shared machine may be slow): 50 kB at 100 kB/s.
        eprintln!("50 kB echoed at 800 kbit/s in {:?}", started.elapsed());
    }

    #[tokio::test]
    async fn a_cut_closes_both_sides() {
        // A server that holds its side and reports when it sees it closed.
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let target = listener.local_addr().unwrap();
        let (closed_tx, closed_rx) = tokio::sync::oneshot::channel();
        tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 64];
            let mut got = Vec::new();
            loop {
                match s.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => got.extend_from_slice(&buf[..n]),
                }
            }
            let _ = closed_tx.send(got);
        });
        let link = Link::start(target, LinkConfig::default()).await.unwrap();
        let mut s = TcpStream::connect(link.addr()).await.unwrap();
        s.write_all(b"hello").await.unwrap();
        // Wait until the bytes are across, then cut.
        while link.stats().up < 5 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        link.cut();
        assert_eq!(closed_rx.await.unwrap(), b"hello");
        let mut buf = [0u8; 8];
        let read = s.read(&mut buf).await;
        assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
        assert_eq!(link.stats().cuts, 1);
    }

    #[tokio::test]
    async fn a_black_hole_holds_bytes_until_it_ends() {
        let link = Link::start(echo().await, LinkConfig::default())
            .await
            .unwrap();
        let mut s = TcpStream::connect(link.addr()).await.unwrap();
        link.black_hole(Duration::from_millis(300));
        s.write_all(b"ping").await.unwrap();
        let mut buf = [0u8; 4];
        s.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"ping");
    }

    #[tokio::test]
    async fn the_log_tells_whole_answers_from_cut_ones() {
        let server = crate::TestServer::start().await.unwrap();
        let link = Link::start(server.addr, LinkConfig::default())
            .await
            .unwrap();
        let http = reqwest::Client::new();
        for _ in 0..2 {
            let r = http
                .post(format!("{}/api/v1/login", link.url()))
                .json(&serde_json::json!({"username": "x", "password": "y", "device_name": "z"}))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 401);
            r.bytes().await.unwrap();
        }
        let log = link.exchanges();
        assert_eq!(log.len(), 2, "{log:#?}");
        for e in &log {
            assert_eq!(
                (e.method.as_str(), e.path.as_str()),
                ("POST", "/api/v1/login")
            );
            assert!(e.request_complete && e.response_complete, "{e:#?}");
            assert_eq!(e.status, Some(401));
            assert!(String::from_utf8_lossy(&e.body).contains("device_name"));
        }
        // Both went over one kept-alive connection.
        assert_eq!(log[0].connection, log[1].connection);
    }
}
