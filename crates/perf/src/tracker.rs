//! The tracker itself: per-name histograms behind a read-mostly map.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use hdrhistogram::Histogram;

use crate::{
    CacheStats, FastHash, Health, QueryObserver, QueryStats, Rating, SlowCall, BASELINE_CALLS,
    CRITICAL, RECENT_SLOW_KEPT, REGRESSION_FACTOR, SLOW, WINDOW_CALLS,
};

/// Histograms hold nanoseconds from 1 ns to one hour with two significant digits (1%
/// resolution): about 35 KiB each, which keeps a few dozen names × 4 histograms small.
const HIST_MAX_NS: u64 = 3_600_000_000_000;
const HIST_SIGFIG: u8 = 2;

fn histogram() -> Histogram<u64> {
    // Bounds are constants that hdrhistogram accepts; failure would be a programming error
    // caught by the tests, so fall back to an auto-resizing histogram rather than panic.
    Histogram::new_with_bounds(1, HIST_MAX_NS, HIST_SIGFIG).unwrap_or_else(|_| {
        let mut h = Histogram::new(HIST_SIGFIG).expect("2 significant figures are valid");
        h.auto(true);
        h
    })
}

/// A quantile in microseconds. hdrhistogram answers with the top of the value's bucket, which
/// can exceed the largest value seen; clamp so p99 never reads above max.
fn quantile_us(h: &Histogram<u64>, q: f64, max_ns: u64) -> u64 {
    h.value_at_quantile(q).min(max_ns) / 1_000
}

/// Per-name state, behind that name's own mutex.
struct NameStats {
    all: Histogram<u64>,
    sum_ns: u128,
    max_ns: u64,
    slow: u64,
    critical: u64,
    recent_slow: VecDeque<SlowCall>,
    baseline: Histogram<u64>,
    current: Histogram<u64>,
    previous: Histogram<u64>,
}

impl NameStats {
    fn new() -> Self {
        NameStats {
            all: histogram(),
            sum_ns: 0,
            max_ns: 0,
            slow: 0,
            critical: 0,
            recent_slow: VecDeque::with_capacity(RECENT_SLOW_KEPT),
            baseline: histogram(),
            current: histogram(),
            previous: histogram(),
        }
    }

    fn record(&mut self, elapsed: Duration) {
        let ns = u64::try_from(elapsed.as_nanos())
            .unwrap_or(u64::MAX)
            .clamp(1, HIST_MAX_NS);
        self.all.saturating_record(ns);
        self.sum_ns += ns as u128;
        self.max_ns = self.max_ns.max(ns);
        if self.baseline.len() < BASELINE_CALLS {
            self.baseline.saturating_record(ns);
        } else {
            if self.current.len() >= WINDOW_CALLS {
                std::mem::swap(&mut self.previous, &mut self.current);
                self.current.reset();
            }
            self.current.saturating_record(ns);
        }
        if elapsed > SLOW {
            self.slow += 1;
            let critical = elapsed > CRITICAL;
            self.critical += critical as u64;
            if self.recent_slow.len() == RECENT_SLOW_KEPT {
                self.recent_slow.pop_back();
            }
            self.recent_slow.push_front(SlowCall {
                at_millis: now_millis(),
                duration_us: ns / 1_000,
                critical,
            });
        }
    }

    fn snapshot(&self, name: &str) -> QueryStats {
        let count = self.all.len();
        let p95 = quantile_us(&self.all, 0.95, self.max_ns);
        let baseline_p95 =
            (self.baseline.len() >= BASELINE_CALLS).then(|| self.baseline.value_at_quantile(0.95));
        let recent_p95 = (self.current.len() + self.previous.len() >= WINDOW_CALLS).then(|| {
            let mut recent = self.previous.clone();
            // Same bounds on both sides, so adding cannot fail; a failure would only lose
            // the current window's samples from the figure.
            let _ = recent.add(&self.current);
            recent.value_at_quantile(0.95)
        });
        let regression = match (baseline_p95, recent_p95) {
            (Some(b), Some(r)) => r as f64 >= REGRESSION_FACTOR * b as f64,
            _ => false,
        };
        QueryStats {
            name: name.to_owned(),
            count,
            mean_us: if count == 0 {
                0.0
            } else {
                self.sum_ns as f64 / count as f64 / 1_000.0
            },
            p50_us: quantile_us(&self.all, 0.50, self.max_ns),
            p95_us: p95,
            p99_us: quantile_us(&self.all, 0.99, self.max_ns),
            max_us: self.max_ns / 1_000,
            slow: self.slow,
            critical: self.critical,
            rating: Rating::from_p95(Duration::from_micros(p95)),
            baseline_p95_us: baseline_p95.map(|ns| ns / 1_000),
            recent_p95_us: recent_p95.map(|ns| ns / 1_000),
            regression,
            recent_slow: self.recent_slow.iter().cloned().collect(),
        }
    }
}

type NameMap = HashMap<&'static str, Arc<Mutex<NameStats>>, FastHash>;

pub struct Tracker {
    started: Instant,
    names: RwLock<NameMap>,
}

impl std::fmt::Debug for Tracker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tracker")
            .field("names", &read(&self.names).len())
            .finish()
    }
}

impl Default for Tracker {
    fn default() -> Self {
        Tracker::new()
    }
}

impl Tracker {
    pub fn new() -> Tracker {
        Tracker {
            started: Instant::now(),
            names: RwLock::new(NameMap::default()),
        }
    }

    /// Records one call of `name` that took `elapsed`.
    pub fn record(&self, name: &'static str, elapsed: Duration) {
        {
            let names = read(&self.names);
            if let Some(stats) = names.get(name) {
                lock(stats).record(elapsed);
                return;
            }
        }
        let stats = write(&self.names)
            .entry(name)
            .or_insert_with(|| Arc::new(Mutex::new(NameStats::new())))
            .clone();
        lock(&stats).record(elapsed);
    }

    /// Runs `f` and records how long it took under `name`.
    pub fn time<T>(&self, name: &'static str, f: impl FnOnce() -> T) -> T {
        let start = Instant::now();
        let out = f();
        self.record(name, start.elapsed());
        out
    }

    pub fn uptime(&self) -> Duration {
        self.started.elapsed()
    }

    /// Stats of one name, if it was ever recorded.
    pub fn query(&self, name: &str) -> Option<QueryStats> {
        let stats = read(&self.names).get(name).cloned()?;
        let snapshot = lock(&stats).snapshot(name);
        Some(snapshot)
    }

    /// Stats of every name, sorted by name.
    pub fn queries(&self) -> Vec<QueryStats> {
        // Copy the handles first so no name's mutex is taken under the map lock.
        let all: Vec<(&'static str, Arc<Mutex<NameStats>>)> = read(&self.names)
            .iter()
            .map(|(n, s)| (*n, s.clone()))
            .collect();
        let mut out: Vec<QueryStats> = all
            .into_iter()
            .map(|(name, s)| lock(&s).snapshot(name))
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        out
    }

    /// Forgets a name's baseline and recent windows (after a deliberate change, e.g. an
    /// index was added), so the next calls form a new baseline. Lifetime figures stay.
    pub fn rebaseline(&self, name: &str) {
        if let Some(stats) = read(&self.names).get(name).cloned() {
            let mut s = lock(&stats);
            s.baseline.reset();
            s.current.reset();
            s.previous.reset();
        }
    }

    pub fn health(&self, cache: CacheStats) -> Health {
        Health {
            uptime_secs: self.uptime().as_secs(),
            cache,
            queries: self.queries(),
        }
    }
}

impl QueryObserver for Tracker {
    fn observe(&self, name: &'static str, elapsed: Duration) {
        self.record(name, elapsed);
    }
}

/// Poisoning only means another thread panicked while recording; the numbers are still
/// usable, and losing diagnostics is worse than a slightly odd figure.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn read<T>(l: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(|e| e.into_inner())
}

fn write<T>(l: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(|e| e.into_inner())
}

/// Wall-clock millis since the Unix epoch (0 if the clock reads before it).
fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn counts_quantiles_and_max() {
        let t = Tracker::new();
        for i in 1..=100u64 {
            t.record("q", Duration::from_micros(i * 10));
        }
        let s = t.query("q").unwrap();
        assert_eq!(s.count, 100);
        assert!((s.mean_us - 505.0).abs() < 0.01, "{}", s.mean_us);
        // Two significant digits: within 1%.
        assert!((495..=505).contains(&s.p50_us), "{}", s.p50_us);
        assert!((940..=960).contains(&s.p95_us), "{}", s.p95_us);
        assert!((980..=1000).contains(&s.p99_us), "{}", s.p99_us);
        assert_eq!(s.max_us, 1000);
        assert_eq!(s.rating, Rating::Excellent);
        assert_eq!((s.slow, s.critical), (0, 0));
        assert!(t.query("never").is_none());
    }

    #[test]
    fn slow_and_critical_calls_are_counted_and_remembered_newest_first() {
        let t = Tracker::new();
        t.record("q", ms(50));
        t.record("q", ms(150));
        t.record("q", ms(600));
        t.record("q", ms(100)); // exactly the mark is not slow
        let s = t.query("q").unwrap();
        assert_eq!((s.slow, s.critical), (2, 1));
        let durations: Vec<u64> = s.recent_slow.iter().map(|c| c.duration_us).collect();
        assert_eq!(durations, vec![600_000, 150_000]);
        assert!(s.recent_slow[0].critical && !s.recent_slow[1].critical);
    }

    #[test]
    fn the_slow_ring_is_bounded() {
        let t = Tracker::new();
        for i in 0..(RECENT_SLOW_KEPT as u64 + 5) {
            t.record("q", ms(101 + i));
        }
        let s = t.query("q").unwrap();
        assert_eq!(s.slow, RECENT_SLOW_KEPT as u64 + 5);
        assert_eq!(s.recent_slow.len(), RECENT_SLOW_KEPT);
        assert_eq!(s.recent_slow[0].duration_us, (101 + 14) * 1000);
    }

    #[test]
    fn ratings_follow_the_documented_p95_thresholds() {
        assert_eq!(Rating::from_p95(ms(10)), Rating::Excellent);
        assert_eq!(Rating::from_p95(ms(11)), Rating::Good);
        assert_eq!(Rating::from_p95(ms(100)), Rating::Good);
        assert_eq!(Rating::from_p95(ms(101)), Rating::Slow);
        assert_eq!(Rating::from_p95(ms(500)), Rating::Slow);
        assert_eq!(Rating::from_p95(ms(501)), Rating::Critical);
        let t = Tracker::new();
        for _ in 0..100 {
            t.record("slow", ms(300));
        }
        assert_eq!(t.query("slow").unwrap().rating, Rating::Slow);
    }

    #[test]
    fn a_doubled_recent_p95_is_a_regression_and_a_steady_one_is_not() {
        let t = Tracker::new();
        for _ in 0..BASELINE_CALLS {
            t.record("steady", Duration::from_micros(400));
            t.record("worse", Duration::from_micros(400));
        }
        let s = t.query("worse").unwrap();
        assert!(s.baseline_p95_us.is_some());
        assert_eq!(s.recent_p95_us, None, "no recent window yet");
        assert!(!s.regression);
        for _ in 0..WINDOW_CALLS {
            t.record("steady", Duration::from_micros(500));
            t.record("worse", Duration::from_micros(900));
        }
        let steady = t.query("steady").unwrap();
        let worse = t.query("worse").unwrap();
        assert!(!steady.regression, "{steady:?}");
        assert!(worse.regression, "{worse:?}");
        // Rebaselining accepts the new normal.
        t.rebaseline("worse");
        for _ in 0..(BASELINE_CALLS + WINDOW_CALLS) {
            t.record("worse", Duration::from_micros(900));
        }
        assert!(!t.query("worse").unwrap().regression);
    }

    #[test]
    fn recent_windows_rotate_so_an_old_spike_ages_out() {
        let t = Tracker::new();
        for _ in 0..BASELINE_CALLS {
            t.record("q", Duration::from_micros(100));
        }
        for _ in 0..WINDOW_CALLS {
            t.record("q", Duration::from_micros(1000));
        }
        assert!(t.query("q").unwrap().regression);
        for _ in 0..(2 * WINDOW_CALLS + 1) {
            t.record("q", Duration::from_micros(100));
        }
        assert!(!t.query("q").unwrap().regression);
    }

    #[test]
    fn observer_and_time_record_under_the_name_and_health_serialises() {
        let t = Arc::new(Tracker::new());
        let obs: Arc<dyn QueryObserver> = t.clone();
        obs.observe("store.q", Duration::from_micros(5));
        let v = t.time("report.x", || 7);
        assert_eq!(v, 7);
        let h = t.health(CacheStats::default());
        let names: Vec<&str> = h.queries.iter().map(|q| q.name.as_str()).collect();
        assert_eq!(names, vec!["report.x", "store.q"]);
        let json = serde_json::to_string(&h).unwrap();
        assert!(json.contains("\"rating\":\"EXCELLENT\""), "{json}");
        let back: Health = serde_json::from_str(&json).unwrap();
        assert_eq!(back, h);
        assert_eq!(h.problems().count(), 0);
    }

    #[test]
    fn concurrent_recording_loses_nothing() {
        let t = Arc::new(Tracker::new());
        let names: [&'static str; 4] = ["a", "b", "c", "d"];
        std::thread::scope(|s| {
            for i in 0..4 {
                let t = t.clone();
                s.spawn(move || {
                    for j in 0..1000 {
                        t.record(names[(i + j) % 4], Duration::from_micros(3));
                    }
                });
            }
        });
        let total: u64 = t.queries().iter().map(|q| q.count).sum();
        assert_eq!(total, 4000);
    }
}
