//! `Garage`: the one write path. Every create, update and delete — typed by a user,
//! imported from a file, or generated — passes through here: validate, write in one
//! transaction, stamp id/hlc/dirty, turn deletes into tombstones, then emit one change
//! event per (vehicle, kind) touched. Reads are here too, so callers need only this type.

mod batch;
mod complete;
#[cfg(test)]
mod tests;

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use chrono::{Datelike, NaiveDateTime};
use glovebox_protocol::HlcClock;
use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

pub use batch::{BatchOptions, BatchSummary, NewRecord};

use crate::error::{Error, Result};
use crate::events::{ChangeBus, ChangeEvent, ChangeSource, Listener, RecordKind};
use crate::fuel::{self, FuelInput, FuelRecord};
use crate::odometer::{self, OdometerInput, OdometerRecord};
use crate::reminders::{self, Reminder, ReminderInput};
use crate::service::{self, ServiceInput, ServiceKind, ServiceRecord};
use crate::store::Store;
use crate::units::Distance;
use crate::vehicles::{self, Vehicle, VehicleInput};
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

pub struct Garage {
    store: Arc<Store>,
    clock: HlcClock,
    bus: ChangeBus,
    now: fn() -> NaiveDateTime,
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
        Ok(Garage {
            store,
            clock,
            bus: ChangeBus::default(),
            now: time::now_local,
        })
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

    pub fn now(&self) -> NaiveDateTime {
        (self.now)()
    }

    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    pub fn device_id(&self) -> String {
        self.clock.node()
    }

    pub fn clock(&self) -> &HlcClock {
        &self.clock
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
            hlc: self.clock.tick().to_string(),
            dirty: source != ChangeSource::Sync,
            updated_at: time::now_millis(),
        }
    }

    /// Runs one named write transaction and emits one event per (vehicle, kind) it touched.
    pub(crate) fn write<T>(
        &self,
        name: &'static str,
        source: ChangeSource,
        f: impl FnOnce(&Connection, &mut Touched) -> Result<T>,
    ) -> Result<T> {
        let mut touched = Touched::default();
        let out = self.store.write(name, |tx| {
            // Stamps of this transaction go above everything the database holds, whoever
            // wrote it (another process, a peer whose clock runs ahead): sync::clock.
            let mark = crate::sync::clock::seed(tx, &self.clock)?;
            let out = f(tx, &mut touched)?;
            crate::sync::clock::raise(tx, &self.clock, mark)?;
            Ok(out)
        })?;
        for (vehicle_id, kind) in touched.0 {
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
        let mut v = input.validate(self.now().year())?;
        v.id = new_id();
        self.write("vehicle.create", ChangeSource::Local, |tx, t| {
            vehicles::insert(tx, &v, &self.stamp(ChangeSource::Local))?;
            t.add(&v.id, RecordKind::Vehicle);
            Ok(v.clone())
        })
    }

    pub fn update_vehicle(&self, id: &str, input: &VehicleInput) -> Result<Vehicle> {
        let mut v = input.validate(self.now().year())?;
        self.write("vehicle.update", ChangeSource::Local, |tx, t| {
            let old = vehicles::get(tx, id)?;
            v.id = old.id;
            v.archived = old.archived;
            vehicles::update(tx, &v, &self.stamp(ChangeSource::Local))?;
            t.add(&v.id, RecordKind::Vehicle);
            Ok(v.clone())
        })
    }

    pub fn set_vehicle_archived(&self, id: &str, archived: bool) -> Result<Vehicle> {
        self.write("vehicle.archive", ChangeSource::Local, |tx, t| {
            let mut v = vehicles::get(tx, id)?;
            v.archived = archived;
            vehicles::update(tx, &v, &self.stamp(ChangeSource::Local))?;
            t.add(&v.id, RecordKind::Vehicle);
            Ok(v)
        })
    }

    /// Deletes a vehicle and every record of it (as tombstones, so the delete syncs).
    pub fn delete_vehicle(&self, id: &str) -> Result<()> {
        self.write("vehicle.delete", ChangeSource::Local, |tx, t| {
            vehicles::get(tx, id)?;
            let s = self.stamp(ChangeSource::Local);
            for kind in RecordKind::ALL
                .into_iter()
                .filter(|k| *k != RecordKind::Vehicle)
            {
                let sql = format!(
                    "UPDATE {} SET deleted = 1, hlc = ?2, dirty = ?3, updated_at = ?4 \
                     WHERE vehicle_id = ?1 AND deleted = 0",
                    kind.table()
                );
                tx.prepare_cached(&sql)?.execute(rusqlite::params![
                    id,
                    s.hlc,
                    s.dirty,
                    s.updated_at
                ])?;
            }
            tombstone(tx, RecordKind::Vehicle, id, &s)?;
            t.add(id, RecordKind::Vehicle);
            Ok(())
        })
    }

    pub fn vehicle(&self, id: &str) -> Result<Vehicle> {
        self.store.read("vehicle.get", |c| vehicles::get(c, id))
    }

    pub fn vehicles(&self, include_archived: bool) -> Result<Vec<Vehicle>> {
        self.store
            .read("vehicle.list", |c| vehicles::list(c, include_archived))
    }

    // ----- fuel -----------------------------------------------------------------------

    pub fn add_fuel(&self, input: &FuelInput, opts: WriteOptions) -> Result<FuelRecord> {
        self.write("fuel.create", ChangeSource::Local, |tx, t| {
            let v = live_vehicle(tx, &input.vehicle_id)?;
            let mut r = input.validate(&v, self.now())?;
            r.id = new_id();
            if !opts.confirm_odometer {
                odometer::check_plausible(tx, &v, r.occurred_at, r.odometer.value, &r.id)?;
            }
            fuel::insert(tx, &r, &self.stamp(ChangeSource::Local))?;
            t.add(&v.id, RecordKind::Fuel);
            Ok(r)
        })
    }

    pub fn update_fuel(
        &self,
        id: &str,
        input: &FuelInput,
        opts: WriteOptions,
    ) -> Result<FuelRecord> {
        self.write("fuel.update", ChangeSource::Local, |tx, t| {
            let v = owning_vehicle(tx, fuel::vehicle_of(tx, id)?, &input.vehicle_id)?;
            let mut r = input.validate(&v, self.now())?;
            r.id = id.to_owned();
            if !opts.confirm_odometer {
                odometer::check_plausible(tx, &v, r.occurred_at, r.odometer.value, id)?;
            }
            fuel::update(tx, &r, &self.stamp(ChangeSource::Local))?;
            t.add(&v.id, RecordKind::Fuel);
            Ok(r)
        })
    }

    pub fn fuel_record(&self, vehicle_id: &str, id: &str) -> Result<FuelRecord> {
        self.store.read("fuel.get", |c| {
            fuel::get(c, &vehicles::get(c, vehicle_id)?, id)
        })
    }

    /// Fill-ups of a vehicle, newest first.
    pub fn fuel_records(&self, vehicle_id: &str, page: Page) -> Result<Vec<FuelRecord>> {
        self.store.read("fuel.list", |c| {
            fuel::list(c, &vehicles::get(c, vehicle_id)?, page)
        })
    }

    // ----- service, repair, upgrade ------------------------------------------------------

    pub fn add_service(&self, input: &ServiceInput, opts: WriteOptions) -> Result<ServiceRecord> {
        self.write("service.create", ChangeSource::Local, |tx, t| {
            let r = self.insert_service(tx, input, opts)?;
            t.add(&r.vehicle_id, RecordKind::Service);
            Ok(r)
        })
    }

    pub(crate) fn insert_service(
        &self,
        tx: &Connection,
        input: &ServiceInput,
        opts: WriteOptions,
    ) -> Result<ServiceRecord> {
        let v = live_vehicle(tx, &input.vehicle_id)?;
        let mut r = input.validate(&v, self.now())?;
        r.id = new_id();
        if let (Some(odo), false) = (r.odometer, opts.confirm_odometer) {
            odometer::check_plausible(tx, &v, r.occurred_at, odo.value, &r.id)?;
        }
        service::insert(tx, &r, &self.stamp(ChangeSource::Local))?;
        Ok(r)
    }

    pub fn update_service(
        &self,
        id: &str,
        input: &ServiceInput,
        opts: WriteOptions,
    ) -> Result<ServiceRecord> {
        self.write("service.update", ChangeSource::Local, |tx, t| {
            let v = owning_vehicle(tx, service::vehicle_of(tx, id)?, &input.vehicle_id)?;
            let mut r = input.validate(&v, self.now())?;
            r.id = id.to_owned();
            if let (Some(odo), false) = (r.odometer, opts.confirm_odometer) {
                odometer::check_plausible(tx, &v, r.occurred_at, odo.value, id)?;
            }
            service::update(tx, &r, &self.stamp(ChangeSource::Local))?;
            t.add(&v.id, RecordKind::Service);
            Ok(r)
        })
    }

    pub fn service_record(&self, vehicle_id: &str, id: &str) -> Result<ServiceRecord> {
        self.store.read("service.get", |c| {
            service::get(c, &vehicles::get(c, vehicle_id)?, id)
        })
    }

    /// Service/repair/upgrade records of a vehicle, newest first, optionally of one kind.
    pub fn service_records(
        &self,
        vehicle_id: &str,
        kind: Option<ServiceKind>,
        page: Page,
    ) -> Result<Vec<ServiceRecord>> {
        self.store.read("service.list", |c| {
            service::list(c, &vehicles::get(c, vehicle_id)?, kind, page)
        })
    }

    // ----- odometer -------------------------------------------------------------------

    pub fn add_odometer(
        &self,
        input: &OdometerInput,
        opts: WriteOptions,
    ) -> Result<OdometerRecord> {
        self.write("odometer.create", ChangeSource::Local, |tx, t| {
            let v = live_vehicle(tx, &input.vehicle_id)?;
            let mut r = input.validate(&v, self.now())?;
            r.id = new_id();
            if !opts.confirm_odometer {
                odometer::check_plausible(tx, &v, r.occurred_at, r.odometer.value, &r.id)?;
            }
            odometer::insert(tx, &r, &self.stamp(ChangeSource::Local))?;
            t.add(&v.id, RecordKind::Odometer);
            Ok(r)
        })
    }

    pub fn update_odometer(
        &self,
        id: &str,
        input: &OdometerInput,
        opts: WriteOptions,
    ) -> Result<OdometerRecord> {
        self.write("odometer.update", ChangeSource::Local, |tx, t| {
            let v = owning_vehicle(tx, odometer::vehicle_of(tx, id)?, &input.vehicle_id)?;
            let mut r = input.validate(&v, self.now())?;
            r.id = id.to_owned();
            if !opts.confirm_odometer {
                odometer::check_plausible(tx, &v, r.occurred_at, r.odometer.value, id)?;
            }
            odometer::update(tx, &r, &self.stamp(ChangeSource::Local))?;
            t.add(&v.id, RecordKind::Odometer);
            Ok(r)
        })
    }

    pub fn odometer_records(&self, vehicle_id: &str, page: Page) -> Result<Vec<OdometerRecord>> {
        self.store.read("odometer.list", |c| {
            odometer::list(c, &vehicles::get(c, vehicle_id)?, page)
        })
    }

    /// The highest reading across all record kinds, in the vehicle's unit.
    pub fn current_odometer(&self, vehicle_id: &str) -> Result<Option<Distance>> {
        self.store.read("odometer.current", |c| {
            let v = vehicles::get(c, vehicle_id)?;
            Ok(odometer::current(c, vehicle_id)?.map(|o| Distance::new(o, v.distance_unit)))
        })
    }

    // ----- reminders ------------------------------------------------------------------

    pub fn add_reminder(&self, input: &ReminderInput) -> Result<Reminder> {
        self.write("reminder.create", ChangeSource::Local, |tx, t| {
            let v = live_vehicle(tx, &input.vehicle_id)?;
            let mut r = input.validate(&v)?;
            r.id = new_id();
            reminders::insert(tx, &r, &self.stamp(ChangeSource::Local))?;
            t.add(&v.id, RecordKind::Reminder);
            Ok(r)
        })
    }

    pub fn update_reminder(&self, id: &str, input: &ReminderInput) -> Result<Reminder> {
        self.write("reminder.update", ChangeSource::Local, |tx, t| {
            let v = owning_vehicle(tx, reminders::vehicle_of(tx, id)?, &input.vehicle_id)?;
            let mut r = input.validate(&v)?;
            r.id = id.to_owned();
            reminders::update(tx, &r, &self.stamp(ChangeSource::Local))?;
            t.add(&v.id, RecordKind::Reminder);
            Ok(r)
        })
    }

    pub fn reminder(&self, vehicle_id: &str, id: &str) -> Result<Reminder> {
        self.store.read("reminder.get", |c| {
            reminders::get(c, &vehicles::get(c, vehicle_id)?, id)
        })
    }

    /// Active reminders, soonest due first.
    pub fn reminders(&self, vehicle_id: &str) -> Result<Vec<Reminder>> {
        self.store.read("reminder.list_active", |c| {
            reminders::list_active(c, &vehicles::get(c, vehicle_id)?)
        })
    }

    // ----- deletes (tombstones) and undo ----------------------------------------------

    /// Deletes one record (not a vehicle: see `delete_vehicle`) as a tombstone.
    pub fn delete(&self, kind: RecordKind, id: &str) -> Result<()> {
        if kind == RecordKind::Vehicle {
            return self.delete_vehicle(id);
        }
        self.write("record.delete", ChangeSource::Local, |tx, t| {
            let vehicle_id = vehicle_of(tx, kind, id, false)?;
            tombstone(tx, kind, id, &self.stamp(ChangeSource::Local))?;
            t.add(&vehicle_id, kind);
            Ok(())
        })
    }

    /// Undoes a delete of one record, as long as its vehicle still exists.
    pub fn restore(&self, kind: RecordKind, id: &str) -> Result<()> {
        self.write("record.restore", ChangeSource::Local, |tx, t| {
            let vehicle_id = vehicle_of(tx, kind, id, true)?;
            if kind != RecordKind::Vehicle {
                live_vehicle(tx, &vehicle_id)?;
            }
            let s = self.stamp(ChangeSource::Local);
            let sql = format!(
                "UPDATE {} SET deleted = 0, hlc = ?2, dirty = ?3, updated_at = ?4 WHERE id = ?1 AND deleted = 1",
                kind.table()
            );
            tx.prepare_cached(&sql)?
                .execute(rusqlite::params![id, s.hlc, s.dirty, s.updated_at])?;
            t.add(&vehicle_id, kind);
            Ok(())
        })
    }
}

/// The (vehicle, kind) pairs a transaction touched, in a stable order.
#[derive(Default)]
pub(crate) struct Touched(
    BTreeSet<(String, RecordKind)>,
    /// The pair added last.
    Option<(String, RecordKind)>,
);

impl Touched {
    pub(crate) fn add(&mut self, vehicle_id: &str, kind: RecordKind) {
        // A batch adds the same pair once per record: remembering the last one skips an
        // allocation and a tree search per record.
        if matches!(&self.1, Some((v, k)) if v == vehicle_id && *k == kind) {
            return;
        }
        self.0.insert((vehicle_id.to_owned(), kind));
        self.1 = Some((vehicle_id.to_owned(), kind));
    }
}

fn live_vehicle(conn: &Connection, id: &str) -> Result<Vehicle> {
    vehicles::get(conn, id).map_err(|e| match e {
        Error::NotFound { .. } => {
            Error::validation("vehicle_id", format!("unknown vehicle {id:?}"))
        }
        other => other,
    })
}

/// Records never move between vehicles: an edit naming another vehicle is refused.
fn owning_vehicle(conn: &Connection, actual: String, claimed: &str) -> Result<Vehicle> {
    if actual != claimed {
        return Err(Error::validation(
            "vehicle_id",
            "a record cannot be moved to another vehicle",
        ));
    }
    live_vehicle(conn, &actual)
}

fn vehicle_of(conn: &Connection, kind: RecordKind, id: &str, deleted: bool) -> Result<String> {
    let col = if kind == RecordKind::Vehicle {
        "id"
    } else {
        "vehicle_id"
    };
    let sql = format!(
        "SELECT {col} FROM {} WHERE id = ?1 AND deleted = ?2",
        kind.table()
    );
    conn.prepare_cached(&sql)?
        .query_row(rusqlite::params![id, deleted], |r| r.get(0))
        .optional()?
        .ok_or_else(|| Error::not_found(kind.label(), id))
}

fn tombstone(conn: &Connection, kind: RecordKind, id: &str, s: &SyncStamp) -> Result<()> {
    let sql = format!(
        "UPDATE {} SET deleted = 1, hlc = ?2, dirty = ?3, updated_at = ?4 WHERE id = ?1 AND deleted = 0",
        kind.table()
    );
    let n =
        conn.prepare_cached(&sql)?
            .execute(rusqlite::params![id, s.hlc, s.dirty, s.updated_at])?;
    if n == 0 {
        return Err(Error::not_found(kind.label(), id));
    }
    Ok(())
}
