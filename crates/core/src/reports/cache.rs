//! The report cache: a bounded moka cache in front of every report, invalidated by the
//! Garage's change events (and by the sync engine after it applied remote rows).
//!
//! Freshness does not rest on removing entries in time. Every key carries the generation of
//! what it depends on: a per-vehicle counter for a vehicle's reports, a garage counter for
//! the overview, and a global epoch for "invalidate everything". A change bumps the
//! counter *before* removing the old entries, and readers build their key from the current
//! counter. So a computation that started before a change (and may have read the old rows)
//! finishes into a key nobody asks for any more — it is never served as fresh — and a reader
//! arriving after the change can never join that old computation, because moka coalesces
//! concurrent misses per key and the keys differ. Removing the old entries is then only
//! about memory and honest statistics; an entry that slips past removal (inserted after
//! it) is removed by the computing thread itself, or ages out by TTL and size.

use std::cell::Cell;
use std::collections::{HashMap, HashSet};
use std::hash::Hash;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::{Relaxed, SeqCst};
use std::sync::{Arc, Condvar, Mutex, RwLock};
use std::time::Duration;

use moka::notification::RemovalCause;
use moka::sync::Cache;
use serde::{Deserialize, Serialize};

use super::dashboard::Dashboard;
use super::fuel_report::FuelReport;
use super::history::FuelHistory;
use super::overview::GarageOverview;
use crate::error::{Error, Result};
use crate::perf::{CacheKindStats, CacheStats, FastHash};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    Dashboard,
    FuelReport,
    GarageOverview,
    /// A vehicle's fill-ups with one economy run: shared by its dashboard and fuel reports.
    FuelHistory,
}

const KINDS: usize = 4;

impl ReportKind {
    pub const ALL: [ReportKind; KINDS] = [
        ReportKind::Dashboard,
        ReportKind::FuelReport,
        ReportKind::GarageOverview,
        ReportKind::FuelHistory,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ReportKind::Dashboard => "dashboard",
            ReportKind::FuelReport => "fuel_report",
            ReportKind::GarageOverview => "garage_overview",
            ReportKind::FuelHistory => "fuel_history",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// What a report depends on, beyond its generation.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Params {
    Dashboard,
    /// `[from, to)` as stored-time seconds.
    Fuel {
        from: i64,
        to: i64,
    },
    Overview,
    History,
}

impl Params {
    fn kind(&self) -> ReportKind {
        match self {
            Params::Dashboard => ReportKind::Dashboard,
            Params::Fuel { .. } => ReportKind::FuelReport,
            Params::Overview => ReportKind::GarageOverview,
            Params::History => ReportKind::FuelHistory,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key {
    /// The vehicle's slot number (ids are interned once, so a lookup hashes and compares
    /// integers, not 36-character ids); `None` for the garage-wide overview.
    vehicle: Option<u32>,
    epoch: u64,
    generation: u64,
    params: Params,
}

#[derive(Debug, Clone)]
pub enum Value {
    Dashboard(Arc<Dashboard>),
    Fuel(Arc<FuelReport>),
    Overview(Arc<GarageOverview>),
    History(Arc<FuelHistory>),
}

/// A stale entry to recompute under its new key: the vehicle (`None`: the overview) and
/// what the report depends on.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Stale {
    pub vehicle: Option<Arc<str>>,
    pub params: Params,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheConfig {
    /// Safety net only: changes invalidate entries, the TTL bounds the damage of a change
    /// made outside Glovebox (or a day rollover changing "this year" and urgency).
    pub ttl: Duration,
    /// Most entries kept (a dashboard, a fuel report or the overview each count one).
    pub capacity: u64,
}

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig {
            ttl: Duration::from_secs(5 * 60),
            capacity: 10_000,
        }
    }
}

/// A vehicle's interned number and current generation.
#[derive(Debug, Clone, Copy)]
struct Slot {
    index: u32,
    generation: u64,
}

#[derive(Default)]
struct KindCounters {
    hits: AtomicU64,
    misses: AtomicU64,
    refreshes: AtomicU64,
    invalidations: AtomicU64,
    evictions: AtomicU64,
}

thread_local! {
    /// Set on the thread that refreshes stale entries: its computations are refreshes,
    /// and it never waits for a pending key (it is the one that resolves them).
    static REFRESHING: Cell<bool> = const { Cell::new(false) };
}

/// Marks the current thread as the background refresher.
pub(crate) fn mark_refresher_thread() {
    REFRESHING.with(|r| r.set(true));
}

/// Longest a reader waits for a pending refresh before computing the report itself.
const PENDING_WAIT: Duration = Duration::from_secs(2);

pub struct ReportCache {
    cache: Cache<Key, Value, FastHash>,
    config: CacheConfig,
    epoch: AtomicU64,
    garage_generation: AtomicU64,
    /// Read on every lookup, written once per change: a read-mostly lock fits.
    generations: RwLock<HashMap<Arc<str>, Slot, FastHash>>,
    /// The keys inserted per vehicle (`None`: the overview), so a change removes exactly
    /// that vehicle's entries without scanning the cache.
    /// A set, so an entry re-inserted after its TTL expired is not listed twice.
    keys: Mutex<HashMap<Option<u32>, HashSet<Key>>>,
    counters: Arc<[KindCounters; KINDS]>,
    waits: AtomicU64,
    /// Keys a background refresh will fill; readers wait for them (see the module docs).
    pending: Mutex<HashSet<Key>>,
    pending_done: Condvar,
}

impl std::fmt::Debug for ReportCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReportCache")
            .field("config", &self.config)
            .field("entries", &self.cache.entry_count())
            .finish()
    }
}

impl ReportCache {
    pub fn new(config: CacheConfig) -> ReportCache {
        let counters: Arc<[KindCounters; KINDS]> = Arc::new(Default::default());
        let listener_counters = counters.clone();
        let cache = Cache::builder()
            .max_capacity(config.capacity)
            .time_to_live(config.ttl)
            .eviction_listener(move |key: Arc<Key>, _value: Value, cause| {
                let c = &listener_counters[key.params.kind().index()];
                match cause {
                    RemovalCause::Explicit => c.invalidations.fetch_add(1, Relaxed),
                    RemovalCause::Expired | RemovalCause::Size => c.evictions.fetch_add(1, Relaxed),
                    RemovalCause::Replaced => 0,
                };
            })
            .build_with_hasher(FastHash::default());
        ReportCache {
            cache,
            config,
            epoch: AtomicU64::new(0),
            garage_generation: AtomicU64::new(0),
            generations: RwLock::new(HashMap::default()),
            keys: Mutex::new(HashMap::new()),
            counters,
            waits: AtomicU64::new(0),
            pending: Mutex::new(HashSet::new()),
            pending_done: Condvar::new(),
        }
    }

    pub fn config(&self) -> CacheConfig {
        self.config
    }

    /// The key a lookup for `vehicle` (or the garage) with `params` uses right now.
    fn key(&self, vehicle: Option<&str>, params: Params) -> Key {
        let epoch = self.epoch.load(SeqCst);
        match vehicle {
            None => Key {
                vehicle: None,
                epoch,
                generation: self.garage_generation.load(SeqCst),
                params,
            },
            Some(id) => {
                let slot = self.slot(id, false);
                Key {
                    vehicle: Some(slot.index),
                    epoch,
                    generation: slot.generation,
                    params,
                }
            }
        }
    }

    /// The vehicle's slot, created on first sight; `bump` advances its generation.
    fn slot(&self, id: &str, bump: bool) -> Slot {
        if !bump {
            if let Some(slot) = read(&self.generations).get(id) {
                return *slot;
            }
        }
        let mut map = write(&self.generations);
        let next = map.len() as u32;
        let slot = map.entry(Arc::from(id)).or_insert(Slot {
            index: next,
            generation: 0,
        });
        if bump {
            slot.generation += 1;
        }
        *slot
    }

    /// The cached value for (`vehicle`, `params`), computing it on a miss. Concurrent misses
    /// on one key run `compute` once; the others wait for it. A key a background refresh is
    /// about to fill is waited for, not computed again.
    pub fn get_or_compute(
        &self,
        vehicle: Option<&str>,
        params: Params,
        compute: impl FnOnce() -> Result<Value>,
    ) -> Result<Value> {
        let kind = params.kind();
        let counters = &self.counters[kind.index()];
        let key = self.key(vehicle, params);
        if let Some(v) = self.cache.get(&key) {
            counters.hits.fetch_add(1, Relaxed);
            return Ok(v);
        }
        let refreshing = REFRESHING.with(Cell::get);
        if !refreshing && self.wait_pending(&key) {
            if let Some(v) = self.cache.get(&key) {
                counters.hits.fetch_add(1, Relaxed);
                return Ok(v);
            }
        }
        let entry = self
            .cache
            .entry(key.clone())
            .or_try_insert_with(compute)
            .map_err(unshare_error)?;
        if !entry.is_fresh() {
            // Another thread computed it while we waited: no work done here.
            counters.hits.fetch_add(1, Relaxed);
            return Ok(entry.into_value());
        }
        if refreshing {
            counters.refreshes.fetch_add(1, Relaxed);
        } else {
            counters.misses.fetch_add(1, Relaxed);
        }
        lock(&self.keys)
            .entry(key.vehicle)
            .or_default()
            .insert(key.clone());
        // A change may have happened while we computed: our key is then already
        // unreachable; remove the entry now rather than let it sit until TTL.
        if self.key(vehicle, key.params.clone()) != key {
            self.cache.invalidate(&key);
        }
        Ok(entry.into_value())
    }

    /// Waits (bounded) while `key` is pending; true if it was.
    fn wait_pending(&self, key: &Key) -> bool {
        let pending = lock(&self.pending);
        if !pending.contains(key) {
            return false;
        }
        self.waits.fetch_add(1, Relaxed);
        let (_pending, _) = self
            .pending_done
            .wait_timeout_while(pending, PENDING_WAIT, |p| p.contains(key))
            .unwrap_or_else(|e| e.into_inner());
        true
    }

    /// Marks the current keys of `stale` pending: a background refresh will fill them.
    pub(crate) fn mark_pending(&self, stale: &[Stale]) {
        let keys: Vec<Key> = stale
            .iter()
            .map(|s| self.key(s.vehicle.as_deref(), s.params.clone()))
            .collect();
        lock(&self.pending).extend(keys);
    }

    /// The refresh of `stale` is done (or given up): readers stop waiting for it.
    pub(crate) fn unmark_pending(&self, stale: &Stale) {
        let key = self.key(stale.vehicle.as_deref(), stale.params.clone());
        let mut pending = lock(&self.pending);
        // A newer change may have made other keys pending for the same report; only
        // this generation's is resolved here, and any older ones for good measure.
        pending.retain(|k| {
            !(k.vehicle == key.vehicle && k.params == key.params && k.generation <= key.generation)
        });
        drop(pending);
        self.pending_done.notify_all();
    }

    /// Lookups that waited for a background refresh in flight (served by it, or by their
    /// own computation if it did not land within a bound).
    pub fn waits(&self) -> u64 {
        self.waits.load(Relaxed)
    }

    /// Computations done by the background refresher so far.
    pub fn refreshes(&self) -> u64 {
        self.counters
            .iter()
            .map(|c| c.refreshes.load(Relaxed))
            .sum()
    }

    /// A change to `vehicle_id`: its reports and the overview become stale. Returns what
    /// was cached for them (the reports worth refreshing ahead of the next read), the
    /// overview first.
    ///
    /// Order matters: the vehicle's generation is bumped before the garage's, so a reader
    /// that sees the new garage generation also sees the new vehicle generation, and an
    /// overview built under the new garage key never reuses the vehicle's old dashboard.
    pub fn invalidate_vehicle(&self, vehicle_id: &str) -> Vec<Stale> {
        let slot = self.slot(vehicle_id, true);
        self.garage_generation.fetch_add(1, SeqCst);
        let (own, garage): (Vec<Key>, Vec<Key>) = {
            let mut keys = lock(&self.keys);
            (
                keys.remove(&Some(slot.index))
                    .unwrap_or_default()
                    .into_iter()
                    .collect(),
                keys.remove(&None).unwrap_or_default().into_iter().collect(),
            )
        };
        let vehicle: Arc<str> = Arc::from(vehicle_id);
        let mut stale = Vec::new();
        for k in garage.iter().chain(&own) {
            self.cache.invalidate(k);
            let s = Stale {
                vehicle: k.vehicle.map(|_| vehicle.clone()),
                params: k.params.clone(),
            };
            // The history is rebuilt by the dashboard's or a fuel report's refresh.
            if s.params != Params::History && !stale.contains(&s) {
                stale.push(s);
            }
        }
        stale
    }

    /// After a sync applied remote rows: the named vehicles' reports (and the overview),
    /// or everything when `vehicles` is `None`.
    pub fn invalidate_after_sync(&self, vehicles: Option<&[String]>) {
        match vehicles {
            Some(ids) => ids.iter().for_each(|id| {
                self.invalidate_vehicle(id);
            }),
            None => {
                self.epoch.fetch_add(1, SeqCst);
                lock(&self.keys).clear();
                self.cache.invalidate_all();
            }
        }
    }

    /// Misses so far over every kind: a cheap counter read (no maintenance, unlike
    /// [`ReportCache::stats`]), for callers that track misses per request.
    pub fn misses(&self) -> u64 {
        self.counters.iter().map(|c| c.misses.load(Relaxed)).sum()
    }

    pub fn stats(&self) -> CacheStats {
        // Let moka deliver pending removals (and their listener calls) first.
        self.cache.run_pending_tasks();
        let mut entries = [0u64; KINDS];
        for (k, _) in self.cache.iter() {
            entries[k.params.kind().index()] += 1;
        }
        let mut total = CacheKindStats::new("all", 0, 0);
        let mut kinds = Vec::with_capacity(KINDS);
        for kind in ReportKind::ALL {
            let c = &self.counters[kind.index()];
            let mut s =
                CacheKindStats::new(kind.name(), c.hits.load(Relaxed), c.misses.load(Relaxed));
            s.entries = entries[kind.index()];
            s.invalidations = c.invalidations.load(Relaxed);
            s.evictions = c.evictions.load(Relaxed);
            total.hits += s.hits;
            total.misses += s.misses;
            total.entries += s.entries;
            total.invalidations += s.invalidations;
            total.evictions += s.evictions;
            kinds.push(s);
        }
        let mut total_with_rate = CacheKindStats::new("all", total.hits, total.misses);
        total_with_rate.entries = total.entries;
        total_with_rate.invalidations = total.invalidations;
        total_with_rate.evictions = total.evictions;
        CacheStats {
            capacity: self.config.capacity,
            ttl_secs: self.config.ttl.as_secs(),
            total: total_with_rate,
            kinds,
        }
    }
}

/// moka shares one error among every waiter; hand each caller its own, keeping the code and
/// field the UI needs for the errors a report can meet.
fn unshare_error(e: Arc<Error>) -> Error {
    match Arc::try_unwrap(e) {
        Ok(e) => e,
        Err(shared) => match &*shared {
            Error::NotFound { what, id } => Error::not_found(what, id.clone()),
            Error::Validation { field, reason } => Error::validation(field.clone(), reason.clone()),
            Error::Corrupt(m) => Error::Corrupt(m.clone()),
            other => Error::Other(other.to_string()),
        },
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn read<T>(l: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(|e| e.into_inner())
}

fn write<T>(l: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(|e| e.into_inner())
}
