//! The passes of an import (see the module docs): scan, decide (dates, targets, odometer
//! flags), then check (and write). Formats are reached only through `format::Entry`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use super::checker::{Checker, Outcome, PROGRESS_EVERY};
use super::common::{DateEvidence, Event, ItemKind, ParseCtx, ReadOpts, VehicleDraft};
use super::format::{self, Entry, Head};
use super::guard::{self, Reading};
use super::targets::{existing_keys, resolve_targets};
use super::{
    fatal, head_of, looks_binary, AttachmentRef, Counts, DateInfo, DateOrder, ImportError,
    ImportOptions, ImportReport, LeftOut, Need, Phase, Progress, Source, HEAD_BYTES,
};
use crate::error::Result;
use crate::events::RecordKind;
use crate::garage::{BatchOptions, NewRecord};
use crate::{ChangeSource, Garage};

/// Records handed to the writer at a time.
const CHUNK: usize = 1024;

fn choose_format(
    src: &dyn Source,
    opts: &ImportOptions,
) -> Result<(Entry, Vec<super::Detected>, ReadOpts)> {
    let raw = head_of(src, HEAD_BYTES)?;
    let head = Head::new(&raw);
    let ranked = format::rank(&head);
    let entry = match opts.format {
        Some(f) => format::entry_for(f),
        None => match ranked.first() {
            Some(d) => format::entry_for(d.format),
            None if head.bytes.iter().all(u8::is_ascii_whitespace) => {
                return Err(fatal(ImportError::Empty))
            }
            None if looks_binary(head.bytes) => {
                return Err(fatal(ImportError::NotText { line: 1 }))
            }
            None => return Err(fatal(ImportError::UnknownFormat)),
        },
    };
    if !entry.binary {
        if head.bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(fatal(ImportError::Empty));
        }
        if looks_binary(head.bytes) {
            return Err(fatal(ImportError::NotText { line: 1 }));
        }
    }
    Ok((entry, ranked, head.read))
}

pub(super) fn run(
    garage: &Garage,
    src: &dyn Source,
    opts: &ImportOptions,
    progress: &(dyn Fn(Progress) + Sync),
    cancel: &AtomicBool,
    write: bool,
) -> Result<ImportReport> {
    let (entry, detected, read) = choose_format(src, opts)?;
    let base_ctx = ParseCtx {
        read,
        tank: opts.tank.unwrap_or(1),
        utc_offset_minutes: opts.server_utc_offset_minutes,
        now: garage.now(),
        ..ParseCtx::default()
    };

    // Pass 1: vehicles, date evidence, readings, row count.
    let mut scan = Scan::default();
    entry
        .parse(src, &base_ctx, &mut |ev| scan.on(ev, progress, cancel))
        .map_err(fatal)?;
    let mut warnings = std::mem::take(&mut scan.warnings);
    let mut needs = std::mem::take(&mut scan.needs);

    let (order, dates) =
        decide_dates(&scan.evidence, opts, entry.date_order, &mut warnings).map_err(fatal)?;
    if dates.order.is_none() {
        needs.insert(0, Need::DateOrder);
    }
    let resolved = resolve_targets(garage, &scan.drafts, opts, src.stem(), &mut warnings)?;
    needs.extend(resolved.needs);
    let targets = resolved.targets;

    let rebuilt = guard::rebuild_trips(&mut scan.readings, order, &mut warnings);
    let flags = guard::flag(garage, &targets, &scan.readings, &rebuilt, order, opts)?;
    let undecided: Vec<u64> = flags
        .flags
        .iter()
        .filter(|f| f.action.is_none())
        .map(|f| f.line)
        .collect();
    if !undecided.is_empty() {
        needs.push(Need::OdometerDecisions {
            lines: undecided.clone(),
        });
    }
    if write {
        refuse_unless_settled(&needs, &scan.evidence, &flags.flags)?;
    }

    let ctx = ParseCtx {
        money_digits: targets
            .first()
            .map(|t| t.vehicle.currency.minor_digits())
            .unwrap_or(2),
        ..base_ctx
    };
    let keys = existing_keys(garage, &targets)?;
    let stored = stored_fills(garage, &targets)?;
    let mut checker = Checker {
        targets,
        order,
        now: garage.now(),
        keys,
        file_keys: Default::default(),
        total: scan.rows,
        collect_fills: scan.has_economy,
        stored,
        fields: Vec::new(),
        rebuilt,
        actions: flags.actions,
        preview_rows: opts.preview_rows.unwrap_or(20) as usize,
        out: Outcome::default(),
    };
    let extras = Extras {
        detected,
        dates,
        left_out: scan.left_out,
        attachments: scan.attachments,
        needs,
        odometer_flags: flags.flags,
    };
    if !write {
        entry
            .parse(src, &ctx, &mut |ev| {
                checker.on(ev, progress, cancel, &mut |_| Ok(()))
            })
            .map_err(fatal)?;
        return Ok(checker.finish(entry.id, scan.rows, warnings, opts.skip_bad_rows, extras));
    }

    let (tx, rx) = mpsc::sync_channel::<Vec<Result<NewRecord>>>(8);
    let skip = opts.skip_bad_rows;
    let rows = scan.rows;
    let (written, report) = std::thread::scope(|s| {
        let worker = s.spawn(move || {
            let mut buf: Vec<Result<NewRecord>> = Vec::with_capacity(CHUNK);
            let mut closed = false;
            let res = entry.parse(src, &ctx, &mut |ev| {
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
                // A cancel after the last row still writes nothing.
                Ok(()) if cancel.load(Ordering::Relaxed) => Some(ImportError::Cancelled),
                Ok(()) => None,
            };
            if let Some(e) = end {
                buf.push(Err(fatal(e)));
            }
            if !closed {
                let _ = tx.send(buf);
            }
            drop(tx);
            // The report (the economy cross-check over every fill is most of it) is made
            // here while the writer commits what it still holds: it needs nothing the write
            // decides, and it was a tenth of a million-row commit when made after it.
            checker.finish(entry.id, rows, warnings, skip, extras)
        });
        let written = garage.try_write_batch(
            rx.into_iter().flatten(),
            BatchOptions {
                source: ChangeSource::Import,
                check_odometer: false,
            },
        );
        let report = worker.join().expect("import parser thread panicked");
        (written, report)
    });
    let summary = written?;
    let mut report = report;
    report.committed = true;
    let split = report.new_records;
    report.new_records = Counts {
        vehicles: summary.vehicles,
        fuel: summary.fuel,
        service: summary.service,
        odometer: summary.odometer,
        reminders: summary.reminders,
        ..split
    };
    for v in &mut report.vehicles {
        if v.included {
            v.vehicle_id = v.existing_id.clone().or(v.vehicle_id.take());
        }
    }
    progress(Progress {
        phase: Phase::Importing,
        done: rows,
        total: rows,
    });
    Ok(report)
}

/// What the passes found besides records, carried into the report.
pub(super) struct Extras {
    pub(super) detected: Vec<super::Detected>,
    pub(super) dates: DateInfo,
    pub(super) left_out: Vec<LeftOut>,
    pub(super) attachments: Vec<AttachmentRef>,
    pub(super) needs: Vec<Need>,
    pub(super) odometer_flags: Vec<super::OdometerFlag>,
}

/// The order to read dates in, and what the preview says about it. An ambiguous file
/// without a choice is read day-first for the preview only (`DateInfo::order` is `None`).
fn decide_dates(
    ev: &DateEvidence,
    opts: &ImportOptions,
    fixed: Option<DateOrder>,
    warnings: &mut Vec<String>,
) -> std::result::Result<(DateOrder, DateInfo), ImportError> {
    let settled_by = ev
        .day_first_only
        .as_ref()
        .or(ev.month_first_only.as_ref())
        .map(|(line, text)| super::DateEvidenceRow {
            line: *line,
            text: text.clone(),
        });
    let mut info = DateInfo {
        order: None,
        ambiguous: ev.ambiguous > 0,
        settled_by,
        year_last_rows: ev.year_last,
    };
    match ev.decide(opts.date_format, fixed, warnings) {
        Ok(o) => {
            info.order = Some(o);
            Ok((o, info))
        }
        Err(ImportError::AmbiguousDates { .. }) => Ok((DateOrder::Dmy, info)),
        Err(e) => Err(e),
    }
}

/// Before anything is written: every choice made, or the error that says which is missing.
fn refuse_unless_settled(
    needs: &[Need],
    ev: &DateEvidence,
    flags: &[super::OdometerFlag],
) -> Result<()> {
    if let Some(n) = needs.first() {
        let e = match n {
            Need::DateOrder => ImportError::AmbiguousDates { rows: ev.year_last },
            Need::Units {
                source_name,
                fields,
            } => ImportError::UnitsRequired {
                vehicle: source_name.clone(),
                fields: fields.clone(),
            },
            Need::OdometerDecisions { lines } => {
                let first = flags
                    .iter()
                    .find(|f| f.action.is_none())
                    .map(|f| {
                        let at = f
                            .location
                            .clone()
                            .unwrap_or_else(|| format!("line {}", f.line));
                        format!("{at}: {}", f.reason)
                    })
                    .unwrap_or_default();
                ImportError::OdometerDecisions {
                    count: lines.len() as u64,
                    lines: lines.clone(),
                    first,
                }
            }
            Need::ServerUtcOffset { candidates } => ImportError::ServerUtcOffset {
                candidates: candidates.clone(),
            },
        };
        return Err(fatal(e));
    }
    Ok(())
}

#[derive(Default)]
struct Scan {
    drafts: Vec<VehicleDraft>,
    evidence: DateEvidence,
    rows: u64,
    last_line: u64,
    has_economy: bool,
    readings: Vec<Reading>,
    warnings: Vec<String>,
    needs: Vec<Need>,
    left_out: Vec<LeftOut>,
    attachments: Vec<AttachmentRef>,
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
            Event::LeftOut(l) => {
                self.left_out.push(l);
                return Ok(());
            }
            Event::Attachment(a) => {
                self.attachments.push(a);
                return Ok(());
            }
            Event::Need(n) => {
                self.needs.push(n);
                return Ok(());
            }
            Event::Fields(_) => return Ok(()),
            Event::Bad(e) => e.line,
            Event::Item(it) => {
                if let Some(d) = it.kind.date() {
                    self.evidence.add(it.line, d);
                }
                let reading = match &it.kind {
                    ItemKind::Fuel {
                        date,
                        odometer,
                        economy,
                        trip,
                        ..
                    } => {
                        self.has_economy |= economy.is_some();
                        Some((RecordKind::Fuel, *date, *odometer, trip.unwrap_or(f64::NAN)))
                    }
                    ItemKind::Service {
                        date,
                        odometer: Some(o),
                        ..
                    } => Some((RecordKind::Service, *date, *o, f64::NAN)),
                    ItemKind::Odometer { date, odometer, .. } => {
                        Some((RecordKind::Odometer, *date, *odometer, f64::NAN))
                    }
                    _ => None,
                };
                if let Some((kind, date, odometer, trip)) = reading {
                    self.readings.push(Reading {
                        vehicle: it.vehicle as u32,
                        line: it.line,
                        kind,
                        date,
                        odometer,
                        trip,
                        location: it.location.clone(),
                    });
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

/// The fill-ups existing target vehicles already have, for the average they will show.
fn stored_fills(
    garage: &Garage,
    targets: &[super::targets::Target],
) -> Result<Vec<Vec<super::check::Fill>>> {
    targets
        .iter()
        .map(|t| {
            if t.is_new || !t.public.included {
                return Ok(Vec::new());
            }
            Ok(garage
                .fuel_records(&t.vehicle.id, crate::Page::ALL)?
                .iter()
                .map(|r| super::check::Fill {
                    at: r.occurred_at,
                    odometer: r.odometer.value,
                    quantity: r.quantity.value,
                    source: 0.0,
                    line: 0,
                    full: r.is_full,
                    missed: r.missed_previous,
                })
                .collect())
        })
        .collect()
}
