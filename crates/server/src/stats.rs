//! Query timings and request counters for /api/health and /metrics.
//!
//! Storage queries are timed by the performance tracker of glovebox-perf, the same one
//! behind the desktop Diagnostics view, so both report in one shape.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

pub use glovebox_perf::Tracker as QueryStats;

/// Counters exported at /metrics.
#[derive(Default)]
pub struct Counters {
    pub requests: AtomicU64,
    pub errors_4xx: AtomicU64,
    pub errors_5xx: AtomicU64,
    pub rows_applied: AtomicU64,
    pub rows_duplicate: AtomicU64,
    pub rows_stale: AtomicU64,
    pub rows_rejected: AtomicU64,
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
        "glovebox_rows_rejected_total",
        "Pushed rows refused for breaking a rule (per-row outcome rejected).",
        Counters::get(&counters.rows_rejected),
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
    for q in queries.queries() {
        let name = &q.name;
        for (quantile, us) in [("0.5", q.p50_us), ("0.95", q.p95_us), ("0.99", q.p99_us)] {
            let _ = writeln!(
                s,
                "glovebox_query_duration_seconds{{query=\"{name}\",quantile=\"{quantile}\"}} {}",
                us as f64 / 1e6
            );
        }
        let _ = writeln!(
            s,
            "glovebox_query_duration_seconds_sum{{query=\"{name}\"}} {}\n\
             glovebox_query_duration_seconds_count{{query=\"{name}\"}} {}",
            q.mean_us * q.count as f64 / 1e6,
            q.count
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prometheus_text_carries_counters_and_query_summaries() {
        let q = QueryStats::new();
        for ms in [1, 2, 3, 4, 100] {
            q.record("rows.pull", Duration::from_millis(ms));
        }
        let c = Counters::default();
        Counters::add(&c.rows_applied, 7);
        let text = prometheus(&c, &q, Duration::from_secs(3));
        assert!(text.contains("glovebox_query_duration_seconds_count{query=\"rows.pull\"} 5"));
        assert!(text.contains("glovebox_rows_applied_total 7"));
        assert!(text.contains("glovebox_uptime_seconds 3"));
    }
}
