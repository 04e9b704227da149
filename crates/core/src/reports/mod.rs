//! Reports: the vehicle dashboard, the fuel-efficiency report and the garage overview,
//! served through an invalidating cache and timed by the performance tracker.
//!
//! `Reports::dashboard` & co. go through the cache and return `Arc`s (a hit is a pointer
//! clone); `compute_*` always read the database, and are what the tests compare against.

pub mod cache;
pub mod dashboard;
pub mod fuel_report;
pub mod overview;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::thread::JoinHandle;

use chrono::NaiveDateTime;
use rusqlite::Connection;

pub use cache::{CacheConfig, ReportCache, ReportKind};
pub use dashboard::{CategoryCost, CostBreakdown, Dashboard, EconomyFigure, MonthDistance};
pub use fuel_report::{FuelMonth, FuelReport, FuelRow, PricePoint};
pub use overview::{GarageOverview, VehicleHeadline};

use crate::error::{Error, Result};
use crate::garage::Garage;
use crate::perf::{CacheStats, Health, Tracker};
use crate::store::{self, Store};
use crate::time;

pub struct Reports {
    garage: Arc<Garage>,
    cache: Arc<ReportCache>,
    tracker: Arc<Tracker>,
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

    /// Subscribes the cache to the garage's change events: the only invalidation path
    /// besides [`Reports::invalidate_after_sync`].
    pub fn with_tracker(
        garage: Arc<Garage>,
        config: CacheConfig,
        tracker: Arc<Tracker>,
    ) -> Arc<Reports> {
        garage.set_query_observer(tracker.clone());
        let cache = Arc::new(ReportCache::new(config));
        // Weak: the garage outliving these reports must not keep their cache alive.
        let weak = Arc::downgrade(&cache);
        garage.subscribe(move |event| {
            if let Some(cache) = weak.upgrade() {
                cache.invalidate_vehicle(&event.vehicle_id);
            }
        });
        Arc::new(Reports {
            garage,
            cache,
            tracker,
        })
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
            .get_or_compute(Some(vehicle_id), cache::Params::Dashboard, || {
                Ok(cache::Value::Dashboard(Arc::new(
                    self.compute_dashboard(vehicle_id)?,
                )))
            })?;
        match v {
            cache::Value::Dashboard(d) => Ok(d),
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
        let params = cache::Params::Fuel {
            from: time::to_sql(from),
            to: time::to_sql(to),
        };
        let v = self.cache.get_or_compute(Some(vehicle_id), params, || {
            Ok(cache::Value::Fuel(Arc::new(
                self.compute_fuel_report(vehicle_id, from, to)?,
            )))
        })?;
        match v {
            cache::Value::Fuel(r) => Ok(r),
            _ => Err(Error::Corrupt("report cache returned another kind".into())),
        }
    }

    /// The overview, built from the (cached) dashboards of the non-archived vehicles.
    pub fn garage_overview(&self) -> Result<Arc<GarageOverview>> {
        let v = self
            .cache
            .get_or_compute(None, cache::Params::Overview, || {
                let now = self.garage.now();
                let overview = self.tracker.time("report.garage_overview", || {
                    let vehicles = self.garage.vehicles(false)?;
                    overview::compute(now, &vehicles, |v| self.dashboard(&v.id))
                })?;
                Ok(cache::Value::Overview(Arc::new(overview)))
            })?;
        match v {
            cache::Value::Overview(o) => Ok(o),
            _ => Err(Error::Corrupt("report cache returned another kind".into())),
        }
    }

    // ----- uncached -----------------------------------------------------------------

    pub fn compute_dashboard(&self, vehicle_id: &str) -> Result<Dashboard> {
        let store = self.garage.store();
        let now = self.garage.now();
        snapshot(store, "report.dashboard", |conn| {
            let v = store::vehicles::get(conn, vehicle_id)?;
            dashboard::compute(store, conn, &v, now)
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
            fuel_report::compute(store, conn, &v, from, to)
        })
    }

    /// The overview with every dashboard computed afresh.
    pub fn compute_garage_overview(&self) -> Result<GarageOverview> {
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
        self.cache.invalidate_after_sync(vehicles);
    }

    /// Computes the overview, and with it every non-archived vehicle's dashboard: what the
    /// app shows first.
    pub fn warm(&self) -> Result<()> {
        self.garage_overview().map(|_| ())
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
