//! Batch writes through the same write path: the dataset generator, importers and backup
//! restore. The whole batch is validated and written in one transaction — all or nothing —
//! and emits one change event per (vehicle, kind) after the commit.

use serde::{Deserialize, Serialize};

use super::write::{Target, Writer};
use super::{new_id, Garage};
use crate::error::{Error, Result};
use crate::events::{ChangeSource, RecordKind};
use crate::fuel::FuelInput;
use crate::odometer::OdometerInput;
use crate::reminders::completion::Completion;
use crate::reminders::{Reminder, ReminderInput};
use crate::service::ServiceInput;
use crate::store::{self, records};
use crate::units::Distance;
use crate::validate;
use crate::vehicles::VehicleInput;

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
        let name = match opts.source {
            ChangeSource::Import => "batch.import",
            ChangeSource::Sync => "batch.sync",
            ChangeSource::Local => "batch.local",
        };
        self.transaction(name, opts.source, |w| {
            let mut summary = BatchSummary::default();
            for (i, rec) in records.into_iter().enumerate() {
                write_one(w, rec?, opts.check_odometer, &mut summary).map_err(|e| at(i, e))?;
            }
            Ok(summary)
        })
    }
}

/// One record of a batch through the write routine.
fn write_one(
    w: &mut Writer<'_>,
    rec: NewRecord,
    check_odometer: bool,
    summary: &mut BatchSummary,
) -> Result<()> {
    match rec {
        NewRecord::Vehicle { id, input } => {
            w.put_vehicle(Target::New(id), &input)?;
            summary.vehicles += 1;
        }
        NewRecord::Fuel { id, input } => {
            match check_odometer {
                true => w.put(Target::New(id), &input, true).map(drop)?,
                false => w.put_later(id, &input)?,
            }
            summary.fuel += 1;
        }
        NewRecord::Service { id, input } => {
            match check_odometer {
                true => w.put(Target::New(id), &input, true).map(drop)?,
                false => w.put_later(id, &input)?,
            }
            summary.service += 1;
        }
        NewRecord::Odometer { id, input } => {
            match check_odometer {
                true => w.put(Target::New(id), &input, true).map(drop)?,
                false => w.put_later(id, &input)?,
            }
            summary.odometer += 1;
        }
        NewRecord::Reminder { id, input } => {
            w.put_later(id, &input)?;
            summary.reminders += 1;
        }
        NewRecord::ReminderCompletion { completion } => {
            w.flush()?;
            restore_completion(w, completion)?;
            summary.completions += 1;
        }
    }
    Ok(())
}

/// A completion as recorded (backup restore): validated and stored as is; a non-recurring
/// reminder it completes is made inactive.
fn restore_completion(w: &mut Writer<'_>, mut c: Completion) -> Result<()> {
    let vehicle_id = records::vehicle_of(w.conn(), RecordKind::Reminder, &c.reminder_id, false)?;
    let v = w.live_vehicle(&vehicle_id)?;
    let mut reminder = store::get::<Reminder>(w.conn(), &v, &c.reminder_id)?;
    c.vehicle_id = v.id.clone();
    c.completed_at = validate::record_date("completed_at", c.completed_at, w.now())?;
    if let Some(o) = c.odometer {
        let o = validate::odometer("odometer", o.value)?;
        c.odometer = Some(Distance::new(o, v.distance_unit));
    }
    c.notes = validate::optional_text("notes", &c.notes, validate::MAX_NOTES)?;
    if c.id.is_empty() {
        c.id = new_id();
    }
    w.insert_completion(&c)?;
    if reminder.active && reminder.recur_months.is_none() && reminder.recur_distance.is_none() {
        reminder.active = false;
        w.update_reminder(&reminder)?;
    }
    Ok(())
}
