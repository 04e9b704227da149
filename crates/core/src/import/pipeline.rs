//! The two passes of an import (see the module docs): scan, then check (and write).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use super::checker::{Checker, Outcome, PROGRESS_EVERY};
use super::common::{self, DateEvidence, Event, ItemKind, ParseCtx, Sink, VehicleDraft};
use super::targets::{existing_keys, resolve_targets};
use super::{
    detect, fatal, head_of, looks_binary, Counts, DateOrder, Format, ImportError, ImportOptions,
    ImportReport, Phase, Progress, Source,
};
use crate::error::Result;
use crate::garage::{BatchOptions, NewRecord};
use crate::service::ServiceKind;
use crate::{ChangeSource, Garage};

/// Records handed to the writer at a time.
const CHUNK: usize = 1024;

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
    let mut scan = Scan {
        collect_trips: format == Format::Fuelly,
        ..Scan::default()
    };
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
    let rebuilt = if scan.trip_rows {
        rebuild_odometers(&mut scan.trips, order, &mut warnings)
    } else {
        Default::default()
    };
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
        fields: Vec::new(),
        rebuilt,
        out: Outcome::default(),
    };
    if write {
        let (tx, rx) = mpsc::sync_channel::<Vec<Result<NewRecord>>>(8);
        let skip = opts.skip_bad_rows;
        let (written, checker) = std::thread::scope(|s| {
            let worker = s.spawn(move || {
                let mut buf: Vec<Result<NewRecord>> = Vec::with_capacity(CHUNK);
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
        Ok(checker.finish(format, scan.rows, warnings, opts.skip_bad_rows))
    }
}

#[derive(Default)]
struct Scan {
    drafts: Vec<VehicleDraft>,
    evidence: DateEvidence,
    rows: u64,
    last_line: u64,
    has_economy: bool,
    /// Some fill-up had no odometer but a trip distance.
    trip_rows: bool,
    collect_trips: bool,
    trips: Vec<TripRow>,
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
            Event::Fields(_) => return Ok(()),
            Event::Bad(e) => e.line,
            Event::Item(it) => {
                if let Some(d) = it.kind.date() {
                    self.evidence.add(it.line, d);
                }
                if let ItemKind::Fuel {
                    date,
                    odometer,
                    economy,
                    trip,
                    ..
                } = &it.kind
                {
                    self.has_economy |= economy.is_some();
                    self.trip_rows |= odometer.is_nan();
                    // Only Fuelly files (small: one row per fill-up) log trips.
                    if self.collect_trips {
                        self.trips.push(TripRow {
                            vehicle: it.vehicle,
                            date: *date,
                            line: it.line,
                            odometer: *odometer,
                            trip: trip.unwrap_or(0.0),
                        });
                    }
                }
                it.line
            }
        };
        if line != self.last_line {
            self.last_line = line;
            self.rows += 1;
            // A relaxed load per row costs nothing next to parsing it; checking every row
            // makes a cancel take effect at once.
            if cancel.load(Ordering::Relaxed) {
                return Err(ImportError::Cancelled);
            }
            if self.rows.is_multiple_of(PROGRESS_EVERY) {
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

/// A fill-up as needed to rebuild odometers from trip distances.
#[derive(Debug, Clone, Copy)]
struct TripRow {
    vehicle: usize,
    date: common::DateParts,
    line: u64,
    /// NaN when the file has none.
    odometer: f64,
    /// Distance since the previous fill-up.
    trip: f64,
}

/// Odometer readings for fill-ups logged by trip distance, by line: in date order, each is
/// the previous reading plus its trip; before a vehicle's first real reading they are
/// counted back from it; a vehicle with no reading at all starts from 0.
fn rebuild_odometers(
    rows: &mut [TripRow],
    order: DateOrder,
    warnings: &mut Vec<String>,
) -> HashMap<u64, f64> {
    let mut out = HashMap::new();
    let when = |r: &TripRow| r.date.resolve(order);
    rows.sort_by(|a, b| {
        a.vehicle
            .cmp(&b.vehicle)
            .then(when(a).cmp(&when(b)))
            .then(a.line.cmp(&b.line))
    });
    for group in rows.chunk_by(|a, b| a.vehicle == b.vehicle) {
        let first_known = group.iter().position(|r| !r.odometer.is_nan());
        let mut odo: Vec<f64> = group.iter().map(|r| r.odometer).collect();
        match first_known {
            Some(k) => {
                for i in (0..k).rev() {
                    odo[i] = odo[i + 1] - group[i + 1].trip;
                }
            }
            None => odo[0] = group[0].trip,
        }
        for i in 1..group.len() {
            if odo[i].is_nan() {
                odo[i] = odo[i - 1] + group[i].trip;
            }
        }
        let mut n = 0;
        for (r, o) in group.iter().zip(odo) {
            if r.odometer.is_nan() {
                out.insert(r.line, o);
                n += 1;
            }
        }
        if n > 0 {
            warnings.push(format!(
                "{n} fill-up(s) had no odometer reading; rebuilt from their trip distances"
            ));
        }
    }
    out
}
