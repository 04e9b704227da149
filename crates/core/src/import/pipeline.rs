//! The two passes of an import (see the module docs): scan, then check (and write).

use std::collections::HashSet;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use chrono::{Datelike, Months, NaiveDateTime};

use super::check::{self, EconomyMismatch, Fills};
use super::common::{self, DateEvidence, Event, Item, ItemKind, ParseCtx, Sink, VehicleDraft};
use super::{
    detect, fatal, head_of, looks_binary, Counts, DateOrder, Format, ImportError, ImportOptions,
    ImportReport, Phase, PreviewRow, Progress, RowError, Source, TargetVehicle,
};
use crate::economy::FillUp;
use crate::error::{Error, Result};
use crate::events::RecordKind;
use crate::fuel::FuelInput;
use crate::garage::{BatchOptions, NewRecord};
use crate::odometer::OdometerInput;
use crate::reminders::ReminderInput;
use crate::service::{ServiceInput, ServiceKind};
use crate::units::{Currency, DistanceUnit, FuelKind, VolumeUnit};
use crate::vehicles::{Vehicle, VehicleInput};
use crate::{time, ChangeSource, Garage};

/// Rows between progress reports and cancel checks.
const PROGRESS_EVERY: u64 = 4096;
/// Records handed to the writer at a time.
const CHUNK: usize = 1024;
/// Bad rows kept with full detail (all are counted).
const MAX_LISTED: usize = 10_000;
const FIRST_ROWS: usize = 20;

fn parse(
    format: Format,
    src: &dyn Source,
    delimiter: u8,
    ctx: &ParseCtx,
    sink: &mut Sink<'_>,
) -> std::result::Result<(), ImportError> {
    let input = src.open()?;
    match format {
        Format::Fuelly => super::fuelly::parse(input, delimiter, ctx, sink),
        Format::Fuelio => super::fuelio::parse(input, delimiter, ctx, sink),
        Format::Drivvo => super::drivvo::parse(input, delimiter, ctx, sink),
        lube => super::lubelogger::parse(input, delimiter, lube, ctx, sink),
    }
}

pub(super) fn run(
    garage: &Garage,
    src: &dyn Source,
    opts: &ImportOptions,
    progress: &(dyn Fn(Progress) + Sync),
    cancel: &AtomicBool,
    write: bool,
) -> Result<ImportReport> {
    let head = head_of(src, 64 * 1024)?;
    let format = match opts.format {
        Some(f) => {
            let body = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&head);
            if body.iter().all(u8::is_ascii_whitespace) {
                return Err(fatal(ImportError::Empty));
            }
            if looks_binary(body) {
                return Err(fatal(ImportError::NotText { line: 1 }));
            }
            f
        }
        None => detect(&head).map_err(fatal)?,
    };
    let delimiter = common::sniff_delimiter(&head);
    let service_kind = match format {
        Format::LubeloggerRepair => ServiceKind::Repair,
        Format::LubeloggerUpgrade => ServiceKind::Upgrade,
        _ => ServiceKind::Service,
    };

    // Pass 1: vehicles, date evidence, row count.
    let mut scan = Scan::default();
    let ctx = ParseCtx {
        money_digits: 2,
        service_kind,
    };
    parse(format, src, delimiter, &ctx, &mut |ev| {
        scan.on(ev, progress, cancel)
    })
    .map_err(fatal)?;
    let mut warnings = std::mem::take(&mut scan.warnings);
    let order = scan
        .evidence
        .decide(opts.date_format, format.fixed_date_order(), &mut warnings)
        .map_err(fatal)?;
    let targets = resolve_targets(garage, &scan.drafts, opts, src.stem(), &mut warnings)?;
    let ctx = ParseCtx {
        money_digits: targets
            .first()
            .map(|t| t.vehicle.currency.minor_digits())
            .unwrap_or(2),
        service_kind,
    };
    let keys = existing_keys(garage, &targets)?;

    let mut checker = Checker {
        targets,
        order,
        now: garage.now(),
        keys,
        total: scan.rows,
        collect_fills: scan.has_economy,
        out: Outcome::default(),
    };
    let counts_vehicles = checker
        .targets
        .iter()
        .filter(|t| t.is_new && t.public.included)
        .count() as u64;

    if write {
        let (tx, rx) = mpsc::sync_channel::<Vec<Result<NewRecord>>>(8);
        let skip = opts.skip_bad_rows;
        let (written, checker) = std::thread::scope(|s| {
            let worker = s.spawn(move || {
                let mut buf: Vec<Result<NewRecord>> = Vec::with_capacity(CHUNK);
                for t in checker
                    .targets
                    .iter()
                    .filter(|t| t.is_new && t.public.included)
                {
                    buf.push(Ok(NewRecord::Vehicle {
                        id: Some(t.vehicle.id.clone()),
                        input: t.input.clone(),
                    }));
                }
                let mut closed = false;
                let res = parse(format, src, delimiter, &ctx, &mut |ev| {
                    checker.on(ev, progress, cancel, &mut |rec| {
                        buf.push(Ok(rec));
                        if buf.len() >= CHUNK {
                            let full = std::mem::replace(&mut buf, Vec::with_capacity(CHUNK));
                            if tx.send(full).is_err() {
                                // The writer stopped (its error is what the caller sees).
                                closed = true;
                                return Err(ImportError::Cancelled);
                            }
                        }
                        Ok(())
                    })
                });
                let end = match res {
                    Err(e) => Some(e),
                    Ok(()) if checker.out.bad_count > 0 && !skip => Some(ImportError::BadRows {
                        count: checker.out.bad_count,
                        rows: checker.out.bad.clone(),
                    }),
                    Ok(()) => None,
                };
                if let Some(e) = end {
                    buf.push(Err(fatal(e)));
                }
                if !closed {
                    let _ = tx.send(buf);
                }
                checker
            });
            let written = garage.try_write_batch(
                rx.into_iter().flatten(),
                BatchOptions {
                    source: ChangeSource::Import,
                    check_odometer: false,
                },
            );
            let checker = worker.join().expect("import parser thread panicked");
            (written, checker)
        });
        let summary = written?;
        let mut report = checker.finish(format, scan.rows, warnings, opts.skip_bad_rows);
        report.committed = true;
        report.new_records = Counts {
            vehicles: summary.vehicles,
            fuel: summary.fuel,
            service: summary.service,
            odometer: summary.odometer,
            reminders: summary.reminders,
        };
        progress(Progress {
            phase: Phase::Importing,
            done: scan.rows,
            total: scan.rows,
        });
        Ok(report)
    } else {
        parse(format, src, delimiter, &ctx, &mut |ev| {
            checker.on(ev, progress, cancel, &mut |_| Ok(()))
        })
        .map_err(fatal)?;
        let mut report = checker.finish(format, scan.rows, warnings, opts.skip_bad_rows);
        report.new_records.vehicles = counts_vehicles;
        Ok(report)
    }
}

#[derive(Default)]
struct Scan {
    drafts: Vec<VehicleDraft>,
    evidence: DateEvidence,
    rows: u64,
    last_line: u64,
    has_economy: bool,
    warnings: Vec<String>,
}

impl Scan {
    fn on(
        &mut self,
        ev: Event,
        progress: &dyn Fn(Progress),
        cancel: &AtomicBool,
    ) -> std::result::Result<(), ImportError> {
        let line = match ev {
            Event::Vehicle(d) => {
                self.drafts.push(d);
                return Ok(());
            }
            Event::Warning(w) => {
                self.warnings.push(w);
                return Ok(());
            }
            Event::Bad(e) => e.line,
            Event::Item(it) => {
                if let Some(d) = it.kind.date() {
                    self.evidence.add(it.line, d);
                }
                if let ItemKind::Fuel {
                    economy: Some(_), ..
                } = it.kind
                {
                    self.has_economy = true;
                }
                it.line
            }
        };
        if line != self.last_line {
            self.last_line = line;
            self.rows += 1;
            if self.rows.is_multiple_of(PROGRESS_EVERY) {
                if cancel.load(Ordering::Relaxed) {
                    return Err(ImportError::Cancelled);
                }
                progress(Progress {
                    phase: Phase::Scanning,
                    done: self.rows,
                    total: 0,
                });
            }
        }
        Ok(())
    }
}

/// Where one file vehicle's rows go, with unit conversion factors.
struct Target {
    public: TargetVehicle,
    vehicle: Vehicle,
    input: VehicleInput,
    is_new: bool,
    distance_factor: f64,
    volume_factor: f64,
}

fn resolve_targets(
    garage: &Garage,
    drafts: &[VehicleDraft],
    opts: &ImportOptions,
    stem: Option<String>,
    warnings: &mut Vec<String>,
) -> Result<Vec<Target>> {
    let existing = garage.vehicles(true)?;
    let pick = opts.vehicle.as_deref().map(str::trim);
    let mut out = Vec::new();
    for d in drafts {
        let source_name = match d.name.trim() {
            "" => pick
                .map(str::to_owned)
                .or(stem.clone())
                .unwrap_or_else(|| "Imported vehicle".into()),
            n => n.to_owned(),
        };
        let (name, included) = match pick {
            None => (source_name.clone(), true),
            Some(p) if drafts.len() == 1 => (p.to_owned(), true),
            Some(p) => (source_name.clone(), source_name.eq_ignore_ascii_case(p)),
        };
        let found = existing
            .iter()
            .find(|v| v.name.trim().eq_ignore_ascii_case(name.trim()));
        let (vehicle, input, is_new) = match found {
            Some(v) => (v.clone(), input_of(v), false),
            None => {
                let distance = d.distance_unit.unwrap_or(match d.volume_unit {
                    Some(VolumeUnit::UsGallon) => DistanceUnit::Mile,
                    _ => DistanceUnit::Kilometre,
                });
                let volume = d.volume_unit.unwrap_or(VolumeUnit::Litre);
                let input = VehicleInput {
                    name: name.clone(),
                    make: d.make.clone(),
                    model: d.model.clone(),
                    year: d.year,
                    plate: d.plate.clone(),
                    vin: d.vin.clone(),
                    fuel_kind: d.fuel_kind.unwrap_or(if volume.is_electric() {
                        FuelKind::Electric
                    } else {
                        FuelKind::Petrol
                    }),
                    distance_unit: distance,
                    volume_unit: volume,
                    economy_unit: None,
                    currency: opts.currency.unwrap_or(if distance == DistanceUnit::Mile {
                        Currency::USD
                    } else {
                        Currency::EUR
                    }),
                };
                let mut v = input.validate(garage.now().year()).map_err(|e| {
                    fatal(ImportError::Vehicle(format!(
                        "vehicle {name:?} in the file: {e}"
                    )))
                })?;
                v.id = uuid::Uuid::now_v7().to_string();
                (v, input, true)
            }
        };
        let distance_factor = d
            .distance_unit
            .map(|u| vehicle.distance_unit.from_km(u.to_km(1.0)))
            .unwrap_or(1.0);
        let volume_factor = match d.volume_unit {
            Some(u) if u.is_electric() != vehicle.volume_unit.is_electric() => {
                return Err(fatal(ImportError::Vehicle(format!(
                    "the file measures fuel in {} but {} uses {}",
                    u.label(),
                    vehicle.name,
                    vehicle.volume_unit.label()
                ))))
            }
            Some(u) => vehicle.volume_unit.from_base(u.to_base(1.0)),
            None => 1.0,
        };
        if included && (distance_factor != 1.0 || volume_factor != 1.0) {
            warnings.push(format!(
                "{}: the file's {} / {} are converted to the vehicle's {} / {}",
                vehicle.name,
                d.distance_unit.unwrap_or(vehicle.distance_unit).label(),
                d.volume_unit.unwrap_or(vehicle.volume_unit).label(),
                vehicle.distance_unit.label(),
                vehicle.volume_unit.label()
            ));
        }
        out.push(Target {
            public: TargetVehicle {
                source_name,
                name: vehicle.name.clone(),
                existing_id: (!is_new).then(|| vehicle.id.clone()),
                distance_unit: vehicle.distance_unit,
                volume_unit: vehicle.volume_unit,
                currency: vehicle.currency,
                file_distance_unit: d.distance_unit,
                file_volume_unit: d.volume_unit,
                included,
            },
            vehicle,
            input,
            is_new,
            distance_factor,
            volume_factor,
        });
    }
    if let Some(p) = pick {
        if drafts.len() > 1 && !out.iter().any(|t| t.public.included) {
            let names: Vec<_> = out.iter().map(|t| t.public.source_name.clone()).collect();
            return Err(fatal(ImportError::Vehicle(format!(
                "the file holds vehicles {}; none is named {p:?}",
                names.join(", ")
            ))));
        }
    }
    Ok(out)
}

fn input_of(v: &Vehicle) -> VehicleInput {
    VehicleInput {
        name: v.name.clone(),
        make: v.make.clone(),
        model: v.model.clone(),
        year: v.year,
        plate: v.plate.clone(),
        vin: v.vin.clone(),
        fuel_kind: v.fuel_kind,
        distance_unit: v.distance_unit,
        volume_unit: v.volume_unit,
        economy_unit: Some(v.economy_unit),
        currency: v.currency,
    }
}

// ----- duplicate detection -----------------------------------------------------------------

/// Content key of a record: vehicle, kind, date, odometer, quantity, cost (and title for
/// services and reminders). Kept as a 64-bit hash so a million rows cost 8 MB, not a copy
/// of the file.
fn key(
    vehicle_id: &str,
    kind: RecordKind,
    at: i64,
    odo: Option<f64>,
    qty: f64,
    cost: i64,
    text: &str,
) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (vehicle_id, kind, at, cost, text.trim().to_lowercase()).hash(&mut h);
    odo.map(|o| (o * 100.0).round() as i64).hash(&mut h);
    ((qty * 1000.0).round() as i64).hash(&mut h);
    h.finish()
}

fn existing_keys(garage: &Garage, targets: &[Target]) -> Result<HashSet<u64>> {
    let mut keys = HashSet::new();
    for t in targets.iter().filter(|t| !t.is_new && t.public.included) {
        let id = t.vehicle.id.as_str();
        garage.store().read("import.existing_keys", |c| {
            let mut s = c.prepare(
                "SELECT occurred_at, odometer, quantity, total_cost FROM fuel_records \
                 WHERE vehicle_id = ?1 AND deleted = 0",
            )?;
            let mut rows = s.query([id])?;
            while let Some(r) = rows.next()? {
                keys.insert(key(id, RecordKind::Fuel, r.get(0)?, Some(r.get(1)?), r.get(2)?, r.get(3)?, ""));
            }
            let mut s = c.prepare(
                "SELECT occurred_at, odometer, cost, title FROM service_records \
                 WHERE vehicle_id = ?1 AND deleted = 0",
            )?;
            let mut rows = s.query([id])?;
            while let Some(r) = rows.next()? {
                let title: String = r.get(3)?;
                keys.insert(key(id, RecordKind::Service, r.get(0)?, r.get(1)?, 0.0, r.get(2)?, &title));
            }
            let mut s = c.prepare(
                "SELECT occurred_at, odometer FROM odometer_records WHERE vehicle_id = ?1 AND deleted = 0",
            )?;
            let mut rows = s.query([id])?;
            while let Some(r) = rows.next()? {
                keys.insert(key(id, RecordKind::Odometer, r.get(0)?, Some(r.get(1)?), 0.0, 0, ""));
            }
            let mut s = c.prepare(
                "SELECT coalesce(due_at, 0), due_odometer, title FROM reminders WHERE vehicle_id = ?1 AND deleted = 0",
            )?;
            let mut rows = s.query([id])?;
            while let Some(r) = rows.next()? {
                let title: String = r.get(2)?;
                keys.insert(key(id, RecordKind::Reminder, r.get(0)?, r.get(1)?, 0.0, 0, &title));
            }
            Ok(())
        })?;
    }
    Ok(keys)
}

// ----- pass 2 ------------------------------------------------------------------------------

#[derive(Default)]
struct Outcome {
    counts: Counts,
    duplicates: u64,
    bad: Vec<RowError>,
    bad_count: u64,
    last_bad_line: u64,
    first_rows: Vec<PreviewRow>,
    fills: Vec<Fills>,
    done: u64,
    last_line: u64,
    warnings: Vec<String>,
}

struct Checker {
    targets: Vec<Target>,
    order: DateOrder,
    now: NaiveDateTime,
    keys: HashSet<u64>,
    total: u64,
    collect_fills: bool,
    out: Outcome,
}

impl Checker {
    fn on(
        &mut self,
        ev: Event,
        progress: &(dyn Fn(Progress) + Sync),
        cancel: &AtomicBool,
        emit: &mut dyn FnMut(NewRecord) -> std::result::Result<(), ImportError>,
    ) -> std::result::Result<(), ImportError> {
        let line = match &ev {
            Event::Item(it) => it.line,
            Event::Bad(e) => e.line,
            _ => return Ok(()),
        };
        if line != self.out.last_line {
            self.out.last_line = line;
            self.out.done += 1;
            if self.out.done.is_multiple_of(PROGRESS_EVERY) {
                if cancel.load(Ordering::Relaxed) {
                    return Err(ImportError::Cancelled);
                }
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
                    if !self.keys.insert(k) {
                        self.out.duplicates += 1;
                        return Ok(());
                    }
                    match kind {
                        RecordKind::Fuel => self.out.counts.fuel += 1,
                        RecordKind::Service => self.out.counts.service += 1,
                        RecordKind::Odometer => self.out.counts.odometer += 1,
                        _ => self.out.counts.reminders += 1,
                    }
                    if self.out.first_rows.len() < FIRST_ROWS {
                        self.out
                            .first_rows
                            .push(self.preview_row(it.line, &rec, kind));
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
            line,
            column: Some("date".into()),
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
        let verr = |e: Error| RowError {
            line: it.line,
            column: e.field().map(str::to_owned),
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
            } => {
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
                    let f = &mut self.out.fills[it.vehicle];
                    f.fills.push(FillUp {
                        id: it.line.to_string(),
                        occurred_at: r.occurred_at,
                        odometer: r.odometer.value,
                        quantity: r.quantity.value,
                        total_cost_minor: r.total_cost.minor,
                        is_full: r.is_full,
                        missed_previous: r.missed_previous,
                    });
                    if let Some(e) = economy {
                        f.source.push((it.line, *e));
                    }
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
                    schedule: Default::default(),
                    thresholds: Default::default(),
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

    fn finish(
        mut self,
        format: Format,
        rows: u64,
        mut warnings: Vec<String>,
        skip: bool,
    ) -> ImportReport {
        let mut mismatches: Vec<EconomyMismatch> = Vec::new();
        for (i, fills) in self.out.fills.iter().enumerate() {
            let v = &self.targets[i].vehicle;
            mismatches.extend(check::compare(
                &v.name,
                fills,
                v.distance_unit,
                v.volume_unit,
                v.economy_unit,
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
        if self.out.bad_count as usize > self.out.bad.len() {
            warnings.push(format!(
                "{} bad rows; the first {} are listed",
                self.out.bad_count,
                self.out.bad.len()
            ));
        }
        let mut counts = self.out.counts;
        counts.vehicles = 0;
        ImportReport {
            format,
            date_order: self.order,
            vehicles: self.targets.into_iter().map(|t| t.public).collect(),
            rows,
            new_records: counts,
            duplicates: self.out.duplicates,
            bad_rows: self.out.bad,
            skipped_bad_rows: skip && self.out.bad_count > 0,
            first_rows: self.out.first_rows,
            economy_mismatches: mismatches,
            warnings,
            committed: false,
        }
    }
}
