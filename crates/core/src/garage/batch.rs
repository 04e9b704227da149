//! Batch writes through the same write path: the dataset generator, importers and backup
//! restore. The whole batch is validated and written in one transaction — all or nothing —
//! and emits one change event per (vehicle, kind) after the commit.

use std::collections::HashMap;
use std::rc::Rc;

use serde::{Deserialize, Serialize};

use super::{live_vehicle, new_id, Garage, Touched};
use crate::error::{Error, Result};
use crate::events::{ChangeSource, RecordKind};
use crate::fuel::{self, FuelInput};
use crate::odometer::{self, OdometerInput};
use crate::reminders::completion::{self, Completion};
use crate::reminders::{self, ReminderInput};
use crate::service::{self, ServiceInput};
use crate::units::Distance;
use crate::validate;
use crate::vehicles::{self, Vehicle, VehicleInput};

/// One record to create. `id` keeps a known id (backup restore, generator); `None` makes
/// a new UUIDv7.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum NewRecord {
    Vehicle {
        id: Option<String>,
        input: VehicleInput,
    },
    Fuel {
        id: Option<String>,
        input: FuelInput,
    },
    Service {
        id: Option<String>,
        input: ServiceInput,
    },
    Odometer {
        id: Option<String>,
        input: OdometerInput,
    },
    Reminder {
        id: Option<String>,
        input: ReminderInput,
    },
    /// A reminder done; completing a non-recurring reminder makes it inactive.
    /// A completion as it was recorded (backup restore): written as is, without
    /// re-arming the reminder (the restored reminder already carries its next due point).
    /// An empty `id` makes a new one; `vehicle_id` is taken from the reminder.
    ReminderCompletion { completion: Completion },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchOptions {
    pub source: ChangeSource,
    /// Run the odometer typo guard against what is already stored. Imports of a whole
    /// history turn it off (their own rows are checked for order by the importer).
    pub check_odometer: bool,
}

impl Default for BatchOptions {
    fn default() -> Self {
        BatchOptions {
            source: ChangeSource::Import,
            check_odometer: false,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchSummary {
    pub vehicles: u64,
    pub fuel: u64,
    pub service: u64,
    pub odometer: u64,
    pub reminders: u64,
    #[serde(default)]
    pub completions: u64,
}

impl BatchSummary {
    pub fn total(&self) -> u64 {
        self.vehicles + self.fuel + self.service + self.odometer + self.reminders + self.completions
    }
}

/// Prefixes a validation error with the record's position in the batch.
fn at(index: usize, e: Error) -> Error {
    match e {
        Error::Validation { field, reason } => {
            Error::validation(format!("record {}: {field}", index + 1), reason)
        }
        Error::OdometerNeedsConfirmation { reason } => {
            Error::validation(format!("record {}: odometer", index + 1), reason)
        }
        other => other,
    }
}

impl Garage {
    /// Writes many records in one transaction. Vehicles created earlier in the same batch
    /// can be referenced by later records.
    pub fn write_batch(
        &self,
        records: impl IntoIterator<Item = NewRecord>,
        opts: BatchOptions,
    ) -> Result<BatchSummary> {
        self.try_write_batch(records.into_iter().map(Ok), opts)
    }

    /// Like `write_batch`, for a stream that can fail or be cancelled part-way (an import
    /// reading its file while it writes): an `Err` item rolls the whole batch back.
    pub fn try_write_batch(
        &self,
        records: impl IntoIterator<Item = Result<NewRecord>>,
        opts: BatchOptions,
    ) -> Result<BatchSummary> {
        let now = self.now();
        let year = chrono::Datelike::year(&now);
        let name = match opts.source {
            ChangeSource::Import => "batch.import",
            ChangeSource::Sync => "batch.sync",
            ChangeSource::Local => "batch.local",
        };
        self.write(name, opts.source, |tx, touched: &mut Touched| {
            let mut summary = BatchSummary::default();
            // Shared, not cloned, per record: a million-row import would otherwise copy
            // the vehicle (six strings) a million times.
            let mut known: HashMap<String, Rc<Vehicle>> = HashMap::new();
            let vehicle = |tx: &rusqlite::Connection,
                           id: &str,
                           known: &mut HashMap<String, Rc<Vehicle>>|
             -> Result<Rc<Vehicle>> {
                if let Some(v) = known.get(id) {
                    return Ok(Rc::clone(v));
                }
                let v = Rc::new(live_vehicle(tx, id)?);
                known.insert(id.to_owned(), Rc::clone(&v));
                Ok(v)
            };
            for (i, rec) in records.into_iter().enumerate() {
                let rec = rec?;
                let stamp = self.stamp(opts.source);
                match rec {
                    NewRecord::Vehicle { id, input } => {
                        let mut v = input.validate(year).map_err(|e| at(i, e))?;
                        v.id = id.unwrap_or_else(new_id);
                        vehicles::insert(tx, &v, &stamp)?;
                        touched.add(&v.id, RecordKind::Vehicle);
                        known.insert(v.id.clone(), Rc::new(v));
                        summary.vehicles += 1;
                    }
                    NewRecord::Fuel { id, input } => {
                        let v = vehicle(tx, &input.vehicle_id, &mut known).map_err(|e| at(i, e))?;
                        let mut r = input.validate(&v, now).map_err(|e| at(i, e))?;
                        r.id = id.unwrap_or_else(new_id);
                        if opts.check_odometer {
                            odometer::check_plausible(
                                tx,
                                &v,
                                r.occurred_at,
                                r.odometer.value,
                                &r.id,
                            )
                            .map_err(|e| at(i, e))?;
                        }
                        fuel::insert(tx, &r, &stamp)?;
                        touched.add(&v.id, RecordKind::Fuel);
                        summary.fuel += 1;
                    }
                    NewRecord::Service { id, input } => {
                        let v = vehicle(tx, &input.vehicle_id, &mut known).map_err(|e| at(i, e))?;
                        let mut r = input.validate(&v, now).map_err(|e| at(i, e))?;
                        r.id = id.unwrap_or_else(new_id);
                        if let (Some(o), true) = (r.odometer, opts.check_odometer) {
                            odometer::check_plausible(tx, &v, r.occurred_at, o.value, &r.id)
                                .map_err(|e| at(i, e))?;
                        }
                        service::insert(tx, &r, &stamp)?;
                        touched.add(&v.id, RecordKind::Service);
                        summary.service += 1;
                    }
                    NewRecord::Odometer { id, input } => {
                        let v = vehicle(tx, &input.vehicle_id, &mut known).map_err(|e| at(i, e))?;
                        let mut r = input.validate(&v, now).map_err(|e| at(i, e))?;
                        r.id = id.unwrap_or_else(new_id);
                        if opts.check_odometer {
                            odometer::check_plausible(
                                tx,
                                &v,
                                r.occurred_at,
                                r.odometer.value,
                                &r.id,
                            )
                            .map_err(|e| at(i, e))?;
                        }
                        odometer::insert(tx, &r, &stamp)?;
                        touched.add(&v.id, RecordKind::Odometer);
                        summary.odometer += 1;
                    }
                    NewRecord::Reminder { id, input } => {
                        let v = vehicle(tx, &input.vehicle_id, &mut known).map_err(|e| at(i, e))?;
                        let mut r = input.validate(&v).map_err(|e| at(i, e))?;
                        r.id = id.unwrap_or_else(new_id);
                        reminders::insert(tx, &r, &stamp)?;
                        touched.add(&v.id, RecordKind::Reminder);
                        summary.reminders += 1;
                    }
                    NewRecord::ReminderCompletion { completion: mut c } => {
                        let vehicle_id =
                            reminders::vehicle_of(tx, &c.reminder_id).map_err(|e| at(i, e))?;
                        let v = vehicle(tx, &vehicle_id, &mut known).map_err(|e| at(i, e))?;
                        let mut reminder =
                            reminders::get(tx, &v, &c.reminder_id).map_err(|e| at(i, e))?;
                        c.vehicle_id = v.id.clone();
                        c.completed_at = validate::record_date("completed_at", c.completed_at, now)
                            .map_err(|e| at(i, e))?;
                        if let Some(o) = c.odometer {
                            let o =
                                validate::odometer("odometer", o.value).map_err(|e| at(i, e))?;
                            c.odometer = Some(Distance::new(o, v.distance_unit));
                        }
                        c.notes = validate::optional_text("notes", &c.notes, validate::MAX_NOTES)
                            .map_err(|e| at(i, e))?;
                        if c.id.is_empty() {
                            c.id = new_id();
                        }
                        completion::insert(tx, &c, &stamp)?;
                        if reminder.active
                            && reminder.recur_months.is_none()
                            && reminder.recur_distance.is_none()
                        {
                            reminder.active = false;
                            reminders::update(tx, &reminder, &stamp)?;
                            touched.add(&v.id, RecordKind::Reminder);
                        }
                        touched.add(&v.id, RecordKind::ReminderCompletion);
                        summary.completions += 1;
                    }
                }
            }
            Ok(summary)
        })
    }
}
