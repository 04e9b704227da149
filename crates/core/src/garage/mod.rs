//! `Garage`: the one write path. Every create, update and delete — typed by a user,
//! imported from a file, or generated — passes through here: validate, write in one
//! transaction, stamp id/hlc/dirty, turn deletes into tombstones, then emit one change
//! event per (vehicle, kind) touched. Reads are here too, so callers need only this type.

mod batch;
mod complete;
mod remote;
#[cfg(test)]
mod tests;
mod write;

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use chrono::NaiveDateTime;
use glovebox_protocol::HlcClock;
use rusqlite::Connection;
use serde::{Deserialize, Serialize};

pub use batch::{BatchOptions, BatchSummary, NewRecord};
use write::Target;
pub(crate) use write::Writer;

use crate::error::Result;
use crate::events::{ChangeBus, ChangeEvent, ChangeSource, Listener, RecordKind};
use crate::fuel::{FuelInput, FuelRecord};
use crate::odometer::{OdometerInput, OdometerRecord};
use crate::reminders::{Reminder, ReminderInput};
use crate::reports::headline::{self, Change};
use crate::service::{ServiceInput, ServiceKind, ServiceRecord};
use crate::store::{self, QueryObserver, Store};
use crate::units::Distance;
use crate::vehicles::{Vehicle, VehicleInput};
use crate::{time, Page, SyncStamp};

/// Options for a single write.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct WriteOptions {
    /// The user confirmed an odometer reading the typo guard questioned.
    #[serde(default)]
    pub confirm_odometer: bool,
}

impl WriteOptions {
    pub const CONFIRMED: WriteOptions = WriteOptions {
        confirm_odometer: true,
    };
}

/// The HLC node id of this database (`sync::instance` renews it).
pub(crate) const DEVICE_ID_KEY: &str = "device_id";

/// A transaction writing more records than this for one vehicle leaves that vehicle's
/// overview stats to be recomputed after it commits (reading back a whole imported
/// history would double the import), by `Garage::refresh_stats` — run at open and by the
/// report cache's refresher right after the change event. Until then the overview computes
/// that vehicle from its records.
const DEFER_STATS_ROWS: u64 = 20_000;

pub struct Garage {
    store: Arc<Store>,
    clock: HlcClock,
    bus: ChangeBus,
    now: fn() -> NaiveDateTime,
    /// A transaction left some vehicle's overview stats for after its commit.
    stats_deferred: AtomicBool,
    /// [`DEFER_STATS_ROWS`]; smaller in tests.
    defer_stats_rows: u64,
}

impl std::fmt::Debug for Garage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Garage")
            .field("store", &self.store)
            .field("device", &self.clock.node())
            .finish()
    }
}

fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// An HLC's text form, exactly as its `Display` writes it (`{:015}-{:08x}-{node}`), without
/// the formatting machinery: a million-row import stamps a million rows.
pub(crate) fn hlc_text(h: &glovebox_protocol::Hlc) -> String {
    let mut out = String::with_capacity(25 + h.node.len());
    let mut digits = [b'0'; 20];
    let mut m = h.millis;
    let mut i = digits.len();
    while m > 0 {
        i -= 1;
        digits[i] = b'0' + (m % 10) as u8;
        m /= 10;
    }
    let width = (digits.len() - i).max(15);
    for &d in &digits[digits.len() - width..] {
        out.push(d as char);
    }
    out.push('-');
    for shift in (0..8).rev() {
        let nibble = (h.counter >> (shift * 4)) & 0xf;
        out.push(char::from_digit(nibble, 16).unwrap_or('0'));
    }
    out.push('-');
    out.push_str(&h.node);
    out
}

impl Garage {
    /// Opens (or creates) the garage database at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Garage> {
        let store = Arc::new(Store::open(path)?);
        // Before the clock exists: a restored or copied database takes a new node id.
        crate::sync::at_open(&store)?;
        let device_id = match store.meta_get(DEVICE_ID_KEY)? {
            Some(id) => id,
            None => {
                let id = uuid::Uuid::new_v4().simple().to_string();
                store.meta_set(DEVICE_ID_KEY, &id)?;
                id
            }
        };
        let clock = HlcClock::new(device_id);
        store.read("hlc.seed", |c| crate::sync::clock::seed(c, &clock))?;
        let garage = Garage {
            store,
            clock,
            bus: ChangeBus::default(),
            now: time::now_local,
            stats_deferred: AtomicBool::new(false),
            defer_stats_rows: DEFER_STATS_ROWS,
        };
        crate::sync::after_open(&garage)?;
        // After an upgrade (or a bulk write that was interrupted before its stats were
        // recomputed): one pass now, so the overview never has to compute them on a read.
        let missing = garage.store.read("stats.missing", store::stats::missing)?;
        if !missing.is_empty() {
            tracing::info!(vehicles = missing.len(), "computing overview stats");
            garage.refresh_stats()?;
        }
        Ok(garage)
    }

    /// Computes the overview stats of every live vehicle that has none (a bulk write left
    /// them for after its commit, or the database is older). Returns how many.
    pub fn refresh_stats(&self) -> Result<usize> {
        self.stats_deferred.store(false, Ordering::SeqCst);
        let now = self.now();
        self.store
            .write("stats.refresh", |tx| headline::refresh_missing(tx, now))
    }

    /// Whether a write left overview stats to [`Garage::refresh_stats`].
    pub fn stats_deferred(&self) -> bool {
        self.stats_deferred.load(Ordering::SeqCst)
    }

    /// Replaces the wall clock the HLC follows (millis since the Unix epoch), keeping the
    /// node id and everything issued so far; for tests of devices whose clock is off.
    pub fn with_wall_clock(mut self, wall: fn() -> u64) -> Self {
        let clock = HlcClock::with_wall_clock(self.clock.node(), wall);
        let (millis, counter) = self.clock.last();
        clock.seed(&glovebox_protocol::Hlc::new(millis, counter, "0"));
        self.clock = clock;
        self
    }

    /// Replaces the wall clock used for "today" (date validation, reminders); for tests.
    pub fn with_now(mut self, now: fn() -> NaiveDateTime) -> Self {
        self.now = now;
        self
    }

    /// Defers overview stats for transactions writing more than `rows` records of one
    /// vehicle (instead of [`DEFER_STATS_ROWS`]), so tests reach that path with few rows.
    #[cfg(test)]
    pub(crate) fn with_defer_stats_rows(mut self, rows: u64) -> Self {
        self.defer_stats_rows = rows;
        self
    }

    pub fn now(&self) -> NaiveDateTime {
        (self.now)()
    }

    /// The database, for the crate's own modules; shells and tests use `Garage`'s methods
    /// (and tests the `testing` module).
    pub(crate) fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        self.store.path()
    }

    pub fn device_id(&self) -> String {
        self.clock.node()
    }

    pub fn clock(&self) -> &HlcClock {
        &self.clock
    }

    /// Receives the duration of every named statement (the report tracker installs one).
    pub fn set_query_observer(&self, observer: Arc<dyn QueryObserver>) {
        self.store.set_observer(observer);
    }

    /// A local, unsynced setting of this installation (UI state, notification levels).
    pub fn local_setting(&self, key: &str) -> Result<Option<String>> {
        self.store.meta_get(key)
    }

    pub fn set_local_setting(&self, key: &str, value: &str) -> Result<()> {
        self.store.meta_set(key, value)
    }

    /// Subscribes to change events (called after each commit, on the writing thread).
    pub fn subscribe(&self, listener: impl Fn(&ChangeEvent) + Send + Sync + 'static) {
        let l: Listener = Arc::new(listener);
        self.bus.subscribe(l);
    }

    /// Emits events for writes that were committed outside the typed API (sync apply).
    pub fn emit(&self, event: &ChangeEvent) {
        self.bus.emit(event);
    }

    fn stamp(&self, source: ChangeSource) -> SyncStamp {
        SyncStamp {
            hlc: hlc_text(&self.clock.tick()),
            dirty: source != ChangeSource::Sync,
            updated_at: time::now_millis(),
        }
    }

    /// Runs one named write transaction through the write routine ([`Writer`]) and emits
    /// one event per (vehicle, kind) it touched, after the commit.
    pub(crate) fn transaction<T>(
        &self,
        name: &'static str,
        source: ChangeSource,
        f: impl FnOnce(&mut Writer<'_>) -> Result<T>,
    ) -> Result<T> {
        let (out, touched) = self.store.write(name, |tx| {
            // Stamps of this transaction go above everything the database holds, whoever
            // wrote it (another process, a peer whose clock runs ahead): sync::clock.
            let mark = crate::sync::clock::seed(tx, &self.clock)?;
            let mut w = Writer::new(self, tx, source);
            let out = f(&mut w)?;
            w.flush()?;
            crate::sync::clock::raise(tx, &self.clock, mark)?;
            let mut touched = std::mem::take(&mut w.touched);
            for (vehicle_id, change, rows) in touched.stats_changes() {
                let defer = rows > self.defer_stats_rows;
                headline::refresh(tx, &vehicle_id, change, w.now(), defer)?;
                if defer {
                    self.stats_deferred.store(true, Ordering::SeqCst);
                }
            }
            Ok((out, touched))
        })?;
        for (vehicle_id, kind) in touched.pairs {
            self.bus.emit(&ChangeEvent {
                vehicle_id,
                kind,
                source,
            });
        }
        Ok(out)
    }

    // ----- vehicles -------------------------------------------------------------------

    pub fn create_vehicle(&self, input: &VehicleInput) -> Result<Vehicle> {
        self.transaction("vehicle.create", ChangeSource::Local, |w| {
            w.put_vehicle(Target::New(None), input)
        })
    }

    pub fn update_vehicle(&self, id: &str, input: &VehicleInput) -> Result<Vehicle> {
        self.transaction("vehicle.update", ChangeSource::Local, |w| {
            w.put_vehicle(Target::Existing(id), input)
        })
    }

    pub fn set_vehicle_archived(&self, id: &str, archived: bool) -> Result<Vehicle> {
        self.transaction("vehicle.archive", ChangeSource::Local, |w| {
            w.set_archived(id, archived)
        })
    }

    /// Deletes a vehicle and every record of it (as tombstones, so the delete syncs).
    pub fn delete_vehicle(&self, id: &str) -> Result<()> {
        self.delete(RecordKind::Vehicle, id)
    }

    pub fn vehicle(&self, id: &str) -> Result<Vehicle> {
        self.store
            .read("vehicle.get", |c| store::vehicles::get(c, id))
    }

    pub fn vehicles(&self, include_archived: bool) -> Result<Vec<Vehicle>> {
        self.store.read("vehicle.list", |c| {
            store::vehicles::list(c, include_archived)
        })
    }

    // ----- records --------------------------------------------------------------------

    fn create<I: write::RecordInput>(
        &self,
        name: &'static str,
        input: &I,
        opts: WriteOptions,
    ) -> Result<I::Record> {
        self.transaction(name, ChangeSource::Local, |w| {
            w.put(Target::New(None), input, !opts.confirm_odometer)
        })
    }

    fn edit<I: write::RecordInput>(
        &self,
        name: &'static str,
        id: &str,
        input: &I,
        opts: WriteOptions,
    ) -> Result<I::Record> {
        self.transaction(name, ChangeSource::Local, |w| {
            w.put(Target::Existing(id), input, !opts.confirm_odometer)
        })
    }

    /// Reads under `name` with the live vehicle `vehicle_id` (its units map the rows).
    fn read_for<T>(
        &self,
        name: &'static str,
        vehicle_id: &str,
        f: impl FnOnce(&Connection, &Vehicle) -> Result<T>,
    ) -> Result<T> {
        self.store
            .read(name, |c| f(c, &store::vehicles::get(c, vehicle_id)?))
    }

    // ----- fuel -----------------------------------------------------------------------

    pub fn add_fuel(&self, input: &FuelInput, opts: WriteOptions) -> Result<FuelRecord> {
        self.create("fuel.create", input, opts)
    }

    pub fn update_fuel(
        &self,
        id: &str,
        input: &FuelInput,
        opts: WriteOptions,
    ) -> Result<FuelRecord> {
        self.edit("fuel.update", id, input, opts)
    }

    pub fn fuel_record(&self, vehicle_id: &str, id: &str) -> Result<FuelRecord> {
        self.read_for("fuel.get", vehicle_id, |c, v| store::get(c, v, id))
    }

    /// Fill-ups of a vehicle, newest first.
    pub fn fuel_records(&self, vehicle_id: &str, page: Page) -> Result<Vec<FuelRecord>> {
        self.read_for("fuel.list", vehicle_id, |c, v| {
            store::fuel::list(c, v, page)
        })
    }

    // ----- service, repair, upgrade ------------------------------------------------------

    pub fn add_service(&self, input: &ServiceInput, opts: WriteOptions) -> Result<ServiceRecord> {
        self.create("service.create", input, opts)
    }

    pub fn update_service(
        &self,
        id: &str,
        input: &ServiceInput,
        opts: WriteOptions,
    ) -> Result<ServiceRecord> {
        self.edit("service.update", id, input, opts)
    }

    pub fn service_record(&self, vehicle_id: &str, id: &str) -> Result<ServiceRecord> {
        self.read_for("service.get", vehicle_id, |c, v| store::get(c, v, id))
    }

    /// Service/repair/upgrade records of a vehicle, newest first, optionally of one kind.
    pub fn service_records(
        &self,
        vehicle_id: &str,
        kind: Option<ServiceKind>,
        page: Page,
    ) -> Result<Vec<ServiceRecord>> {
        self.read_for("service.list", vehicle_id, |c, v| {
            store::service::list(c, v, kind, page)
        })
    }

    // ----- odometer -------------------------------------------------------------------

    pub fn add_odometer(
        &self,
        input: &OdometerInput,
        opts: WriteOptions,
    ) -> Result<OdometerRecord> {
        self.create("odometer.create", input, opts)
    }

    pub fn update_odometer(
        &self,
        id: &str,
        input: &OdometerInput,
        opts: WriteOptions,
    ) -> Result<OdometerRecord> {
        self.edit("odometer.update", id, input, opts)
    }

    pub fn odometer_record(&self, vehicle_id: &str, id: &str) -> Result<OdometerRecord> {
        self.read_for("odometer.get", vehicle_id, |c, v| store::get(c, v, id))
    }

    pub fn odometer_records(&self, vehicle_id: &str, page: Page) -> Result<Vec<OdometerRecord>> {
        self.read_for("odometer.list", vehicle_id, |c, v| {
            store::odometer::list(c, v, page)
        })
    }

    /// The highest reading across all record kinds, in the vehicle's unit.
    pub fn current_odometer(&self, vehicle_id: &str) -> Result<Option<Distance>> {
        self.read_for("odometer.current", vehicle_id, |c, v| {
            Ok(store::readings::highest(c, &v.id)?.map(|o| Distance::new(o, v.distance_unit)))
        })
    }

    // ----- reminders ------------------------------------------------------------------

    pub fn add_reminder(&self, input: &ReminderInput) -> Result<Reminder> {
        self.create("reminder.create", input, WriteOptions::default())
    }

    pub fn update_reminder(&self, id: &str, input: &ReminderInput) -> Result<Reminder> {
        self.edit("reminder.update", id, input, WriteOptions::default())
    }

    pub fn reminder(&self, vehicle_id: &str, id: &str) -> Result<Reminder> {
        self.read_for("reminder.get", vehicle_id, |c, v| store::get(c, v, id))
    }

    /// Active reminders, soonest due first.
    pub fn reminders(&self, vehicle_id: &str) -> Result<Vec<Reminder>> {
        self.read_for("reminder.list_active", vehicle_id, |c, v| {
            store::reminders::list_active(c, v)
        })
    }

    /// Every reminder of a vehicle, active or done (the active ones first).
    pub fn all_reminders(&self, vehicle_id: &str) -> Result<Vec<Reminder>> {
        self.read_for("reminder.list_all", vehicle_id, |c, v| {
            store::reminders::list_all(c, v)
        })
    }

    // ----- deletes (tombstones) and undo ----------------------------------------------

    /// Deletes one record as a tombstone; a vehicle with every record of it.
    pub fn delete(&self, kind: RecordKind, id: &str) -> Result<()> {
        let name = if kind == RecordKind::Vehicle {
            "vehicle.delete"
        } else {
            "record.delete"
        };
        self.transaction(name, ChangeSource::Local, |w| w.delete(kind, id))
    }

    /// Undoes a delete of one record, as long as its vehicle still exists.
    pub fn restore(&self, kind: RecordKind, id: &str) -> Result<()> {
        self.transaction("record.restore", ChangeSource::Local, |w| {
            w.restore(kind, id)
        })
    }
}

/// The (vehicle, kind) pairs a transaction touched, in a stable order, and how many
/// records it wrote per vehicle.
#[derive(Default)]
pub(crate) struct Touched {
    pairs: BTreeSet<(String, RecordKind)>,
    /// The pair added last, and how many times in a row.
    last: Option<(String, RecordKind)>,
    last_count: u64,
    counts: HashMap<String, u64>,
}

impl Touched {
    pub(crate) fn add(&mut self, vehicle_id: &str, kind: RecordKind) {
        // A batch adds the same pair once per record: remembering the last one skips an
        // allocation and a tree search per record.
        if matches!(&self.last, Some((v, k)) if v == vehicle_id && *k == kind) {
            self.last_count += 1;
            return;
        }
        self.flush_last();
        self.pairs.insert((vehicle_id.to_owned(), kind));
        self.last = Some((vehicle_id.to_owned(), kind));
        self.last_count = 1;
    }

    fn flush_last(&mut self) {
        if let Some((v, _)) = &self.last {
            *self.counts.entry(v.clone()).or_default() += self.last_count;
        }
        self.last_count = 0;
    }

    /// Per vehicle: what changed as far as its stats go, and how many records were written.
    fn stats_changes(&mut self) -> Vec<(String, Change, u64)> {
        self.flush_last();
        self.last = None;
        let mut out: Vec<(String, Change, u64)> = Vec::new();
        for (v, kind) in &self.pairs {
            let Some(change) = Change::of(*kind) else {
                continue;
            };
            match out.last_mut() {
                Some((last, c, _)) if last == v => *c = (*c).max(change),
                _ => out.push((v.clone(), change, self.counts.get(v).copied().unwrap_or(0))),
            }
        }
        out
    }
}
