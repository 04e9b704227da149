//! Reports: the vehicle dashboard, the fuel-efficiency report and the garage overview,
//! served through an invalidating cache and timed by the performance tracker.
//!
//! `Reports::dashboard` & co. go through the cache and return `Arc`s (a hit is a pointer
//! clone); `compute_*` always read the database, and are what the tests compare against.

pub mod cache;
pub mod dashboard;
pub mod fuel_report;
pub(crate) mod headline;
pub mod history;
pub mod overview;
mod overview_log;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Weak};
use std::thread::JoinHandle;

use chrono::NaiveDateTime;
use rusqlite::Connection;

pub use cache::{CacheConfig, ReportCache, ReportKind};
pub use dashboard::{CategoryCost, CostBreakdown, Dashboard, EconomyFigure, MonthDistance};
pub use fuel_report::{FuelMonth, FuelReport, FuelRow, PricePoint};
pub use history::FuelHistory;
pub use overview::{GarageOverview, VehicleHeadline};

use crate::error::{Error, Result};
use crate::events::{ChangeEvent, RecordKind};
use crate::garage::Garage;
use crate::perf::{CacheStats, Health, Tracker};
use crate::store::{self, Store};
use crate::time;
use cache::{Params, Stale, Value};
use overview_log::{OverviewLog, Plan};

pub struct Reports {
    garage: Arc<Garage>,
    cache: Arc<ReportCache>,
    tracker: Arc<Tracker>,
    /// Stale entries to recompute ahead of the next read (the refresher thread's queue).
    refresh: Sender<Vec<Stale>>,
    /// The last overview built and the changes since, so a refresh patches the lines
    /// that changed instead of rebuilding a thousand.
    overview_log: OverviewLog,
}

impl std::fmt::Debug for Reports {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reports")
            .field("garage", &self.garage)
            .field("cache", &self.cache)
            .finish()
    }
}

/// Runs `f` on one read snapshot, so every query of a report sees the same commit.
fn snapshot<T>(
    store: &Store,
    name: &'static str,
    f: impl FnOnce(&Connection) -> Result<T>,
) -> Result<T> {
    store.read(name, |conn| {
        let tx = conn.unchecked_transaction()?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    })
}

/// The background refresher: recomputes the entries a change made stale, overview first,
/// until the reports are dropped.
fn refresher(reports: Weak<Reports>, jobs: Receiver<Vec<Stale>>) {
    cache::mark_refresher_thread();
    while let Ok(first) = jobs.recv() {
        let mut stale = first;
        // Changes that came in meanwhile: one refresh serves them all.
        while let Ok(more) = jobs.try_recv() {
            stale.extend(more);
        }
        let Some(reports) = reports.upgrade() else {
            break;
        };
        if reports.garage.stats_deferred() {
            if let Err(e) = reports.garage.refresh_stats() {
                tracing::warn!(error = %e, "recomputing overview stats failed");
            }
        }
        let mut seen = std::collections::HashSet::new();
        for s in stale.iter().filter(|s| seen.insert((*s).clone())) {
            if let Err(e) = reports.refresh_one(s) {
                // A deleted vehicle's reports, say: the next read reports the error.
                tracing::debug!(error = %e, "refreshing a report ahead of its read failed");
            }
            reports.cache.unmark_pending(s);
        }
    }
}

impl Reports {
    /// Reports over `garage` with a new tracker, installed as the store's query observer.
    pub fn new(garage: Arc<Garage>, config: CacheConfig) -> Arc<Reports> {
        Reports::with_tracker(garage, config, Arc::new(Tracker::new()))
    }

    /// What the app does at start-up: reports over `garage`, with the overview and every
    /// dashboard warming on a background thread (the first screen is then a cache hit).
    pub fn start(garage: Arc<Garage>, config: CacheConfig) -> std::io::Result<Arc<Reports>> {
        let reports = Reports::new(garage, config);
        // Detached: warming failing only means the first views compute on demand.
        drop(reports.spawn_warm()?);
        Ok(reports)
    }

    /// Subscribes the cache to the garage's change events (the only invalidation path
    /// besides [`Reports::invalidate_after_sync`]) and starts the thread that refreshes
    /// what a change made stale.
    pub fn with_tracker(
        garage: Arc<Garage>,
        config: CacheConfig,
        tracker: Arc<Tracker>,
    ) -> Arc<Reports> {
        garage.set_query_observer(tracker.clone());
        let (tx, rx) = mpsc::channel();
        let reports = Arc::new_cyclic(|weak: &Weak<Reports>| {
            // Weak: the garage outliving these reports must not keep them alive.
            let on_change = weak.clone();
            garage.subscribe(move |event| {
                if let Some(r) = on_change.upgrade() {
                    r.on_change(event);
                }
            });
            let weak = weak.clone();
            let spawned = std::thread::Builder::new()
                .name("glovebox-report-refresh".into())
                .spawn(move || refresher(weak, rx));
            if let Err(e) = spawned {
                // Reports stay correct without it: stale entries are recomputed on read.
                tracing::warn!(error = %e, "could not start the report refresher");
            }
            Reports {
                garage,
                cache: Arc::new(ReportCache::new(config)),
                tracker,
                refresh: tx,
                overview_log: OverviewLog::default(),
            }
        });
        reports
    }

    fn on_change(&self, event: &ChangeEvent) {
        // Noted before the cache's generations move, so a build for the new key sees it.
        let records_only = event.kind != RecordKind::Vehicle;
        self.overview_log
            .note(records_only.then_some(event.vehicle_id.as_str()));
        let stale = self.cache.invalidate_vehicle(&event.vehicle_id);
        if stale.is_empty() && !self.garage.stats_deferred() {
            return;
        }
        self.cache.mark_pending(&stale);
        let sent = self.refresh.send(stale.clone());
        if sent.is_err() {
            // No refresher: readers must not wait for it.
            stale.iter().for_each(|s| self.cache.unmark_pending(s));
        }
    }

    /// Recomputes one stale entry under its current key (a no-op when a reader already did).
    fn refresh_one(&self, s: &Stale) -> Result<()> {
        match (&s.vehicle, &s.params) {
            (None, Params::Overview) => self.garage_overview().map(drop),
            (Some(v), Params::Dashboard) => self.dashboard(v).map(drop),
            (Some(v), Params::Fuel { from, to }) => self
                .fuel_report(v, time::from_sql(*from), time::from_sql(*to))
                .map(drop),
            _ => Ok(()),
        }
    }

    pub fn garage(&self) -> &Arc<Garage> {
        &self.garage
    }

    pub fn tracker(&self) -> &Arc<Tracker> {
        &self.tracker
    }

    pub fn cache(&self) -> &ReportCache {
        &self.cache
    }

    // ----- cached -------------------------------------------------------------------

    pub fn dashboard(&self, vehicle_id: &str) -> Result<Arc<Dashboard>> {
        let v = self
            .cache
            .get_or_compute(Some(vehicle_id), Params::Dashboard, || {
                let history = self.history(vehicle_id)?;
                Ok(Value::Dashboard(Arc::new(
                    self.dashboard_from(vehicle_id, &history)?,
                )))
            })?;
        match v {
            Value::Dashboard(d) => Ok(d),
            _ => Err(Error::Corrupt("report cache returned another kind".into())),
        }
    }

    /// Fuel report over `[from, to)`.
    pub fn fuel_report(
        &self,
        vehicle_id: &str,
        from: NaiveDateTime,
        to: NaiveDateTime,
    ) -> Result<Arc<FuelReport>> {
        let params = Params::Fuel {
            from: time::to_sql(from),
            to: time::to_sql(to),
        };
        let v = self.cache.get_or_compute(Some(vehicle_id), params, || {
            let history = self.history(vehicle_id)?;
            let v = self.garage.vehicle(vehicle_id)?;
            Ok(Value::Fuel(Arc::new(fuel_report::compute(
                &v, &history, from, to,
            ))))
        })?;
        match v {
            Value::Fuel(r) => Ok(r),
            _ => Err(Error::Corrupt("report cache returned another kind".into())),
        }
    }

    /// A vehicle's fill-ups and their economy run, shared by its dashboard and fuel
    /// reports.
    pub fn history(&self, vehicle_id: &str) -> Result<Arc<FuelHistory>> {
        let v = self
            .cache
            .get_or_compute(Some(vehicle_id), Params::History, || {
                Ok(Value::History(Arc::new(self.compute_history(vehicle_id)?)))
            })?;
        match v {
            Value::History(h) => Ok(h),
            _ => Err(Error::Corrupt("report cache returned another kind".into())),
        }
    }

    /// The overview: one line per non-archived vehicle, set-based from the stored
    /// per-vehicle stats (see `headline`).
    pub fn garage_overview(&self) -> Result<Arc<GarageOverview>> {
        let v = self.cache.get_or_compute(None, Params::Overview, || {
            Ok(Value::Overview(self.build_garage_overview()?))
        })?;
        match v {
            Value::Overview(o) => Ok(o),
            _ => Err(Error::Corrupt("report cache returned another kind".into())),
        }
    }

    // ----- uncached -----------------------------------------------------------------

    fn dashboard_from(&self, vehicle_id: &str, history: &FuelHistory) -> Result<Dashboard> {
        let store = self.garage.store();
        let now = self.garage.now();
        snapshot(store, "report.dashboard", |conn| {
            let v = store::vehicles::get(conn, vehicle_id)?;
            dashboard::compute(store, conn, &v, now, history)
        })
    }

    pub fn compute_history(&self, vehicle_id: &str) -> Result<FuelHistory> {
        let store = self.garage.store();
        snapshot(store, "report.fuel_history", |conn| {
            let v = store::vehicles::get(conn, vehicle_id)?;
            FuelHistory::read(store, conn, &v)
        })
    }

    pub fn compute_dashboard(&self, vehicle_id: &str) -> Result<Dashboard> {
        let store = self.garage.store();
        let now = self.garage.now();
        snapshot(store, "report.dashboard", |conn| {
            let v = store::vehicles::get(conn, vehicle_id)?;
            let history = FuelHistory::read(store, conn, &v)?;
            dashboard::compute(store, conn, &v, now, &history)
        })
    }

    pub fn compute_fuel_report(
        &self,
        vehicle_id: &str,
        from: NaiveDateTime,
        to: NaiveDateTime,
    ) -> Result<FuelReport> {
        let store = self.garage.store();
        snapshot(store, "report.fuel_report", |conn| {
            let v = store::vehicles::get(conn, vehicle_id)?;
            let history = FuelHistory::read(store, conn, &v)?;
            Ok(fuel_report::compute(&v, &history, from, to))
        })
    }

    /// What [`Reports::garage_overview`] caches: the last overview built with the lines of
    /// the vehicles whose records changed since figured again, or a rebuild (the first
    /// time, after a vehicle itself changed, a sync, many changes, or a minute).
    fn build_garage_overview(&self) -> Result<Arc<GarageOverview>> {
        let plan = self.overview_log.plan(self.garage.now());
        let upto = plan.upto();
        let patched = match plan {
            Plan::Patch { base, vehicles, .. } => {
                let store = self.garage.store();
                self.tracker.time("report.garage_overview_patch", || {
                    snapshot(store, "report.overview_patch", |conn| {
                        headline::patch(store, conn, &base, &vehicles)
                    })
                })?
            }
            Plan::Rebuild { .. } => None,
        };
        let overview = Arc::new(match patched {
            Some(o) => o,
            None => self.compute_garage_overview()?,
        });
        self.overview_log.built(upto, overview.clone());
        Ok(overview)
    }

    /// The overview computed afresh, set-based (what [`Reports::garage_overview`] caches).
    pub fn compute_garage_overview(&self) -> Result<GarageOverview> {
        let store = self.garage.store();
        let now = self.garage.now();
        self.tracker.time("report.garage_overview", || {
            snapshot(store, "report.overview", |conn| {
                headline::overview(store, conn, now)
            })
        })
    }

    /// The overview built from every vehicle's dashboard computed afresh: the reference the
    /// set-based overview must equal exactly (and the old way of building it).
    pub fn compute_overview_from_dashboards(&self) -> Result<GarageOverview> {
        let now = self.garage.now();
        let vehicles = self.garage.vehicles(false)?;
        overview::compute(now, &vehicles, |v| {
            self.compute_dashboard(&v.id).map(Arc::new)
        })
    }

    // ----- invalidation, warming, health --------------------------------------------

    /// For the sync engine, after it applied remote rows: the named vehicles' reports and
    /// the overview (or everything, with `None`) are recomputed on next use.
    pub fn invalidate_after_sync(&self, vehicles: Option<&[String]>) {
        // Which rows changed is not known here (a vehicle's own row among them?): the
        // overview is rebuilt.
        self.overview_log.note(None);
        self.cache.invalidate_after_sync(vehicles);
    }

    /// Computes the overview and every non-archived vehicle's dashboard (what the app
    /// shows first), after bringing any missing overview stats up to date.
    pub fn warm(&self) -> Result<()> {
        self.garage.refresh_stats()?;
        let overview = self.garage_overview()?;
        for line in &overview.vehicles {
            self.dashboard(&line.vehicle_id)?;
        }
        Ok(())
    }

    /// [`Reports::warm`] on a background thread, so start-up does not wait for it.
    pub fn spawn_warm(self: &Arc<Self>) -> std::io::Result<JoinHandle<Result<()>>> {
        let me = self.clone();
        std::thread::Builder::new()
            .name("glovebox-report-warm".into())
            .spawn(move || {
                let out = me.warm();
                if let Err(e) = &out {
                    tracing::warn!(error = %e, "warming the report cache failed");
                }
                out
            })
    }

    pub fn cache_stats(&self) -> CacheStats {
        self.cache.stats()
    }

    pub fn health(&self) -> Health {
        self.tracker.health(self.cache.stats())
    }
}
