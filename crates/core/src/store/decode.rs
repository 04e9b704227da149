//! Reading stored codes (units, kinds, schedules) back into enums.
//!
//! A row may carry a code this build does not know: written by a newer Glovebox on another
//! device and synced here, or by a newer build that was later downgraded. Such a row must
//! never make a whole list unreadable. Where a safe reading exists (a fuel kind or a
//! service kind only labels a record) the code falls back to it; where guessing would
//! misread the numbers (a vehicle's distance or volume unit, its currency) the row is left
//! out of lists. Both are logged with the table, row and value.

use std::str::FromStr;

use rusqlite::types::Type;
use rusqlite::Row;

use crate::error::{Error, Result};

/// The id of the row being decoded (column 0 of every row mapping), for log lines.
fn row_id(row: &Row<'_>) -> String {
    row.get_ref(0)
        .ok()
        .and_then(|v| v.as_str().ok().map(str::to_owned))
        .unwrap_or_default()
}

/// The code at `idx`, or `fallback` (logged) when this build does not know it.
pub(crate) fn code_or<T: FromStr>(
    row: &Row<'_>,
    idx: usize,
    table: &'static str,
    fallback: impl FnOnce() -> T,
) -> rusqlite::Result<T> {
    let text = row.get_ref(idx)?.as_str()?;
    match text.parse() {
        Ok(v) => Ok(v),
        Err(_) => {
            tracing::warn!(
                table,
                id = %row_id(row),
                column = idx,
                value = text,
                "unknown code from a newer Glovebox; read with a fallback"
            );
            Ok(fallback())
        }
    }
}

/// A row this build cannot read without guessing: left out of lists.
#[derive(Debug, thiserror::Error)]
#[error("{table} {id}: unknown {column} code {value:?} (written by a newer Glovebox?)")]
pub(crate) struct Unreadable {
    table: &'static str,
    id: String,
    column: usize,
    value: String,
}

/// The code at `idx`; an unknown one makes the row [`Unreadable`].
pub(crate) fn code<T: FromStr>(
    row: &Row<'_>,
    idx: usize,
    table: &'static str,
) -> rusqlite::Result<T> {
    let text = row.get_ref(idx)?.as_str()?;
    text.parse().map_err(|_| {
        rusqlite::Error::FromSqlConversionFailure(
            idx,
            Type::Text,
            Box::new(Unreadable {
                table,
                id: row_id(row),
                column: idx,
                value: text.to_owned(),
            }),
        )
    })
}

fn unreadable(e: &rusqlite::Error) -> Option<&Unreadable> {
    match e {
        rusqlite::Error::FromSqlConversionFailure(_, _, inner) => inner.downcast_ref(),
        _ => None,
    }
}

/// Collects a list, leaving out (and logging) rows that are [`Unreadable`].
pub(crate) fn readable<T>(rows: impl Iterator<Item = rusqlite::Result<T>>) -> Result<Vec<T>> {
    let mut out = Vec::new();
    for row in rows {
        match row {
            Ok(v) => out.push(v),
            Err(e) => match unreadable(&e) {
                Some(u) => tracing::warn!("left out of the list: {u}"),
                None => return Err(e.into()),
            },
        }
    }
    Ok(out)
}

/// One row: an [`Unreadable`] one is reported as corrupt with its reason, not as a bare
/// database error.
pub(crate) fn one<T>(row: rusqlite::Result<T>) -> Result<T> {
    row.map_err(|e| match unreadable(&e) {
        Some(u) => Error::Corrupt(u.to_string()),
        None => e.into(),
    })
}

#[cfg(test)]
mod tests {
    use crate::reminders::{ReminderInput, Schedule};
    use crate::service::{ServiceInput, ServiceKind};
    use crate::units::FuelKind;
    use crate::vehicles::VehicleInput;
    use crate::{Error, Garage, Page, WriteOptions};

    /// Rows as a newer Glovebox might have written them: codes this build does not know.
    #[test]
    fn unknown_codes_never_make_a_list_unreadable() {
        let dir = tempfile::tempdir().unwrap();
        let g = Garage::open(dir.path().join("g.db")).unwrap();
        let car = g.create_vehicle(&VehicleInput::new("Golf")).unwrap();
        let odd = g.create_vehicle(&VehicleInput::new("Odd units")).unwrap();
        let now = g.now();
        let work = g
            .add_service(
                &ServiceInput {
                    vehicle_id: car.id.clone(),
                    kind: ServiceKind::Repair,
                    occurred_at: now,
                    odometer: None,
                    title: "Inspection".into(),
                    category: String::new(),
                    cost_minor: 5_000,
                    notes: String::new(),
                    tags: vec![],
                },
                WriteOptions::default(),
            )
            .unwrap();
        let reminder = g
            .add_reminder(&ReminderInput {
                vehicle_id: car.id.clone(),
                title: "Tyres".into(),
                notes: String::new(),
                due_at: Some(now),
                due_odometer: None,
                recur_months: None,
                recur_distance: None,
                schedule: Schedule::Fixed,
                thresholds: Default::default(),
            })
            .unwrap();
        g.store()
            .write("test.newer_codes", |tx| {
                tx.execute(
                    "UPDATE vehicles SET fuel_kind = 'hydrogen', economy_unit = 'furlongs_per_hogshead' \
                     WHERE id = ?1",
                    [&car.id],
                )?;
                tx.execute(
                    "UPDATE vehicles SET distance_unit = 'furlong' WHERE id = ?1",
                    [&odd.id],
                )?;
                tx.execute(
                    "UPDATE service_records SET kind = 'inspection' WHERE id = ?1",
                    [&work.id],
                )?;
                tx.execute(
                    "UPDATE reminders SET schedule = 'seasonal' WHERE id = ?1",
                    [&reminder.id],
                )?;
                Ok(())
            })
            .unwrap();

        // A label-only code falls back; the vehicle whose numbers cannot be read is left
        // out of the list, and the list still comes back.
        let list = g.vehicles(true).unwrap();
        assert_eq!(list.len(), 1, "{list:?}");
        assert_eq!(list[0].fuel_kind, FuelKind::Other);
        assert_eq!(list[0].economy_unit, car.economy_unit, "the units' default");
        let err = g.vehicle(&odd.id).unwrap_err();
        assert!(
            matches!(&err, Error::Corrupt(m) if m.contains("furlong")),
            "{err}"
        );
        let work = g.service_records(&car.id, None, Page::ALL).unwrap();
        assert_eq!(work.len(), 1);
        assert_eq!(work[0].kind, ServiceKind::Service);
        let reminders = g.reminders(&car.id).unwrap();
        assert_eq!(reminders[0].schedule, Schedule::FromCompletion);
        // The reports read the same rows.
        let reports = crate::reports::Reports::new(
            std::sync::Arc::new(g),
            crate::reports::CacheConfig::default(),
        );
        assert_eq!(reports.garage_overview().unwrap().vehicles.len(), 1);
        assert_eq!(reports.dashboard(&car.id).unwrap().recent_work.len(), 1);
    }
}
