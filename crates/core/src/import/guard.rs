//! Odometer readings across a whole file: rebuilt from trip distances where a file logs
//! trips instead (Fuelly), and judged by the same typo guard as typed input
//! (`odometer::judge`), so a reading that goes backwards is flagged per row and the user
//! skips, fixes or confirms it — never a silent wrong average.
//!
//! A file's rows are judged against each other, not one by one against their neighbours:
//! one typo (…, 45 210, 4 530, 45 790, …) would otherwise flag both it and the row before.
//! The longest run of readings that never goes down (in date order) is taken as right; the
//! rows outside it are flagged, with the guard's reason against the nearest readings kept.
//! Kept rows are still checked for implausible jumps, and all against what the database
//! already holds for an existing vehicle.

use std::collections::HashMap;

use chrono::NaiveDateTime;

use super::common::DateParts;
use super::targets::Target;
use super::{DateOrder, ImportOptions, OdometerAction, OdometerFlag};
use crate::error::Result;
use crate::events::RecordKind;
use crate::odometer::{self, Reading as At};
use crate::{Garage, Page};

/// A row that carries an odometer reading, as the scan saw it (the file's units).
#[derive(Debug, Clone)]
pub(super) struct Reading {
    pub(super) vehicle: u32,
    pub(super) line: u64,
    pub(super) kind: RecordKind,
    pub(super) date: DateParts,
    /// NaN when the file has none (a trip-logged fill-up).
    pub(super) odometer: f64,
    /// Distance since the previous fill-up, NaN when none.
    pub(super) trip: f64,
    pub(super) location: Option<String>,
}

/// Odometer readings for fill-ups logged by trip distance, by line: in date order, each is
/// the previous reading plus its trip; before a vehicle's first real reading they are
/// counted back from it; a vehicle with no reading at all starts from 0.
pub(super) fn rebuild_trips(
    rows: &mut [Reading],
    order: DateOrder,
    warnings: &mut Vec<String>,
) -> HashMap<u64, f64> {
    let mut out = HashMap::new();
    if !rows.iter().any(|r| r.odometer.is_nan()) {
        return out;
    }
    let mut fills: Vec<&mut Reading> = rows
        .iter_mut()
        .filter(|r| r.kind == RecordKind::Fuel)
        .collect();
    let when = |r: &Reading| r.date.resolve(order);
    fills.sort_by(|a, b| {
        a.vehicle
            .cmp(&b.vehicle)
            .then(when(a).cmp(&when(b)))
            .then(a.line.cmp(&b.line))
    });
    for group in fills.chunk_by_mut(|a, b| a.vehicle == b.vehicle) {
        let trip = |r: &Reading| if r.trip.is_nan() { 0.0 } else { r.trip };
        let first_known = group.iter().position(|r| !r.odometer.is_nan());
        let mut odo: Vec<f64> = group.iter().map(|r| r.odometer).collect();
        match first_known {
            Some(k) => {
                for i in (0..k).rev() {
                    odo[i] = odo[i + 1] - trip(group[i + 1]);
                }
            }
            None => odo[0] = trip(group[0]),
        }
        for i in 1..group.len() {
            if odo[i].is_nan() {
                odo[i] = odo[i - 1] + trip(group[i]);
            }
        }
        let mut n = 0;
        for (r, o) in group.iter_mut().zip(odo) {
            if r.odometer.is_nan() {
                out.insert(r.line, o);
                r.odometer = o;
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

pub(super) struct Flags {
    pub(super) flags: Vec<OdometerFlag>,
    /// The decision for each flagged line that has one.
    pub(super) actions: HashMap<u64, OdometerAction>,
}

pub(super) fn flag(
    garage: &Garage,
    targets: &[Target],
    rows: &[Reading],
    _rebuilt: &HashMap<u64, f64>,
    order: DateOrder,
    opts: &ImportOptions,
) -> Result<Flags> {
    let decided: HashMap<u64, OdometerAction> =
        opts.odometer.iter().map(|d| (d.line, d.action)).collect();
    let mut flags = Vec::new();
    let mut by_vehicle: HashMap<u32, Vec<(NaiveDateTime, &Reading)>> = HashMap::new();
    for r in rows {
        let Some(t) = targets.get(r.vehicle as usize) else {
            continue;
        };
        if !t.public.included || r.odometer.is_nan() || !judged(r.kind) {
            continue;
        }
        // Rows with a date that does not resolve are bad rows, reported by the check.
        if let Some(at) = r.date.resolve(order) {
            by_vehicle.entry(r.vehicle).or_default().push((at, r));
        }
    }
    let mut vehicles: Vec<_> = by_vehicle.into_iter().collect();
    vehicles.sort_by_key(|(v, _)| *v);
    for (v, mut list) in vehicles {
        let t = &targets[v as usize];
        let unit = t.vehicle.distance_unit;
        let df = t.distance_factor;
        list.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.odometer.total_cmp(&b.1.odometer)));
        let keep = longest_non_decreasing(&list);
        let stored = if t.is_new {
            Vec::new()
        } else {
            stored_readings(garage, &t.vehicle.id)?
        };
        let mut prev_kept: Option<At> = None;
        for (i, (at, r)) in list.iter().enumerate() {
            let value = r.odometer * df;
            let reason = if keep[i] {
                let before = latest(prev_kept, before_in(&stored, *at, value));
                let after = after_in(&stored, *at, value);
                let r = odometer::judge(unit, *at, value, before, after);
                prev_kept = Some(At {
                    at: *at,
                    odometer: value,
                });
                r
            } else {
                let next_kept = list[i + 1..]
                    .iter()
                    .zip(&keep[i + 1..])
                    .find(|(_, k)| **k)
                    .map(|((a, r), _)| At {
                        at: *a,
                        odometer: r.odometer * df,
                    });
                let before = latest(prev_kept, before_in(&stored, *at, value));
                let after = earliest(next_kept, after_in(&stored, *at, value));
                Some(
                    odometer::judge(unit, *at, value, before, after)
                        .unwrap_or_else(|| "goes against the file's other readings".into()),
                )
            };
            if let Some(reason) = reason {
                let action = decided
                    .get(&r.line)
                    .copied()
                    .or(match opts.odometer_default {
                        Some(OdometerAction::Fix { .. }) | None => None,
                        d => d,
                    });
                flags.push(OdometerFlag {
                    line: r.line,
                    location: r.location.clone(),
                    vehicle: t.public.name.clone(),
                    kind: r.kind,
                    date: *at,
                    odometer: r.odometer,
                    reason,
                    action,
                });
            }
        }
    }
    flags.sort_by_key(|f| f.line);
    let actions = flags
        .iter()
        .filter_map(|f| Some((f.line, f.action?)))
        .collect();
    Ok(Flags { flags, actions })
}

/// The readings that make the distance log and the economy: fill-ups and odometer
/// records. A service record's reading is often an estimate written down later (LubeLogger's
/// own demo has dozens a few hundred miles off); it is imported as written, not flagged.
fn judged(kind: RecordKind) -> bool {
    matches!(kind, RecordKind::Fuel | RecordKind::Odometer)
}

/// Which entries form the longest run whose odometer never goes down (ties keep the
/// earliest rows). O(n log n).
fn longest_non_decreasing(list: &[(NaiveDateTime, &Reading)]) -> Vec<bool> {
    let n = list.len();
    // tails[k]: index of the smallest last value of a run of length k+1.
    let mut tails: Vec<usize> = Vec::new();
    let mut prev: Vec<Option<usize>> = vec![None; n];
    for i in 0..n {
        let v = list[i].1.odometer;
        // First tail whose value is greater than v (non-decreasing allows equal).
        let pos = tails.partition_point(|&t| list[t].1.odometer <= v);
        if pos > 0 {
            prev[i] = Some(tails[pos - 1]);
        }
        if pos == tails.len() {
            tails.push(i);
        } else {
            tails[pos] = i;
        }
    }
    let mut keep = vec![false; n];
    let mut cur = tails.last().copied();
    while let Some(i) = cur {
        keep[i] = true;
        cur = prev[i];
    }
    keep
}

fn latest(a: Option<At>, b: Option<At>) -> Option<At> {
    match (a, b) {
        (Some(x), Some(y)) => Some(if (y.at, y.odometer) > (x.at, x.odometer) {
            y
        } else {
            x
        }),
        (x, y) => x.or(y),
    }
}

fn earliest(a: Option<At>, b: Option<At>) -> Option<At> {
    match (a, b) {
        (Some(x), Some(y)) => Some(if (y.at, y.odometer) < (x.at, x.odometer) {
            y
        } else {
            x
        }),
        (x, y) => x.or(y),
    }
}

/// The judged readings (fill-ups, odometer records) the database holds for a vehicle,
/// sorted by (time, odometer).
fn stored_readings(garage: &Garage, vehicle_id: &str) -> Result<Vec<At>> {
    let mut out: Vec<At> = Vec::new();
    for r in garage.fuel_records(vehicle_id, Page::ALL)? {
        out.push(At {
            at: r.occurred_at,
            odometer: r.odometer.value,
        });
    }
    for r in garage.odometer_records(vehicle_id, Page::ALL)? {
        out.push(At {
            at: r.occurred_at,
            odometer: r.odometer.value,
        });
    }
    out.sort_by(|a, b| a.at.cmp(&b.at).then(a.odometer.total_cmp(&b.odometer)));
    Ok(out)
}

/// Neighbours in (time, reading) order: dates without a time put several readings on one
/// instant, and those are in odometer order, not in conflict.
fn before_in(stored: &[At], at: NaiveDateTime, value: f64) -> Option<At> {
    let i = stored.partition_point(|r| (r.at, r.odometer) <= (at, value));
    i.checked_sub(1).map(|i| stored[i])
}

fn after_in(stored: &[At], at: NaiveDateTime, value: f64) -> Option<At> {
    let i = stored.partition_point(|r| (r.at, r.odometer) < (at, value));
    stored.get(i).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reading(line: u64, day: u32, odo: f64) -> Reading {
        Reading {
            vehicle: 0,
            line,
            kind: RecordKind::Fuel,
            date: DateParts::parse(&format!("2024-03-{day:02}")).unwrap(),
            odometer: odo,
            trip: f64::NAN,
            location: None,
        }
    }

    #[test]
    fn one_typo_flags_one_row() {
        let rows = [
            reading(2, 1, 45_000.0),
            reading(3, 8, 45_210.0),
            reading(4, 15, 4_530.0),
            reading(5, 22, 45_790.0),
            reading(6, 29, 46_100.0),
        ];
        let list: Vec<_> = rows
            .iter()
            .map(|r| (r.date.resolve(DateOrder::Ymd).unwrap(), r))
            .collect();
        let keep = longest_non_decreasing(&list);
        assert_eq!(keep, vec![true, true, false, true, true]);
    }
}
