//! Pass 2: every row converted to a record, validated as the write path will, checked for
//! duplicates; the economy cross-check and the report at the end.

use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{Months, NaiveDateTime};

use super::check::{self, EconomyMismatch, Fill, Fills};
use super::common::{self, Event, Item, ItemKind};
use super::pipeline::Extras;
use super::targets::{key, KeySet, Target};
use super::{
    Counts, DateOrder, DuplicateRow, FormatId, ImportError, ImportReport, OdometerAction, Phase,
    PreviewRow, Progress, RowError,
};
use crate::error::Error;
use crate::events::RecordKind;
use crate::fuel::FuelInput;
use crate::garage::NewRecord;
use crate::odometer::OdometerInput;
use crate::reminders::ReminderInput;
use crate::service::ServiceInput;
use crate::service::ServiceKind;
use crate::time;

/// Rows between progress reports and cancel checks.
pub(super) const PROGRESS_EVERY: u64 = 4096;
/// Bad rows kept with full detail (all are counted).
const MAX_LISTED: usize = 10_000;
/// Duplicates listed in full (all are counted).
const DUPLICATES_LISTED: usize = 1_000;

// ----- pass 2 ------------------------------------------------------------------------------

#[derive(Default)]
pub(super) struct Outcome {
    pub(super) counts: Counts,
    pub(super) per_vehicle: Vec<Counts>,
    pub(super) duplicates: u64,
    pub(super) duplicate_rows: Vec<DuplicateRow>,
    pub(super) bad: Vec<RowError>,
    pub(super) bad_count: u64,
    pub(super) last_bad_line: u64,
    pub(super) first_rows: Vec<PreviewRow>,
    pub(super) fills: Vec<Fills>,
    pub(super) done: u64,
    pub(super) last_line: u64,
    pub(super) warnings: Vec<String>,
    /// Rows left out because the user chose to skip their flagged odometer reading.
    pub(super) odometer_skipped: std::cell::Cell<u64>,
    /// Vehicles (by index) that received a record; new ones were created then.
    pub(super) created: Vec<usize>,
}

pub(super) struct Checker {
    pub(super) targets: Vec<Target>,
    pub(super) order: DateOrder,
    pub(super) now: NaiveDateTime,
    /// Content keys of the records already in the database.
    pub(super) keys: KeySet,
    /// Content keys of the file's rows so far.
    pub(super) file_keys: KeySet,
    pub(super) total: u64,
    pub(super) collect_fills: bool,
    /// Record field → file column, from the parser (see `Event::Fields`).
    pub(super) fields: Vec<(&'static str, String)>,
    /// Odometers rebuilt from trip distances, by line.
    pub(super) rebuilt: std::collections::HashMap<u64, f64>,
    /// Decisions for rows the odometer guard flagged, by line.
    pub(super) actions: std::collections::HashMap<u64, OdometerAction>,
    pub(super) preview_rows: usize,
    pub(super) out: Outcome,
}

impl Checker {
    pub(super) fn on(
        &mut self,
        ev: Event,
        progress: &(dyn Fn(Progress) + Sync),
        cancel: &AtomicBool,
        emit: &mut dyn FnMut(NewRecord) -> std::result::Result<(), ImportError>,
    ) -> std::result::Result<(), ImportError> {
        let line = match ev {
            Event::Item(ref it) => it.line,
            Event::Bad(ref e) => e.line,
            Event::Fields(f) => {
                self.fields = f;
                return Ok(());
            }
            _ => return Ok(()),
        };
        if line != self.out.last_line {
            self.out.last_line = line;
            self.out.done += 1;
            // A relaxed load per row costs nothing next to parsing it; checking every row
            // makes a cancel take effect at once.
            if cancel.load(Ordering::Relaxed) {
                return Err(ImportError::Cancelled);
            }
            if self.out.done.is_multiple_of(PROGRESS_EVERY) {
                progress(Progress {
                    phase: Phase::Importing,
                    done: self.out.done,
                    total: self.total,
                });
            }
        }
        match ev {
            Event::Bad(e) => self.bad(e),
            Event::Item(it) => match self.convert(&it) {
                Ok(Some((rec, k, kind))) => {
                    // A database record (a backup) has its own id: two records with the
                    // same content are both real. Only a match in the database (a backup
                    // imported before) is a duplicate. File rows without ids are also
                    // duplicates of earlier identical rows.
                    let duplicate = match it.location {
                        Some(_) => self.keys.contains(&k),
                        None => self.keys.contains(&k) || !self.file_keys.insert(k),
                    };
                    if duplicate {
                        self.out.duplicates += 1;
                        if self.out.duplicate_rows.len() < DUPLICATES_LISTED {
                            let p = self.preview_row(it.line, &rec, kind);
                            self.out.duplicate_rows.push(DuplicateRow {
                                line: p.line,
                                kind: p.kind,
                                vehicle: p.vehicle,
                                date: p.date,
                                text: p.text,
                            });
                        }
                        return Ok(());
                    }
                    if self.out.per_vehicle.len() <= it.vehicle {
                        self.out
                            .per_vehicle
                            .resize_with(it.vehicle + 1, Counts::default);
                    }
                    for c in [&mut self.out.counts, &mut self.out.per_vehicle[it.vehicle]] {
                        count(c, &rec);
                    }
                    if self.out.first_rows.len() < self.preview_rows {
                        self.out
                            .first_rows
                            .push(self.preview_row(it.line, &rec, kind));
                    }
                    // A new vehicle is created just before its first record, so a file
                    // whose rows are all duplicates or bad leaves no empty vehicle behind.
                    if !self.out.created.contains(&it.vehicle) {
                        self.out.created.push(it.vehicle);
                        let t = &self.targets[it.vehicle];
                        if t.is_new {
                            emit(NewRecord::Vehicle {
                                id: Some(t.vehicle.id.clone()),
                                input: t.input.clone(),
                            })?;
                        }
                    }
                    emit(rec)?;
                }
                Ok(None) => {}
                Err(e) => self.bad(e),
            },
            _ => {}
        }
        Ok(())
    }

    fn bad(&mut self, e: RowError) {
        // One row can fail in several ways; it is counted once.
        if e.line != self.out.last_bad_line {
            self.out.bad_count += 1;
            self.out.last_bad_line = e.line;
        }
        if self.out.bad.len() < MAX_LISTED {
            self.out.bad.push(e);
        }
    }

    fn date(
        &self,
        d: &common::DateParts,
        line: u64,
    ) -> std::result::Result<NaiveDateTime, RowError> {
        d.resolve(self.order).ok_or_else(|| RowError {
            location: None,
            line,
            column: Some(
                self.fields
                    .iter()
                    .find(|(f, _)| *f == "occurred_at")
                    .map_or_else(|| "date".to_owned(), |(_, c)| c.clone()),
            ),
            reason: format!(
                "{:02}/{:02}/{} is not a valid date as {:?}",
                d.a, d.b, d.c, self.order
            )
            .to_lowercase(),
        })
    }

    /// The row as a validated record, its content key and kind; `None` for rows of a
    /// vehicle the user did not pick.
    fn convert(
        &mut self,
        it: &Item,
    ) -> std::result::Result<Option<(NewRecord, u64, RecordKind)>, RowError> {
        let t = &self.targets[it.vehicle];
        if !t.public.included {
            return Ok(None);
        }
        let fields = &self.fields;
        let verr = |e: Error| RowError {
            location: it.location.clone(),
            line: it.line,
            // The file's column when known ("FuelConsumed"), else the record field.
            column: e.field().map(|f| {
                fields
                    .iter()
                    .find(|(name, _)| *name == f)
                    .map_or_else(|| f.to_owned(), |(_, col)| col.clone())
            }),
            reason: e.reason(),
        };
        let v = &t.vehicle;
        let id = v.id.clone();
        let (df, vf) = (t.distance_factor, t.volume_factor);
        Ok(Some(match &it.kind {
            ItemKind::Fuel {
                date,
                odometer,
                quantity,
                cost_minor,
                full,
                missed,
                station,
                notes,
                tags,
                economy,
                trip: _,
            } => {
                let odometer = &match (odometer.is_nan(), self.rebuilt.get(&it.line)) {
                    (false, _) => *odometer,
                    (true, Some(o)) => *o,
                    (true, None) => {
                        return Err(RowError {
                            location: it.location.clone(),
                            line: it.line,
                            column: Some("odometer".into()),
                            reason: "neither an odometer reading nor a trip distance".into(),
                        })
                    }
                };
                let Some(odometer) = self.reading(it.line, *odometer) else {
                    return Ok(None);
                };
                let input = FuelInput {
                    vehicle_id: id,
                    occurred_at: self.date(date, it.line)?,
                    odometer: odometer * df,
                    quantity: quantity * vf,
                    total_cost_minor: *cost_minor,
                    is_full: *full,
                    missed_previous: *missed,
                    station: station.clone(),
                    notes: notes.clone(),
                    tags: tags.clone(),
                };
                let r = input.validate(v, self.now).map_err(verr)?;
                if self.collect_fills {
                    if self.out.fills.len() <= it.vehicle {
                        self.out.fills.resize_with(it.vehicle + 1, Fills::default);
                    }
                    self.out.fills[it.vehicle].push(Fill {
                        at: r.occurred_at,
                        odometer: r.odometer.value,
                        quantity: r.quantity.value,
                        source: economy.unwrap_or(0.0),
                        line: it.line.min(u32::MAX as u64) as u32,
                        full: r.is_full,
                        missed: r.missed_previous,
                    });
                }
                let k = key(
                    &v.id,
                    RecordKind::Fuel,
                    time::to_sql(r.occurred_at),
                    Some(r.odometer.value),
                    r.quantity.value,
                    r.total_cost.minor,
                    "",
                );
                (NewRecord::Fuel { id: None, input }, k, RecordKind::Fuel)
            }
            ItemKind::Service {
                kind,
                date,
                odometer,
                title,
                category,
                cost_minor,
                notes,
                tags,
            } => {
                let odometer = match odometer {
                    Some(o) => match self.reading(it.line, *o) {
                        Some(o) => Some(o),
                        None => return Ok(None),
                    },
                    None => None,
                };
                let input = ServiceInput {
                    vehicle_id: id,
                    kind: *kind,
                    occurred_at: self.date(date, it.line)?,
                    odometer: odometer.map(|o| o * df),
                    title: title.clone(),
                    category: category.clone(),
                    cost_minor: *cost_minor,
                    notes: notes.clone(),
                    tags: tags.clone(),
                };
                let r = input.validate(v, self.now).map_err(verr)?;
                let k = key(
                    &v.id,
                    RecordKind::Service,
                    time::to_sql(r.occurred_at),
                    r.odometer.map(|o| o.value),
                    0.0,
                    r.cost.minor,
                    &r.title,
                );
                (
                    NewRecord::Service { id: None, input },
                    k,
                    RecordKind::Service,
                )
            }
            ItemKind::Odometer {
                date,
                odometer,
                notes,
            } => {
                let Some(odometer) = self.reading(it.line, *odometer) else {
                    return Ok(None);
                };
                let input = OdometerInput {
                    vehicle_id: id,
                    occurred_at: self.date(date, it.line)?,
                    odometer: odometer * df,
                    notes: notes.clone(),
                };
                let r = input.validate(v, self.now).map_err(verr)?;
                let k = key(
                    &v.id,
                    RecordKind::Odometer,
                    time::to_sql(r.occurred_at),
                    Some(r.odometer.value),
                    0.0,
                    0,
                    "",
                );
                (
                    NewRecord::Odometer { id: None, input },
                    k,
                    RecordKind::Odometer,
                )
            }
            ItemKind::Reminder {
                title,
                notes,
                due,
                due_plus_months,
                due_odometer,
                recur_months,
                recur_distance,
                schedule,
                thresholds,
            } => {
                let due_at = match due {
                    Some(d) => Some(
                        self.date(d, it.line)?
                            .checked_add_months(Months::new(*due_plus_months))
                            .unwrap_or(NaiveDateTime::MAX),
                    ),
                    None => None,
                };
                let input = ReminderInput {
                    vehicle_id: id,
                    title: title.clone(),
                    notes: notes.clone(),
                    due_at,
                    due_odometer: due_odometer.map(|o| o * df),
                    recur_months: *recur_months,
                    recur_distance: recur_distance.map(|o| o * df),
                    schedule: *schedule,
                    thresholds: crate::reminders::Thresholds {
                        urgent_distance: thresholds.urgent_distance.map(|o| o * df),
                        very_urgent_distance: thresholds.very_urgent_distance.map(|o| o * df),
                        ..*thresholds
                    },
                };
                let r = input.validate(v).map_err(verr)?;
                let k = key(
                    &v.id,
                    RecordKind::Reminder,
                    r.due_at.map(time::to_sql).unwrap_or(0),
                    r.due_odometer.map(|o| o.value),
                    0.0,
                    0,
                    &r.title,
                );
                (
                    NewRecord::Reminder { id: None, input },
                    k,
                    RecordKind::Reminder,
                )
            }
        }))
    }

    /// The reading to import for a row, after the user's decision on a flagged one;
    /// `None` when the row is to be skipped.
    fn reading(&self, line: u64, odometer: f64) -> Option<f64> {
        match self.actions.get(&line) {
            Some(OdometerAction::Skip) => {
                self.out
                    .odometer_skipped
                    .set(self.out.odometer_skipped.get() + 1);
                None
            }
            Some(OdometerAction::Fix { odometer }) => Some(*odometer),
            Some(OdometerAction::Confirm) | None => Some(odometer),
        }
    }

    fn preview_row(&self, line: u64, rec: &NewRecord, kind: RecordKind) -> PreviewRow {
        let vehicle_name = |id: &str| {
            self.targets
                .iter()
                .find(|t| t.vehicle.id == id)
                .map(|t| t.vehicle.name.clone())
                .unwrap_or_default()
        };
        let mut row = PreviewRow {
            line,
            kind,
            vehicle: String::new(),
            date: NaiveDateTime::MIN,
            odometer: None,
            quantity: None,
            cost_minor: 0,
            is_full: None,
            missed_previous: None,
            text: String::new(),
        };
        match rec {
            NewRecord::Fuel { input: i, .. } => {
                row.vehicle = vehicle_name(&i.vehicle_id);
                row.date = i.occurred_at;
                row.odometer = Some(i.odometer);
                row.quantity = Some(i.quantity);
                row.cost_minor = i.total_cost_minor;
                row.is_full = Some(i.is_full);
                row.missed_previous = Some(i.missed_previous);
                row.text = i.notes.clone();
            }
            NewRecord::Service { input: i, .. } => {
                row.vehicle = vehicle_name(&i.vehicle_id);
                row.date = i.occurred_at;
                row.odometer = i.odometer;
                row.cost_minor = i.cost_minor;
                row.text = i.title.clone();
            }
            NewRecord::Odometer { input: i, .. } => {
                row.vehicle = vehicle_name(&i.vehicle_id);
                row.date = i.occurred_at;
                row.odometer = Some(i.odometer);
                row.text = i.notes.clone();
            }
            NewRecord::Reminder { input: i, .. } => {
                row.vehicle = vehicle_name(&i.vehicle_id);
                row.date = i.due_at.unwrap_or(NaiveDateTime::MIN);
                row.odometer = i.due_odometer;
                row.text = i.title.clone();
            }
            NewRecord::Vehicle { .. } | NewRecord::ReminderCompletion { .. } => {}
        }
        row
    }

    pub(super) fn finish(
        mut self,
        format: FormatId,
        rows: u64,
        mut warnings: Vec<String>,
        skip: bool,
        extras: Extras,
    ) -> ImportReport {
        let mut mismatches: Vec<EconomyMismatch> = Vec::new();
        let mut mismatch_count = 0;
        for (i, fills) in self.out.fills.iter_mut().enumerate() {
            let v = &self.targets[i].vehicle;
            let (m, n) = check::compare(
                &v.name,
                fills,
                v.distance_unit,
                v.volume_unit,
                v.economy_unit,
            );
            mismatches.extend(m);
            mismatch_count += n;
        }
        if mismatch_count as usize > mismatches.len() {
            warnings.push(format!(
                "{mismatch_count} rows' economy differs from Glovebox's by more than 1%; the first {} are listed",
                mismatches.len()
            ));
        }
        mismatches.sort_by_key(|m| m.line);
        warnings.append(&mut self.out.warnings);
        let skipped = self.targets.iter().filter(|t| !t.public.included).count();
        if skipped > 0 {
            warnings.push(format!(
                "{skipped} other vehicle(s) in the file were left out"
            ));
        }
        if self.out.odometer_skipped.get() > 0 {
            warnings.push(format!(
                "{} row(s) with a flagged odometer reading were skipped, as chosen",
                self.out.odometer_skipped.get()
            ));
        }
        if self.out.bad_count as usize > self.out.bad.len() {
            warnings.push(format!(
                "{} bad rows; the first {} are listed",
                self.out.bad_count,
                self.out.bad.len()
            ));
        }
        let mut counts = self.out.counts;
        counts.vehicles = self
            .out
            .created
            .iter()
            .filter(|&&i| self.targets[i].is_new)
            .count() as u64;
        let created = self.out.created;
        let per_vehicle = self.out.per_vehicle;
        let vehicles = self
            .targets
            .into_iter()
            .enumerate()
            .map(|(i, t)| {
                let mut p = t.public;
                p.records = per_vehicle.get(i).copied().unwrap_or_default();
                p.records.vehicles = (t.is_new && created.contains(&i)) as u64;
                if t.is_new && !created.contains(&i) {
                    // Nothing new for it: no vehicle is (or would be) created.
                    p.vehicle_id = None;
                }
                p
            })
            .collect();
        ImportReport {
            format,
            detected: extras.detected,
            dates: extras.dates,
            vehicles,
            rows,
            new_records: counts,
            duplicates: self.out.duplicates,
            duplicate_rows: self.out.duplicate_rows,
            bad_row_count: self.out.bad_count,
            bad_rows: self.out.bad,
            skipped_bad_rows: skip && self.out.bad_count > 0,
            first_rows: self.out.first_rows,
            odometer_flags: extras.odometer_flags,
            economy_mismatches: mismatches,
            left_out: extras.left_out,
            attachments: extras.attachments,
            needs: extras.needs,
            warnings,
            committed: false,
        }
    }
}

/// Adds one record to the counts per kind (tax: service records of category "Tax").
fn count(c: &mut Counts, rec: &NewRecord) {
    match rec {
        NewRecord::Fuel { .. } => c.fuel += 1,
        NewRecord::Service { input, .. } => {
            c.service += 1;
            match input.kind {
                ServiceKind::Repair => c.repair += 1,
                ServiceKind::Upgrade => c.upgrade += 1,
                ServiceKind::Service if input.category.eq_ignore_ascii_case("tax") => c.tax += 1,
                ServiceKind::Service => {}
            }
        }
        NewRecord::Odometer { .. } => c.odometer += 1,
        NewRecord::Reminder { .. } => c.reminders += 1,
        NewRecord::Vehicle { .. } | NewRecord::ReminderCompletion { .. } => {}
    }
}
