//! The performance tracker: every named store query and report computation is timed into
//! an HDR histogram, so the Diagnostics view (and the sync server's `GET /api/health`) can
//! say which query is slow, how slow, and whether it got slower.
//!
//! Hot path: `observe` takes a read lock on a read-mostly map from the (static) name to its
//! stats and then that one name's mutex. Different names never contend with each other and
//! readers of the map never block each other; the map's write lock is only taken the first
//! time a name is seen. Names are `&'static str`, so no allocation happens per call.
//!
//! Ratings, from a name's p95 over its whole life (thresholds chosen for a desktop app where
//! a screen should update within a frame or two and anything over 100 ms feels sluggish):
//!
//! | rating    | p95                       |
//! |-----------|---------------------------|
//! | EXCELLENT | <= 10 ms                  |
//! | GOOD      | <= 100 ms (the slow mark) |
//! | SLOW      | <= 500 ms (the critical mark) |
//! | CRITICAL  | > 500 ms                  |
//!
//! Regression: the first [`BASELINE_CALLS`] calls of a name form its baseline window; after
//! that, calls go into rotating windows of [`WINDOW_CALLS`]. The recent p95 is taken over the
//! current and the previous window (at least [`WINDOW_CALLS`] calls), and a name is flagged
//! when recent p95 >= 2 × baseline p95. Windows count calls, not seconds, so a rarely
//! called report is judged on as many samples as a hot query and the check is deterministic.
//!
//! This crate is the part both the desktop core and the sync server need, so the server
//! does not depend on the whole core. [`Health`] carries a cache's counters
//! ([`CacheStats`]) as plain data: the report cache that fills them lives in glovebox-core,
//! and the server, which caches nothing, reports empty ones, so `glovebox stats`, the
//! Diagnostics view and `GET /api/health` all answer in one JSON shape.

mod fx;
mod tracker;

use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use fx::{FastHash, Fx};
pub use tracker::Tracker;

/// A call slower than this counts as slow (and is remembered in the recent-slow ring).
pub const SLOW: Duration = Duration::from_millis(100);
/// A call slower than this counts as critical.
pub const CRITICAL: Duration = Duration::from_millis(500);
/// p95 at or below this is EXCELLENT.
pub const EXCELLENT_P95: Duration = Duration::from_millis(10);
/// Calls that make up a name's baseline window.
pub const BASELINE_CALLS: u64 = 200;
/// Calls per rotating recent window.
pub const WINDOW_CALLS: u64 = 200;
/// Recent slow calls kept per name.
pub const RECENT_SLOW_KEPT: usize = 10;
/// A regression needs recent p95 at least this many times the baseline p95.
pub const REGRESSION_FACTOR: f64 = 2.0;

/// Receives the duration of every named statement or report computation (the store calls
/// it; the [`Tracker`] implements it).
pub trait QueryObserver: Send + Sync {
    fn observe(&self, name: &'static str, elapsed: Duration);
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Rating {
    Excellent,
    Good,
    Slow,
    Critical,
}

impl Rating {
    pub fn from_p95(p95: Duration) -> Rating {
        if p95 <= EXCELLENT_P95 {
            Rating::Excellent
        } else if p95 <= SLOW {
            Rating::Good
        } else if p95 <= CRITICAL {
            Rating::Slow
        } else {
            Rating::Critical
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Rating::Excellent => "EXCELLENT",
            Rating::Good => "GOOD",
            Rating::Slow => "SLOW",
            Rating::Critical => "CRITICAL",
        }
    }
}

/// One slow call, remembered for the Diagnostics view.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SlowCall {
    /// Wall-clock millis since the Unix epoch when the call finished.
    pub at_millis: i64,
    pub duration_us: u64,
    pub critical: bool,
}

/// Everything known about one name. Durations are in microseconds (fractional for the
/// mean) so the JSON reads naturally in a UI.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct QueryStats {
    pub name: String,
    pub count: u64,
    pub mean_us: f64,
    pub p50_us: u64,
    pub p95_us: u64,
    pub p99_us: u64,
    pub max_us: u64,
    pub slow: u64,
    pub critical: u64,
    pub rating: Rating,
    /// p95 of the baseline window, once it is complete.
    pub baseline_p95_us: Option<u64>,
    /// p95 of the recent windows, once there are enough recent calls.
    pub recent_p95_us: Option<u64>,
    pub regression: bool,
    /// Most recent slow calls, newest first.
    pub recent_slow: Vec<SlowCall>,
}

/// Cache counters of one report kind (or of all of them together).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CacheKindStats {
    pub kind: String,
    pub hits: u64,
    pub misses: u64,
    /// hits / (hits + misses); 0 before any lookup.
    pub hit_rate: f64,
    pub entries: u64,
    /// Entries removed because their data changed (change events and sync).
    pub invalidations: u64,
    /// Entries removed for space or age (size bound, TTL safety net).
    pub evictions: u64,
}

impl CacheKindStats {
    pub fn new(kind: impl Into<String>, hits: u64, misses: u64) -> Self {
        let lookups = hits + misses;
        CacheKindStats {
            kind: kind.into(),
            hits,
            misses,
            hit_rate: if lookups == 0 {
                0.0
            } else {
                hits as f64 / lookups as f64
            },
            ..CacheKindStats::default()
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CacheStats {
    /// Most entries the cache keeps.
    pub capacity: u64,
    /// Safety-net time to live of an entry, in seconds.
    pub ttl_secs: u64,
    pub total: CacheKindStats,
    pub kinds: Vec<CacheKindStats>,
}

/// The one health snapshot: shown by the desktop Diagnostics view, `glovebox stats` and the
/// sync server's `GET /api/health`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Health {
    pub uptime_secs: u64,
    pub cache: CacheStats,
    /// Sorted by name.
    pub queries: Vec<QueryStats>,
}

impl Health {
    /// Names rated SLOW or CRITICAL, or regressed: what a status line should mention.
    pub fn problems(&self) -> impl Iterator<Item = &QueryStats> {
        self.queries
            .iter()
            .filter(|q| q.rating >= Rating::Slow || q.regression)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hit_rate_is_hits_over_lookups() {
        assert_eq!(CacheKindStats::new("x", 0, 0).hit_rate, 0.0);
        assert_eq!(CacheKindStats::new("x", 3, 1).hit_rate, 0.75);
    }
}
