//! The `reminder_completions` table: its SQL and its one row mapping.

use rusqlite::{params, Connection, Row};

use super::{Binder, OwnedRow, StoredRow};
use crate::error::Result;
use crate::events::RecordKind;
use crate::reminders::Completion;
use crate::units::Distance;
use crate::vehicles::Vehicle;
use crate::{time, Page};

macro_rules! columns {
    () => {
        "id, reminder_id, vehicle_id, completed_at, odometer, service_record_id, notes"
    };
}

const GET: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM reminder_completions WHERE id = ?1 AND vehicle_id = ?2 AND deleted = 0"
);

/// A reminder's completions, newest first (index completions_by_reminder).
pub const LIST_BY_REMINDER: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM reminder_completions WHERE reminder_id = ?1 AND deleted = 0 \
     ORDER BY completed_at DESC, id DESC LIMIT ?2 OFFSET ?3"
);

/// A vehicle's completions, newest first (index completions_by_vehicle).
pub const LIST_BY_VEHICLE: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM reminder_completions WHERE vehicle_id = ?1 AND deleted = 0 \
     ORDER BY completed_at DESC, id DESC LIMIT ?2 OFFSET ?3"
);

impl StoredRow for Completion {
    const KIND: RecordKind = RecordKind::ReminderCompletion;
    const INSERT: &'static str = concat!(
        "INSERT INTO reminder_completions (",
        columns!(),
        ", hlc, deleted, dirty, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 0, ?9, ?10)"
    );
    const UPDATE: &'static str = "UPDATE reminder_completions SET completed_at = ?4, \
         odometer = ?5, service_record_id = ?6, notes = ?7, hlc = ?8, dirty = ?9, \
         updated_at = ?10 WHERE id = ?1 AND reminder_id = ?2 AND vehicle_id = ?3 AND deleted = 0";

    fn id(&self) -> &str {
        &self.id
    }

    fn bind(&self, b: &mut Binder<'_, '_>) -> Result<()> {
        b.all(params![
            self.id,
            self.reminder_id,
            self.vehicle_id,
            time::to_sql(self.completed_at),
            self.odometer.map(|d| d.value),
            self.service_record_id,
            self.notes,
        ])
    }
}

impl OwnedRow for Completion {
    const LABEL: &'static str = "reminder completion";
    const GET: &'static str = GET;
    /// The one mapping from a `reminder_completions` row, in the units of its vehicle `v`.
    fn from_row(row: &Row<'_>, v: &Vehicle) -> rusqlite::Result<Self> {
        Ok(Completion {
            id: row.get(0)?,
            reminder_id: row.get(1)?,
            vehicle_id: row.get(2)?,
            completed_at: time::from_sql(row.get(3)?),
            odometer: row
                .get::<_, Option<f64>>(4)?
                .map(|o| Distance::new(o, v.distance_unit)),
            service_record_id: row.get(5)?,
            notes: row.get(6)?,
        })
    }
}

/// Completions of one reminder of `v` (or all of `v`'s when `reminder_id` is `None`).
pub(crate) fn list(
    conn: &Connection,
    v: &Vehicle,
    reminder_id: Option<&str>,
    page: Page,
) -> Result<Vec<Completion>> {
    let (sql, key) = match reminder_id {
        Some(r) => (LIST_BY_REMINDER, r),
        None => (LIST_BY_VEHICLE, v.id.as_str()),
    };
    let out: Vec<Completion> = super::list(conn, sql, params![key, page.limit, page.offset], v)?;
    // A completion always belongs to its reminder's vehicle; the filter keeps another
    // vehicle's rows out even if a caller passes a mismatched reminder id.
    Ok(out.into_iter().filter(|c| c.vehicle_id == v.id).collect())
}
