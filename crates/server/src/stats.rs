//! Query timings and request counters for /api/health and /metrics.
//!
//! A minimal stand-in for the core's perf tracker (branch `reports`): one HDR histogram
//! per named storage query, in microseconds. Swap for `glovebox_core::perf` once merged.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde::Serialize;

/// Longest duration a histogram records exactly; longer ones are clamped to it.
const MAX_MICROS: u64 = 60_000_000;

#[derive(Default)]
pub struct QueryStats {
    queries: Mutex<BTreeMap<&'static str, Histogram<u64>>>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct QuerySummary {
    pub count: u64,
    pub mean_ms: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl QueryStats {
    pub fn time<T>(&self, name: &'static str, f: impl FnOnce() -> T) -> T {
        let start = Instant::now();
        let out = f();
        self.record(name, start.elapsed());
        out
    }

    pub fn record(&self, name: &'static str, elapsed: Duration) {
        let micros = (elapsed.as_micros() as u64).clamp(1, MAX_MICROS);
        let mut q = self.queries.lock().unwrap_or_else(|e| e.into_inner());
        let h = q.entry(name).or_insert_with(|| {
            Histogram::new_with_bounds(1, MAX_MICROS, 3).expect("static histogram bounds")
        });
        // Cannot fail: the value was clamped into the histogram's bounds.
        let _ = h.record(micros);
    }

    pub fn snapshot(&self) -> BTreeMap<&'static str, QuerySummary> {
        let q = self.queries.lock().unwrap_or_else(|e| e.into_inner());
        let ms = |us: u64| us as f64 / 1000.0;
        q.iter()
            .map(|(name, h)| {
                (
                    *name,
                    QuerySummary {
                        count: h.len(),
                        mean_ms: h.mean() / 1000.0,
                        p50_ms: ms(h.value_at_quantile(0.50)),
                        p95_ms: ms(h.value_at_quantile(0.95)),
                        p99_ms: ms(h.value_at_quantile(0.99)),
                        max_ms: ms(h.max()),
                    },
                )
            })
            .collect()
    }
}

/// Counters exported at /metrics.
#[derive(Default)]
pub struct Counters {
    pub requests: AtomicU64,
    pub errors_4xx: AtomicU64,
    pub errors_5xx: AtomicU64,
    pub rows_applied: AtomicU64,
    pub rows_duplicate: AtomicU64,
    pub rows_stale: AtomicU64,
    pub rows_pulled: AtomicU64,
    pub logins_ok: AtomicU64,
    pub logins_failed: AtomicU64,
    pub logins_limited: AtomicU64,
}

impl Counters {
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}

/// Renders counters and query summaries in the Prometheus text exposition format.
pub fn prometheus(counters: &Counters, queries: &QueryStats, uptime: Duration) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let mut counter = |name: &str, help: &str, v: u64| {
        let _ = writeln!(s, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {v}");
    };
    counter(
        "glovebox_http_requests_total",
        "HTTP requests served.",
        Counters::get(&counters.requests),
    );
    counter(
        "glovebox_http_client_errors_total",
        "Responses with a 4xx status.",
        Counters::get(&counters.errors_4xx),
    );
    counter(
        "glovebox_http_server_errors_total",
        "Responses with a 5xx status.",
        Counters::get(&counters.errors_5xx),
    );
    counter(
        "glovebox_rows_applied_total",
        "Pushed rows stored.",
        Counters::get(&counters.rows_applied),
    );
    counter(
        "glovebox_rows_duplicate_total",
        "Pushed rows the server already had.",
        Counters::get(&counters.rows_duplicate),
    );
    counter(
        "glovebox_rows_stale_total",
        "Pushed rows older than the stored version.",
        Counters::get(&counters.rows_stale),
    );
    counter(
        "glovebox_rows_pulled_total",
        "Rows sent to pulling devices.",
        Counters::get(&counters.rows_pulled),
    );
    counter(
        "glovebox_logins_total",
        "Successful logins.",
        Counters::get(&counters.logins_ok),
    );
    counter(
        "glovebox_logins_failed_total",
        "Refused logins (bad user or password).",
        Counters::get(&counters.logins_failed),
    );
    counter(
        "glovebox_logins_rate_limited_total",
        "Logins refused by the rate limit.",
        Counters::get(&counters.logins_limited),
    );
    let _ = writeln!(
        s,
        "# HELP glovebox_uptime_seconds Seconds since the server started.\n\
         # TYPE glovebox_uptime_seconds gauge\nglovebox_uptime_seconds {}",
        uptime.as_secs()
    );
    let _ = writeln!(
        s,
        "# HELP glovebox_query_duration_seconds Storage query latency.\n\
         # TYPE glovebox_query_duration_seconds summary"
    );
    for (name, q) in queries.snapshot() {
        for (quantile, v) in [("0.5", q.p50_ms), ("0.95", q.p95_ms), ("0.99", q.p99_ms)] {
            let _ = writeln!(
                s,
                "glovebox_query_duration_seconds{{query=\"{name}\",quantile=\"{quantile}\"}} {}",
                v / 1000.0
            );
        }
        let _ = writeln!(
            s,
            "glovebox_query_duration_seconds_sum{{query=\"{name}\"}} {}\n\
             glovebox_query_duration_seconds_count{{query=\"{name}\"}} {}",
            q.mean_ms * q.count as f64 / 1000.0,
            q.count
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_reflect_recorded_durations() {
        let q = QueryStats::default();
        for ms in [1, 2, 3, 4, 100] {
            q.record("rows.pull", Duration::from_millis(ms));
        }
        let s = &q.snapshot()["rows.pull"];
        assert_eq!(s.count, 5);
        assert!((s.p50_ms - 3.0).abs() < 0.01, "{s:?}");
        assert!((s.max_ms - 100.0).abs() < 0.1, "{s:?}");
        let text = prometheus(&Counters::default(), &q, Duration::from_secs(3));
        assert!(text.contains("glovebox_query_duration_seconds_count{query=\"rows.pull\"} 5"));
        assert!(text.contains("glovebox_uptime_seconds 3"));
    }
}
