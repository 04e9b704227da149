//! The `service_records` table (service, repair and upgrade): its SQL and its one row
//! mapping.

use chrono::NaiveDateTime;
use rusqlite::{params, Connection, Row};

use super::{decode, Binder, OwnedRow, StoredRow};
use crate::error::Result;
use crate::events::RecordKind;
use crate::service::{ServiceKind, ServiceRecord};
use crate::units::{Distance, Money};
use crate::vehicles::Vehicle;
use crate::{time, validate, Page};

macro_rules! columns {
    () => {
        "id, vehicle_id, kind, occurred_at, odometer, title, category, cost, notes, tags"
    };
}

const GET: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM service_records WHERE id = ?1 AND vehicle_id = ?2 AND deleted = 0"
);

/// Newest first, optionally of one kind only (index service_by_vehicle_date, read
/// backwards; only records sharing a timestamp are sorted by id, so LIMIT stops early).
pub(crate) const LIST_NEWEST_FIRST: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM service_records WHERE vehicle_id = ?1 AND deleted = 0 AND (?2 IS NULL OR kind = ?2) \
     ORDER BY occurred_at DESC, id DESC LIMIT ?3 OFFSET ?4"
);

/// Service cost per (category, kind): lifetime and since ?2 (the start of this year).
pub(crate) const COSTS: &str = "SELECT category, kind, total(cost), \
     total(CASE WHEN occurred_at >= ?2 THEN cost ELSE 0 END) FROM service_records \
     WHERE vehicle_id = ?1 AND deleted = 0 GROUP BY category, kind";

impl StoredRow for ServiceRecord {
    const KIND: RecordKind = RecordKind::Service;
    const INSERT: &'static str = concat!(
        "INSERT INTO service_records (",
        columns!(),
        ", hlc, deleted, dirty, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 0, ?12, ?13)"
    );
    const UPDATE: &'static str = "UPDATE service_records SET kind = ?3, occurred_at = ?4, \
         odometer = ?5, title = ?6, category = ?7, cost = ?8, notes = ?9, tags = ?10, \
         hlc = ?11, dirty = ?12, updated_at = ?13 \
         WHERE id = ?1 AND vehicle_id = ?2 AND deleted = 0";

    fn id(&self) -> &str {
        &self.id
    }

    fn bind(&self, b: &mut Binder<'_, '_>) -> Result<()> {
        b.all(params![
            self.id,
            self.vehicle_id,
            self.kind.code(),
            time::to_sql(self.occurred_at),
            self.odometer.map(|d| d.value),
            self.title,
            self.category,
            self.cost.minor,
            self.notes,
            validate::tags_to_sql(&self.tags),
        ])
    }
}

impl OwnedRow for ServiceRecord {
    const LABEL: &'static str = "service record";
    const GET: &'static str = GET;
    /// The one mapping from a `service_records` row (columns in `columns!()` order), in the
    /// units of its vehicle `v`. A kind this build does not know reads as a service.
    fn from_row(row: &Row<'_>, v: &Vehicle) -> rusqlite::Result<Self> {
        Ok(ServiceRecord {
            id: row.get(0)?,
            vehicle_id: row.get(1)?,
            kind: decode::code_or(row, 2, "service_records", || ServiceKind::Service)?,
            occurred_at: time::from_sql(row.get(3)?),
            odometer: row
                .get::<_, Option<f64>>(4)?
                .map(|o| Distance::new(o, v.distance_unit)),
            title: row.get(5)?,
            category: row.get(6)?,
            cost: Money::new(row.get(7)?, v.currency),
            notes: row.get(8)?,
            tags: validate::tags_from_sql(row.get_ref(9)?.as_str()?),
        })
    }
}

pub(crate) fn list(
    conn: &Connection,
    v: &Vehicle,
    kind: Option<ServiceKind>,
    page: Page,
) -> Result<Vec<ServiceRecord>> {
    super::list(
        conn,
        LIST_NEWEST_FIRST,
        params![v.id, kind.map(ServiceKind::code), page.limit, page.offset],
        v,
    )
}

/// One (category, kind) group of service costs.
pub struct ServiceCost {
    pub category: String,
    pub kind: ServiceKind,
    pub lifetime_minor: i64,
    pub this_year_minor: i64,
}

/// Costs per (category, kind): lifetime and since `year_start`.
pub(crate) fn costs(
    conn: &Connection,
    vehicle_id: &str,
    year_start: NaiveDateTime,
) -> Result<Vec<ServiceCost>> {
    let mut stmt = conn.prepare_cached(COSTS)?;
    let rows = stmt.query_map(params![vehicle_id, time::to_sql(year_start)], |r| {
        // total() sums in floating point; costs are whole minor units far below 2^53
        // in any one vehicle's history, so rounding gives back the exact integer.
        Ok(ServiceCost {
            category: r.get(0)?,
            kind: decode::code_or(r, 1, "service_records", || ServiceKind::Service)?,
            lifetime_minor: r.get::<_, f64>(2)?.round() as i64,
            this_year_minor: r.get::<_, f64>(3)?.round() as i64,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
