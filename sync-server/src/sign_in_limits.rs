//! Limits on password guessing (issue 18), shared by the console's sign-in and the device API's
//! enrolment:
//! - **per client address**, an exponential delay: [`FREE_FAILURES`] failures cost nothing,
//!   then each further try must wait [`FIRST_DELAY`], doubling up to [`MAX_DELAY`], after the
//!   address's last failure; an address quiet for [`ADDRESS_QUIET`] starts afresh. Behind a
//!   proxy listed in `trusted_proxies`, the address is the one it forwarded
//!   (`X-Forwarded-For`); anyone else's `X-Forwarded-For` is ignored. IPv6 addresses count
//!   per /64, what one subscriber usually holds;
//! - **per account**, only a lock past a much higher threshold ([`ACCOUNT_LOCK_FAILURES`]
//!   within [`ACCOUNT_WINDOW`]), which an administrator lifts (console or command line). So an
//!   attacker at one address slows only that address, and the real user signs in from hers;
//! - tries are **counted before the hash is computed**, under one lock: concurrent guesses see
//!   each other, and a success gives its count back afterwards;
//! - **bounded memory**: two tables of fixed capacity ([`BoundedTable`]), keyed by an address
//!   or an existing account (never by what a client typed), usernames cut to
//!   [`MAX_USERNAME_CHARS`] before anything else and sign-in bodies limited to
//!   [`MAX_SIGN_IN_BODY`];
//! - **at most `sign_in_hashes` argon2 hashes at once** (about 19 MiB each); a sign-in that
//!   cannot get one within [`HASH_WAIT`] is answered "busy" (503) at once.
//!
//! In memory: a restart forgets the counts (the account locks are in the database).

use std::collections::HashMap;
use std::hash::Hash;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use mandoob_shared::ids::UserId;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::state::AppState;

/// Usernames are cut to this many characters before anything else (valid ones have 40).
pub const MAX_USERNAME_CHARS: usize = 64;
/// The largest sign-in request body (a username, a password of at most 1,024 characters).
pub const MAX_SIGN_IN_BODY: usize = 16 * 1024;
/// Failures an address may make before it has to wait.
pub const FREE_FAILURES: u32 = 5;
/// The first wait, doubled by each further failure.
pub const FIRST_DELAY: Duration = Duration::from_secs(1);
/// The longest wait.
pub const MAX_DELAY: Duration = Duration::from_secs(15 * 60);
/// An address with no failure for this long starts afresh.
pub const ADDRESS_QUIET: Duration = Duration::from_secs(60 * 60);
/// Failures of one account (from anywhere) that lock it until an administrator unlocks it.
pub const ACCOUNT_LOCK_FAILURES: u32 = 50;
/// How long an account's failures count towards the lock.
pub const ACCOUNT_WINDOW: Duration = Duration::from_secs(24 * 60 * 60);
/// Addresses and accounts each table holds.
pub const TABLE_CAPACITY: usize = 4096;
/// How long a sign-in waits for a free hash before it is answered "busy".
pub const HASH_WAIT: Duration = Duration::from_secs(2);
/// How many entries are looked at to choose one to forget when a table is full.
const EVICTION_SAMPLE: usize = 32;

/// Failures counted for one address or account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub failures: u32,
    /// Tries being checked: they count as failures until they end.
    pub in_flight: u32,
    /// The first failure counted (the account's window starts there).
    pub first: Instant,
    /// The last failure counted.
    pub last: Instant,
    lock: Lock,
}

/// Where an account stands with its lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lock {
    None,
    /// Past the threshold; being written to the database.
    Pending,
    /// Written to the database.
    Written,
}

impl Entry {
    /// Failures and tries being checked.
    pub fn count(&self) -> u32 {
        self.failures.saturating_add(self.in_flight)
    }

    /// Starts afresh, keeping the tries being checked.
    fn restart(&mut self, now: Instant) {
        *self = Self {
            in_flight: self.in_flight,
            ..Self::new(now)
        };
    }

    fn new(now: Instant) -> Self {
        Self {
            failures: 0,
            in_flight: 0,
            first: now,
            last: now,
            lock: Lock::None,
        }
    }
}

/// A table of at most `capacity` entries, allocated once: when it is full, a new key takes the
/// place of the entry that matters least among a few looked at in turn (stale, or with the
/// fewest failures), so no number of distinct keys grows it, and an entry with many failures
/// outlives a flood of new keys with one each.
#[derive(Debug)]
pub struct BoundedTable<K> {
    slots: Vec<(K, Entry)>,
    index: HashMap<K, usize>,
    capacity: usize,
    /// After this long without a failure an entry counts for nothing.
    stale_after: Duration,
    hand: usize,
}

impl<K: Clone + Eq + Hash> BoundedTable<K> {
    pub fn new(capacity: usize, stale_after: Duration) -> Self {
        let capacity = capacity.max(1);
        Self {
            slots: Vec::with_capacity(capacity),
            index: HashMap::with_capacity(capacity),
            capacity,
            stale_after,
            hand: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    pub fn get(&self, key: &K) -> Option<&Entry> {
        self.index.get(key).map(|&i| &self.slots[i].1)
    }

    /// How much an entry is worth keeping.
    fn weight(&self, e: &Entry, now: Instant) -> u64 {
        if e.lock != Lock::None {
            u64::MAX
        } else if now.saturating_duration_since(e.last) >= self.stale_after {
            0
        } else {
            u64::from(e.count())
        }
    }

    /// The entry of `key`, made (in a full table, in place of another) when missing.
    pub fn entry(&mut self, key: &K, now: Instant) -> &mut Entry {
        if let Some(&i) = self.index.get(key) {
            return &mut self.slots[i].1;
        }
        let i = if self.slots.len() < self.capacity {
            self.slots.push((key.clone(), Entry::new(now)));
            self.slots.len() - 1
        } else {
            let n = self.slots.len();
            let mut victim = self.hand % n;
            let mut least = u64::MAX;
            for step in 0..EVICTION_SAMPLE.min(n) {
                let i = (self.hand + step) % n;
                let w = self.weight(&self.slots[i].1, now);
                if w < least {
                    (victim, least) = (i, w);
                }
                if w == 0 {
                    break;
                }
            }
            self.hand = (victim + 1) % n;
            self.index.remove(&self.slots[victim].0);
            self.slots[victim] = (key.clone(), Entry::new(now));
            victim
        };
        self.index.insert(key.clone(), i);
        &mut self.slots[i].1
    }

    /// Records a failure of `key` now (tests).
    pub fn fail(&mut self, key: &K, now: Instant) -> u32 {
        let e = self.entry(key, now);
        e.failures = e.failures.saturating_add(1);
        e.last = now;
        e.failures
    }
}

/// The limiter's key for a client address: IPv4 as it is, IPv6 by its /64.
pub fn address_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
        v4 => v4,
    }
}

/// The client's address: the connection's peer, or, when the peer is a trusted proxy, the
/// last address in `X-Forwarded-For` that is not one of the trusted proxies (each proxy appends
/// the address it got the request from, so the ones on the left are the client's to invent).
pub fn client_address(peer: Option<IpAddr>, headers: &HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    let Some(peer) = peer else {
        return IpAddr::from([0, 0, 0, 0]);
    };
    if !trusted.contains(&peer) {
        return peer;
    }
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    for hop in hops.iter().rev() {
        match hop.parse::<IpAddr>() {
            Ok(ip) if trusted.contains(&ip) => continue,
            Ok(ip) => return ip,
            // Not an address: who sent it cannot be told; the proxy stands for it.
            Err(_) => return peer,
        }
    }
    peer
}

/// A request's client address (see [`client_address`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress(pub IpAddr);

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        Ok(Self(client_address(
            peer,
            &parts.headers,
            &state.sign_in_limiter.trusted_proxies,
        )))
    }
}

/// Why a sign-in is refused before its password is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Too many failures from this address: try again after this long.
    Wait(Duration),
    /// The account is locked until an administrator unlocks it.
    Locked,
    /// As many tries for the account are being checked as would lock it: try again shortly.
    Busy,
}

/// A sign-in counted as a failure until [`SignInLimiter::finish`] says otherwise.
#[derive(Debug)]
#[must_use]
pub struct Attempt {
    address: IpAddr,
    account: Option<UserId>,
}

impl Attempt {
    pub fn account(&self) -> Option<&UserId> {
        self.account.as_ref()
    }
}

#[derive(Debug)]
struct Tables {
    addresses: BoundedTable<IpAddr>,
    accounts: BoundedTable<UserId>,
}

/// The limiter: see the module's documentation.
#[derive(Debug)]
pub struct SignInLimiter {
    tables: Mutex<Tables>,
    hashes: Arc<Semaphore>,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpAddr>,
}

/// The wait before an address that failed `failures` times may try again, after its last.
pub fn delay(failures: u32) -> Duration {
    if failures < FREE_FAILURES {
        return Duration::ZERO;
    }
    let doublings = (failures - FREE_FAILURES).min(20);
    FIRST_DELAY.saturating_mul(1 << doublings).min(MAX_DELAY)
}

impl SignInLimiter {
    /// At most `hashes` password checks at once; `trusted_proxies` forward client addresses.
    pub fn new(hashes: usize, trusted_proxies: Vec<IpAddr>) -> Self {
        Self {
            tables: Mutex::new(Tables {
                addresses: BoundedTable::new(TABLE_CAPACITY, ADDRESS_QUIET),
                accounts: BoundedTable::new(TABLE_CAPACITY, ACCOUNT_WINDOW),
            }),
            hashes: Arc::new(Semaphore::new(hashes.max(1))),
            trusted_proxies,
        }
    }

    fn tables(&self) -> std::sync::MutexGuard<'_, Tables> {
        self.tables.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// How long `address` must still wait (nothing is counted): a refusal that costs neither
    /// the database nor a hash.
    pub fn address_wait(&self, address: IpAddr) -> Option<Duration> {
        let now = Instant::now();
        let t = self.tables();
        let e = t.addresses.get(&address_key(address))?;
        wait_of(e, now)
    }

    /// Counts a sign-in by `address` for `account` (an existing account, else `None`) as a
    /// failure until it ends, unless it is refused; atomically, so concurrent tries see each
    /// other. `locked` is the account's lock as the database has it.
    pub fn begin(
        &self,
        address: IpAddr,
        account: Option<&UserId>,
        locked: bool,
    ) -> Result<Attempt, Refusal> {
        let now = Instant::now();
        let key = address_key(address);
        let mut t = self.tables();
        let a = t.addresses.entry(&key, now);
        if now.saturating_duration_since(a.last) >= ADDRESS_QUIET {
            a.restart(now);
        }
        if let Some(wait) = wait_of(a, now) {
            return Err(Refusal::Wait(wait));
        }
        if let Some(id) = account {
            if locked {
                return Err(Refusal::Locked);
            }
            let e = t.accounts.entry(id, now);
            let window_over = now.saturating_duration_since(e.first) >= ACCOUNT_WINDOW;
            match e.lock {
                // Locked in the database, which now says unlocked: an administrator did.
                Lock::Written => e.restart(now),
                Lock::Pending => return Err(Refusal::Locked),
                Lock::None if window_over => e.restart(now),
                Lock::None => {}
            }
            if e.count() >= ACCOUNT_LOCK_FAILURES {
                // Not locked yet: tries still being checked would take it to the lock if
                // they failed. Whether they do decides.
                return Err(Refusal::Busy);
            }
            if e.count() == 0 {
                e.first = now;
            }
            e.in_flight += 1;
            e.last = now;
        }
        let a = t.addresses.entry(&key, now);
        a.in_flight += 1;
        a.last = now;
        Ok(Attempt {
            address: key,
            account: account.cloned(),
        })
    }

    /// The end of a sign-in: a failure is counted, a success (or a try that was never
    /// checked) is not. `true` when the failure takes its account to
    /// [`ACCOUNT_LOCK_FAILURES`]: the caller locks it in the database, then calls
    /// [`Self::lock_written`].
    pub fn finish(&self, attempt: Attempt, failed: bool) -> bool {
        let end = |e: &mut Entry| {
            e.in_flight = e.in_flight.saturating_sub(1);
            if failed {
                e.failures = e.failures.saturating_add(1);
            }
        };
        let mut t = self.tables();
        if let Some(&i) = t.addresses.index.get(&attempt.address) {
            end(&mut t.addresses.slots[i].1);
        }
        let Some(id) = attempt.account else {
            return false;
        };
        let Some(&i) = t.accounts.index.get(&id) else {
            return false;
        };
        let e = &mut t.accounts.slots[i].1;
        end(e);
        if failed && e.failures >= ACCOUNT_LOCK_FAILURES && e.lock == Lock::None {
            e.lock = Lock::Pending;
            return true;
        }
        false
    }

    /// The account's lock is in the database.
    pub fn lock_written(&self, account: &UserId) {
        let mut t = self.tables();
        if let Some(&i) = t.accounts.index.get(account) {
            t.accounts.slots[i].1.lock = Lock::Written;
        }
    }

    /// A permit to compute one password hash, or `None` when none came free within
    /// [`HASH_WAIT`].
    pub async fn hash_permit(&self) -> Option<OwnedSemaphorePermit> {
        tokio::time::timeout(HASH_WAIT, self.hashes.clone().acquire_owned())
            .await
            .ok()?
            .ok()
    }

    /// Addresses and accounts held (tests).
    pub fn sizes(&self) -> (usize, usize) {
        let t = self.tables();
        (t.addresses.len(), t.accounts.len())
    }
}

fn wait_of(e: &Entry, now: Instant) -> Option<Duration> {
    let until = e.last + delay(e.count());
    (until > now).then(|| until - now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_delay_doubles_from_the_sixth_try() {
        assert_eq!(delay(FREE_FAILURES - 1), Duration::ZERO);
        assert_eq!(delay(FREE_FAILURES), FIRST_DELAY);
        assert_eq!(delay(FREE_FAILURES + 3), FIRST_DELAY * 8);
        assert_eq!(delay(10_000), MAX_DELAY);
    }

    #[test]
    fn forwarded_addresses_are_believed_from_trusted_proxies_only() {
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", "1.2.3.4, 203.0.113.9".parse().unwrap());
        let client: IpAddr = "203.0.113.9".parse().unwrap();
        assert_eq!(client_address(Some(proxy), &h, &[proxy]), client);
        assert_eq!(client_address(Some(proxy), &h, &[]), proxy);
        // A chain of trusted proxies is walked from the right.
        h.insert(
            "x-forwarded-for",
            "1.2.3.4, 203.0.113.9, 10.0.0.2".parse().unwrap(),
        );
        let inner: IpAddr = "10.0.0.2".parse().unwrap();
        assert_eq!(client_address(Some(proxy), &h, &[proxy, inner]), client);
        h.insert("x-forwarded-for", "not-an-address".parse().unwrap());
        assert_eq!(client_address(Some(proxy), &h, &[proxy]), proxy);
        let v6: IpAddr = "2001:db8:1:2:3:4:5:6".parse().unwrap();
        assert_eq!(address_key(v6), "2001:db8:1:2::".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn successes_give_their_count_back() {
        let limiter = SignInLimiter::new(1, vec![]);
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let id = UserId::new("admin");
        for _ in 0..FREE_FAILURES - 1 {
            let a = limiter.begin(ip, Some(&id), false).expect("allowed");
            assert!(!limiter.finish(a, true));
        }
        let a = limiter.begin(ip, Some(&id), false).expect("allowed");
        limiter.finish(a, false);
        assert_eq!(limiter.address_wait(ip), None);
        let a = limiter
            .begin(ip, Some(&id), false)
            .expect("the fifth failure");
        limiter.finish(a, true);
        assert!(limiter.address_wait(ip).is_some());
        assert!(matches!(
            limiter.begin(ip, Some(&id), false),
            Err(Refusal::Wait(_))
        ));
        // Another address is not slowed; a lock in the database refuses everywhere.
        let other: IpAddr = "192.0.2.2".parse().unwrap();
        let a = limiter.begin(other, Some(&id), false).expect("allowed");
        limiter.finish(a, false);
        assert_eq!(
            limiter.begin(other, Some(&id), true).err(),
            Some(Refusal::Locked)
        );
    }
}
