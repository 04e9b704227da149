//! The one write routine. Every create, update, delete and restore — a single typed edit,
//! a batch (import, generator, backup restore) or a completion — runs these steps inside
//! one [`Writer`] transaction:
//!
//! 1. find the vehicle: the input's for a new record (it must be live), the stored owner
//!    for an edit (records never move between vehicles);
//! 2. validate the input against the vehicle's units and "now";
//! 3. give it its id (new UUIDv7, or the one it keeps);
//! 4. run the odometer typo guard on its reading, unless told not to;
//! 5. stamp it (HLC, dirty, updated_at) and write it with its table's prepared statement;
//! 6. note the (vehicle, kind) touched, for the one change event per pair after commit.

use std::collections::HashMap;
use std::rc::Rc;

use chrono::NaiveDateTime;
use rusqlite::Connection;

use super::{new_id, Garage, Touched};
use crate::error::{Error, Result};
use crate::events::{ChangeSource, RecordKind};
use crate::fuel::{FuelInput, FuelRecord};
use crate::odometer::{self, OdometerInput, OdometerRecord};
use crate::reminders::{Completion, Reminder, ReminderInput};
use crate::service::{ServiceInput, ServiceRecord};
use crate::store::{self, records, Prepared, StoredRow};
use crate::vehicles::{Vehicle, VehicleInput};
use crate::SyncStamp;

/// What the write routine needs from a record kind's input.
pub(crate) trait RecordInput {
    type Record: Record;
    fn vehicle_id(&self) -> &str;
    fn validate_for(&self, v: &Vehicle, now: NaiveDateTime) -> Result<Self::Record>;
}

/// What the write routine needs from a stored record.
pub(crate) trait Record: StoredRow {
    fn set_id(&mut self, id: String);
    /// The odometer reading this record carries, for the typo guard.
    fn reading(&self) -> Option<(NaiveDateTime, f64)>;
}

/// Implements both traits for a kind: its input, its record, how the input is validated
/// and which reading (if any) the record carries.
macro_rules! record_kind {
    ($input:ty => $record:ty,
     validate: |$i:ident, $v:ident, $now:ident| $validate:expr,
     reading: |$r:ident| $reading:expr) => {
        impl RecordInput for $input {
            type Record = $record;
            fn vehicle_id(&self) -> &str {
                &self.vehicle_id
            }
            fn validate_for(&self, $v: &Vehicle, $now: NaiveDateTime) -> Result<$record> {
                let $i = self;
                $validate
            }
        }

        impl Record for $record {
            fn set_id(&mut self, id: String) {
                self.id = id;
            }
            fn reading(&self) -> Option<(NaiveDateTime, f64)> {
                let $r = self;
                $reading
            }
        }
    };
}

record_kind!(FuelInput => FuelRecord,
    validate: |i, v, now| i.validate(v, now),
    reading: |r| Some((r.occurred_at, r.odometer.value)));
record_kind!(ServiceInput => ServiceRecord,
    validate: |i, v, now| i.validate(v, now),
    reading: |r| r.odometer.map(|o| (r.occurred_at, o.value)));
record_kind!(OdometerInput => OdometerRecord,
    validate: |i, v, now| i.validate(v, now),
    reading: |r| Some((r.occurred_at, r.odometer.value)));
// A reminder's due odometer is a target, not a reading.
record_kind!(ReminderInput => Reminder,
    validate: |i, v, _now| i.validate(v),
    reading: |_r| None);

/// New records of one kind waiting to be written as multi-row INSERTs (the bulk path of
/// a batch: see [`Writer::put_later`]).
pub(crate) enum Pending {
    None,
    Fuel(Vec<(FuelRecord, SyncStamp)>),
    Service(Vec<(ServiceRecord, SyncStamp)>),
    Odometer(Vec<(OdometerRecord, SyncStamp)>),
    Reminder(Vec<(Reminder, SyncStamp)>),
}

/// A record kind that can wait in [`Pending`].
pub(crate) trait Bufferable: StoredRow + Sized {
    fn rows(p: &mut Pending) -> Option<&mut Vec<(Self, SyncStamp)>>;
    fn start(rows: Vec<(Self, SyncStamp)>) -> Pending;
}

macro_rules! bufferable {
    ($record:ty, $variant:ident) => {
        impl Bufferable for $record {
            fn rows(p: &mut Pending) -> Option<&mut Vec<(Self, SyncStamp)>> {
                match p {
                    Pending::$variant(rows) => Some(rows),
                    _ => None,
                }
            }
            fn start(rows: Vec<(Self, SyncStamp)>) -> Pending {
                Pending::$variant(rows)
            }
        }
    };
}

bufferable!(FuelRecord, Fuel);
bufferable!(ServiceRecord, Service);
bufferable!(OdometerRecord, Odometer);
bufferable!(Reminder, Reminder);

/// Which row a write is for.
pub(crate) enum Target<'a> {
    /// A new row, keeping `Some` id (backup restore, generator) or making a UUIDv7.
    New(Option<String>),
    /// The live row with this id.
    Existing(&'a str),
}

/// One write transaction: the connection, its prepared statements, the vehicles it has
/// looked up (shared, not cloned, per record: a million-row import would otherwise copy
/// the vehicle a million times) and the (vehicle, kind) pairs it touched.
pub(crate) struct Writer<'t> {
    garage: &'t Garage,
    stmts: Prepared<'t>,
    now: NaiveDateTime,
    source: ChangeSource,
    vehicles: HashMap<String, Rc<Vehicle>>,
    /// The vehicle looked up last: a batch's records mostly belong to one.
    last_vehicle: Option<Rc<Vehicle>>,
    pending: Pending,
    pub(crate) touched: Touched,
}

impl<'t> Writer<'t> {
    pub(super) fn new(garage: &'t Garage, conn: &'t Connection, source: ChangeSource) -> Self {
        Writer {
            garage,
            stmts: Prepared::new(conn),
            now: garage.now(),
            source,
            vehicles: HashMap::new(),
            last_vehicle: None,
            pending: Pending::None,
            touched: Touched::default(),
        }
    }

    pub(crate) fn conn(&self) -> &'t Connection {
        self.stmts.conn()
    }

    pub(crate) fn now(&self) -> NaiveDateTime {
        self.now
    }

    pub(crate) fn stamp(&self) -> SyncStamp {
        self.garage.stamp(self.source)
    }

    /// A live vehicle, as a validation error on `vehicle_id` when there is none.
    pub(crate) fn live_vehicle(&mut self, id: &str) -> Result<Rc<Vehicle>> {
        if let Some(v) = self.last_vehicle.as_ref().filter(|v| v.id == id) {
            return Ok(Rc::clone(v));
        }
        if let Some(v) = self.vehicles.get(id) {
            self.last_vehicle = Some(Rc::clone(v));
            return Ok(Rc::clone(v));
        }
        let v = store::vehicles::get(self.conn(), id).map_err(|e| match e {
            Error::NotFound { .. } => {
                Error::validation("vehicle_id", format!("unknown vehicle {id:?}"))
            }
            other => other,
        })?;
        let v = Rc::new(v);
        self.vehicles.insert(id.to_owned(), Rc::clone(&v));
        self.last_vehicle = Some(Rc::clone(&v));
        Ok(v)
    }

    /// The live vehicle owning live row `id` of `kind`, checked against the vehicle the
    /// input names: records never move between vehicles.
    fn owner(&mut self, kind: RecordKind, id: &str, claimed: &str) -> Result<Rc<Vehicle>> {
        let actual = records::vehicle_of(self.conn(), kind, id, false)?;
        if actual != claimed {
            return Err(Error::validation(
                "vehicle_id",
                "a record cannot be moved to another vehicle",
            ));
        }
        self.live_vehicle(&actual)
    }

    /// The typo guard for a reading of `v` at `at` (record `id` itself left out).
    pub(crate) fn check_odometer(
        &self,
        v: &Vehicle,
        at: NaiveDateTime,
        value: f64,
        id: &str,
    ) -> Result<()> {
        let (before, after) = store::readings::neighbours(self.conn(), &v.id, at, id)?;
        odometer::check_plausible(v, at, value, before, after)
    }

    fn insert<R: StoredRow>(&mut self, r: &R, s: &SyncStamp) -> Result<()> {
        store::execute(self.stmts.get(R::INSERT)?, r, s)?;
        Ok(())
    }

    fn update<R: StoredRow>(&mut self, r: &R, s: &SyncStamp) -> Result<()> {
        if store::execute(self.stmts.get(R::UPDATE)?, r, s)? == 0 {
            return Err(Error::not_found(R::KIND.label(), r.id()));
        }
        Ok(())
    }

    /// Creates or edits one record (steps 1–6 of the module docs).
    pub(crate) fn put<I: RecordInput>(
        &mut self,
        target: Target<'_>,
        input: &I,
        check_odometer: bool,
    ) -> Result<I::Record> {
        self.flush()?;
        let kind = I::Record::KIND;
        let v = match &target {
            Target::New(_) => self.live_vehicle(input.vehicle_id())?,
            Target::Existing(id) => self.owner(kind, id, input.vehicle_id())?,
        };
        let mut r = input.validate_for(&v, self.now)?;
        let is_new = matches!(target, Target::New(_));
        r.set_id(match target {
            Target::New(id) => id.unwrap_or_else(new_id),
            Target::Existing(id) => id.to_owned(),
        });
        if let (Some((at, value)), true) = (r.reading(), check_odometer) {
            self.check_odometer(&v, at, value, r.id())?;
        }
        let stamp = self.stamp();
        if is_new {
            self.insert(&r, &stamp)?;
        } else {
            self.update(&r, &stamp)?;
        }
        self.touched.add(&v.id, kind);
        Ok(r)
    }

    /// Creates a new record without the odometer guard, as part of a batch: validated,
    /// given its id, stamped and counted now, written with up to [`store::ROWS_PER_INSERT`]
    /// others of its kind in one statement (before any other step of the transaction
    /// reads or writes).
    pub(crate) fn put_later<I>(&mut self, id: Option<String>, input: &I) -> Result<()>
    where
        I: RecordInput,
        I::Record: Bufferable,
    {
        let v = self.live_vehicle(input.vehicle_id())?;
        let mut r = input.validate_for(&v, self.now)?;
        r.set_id(id.unwrap_or_else(new_id));
        let stamp = self.stamp();
        self.touched.add(&v.id, I::Record::KIND);
        if <I::Record as Bufferable>::rows(&mut self.pending).is_none() {
            self.flush()?;
            self.pending = I::Record::start(Vec::with_capacity(store::ROWS_PER_INSERT));
        }
        let full = match <I::Record as Bufferable>::rows(&mut self.pending) {
            Some(rows) => {
                rows.push((r, stamp));
                rows.len() >= store::ROWS_PER_INSERT
            }
            None => false,
        };
        if full {
            self.flush()?;
        }
        Ok(())
    }

    /// Writes whatever [`Writer::put_later`] holds.
    pub(crate) fn flush(&mut self) -> Result<()> {
        match std::mem::replace(&mut self.pending, Pending::None) {
            Pending::None => Ok(()),
            Pending::Fuel(rows) => self.insert_rows(rows),
            Pending::Service(rows) => self.insert_rows(rows),
            Pending::Odometer(rows) => self.insert_rows(rows),
            Pending::Reminder(rows) => self.insert_rows(rows),
        }
    }

    fn insert_rows<R: StoredRow>(&mut self, rows: Vec<(R, SyncStamp)>) -> Result<()> {
        let mut chunks = rows.chunks_exact(store::ROWS_PER_INSERT);
        for chunk in &mut chunks {
            store::execute_rows(self.stmts.get(store::multi_row_insert::<R>())?, chunk)?;
        }
        for (r, s) in chunks.remainder() {
            self.insert(r, s)?;
        }
        Ok(())
    }

    /// Creates a vehicle (`Target::New`) or edits one, keeping its archived flag.
    pub(crate) fn put_vehicle(
        &mut self,
        target: Target<'_>,
        input: &VehicleInput,
    ) -> Result<Vehicle> {
        self.flush()?;
        let mut v = input.validate(chrono::Datelike::year(&self.now))?;
        let is_new = matches!(target, Target::New(_));
        match target {
            Target::New(id) => v.id = id.unwrap_or_else(new_id),
            Target::Existing(id) => {
                let old = self.live_vehicle_or_not_found(id)?;
                v.id = old.id.clone();
                v.archived = old.archived;
            }
        }
        self.write_vehicle(v, is_new)
    }

    pub(crate) fn set_archived(&mut self, id: &str, archived: bool) -> Result<Vehicle> {
        self.flush()?;
        let mut v = (*self.live_vehicle_or_not_found(id)?).clone();
        v.archived = archived;
        self.write_vehicle(v, false)
    }

    fn live_vehicle_or_not_found(&mut self, id: &str) -> Result<Rc<Vehicle>> {
        self.live_vehicle(id).map_err(|e| match e {
            Error::Validation { .. } => Error::not_found("vehicle", id),
            other => other,
        })
    }

    fn write_vehicle(&mut self, v: Vehicle, is_new: bool) -> Result<Vehicle> {
        let stamp = self.stamp();
        if is_new {
            self.insert(&v, &stamp)?;
        } else {
            self.update(&v, &stamp)?;
        }
        self.touched.add(&v.id, RecordKind::Vehicle);
        self.vehicles.insert(v.id.clone(), Rc::new(v.clone()));
        self.last_vehicle = None;
        Ok(v)
    }

    /// Stores a completion as given (its reminder's vehicle must be live).
    pub(crate) fn insert_completion(&mut self, c: &Completion) -> Result<()> {
        self.flush()?;
        let stamp = self.stamp();
        self.insert(c, &stamp)?;
        self.touched
            .add(&c.vehicle_id, RecordKind::ReminderCompletion);
        Ok(())
    }

    /// Writes a changed reminder (re-armed or deactivated by a completion).
    pub(crate) fn update_reminder(&mut self, r: &Reminder) -> Result<()> {
        self.flush()?;
        let stamp = self.stamp();
        self.update(r, &stamp)?;
        self.touched.add(&r.vehicle_id, RecordKind::Reminder);
        Ok(())
    }

    /// Tombstones one record, or a vehicle with every record it owns.
    pub(crate) fn delete(&mut self, kind: RecordKind, id: &str) -> Result<()> {
        self.flush()?;
        let vehicle_id = records::vehicle_of(self.conn(), kind, id, false)?;
        let stamp = self.stamp();
        if kind == RecordKind::Vehicle {
            for owned in RecordKind::ALL.into_iter().filter(|k| *k != kind) {
                let stmt = self.stmts.get(records::table(owned).tombstone_owned_by)?;
                records::tombstone_owned_by(stmt, id, &stamp)?;
            }
            self.vehicles.remove(id);
            self.last_vehicle = None;
        }
        let stmt = self.stmts.get(records::table(kind).set_deleted)?;
        records::set_deleted(stmt, kind, id, true, &stamp)?;
        self.touched.add(&vehicle_id, kind);
        Ok(())
    }

    /// Undoes the delete of one row (a record's vehicle must still be live).
    pub(crate) fn restore(&mut self, kind: RecordKind, id: &str) -> Result<()> {
        self.flush()?;
        let vehicle_id = records::vehicle_of(self.conn(), kind, id, true)?;
        if kind != RecordKind::Vehicle {
            self.live_vehicle(&vehicle_id)?;
        }
        let stamp = self.stamp();
        let stmt = self.stmts.get(records::table(kind).set_deleted)?;
        records::set_deleted(stmt, kind, id, false, &stamp)?;
        self.touched.add(&vehicle_id, kind);
        Ok(())
    }
}
