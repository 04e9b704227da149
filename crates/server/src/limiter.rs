//! Login limiting that no stranger can turn against the server or another user.
//!
//! - **Per-address budget**, checked first: each client address (an IPv4 address, or an
//!   IPv6 /64, which one subscriber usually holds whole) gets `login_attempts_per_minute`
//!   attempts per minute. Behind a reverse proxy the address comes from X-Forwarded-For,
//!   trusted only from `trusted_proxies`.
//! - **Backoff per (user name, address)** instead of a lockout: after [`FREE_FAILURES`]
//!   failed attempts for one name from one address, that address waits 1 s, 2 s, 4 s …
//!   (at most [`MAX_BACKOFF`]) between attempts on that name. Attempts from any other
//!   address are not slowed, so nobody can lock a named account out for its owner. Known
//!   and unknown names are treated alike, so the answers do not reveal which exist.
//! - Both maps are keyed by a keyed hash (never the raw name), capped at a fixed number
//!   of entries and forget entries once their window has passed: no request can make
//!   them grow without bound.
//!
//! State is per server process: with N processes behind one balancer an address gets at
//! most N times the budget (docs/SYNC.md, "Login limits").

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash};
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::HeaderMap;

/// Failed attempts per (name, address) before the backoff starts.
pub const FREE_FAILURES: u32 = 5;
/// The longest wait between two attempts on one name from one address.
pub const MAX_BACKOFF: Duration = Duration::from_secs(300);
/// A (name, address) pair without a failure for this long starts afresh.
pub const FORGET_AFTER: Duration = Duration::from_secs(15 * 60);
/// Entries per map. At ~40 bytes each this bounds each map to a few MiB.
pub const MAX_ENTRIES: usize = 65_536;
const WINDOW: Duration = Duration::from_secs(60);

/// A network range (`10.0.0.0/8`, `::1`, `2001:db8::/32`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNet {
    addr: IpAddr,
    prefix: u8,
}

impl std::str::FromStr for IpNet {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = addr
            .trim()
            .parse()
            .map_err(|_| format!("{s:?} is not an IP address or CIDR range"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("{s:?}: the prefix length must be 0 to {max}"))?,
        };
        let net = normalize(addr);
        // `::ffff:10.0.0.0/104` is `10.0.0.0/8`.
        let prefix = if addr.is_ipv6() && net.is_ipv4() {
            prefix.saturating_sub(96)
        } else {
            prefix
        };
        Ok(IpNet { addr: net, prefix })
    }
}

impl std::fmt::Display for IpNet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

impl IpNet {
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, normalize(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// IPv4-mapped IPv6 addresses (`::ffff:1.2.3.4`, as a dual-stack socket reports IPv4
/// peers) are IPv4.
fn normalize(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

/// The key an address is limited by: IPv4 as is, IPv6 cut to its /64.
pub fn address_key(ip: IpAddr) -> IpAddr {
    match normalize(ip) {
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & (u128::MAX << 64);
            IpAddr::V6(Ipv6Addr::from(bits))
        }
        v4 => v4,
    }
}

/// The client's address: the TCP peer, or — when the peer is a trusted proxy — the
/// rightmost X-Forwarded-For entry that is not itself a trusted proxy. Entries left of
/// an untrusted one were written by the client and are ignored.
pub fn client_ip(peer: SocketAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|n| n.contains(ip));
    let mut client = normalize(peer.ip());
    if !is_trusted(client) {
        return client;
    }
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .collect();
    for hop in hops.iter().rev() {
        let Some(ip) = parse_hop(hop) else {
            break;
        };
        client = ip;
        if !is_trusted(ip) {
            break;
        }
    }
    client
}

/// One X-Forwarded-For entry: `1.2.3.4`, `2001:db8::1`, `[2001:db8::1]:443`,
/// `1.2.3.4:5678`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(normalize(ip));
    }
    hop.parse::<SocketAddr>().ok().map(|s| normalize(s.ip()))
}

/// A map from hashed keys to small entries with a hard cap: when full, expired entries go
/// first, then the oldest.
struct Bounded<V> {
    map: HashMap<u64, V>,
    hasher: std::collections::hash_map::RandomState,
    cap: usize,
}

impl<V> Bounded<V> {
    fn new(cap: usize) -> Self {
        Bounded {
            map: HashMap::new(),
            hasher: Default::default(),
            cap,
        }
    }

    fn key(&self, parts: impl Hash) -> u64 {
        self.hasher.hash_one(parts)
    }

    /// Makes room for one more entry.
    fn make_room(&mut self, expired: impl Fn(&V) -> bool, age: impl Fn(&V) -> Instant) {
        if self.map.len() < self.cap {
            return;
        }
        self.map.retain(|_, v| !expired(v));
        while self.map.len() >= self.cap {
            let Some(oldest) = self.map.iter().min_by_key(|(_, v)| age(v)).map(|(k, _)| *k) else {
                break;
            };
            self.map.remove(&oldest);
        }
    }
}

/// Why a login attempt was refused before any password was checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The address used up its attempts for this minute.
    AddressBudget { retry_after: Duration },
    /// Too many failures for this name from this address: wait.
    Backoff { retry_after: Duration },
}

impl Refusal {
    pub fn retry_after(self) -> Duration {
        match self {
            Refusal::AddressBudget { retry_after } | Refusal::Backoff { retry_after } => {
                retry_after
            }
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Window {
    start: Instant,
    used: u32,
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
}

/// The wait after `count` failures.
pub fn backoff(count: u32) -> Duration {
    if count < FREE_FAILURES {
        return Duration::ZERO;
    }
    let exp = (count - FREE_FAILURES).min(20);
    Duration::from_secs(1u64 << exp).min(MAX_BACKOFF)
}

pub struct LoginLimiter {
    per_minute: u32,
    addresses: Mutex<Bounded<Window>>,
    failures: Mutex<Bounded<Failures>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl LoginLimiter {
    pub fn new(per_minute: u32) -> Self {
        Self::with_capacity(per_minute, MAX_ENTRIES)
    }

    pub fn with_capacity(per_minute: u32, cap: usize) -> Self {
        LoginLimiter {
            per_minute,
            addresses: Mutex::new(Bounded::new(cap)),
            failures: Mutex::new(Bounded::new(cap)),
        }
    }

    /// Counts an attempt against the address's budget; checked before the body is read.
    pub fn charge_address(&self, addr: IpAddr, now: Instant) -> Result<(), Refusal> {
        let mut m = lock(&self.addresses);
        let key = m.key(address_key(addr));
        if !m.map.contains_key(&key) {
            m.make_room(|w| now.duration_since(w.start) >= WINDOW, |w| w.start);
        }
        let w = m.map.entry(key).or_insert(Window {
            start: now,
            used: 0,
        });
        if now.duration_since(w.start) >= WINDOW {
            *w = Window {
                start: now,
                used: 0,
            };
        }
        if w.used >= self.per_minute {
            return Err(Refusal::AddressBudget {
                retry_after: WINDOW.saturating_sub(now.duration_since(w.start)),
            });
        }
        w.used += 1;
        Ok(())
    }

    /// Refuses an attempt on `name` from `addr` while its backoff runs.
    pub fn check_backoff(&self, name: &str, addr: IpAddr, now: Instant) -> Result<(), Refusal> {
        let m = lock(&self.failures);
        let key = m.key((name, address_key(addr)));
        let Some(f) = m.map.get(&key) else {
            return Ok(());
        };
        let since = now.duration_since(f.last);
        if since >= FORGET_AFTER {
            return Ok(());
        }
        let wait = backoff(f.count);
        if since < wait {
            return Err(Refusal::Backoff {
                retry_after: wait - since,
            });
        }
        Ok(())
    }

    /// Records a failed attempt (wrong password or unknown name, alike).
    pub fn record_failure(&self, name: &str, addr: IpAddr, now: Instant) {
        let mut m = lock(&self.failures);
        let key = m.key((name, address_key(addr)));
        if !m.map.contains_key(&key) {
            m.make_room(|f| now.duration_since(f.last) >= FORGET_AFTER, |f| f.last);
        }
        let f = m.map.entry(key).or_insert(Failures {
            count: 0,
            last: now,
        });
        if now.duration_since(f.last) >= FORGET_AFTER {
            f.count = 0;
        }
        f.count = f.count.saturating_add(1);
        f.last = now;
    }

    /// A successful login clears that pair's failures.
    pub fn record_success(&self, name: &str, addr: IpAddr) {
        let mut m = lock(&self.failures);
        let key = m.key((name, address_key(addr)));
        m.map.remove(&key);
    }

    /// Entries held (for tests and metrics).
    pub fn entries(&self) -> (usize, usize) {
        (
            lock(&self.addresses).map.len(),
            lock(&self.failures).map.len(),
        )
    }
}

/// Bounds concurrent argon2 verifications (each takes ~19 MiB and tens of ms of CPU) and
/// the queue in front of them.
pub struct HashGate {
    permits: std::sync::Arc<tokio::sync::Semaphore>,
    waiting: AtomicUsize,
    max_waiting: usize,
    max_wait: Duration,
}

/// Why a verification could not start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy;

impl HashGate {
    pub fn new(concurrent: usize, max_waiting: usize, max_wait: Duration) -> Self {
        HashGate {
            permits: std::sync::Arc::new(tokio::sync::Semaphore::new(concurrent)),
            waiting: AtomicUsize::new(0),
            max_waiting,
            max_wait,
        }
    }

    /// Waits for a slot: `Busy` when the queue is full or the wait too long.
    pub async fn enter(&self) -> Result<tokio::sync::OwnedSemaphorePermit, Busy> {
        if let Ok(p) = self.permits.clone().try_acquire_owned() {
            return Ok(p);
        }
        if self.waiting.fetch_add(1, Ordering::SeqCst) >= self.max_waiting {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            return Err(Busy);
        }
        let permit =
            tokio::time::timeout(self.max_wait, self.permits.clone().acquire_owned()).await;
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        match permit {
            Ok(Ok(p)) => Ok(p),
            _ => Err(Busy),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn the_address_budget_refuses_past_the_limit_then_renews() {
        let l = LoginLimiter::new(2);
        let t = Instant::now();
        assert!(l.charge_address(ip("10.0.0.1"), t).is_ok());
        assert!(l.charge_address(ip("10.0.0.1"), t).is_ok());
        assert!(matches!(
            l.charge_address(ip("10.0.0.1"), t),
            Err(Refusal::AddressBudget { .. })
        ));
        assert!(l.charge_address(ip("10.0.0.2"), t).is_ok());
        assert!(l.charge_address(ip("10.0.0.1"), t + WINDOW).is_ok());
    }

    #[test]
    fn ipv6_addresses_share_a_budget_per_64() {
        let l = LoginLimiter::new(1);
        let t = Instant::now();
        assert!(l.charge_address(ip("2001:db8:1:2::1"), t).is_ok());
        assert!(l.charge_address(ip("2001:db8:1:2:ffff::9"), t).is_err());
        assert!(l.charge_address(ip("2001:db8:1:3::1"), t).is_ok());
        assert_eq!(address_key(ip("::ffff:10.1.2.3")), ip("10.1.2.3"));
    }

    #[test]
    fn backoff_grows_per_name_and_address_and_never_touches_other_addresses() {
        let l = LoginLimiter::new(100);
        let t = Instant::now();
        let (attacker, owner) = (ip("198.51.100.7"), ip("203.0.113.9"));
        for i in 0..FREE_FAILURES {
            assert!(l.check_backoff("ann", attacker, t).is_ok(), "{i}");
            l.record_failure("ann", attacker, t);
        }
        assert_eq!(
            l.check_backoff("ann", attacker, t),
            Err(Refusal::Backoff {
                retry_after: Duration::from_secs(1)
            })
        );
        assert!(l
            .check_backoff("ann", attacker, t + Duration::from_secs(1))
            .is_ok());
        for _ in 0..100 {
            l.record_failure("ann", attacker, t);
        }
        let r = l.check_backoff("ann", attacker, t).unwrap_err();
        assert_eq!(r.retry_after(), MAX_BACKOFF);
        // The owner, elsewhere, is not slowed; nor is another name from the attacker.
        assert!(l.check_backoff("ann", owner, t).is_ok());
        assert!(l.check_backoff("bob", attacker, t).is_ok());
        // The wait is bounded, and a quiet pair is forgotten.
        assert!(l.check_backoff("ann", attacker, t + MAX_BACKOFF).is_ok());
        assert!(l.check_backoff("ann", attacker, t + FORGET_AFTER).is_ok());
        l.record_success("ann", attacker);
        assert!(l.check_backoff("ann", attacker, t).is_ok());
    }

    #[test]
    fn maps_never_pass_their_cap() {
        let l = LoginLimiter::with_capacity(10, 100);
        let t = Instant::now();
        for i in 0..10_000u32 {
            let a = IpAddr::from(i.to_be_bytes());
            let _ = l.charge_address(a, t);
            l.record_failure(&format!("name{i}"), a, t);
        }
        let (a, f) = l.entries();
        assert!(a <= 100 && f <= 100, "{a} {f}");
    }

    #[test]
    fn forwarded_addresses_are_believed_only_from_trusted_proxies() {
        let trusted: Vec<IpNet> = vec!["127.0.0.1".parse().unwrap(), "10.0.0.0/8".parse().unwrap()];
        let mut h = HeaderMap::new();
        h.insert(
            "x-forwarded-for",
            HeaderValue::from_static("6.6.6.6, 198.51.100.7, 10.1.1.1"),
        );
        let proxy: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let stranger: SocketAddr = "192.0.2.1:5000".parse().unwrap();
        assert_eq!(client_ip(proxy, &h, &trusted), ip("198.51.100.7"));
        assert_eq!(client_ip(stranger, &h, &trusted), ip("192.0.2.1"));
        assert_eq!(client_ip(proxy, &h, &[]), ip("127.0.0.1"));
        h.insert(
            "x-forwarded-for",
            HeaderValue::from_static("[2001:db8::1]:443"),
        );
        assert_eq!(client_ip(proxy, &h, &trusted), ip("2001:db8::1"));
        h.insert("x-forwarded-for", HeaderValue::from_static("garbage"));
        assert_eq!(client_ip(proxy, &h, &trusted), ip("127.0.0.1"));
    }

    #[test]
    fn networks_parse_and_match() {
        let n: IpNet = "10.0.0.0/8".parse().unwrap();
        assert!(n.contains(ip("10.255.0.1")) && !n.contains(ip("11.0.0.1")));
        assert!(n.contains(ip("::ffff:10.0.0.1")));
        let all: IpNet = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains(ip("1.2.3.4")));
        let v6: IpNet = "2001:db8::/32".parse().unwrap();
        assert!(v6.contains(ip("2001:db8:ffff::1")) && !v6.contains(ip("2001:db9::1")));
        assert!("10.0.0.0/33".parse::<IpNet>().is_err());
        assert!("nope".parse::<IpNet>().is_err());
    }

    #[tokio::test]
    async fn the_gate_bounds_concurrency_and_its_queue() {
        let g = HashGate::new(1, 1, Duration::from_millis(50));
        let p = g.enter().await.unwrap();
        // One may wait (and times out); a second waiter is refused at once.
        let (a, b) = tokio::join!(g.enter(), async {
            tokio::task::yield_now().await;
            g.enter().await
        });
        assert!(a.is_err() && b.is_err());
        drop(p);
        assert!(g.enter().await.is_ok());
    }
}
