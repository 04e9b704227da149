//! `glovebox stats`: runs every report once cold and once warm, then prints the health
//! snapshot (cache statistics and per-query timings) that the Diagnostics view shows.

use std::io::Write;
use std::path::PathBuf;

use chrono::{Duration, Months};
use glovebox_core::perf::Health;
use glovebox_core::reports::Reports;

#[derive(Debug, clap::Args)]
pub struct StatsArgs {
    /// Database file (default: $GLOVEBOX_DB or ./glovebox.db).
    #[arg(long)]
    pub db: Option<PathBuf>,
    /// Print the snapshot as JSON (what GET /api/health returns) instead of a table.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: StatsArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let path = args.db.unwrap_or_else(crate::default_db_path);
    if !path.exists() {
        anyhow::bail!("{} does not exist", path.display());
    }
    let app = crate::open_app(Some(path))?;
    let reports = app.reports().clone();
    // Twice over the same ten-year window (fixed once: a window recomputed from the clock
    // on each pass would be a different cache key whenever a second ticks over): the first
    // pass fills the cache (cold), the second is served from it (warm).
    let now = reports.garage().now();
    let window = (
        now.checked_sub_months(Months::new(120)).unwrap_or(now),
        now + Duration::days(1),
    );
    for _ in 0..2 {
        run_every_report(&reports, window)?;
    }
    let health = reports.health();
    if args.json {
        serde_json::to_writer_pretty(&mut *out, &health)?;
        writeln!(out)?;
    } else {
        print_health(&health, out)?;
    }
    Ok(())
}

fn run_every_report(
    reports: &Reports,
    (from, to): (chrono::NaiveDateTime, chrono::NaiveDateTime),
) -> anyhow::Result<()> {
    reports.garage_overview()?;
    for v in reports.garage().vehicles(false)? {
        reports.dashboard(&v.id)?;
        reports.fuel_report(&v.id, from, to)?;
    }
    Ok(())
}

pub fn print_health(h: &Health, out: &mut dyn Write) -> anyhow::Result<()> {
    writeln!(out, "uptime {} s", h.uptime_secs)?;
    let c = &h.cache;
    writeln!(
        out,
        "cache: {} entries (capacity {}, ttl {} s)",
        c.total.entries, c.capacity, c.ttl_secs
    )?;
    writeln!(
        out,
        "  {:<16} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}",
        "kind", "hits", "misses", "hit%", "entries", "invalid", "evicted"
    )?;
    for k in c.kinds.iter().chain(std::iter::once(&c.total)) {
        writeln!(
            out,
            "  {:<16} {:>8} {:>8} {:>7.1}% {:>8} {:>8} {:>8}",
            k.kind,
            k.hits,
            k.misses,
            k.hit_rate * 100.0,
            k.entries,
            k.invalidations,
            k.evictions
        )?;
    }
    writeln!(out, "queries (times in µs):")?;
    writeln!(
        out,
        "  {:<30} {:>7} {:>9} {:>8} {:>8} {:>8} {:>8} {:>5} {:>5}  rating",
        "name", "count", "mean", "p50", "p95", "p99", "max", "slow", "crit"
    )?;
    for q in &h.queries {
        writeln!(
            out,
            "  {:<30} {:>7} {:>9.1} {:>8} {:>8} {:>8} {:>8} {:>5} {:>5}  {}{}",
            q.name,
            q.count,
            q.mean_us,
            q.p50_us,
            q.p95_us,
            q.p99_us,
            q.max_us,
            q.slow,
            q.critical,
            q.rating.label(),
            if q.regression { " REGRESSED" } else { "" }
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn stats_runs_every_report_cold_then_warm_and_prints_health() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("g.db");
        let db_arg = db.to_str().unwrap();
        let mut out = Vec::new();
        crate::run(
            ["glovebox", "generate", "--size", "demo", "--db", db_arg],
            &mut out,
        )
        .unwrap();
        let mut out = Vec::new();
        crate::run(["glovebox", "stats", "--db", db_arg, "--json"], &mut out).unwrap();
        let h: glovebox_core::perf::Health = serde_json::from_slice(&out).unwrap();
        // Three vehicles: each dashboard and fuel report missed once (cold) and hit once
        // (warm); the overview's own dashboard lookups hit too.
        let kind = |k: &str| h.cache.kinds.iter().find(|s| s.kind == k).unwrap().clone();
        assert_eq!(kind("dashboard").misses, 3);
        assert_eq!(kind("fuel_report").misses, 3);
        assert_eq!(kind("fuel_report").hits, 3);
        assert_eq!(kind("garage_overview").hits, 1);
        assert!(h
            .queries
            .iter()
            .any(|q| q.name == "report.dashboard" && q.count == 3));

        let mut out = Vec::new();
        crate::run(["glovebox", "stats", "--db", db_arg], &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("report.q.fuel_fills"), "{text}");
        assert!(text.contains("hit%"), "{text}");
    }
}
