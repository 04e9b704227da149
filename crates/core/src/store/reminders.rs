//! The `reminders` table: its SQL and its one row mapping.

use std::collections::HashMap;

use rusqlite::{params, Connection, Row};

use super::{decode, Binder, OwnedRow, StoredRow};
use crate::error::Result;
use crate::events::RecordKind;
use crate::reminders::{Reminder, Schedule, Thresholds};
use crate::time;
use crate::units::Distance;
use crate::vehicles::Vehicle;

macro_rules! columns {
    () => {
        "id, vehicle_id, title, notes, due_at, due_odometer, recur_months, recur_distance, \
         schedule, urgent_days, very_urgent_days, urgent_distance, very_urgent_distance, active"
    };
}

const GET: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM reminders WHERE id = ?1 AND vehicle_id = ?2 AND deleted = 0"
);

/// Active reminders of a vehicle, soonest due date first (odometer-only ones last).
pub const LIST_ACTIVE: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM reminders WHERE vehicle_id = ?1 AND active = 1 AND deleted = 0 \
     ORDER BY due_at IS NULL, due_at, id"
);

/// Every reminder of a vehicle, active or done.
const LIST_ALL: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM reminders WHERE vehicle_id = ?1 AND deleted = 0 \
     ORDER BY active DESC, due_at IS NULL, due_at, id"
);

/// Every active reminder in the garage, in the order of index reminders_by_due (no sort
/// step); [`all_active`] puts each vehicle's in `LIST_ACTIVE` order.
const ALL_ACTIVE: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM reminders WHERE active = 1 AND deleted = 0"
);

impl StoredRow for Reminder {
    const KIND: RecordKind = RecordKind::Reminder;
    const INSERT: &'static str = concat!(
        "INSERT INTO reminders (",
        columns!(),
        ", hlc, deleted, dirty, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, \
         ?11, ?12, ?13, ?14, ?15, 0, ?16, ?17)"
    );
    const UPDATE: &'static str = "UPDATE reminders SET title = ?3, notes = ?4, due_at = ?5, \
         due_odometer = ?6, recur_months = ?7, recur_distance = ?8, schedule = ?9, \
         urgent_days = ?10, very_urgent_days = ?11, urgent_distance = ?12, \
         very_urgent_distance = ?13, active = ?14, hlc = ?15, dirty = ?16, updated_at = ?17 \
         WHERE id = ?1 AND vehicle_id = ?2 AND deleted = 0";

    fn id(&self) -> &str {
        &self.id
    }

    fn bind(&self, b: &mut Binder<'_, '_>) -> Result<()> {
        let t = &self.thresholds;
        b.all(params![
            self.id,
            self.vehicle_id,
            self.title,
            self.notes,
            self.due_at.map(time::to_sql),
            self.due_odometer.map(|d| d.value),
            self.recur_months,
            self.recur_distance.map(|d| d.value),
            self.schedule.code(),
            t.urgent_days,
            t.very_urgent_days,
            t.urgent_distance,
            t.very_urgent_distance,
            self.active,
        ])
    }
}

impl OwnedRow for Reminder {
    const LABEL: &'static str = "reminder";
    const GET: &'static str = GET;
    /// The one mapping from a `reminders` row, in the units of its vehicle `v`. A schedule
    /// this build does not know reads as counting from completion (the default).
    fn from_row(row: &Row<'_>, v: &Vehicle) -> rusqlite::Result<Self> {
        Ok(Reminder {
            id: row.get(0)?,
            vehicle_id: row.get(1)?,
            title: row.get(2)?,
            notes: row.get(3)?,
            due_at: row.get::<_, Option<i64>>(4)?.map(time::from_sql),
            due_odometer: row
                .get::<_, Option<f64>>(5)?
                .map(|o| Distance::new(o, v.distance_unit)),
            recur_months: row.get(6)?,
            recur_distance: row
                .get::<_, Option<f64>>(7)?
                .map(|o| Distance::new(o, v.distance_unit)),
            schedule: decode::code_or(row, 8, "reminders", Schedule::default)?,
            thresholds: Thresholds {
                urgent_days: row.get(9)?,
                very_urgent_days: row.get(10)?,
                urgent_distance: row.get(11)?,
                very_urgent_distance: row.get(12)?,
            },
            active: row.get(13)?,
        })
    }
}

pub(crate) fn list_active(conn: &Connection, v: &Vehicle) -> Result<Vec<Reminder>> {
    super::list(conn, LIST_ACTIVE, [&v.id], v)
}

pub(crate) fn list_all(conn: &Connection, v: &Vehicle) -> Result<Vec<Reminder>> {
    super::list(conn, LIST_ALL, [&v.id], v)
}

/// Active reminders of the given vehicles, by vehicle id, each list in `LIST_ACTIVE`
/// order (due date first, reminders without one last, then id); other vehicles' are
/// skipped.
pub(crate) fn all_active(
    conn: &Connection,
    vehicles: &HashMap<&str, &Vehicle>,
) -> Result<HashMap<String, Vec<Reminder>>> {
    let mut stmt = conn.prepare_cached(ALL_ACTIVE)?;
    let mut rows = stmt.query([])?;
    let mut out: HashMap<String, Vec<Reminder>> = HashMap::new();
    while let Some(row) = rows.next()? {
        let vehicle_id = row.get_ref(1)?.as_str().map_err(rusqlite::Error::from)?;
        let Some(v) = vehicles.get(vehicle_id) else {
            continue;
        };
        let r = decode::one(Reminder::from_row(row, v))?;
        out.entry(v.id.clone()).or_default().push(r);
    }
    for list in out.values_mut() {
        list.sort_by(|a, b| {
            (a.due_at.is_none(), a.due_at, &a.id).cmp(&(b.due_at.is_none(), b.due_at, &b.id))
        });
    }
    Ok(out)
}
