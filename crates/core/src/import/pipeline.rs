//! The two passes of an import (see the module docs): scan, then check (and write).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use super::checker::{Checker, Outcome, PROGRESS_EVERY};
use super::common::{self, DateEvidence, Event, ItemKind, ParseCtx, Sink, VehicleDraft};
use super::targets::{existing_keys, resolve_targets};
use super::{
    detect, fatal, head_of, looks_binary, Counts, Format, ImportError, ImportOptions, ImportReport,
    Phase, Progress, Source,
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
        fields: Vec::new(),
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
