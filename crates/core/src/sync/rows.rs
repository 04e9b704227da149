//! The database side of a push: reading dirty rows as `SyncRow`s, marking acknowledged
//! versions clean, counting what is pending; plus the column lists and value conversions
//! that apply and backup share.
//!
//! Rows travel generically (`SyncRow { table, id, hlc, deleted, data }`). Column lists
//! come from the schema itself (`pragma_table_info`), so a migration that adds a column
//! syncs it without touching this file; table names only ever come from `SyncTable`,
//! never from the wire, which is why building SQL text here is safe.

use std::collections::HashMap;

use glovebox_protocol::rows::SYNC_COLUMNS;
use glovebox_protocol::sync::SyncRow;
use glovebox_protocol::{Hlc, SyncTable};
use rusqlite::types::{Value, ValueRef};
use rusqlite::{Connection, Row};

use crate::events::RecordKind;
use crate::Error;

const TABLE_COLUMNS: &str = "SELECT name FROM pragma_table_info(?1) ORDER BY cid";

pub(crate) const META_LAST_SYNCED: &str = "sync.last_synced_at";

pub(crate) fn kind_of(table: SyncTable) -> RecordKind {
    match table {
        SyncTable::Vehicles => RecordKind::Vehicle,
        SyncTable::FuelRecords => RecordKind::Fuel,
        SyncTable::ServiceRecords => RecordKind::Service,
        SyncTable::OdometerRecords => RecordKind::Odometer,
        SyncTable::Reminders => RecordKind::Reminder,
        SyncTable::ReminderCompletions => RecordKind::ReminderCompletion,
    }
}

/// The table's domain columns (everything but the sync columns), in schema order.
pub(crate) fn data_columns(conn: &Connection, table: SyncTable) -> crate::Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(TABLE_COLUMNS)?;
    let names = stmt.query_map([table.name()], |r| r.get::<_, String>(0))?;
    let mut out = Vec::new();
    for n in names {
        let n = n?;
        if !SYNC_COLUMNS.contains(&n.as_str()) {
            out.push(n);
        }
    }
    Ok(out)
}

/// Column lists per table, read once per transaction.
#[derive(Default)]
pub(crate) struct Columns(HashMap<SyncTable, Vec<String>>);

impl Columns {
    pub(crate) fn of(&mut self, conn: &Connection, table: SyncTable) -> crate::Result<&[String]> {
        if let std::collections::hash_map::Entry::Vacant(e) = self.0.entry(table) {
            e.insert(data_columns(conn, table)?);
        }
        Ok(self.0.get(&table).map(Vec::as_slice).unwrap_or_default())
    }
}

fn to_json(v: ValueRef<'_>) -> crate::Result<serde_json::Value> {
    Ok(match v {
        ValueRef::Null => serde_json::Value::Null,
        ValueRef::Integer(i) => i.into(),
        ValueRef::Real(f) => serde_json::Number::from_f64(f)
            .map(serde_json::Value::Number)
            .ok_or_else(|| Error::Corrupt(format!("non-finite number {f} in a synced row")))?,
        ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned().into(),
        ValueRef::Blob(_) => return Err(Error::Corrupt("blob in a synced row".into())),
    })
}

/// A JSON scalar as an SQL value; `None` for arrays and objects.
pub(crate) fn from_json(v: &serde_json::Value) -> Option<Value> {
    Some(match v {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Integer(i64::from(*b)),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::Integer(i),
            None => Value::Real(n.as_f64()?),
        },
        serde_json::Value::String(s) => Value::Text(s.clone()),
        _ => return None,
    })
}

/// `SELECT id, hlc, deleted, <cols> FROM table`: the head of every row read.
pub(crate) fn select_rows(table: SyncTable, cols: &[String]) -> String {
    format!(
        "SELECT id, hlc, deleted, {} FROM {}",
        cols.join(", "),
        table.name()
    )
}

/// One row of a `select_rows` query as a `SyncRow`.
pub(crate) fn row_from_sql(
    r: &Row<'_>,
    table: SyncTable,
    cols: &[String],
) -> crate::Result<SyncRow> {
    let hlc: String = r.get(1)?;
    let mut data = serde_json::Map::with_capacity(cols.len());
    for (i, c) in cols.iter().enumerate() {
        data.insert(c.clone(), to_json(r.get_ref(3 + i)?)?);
    }
    Ok(SyncRow {
        table: table.name().to_owned(),
        id: r.get(0)?,
        hlc: hlc
            .parse()
            .map_err(|e: glovebox_protocol::HlcError| Error::Corrupt(e.to_string()))?,
        deleted: r.get(2)?,
        data,
    })
}

/// Up to `limit` dirty rows, vehicles first (so a fresh device tends to learn a vehicle
/// before its records), each table in (hlc, id) order.
#[cfg(test)]
pub(crate) fn read_dirty(conn: &Connection, limit: usize) -> crate::Result<Vec<SyncRow>> {
    read_dirty_after(conn, limit, None)
}

/// Where a read of dirty rows stopped: table, hlc and id of the last row read.
pub(crate) type DirtyPosition = (SyncTable, String, String);

/// Like `read_dirty`, but only rows after `after` in that order. The push loop reads the
/// next batch while the previous one is still dirty (its acknowledgement is being written),
/// so it must not see that batch again. The id breaks ties: a vehicle delete stamps all
/// of its records with one HLC. Versions the server rejected are left out (see `rejected`).
pub(crate) fn read_dirty_after(
    conn: &Connection,
    limit: usize,
    after: Option<&DirtyPosition>,
) -> crate::Result<Vec<SyncRow>> {
    let start = after.map_or(0, |p| {
        SyncTable::ALL
            .iter()
            .position(|t| *t == p.0)
            .unwrap_or(SyncTable::ALL.len())
    });
    let mut out = Vec::new();
    for (i, table) in SyncTable::ALL.into_iter().enumerate().skip(start) {
        if out.len() >= limit {
            break;
        }
        // In the table where the last read stopped, continue after it; later tables from
        // the start ('' sorts before every HLC).
        let (hlc_after, id_after) = match after {
            Some(p) if i == start => (p.1.as_str(), p.2.as_str()),
            _ => ("", ""),
        };
        let cols = data_columns(conn, table)?;
        let t = table.name();
        let sql = format!(
            "{} WHERE dirty = 1 AND (hlc, id) > (?2, ?3) AND NOT EXISTS \
             (SELECT 1 FROM sync_rejected r WHERE r.tbl = '{t}' AND r.id = {t}.id AND r.hlc = {t}.hlc) \
             ORDER BY hlc, id LIMIT ?1",
            select_rows(table, &cols)
        );
        let mut stmt = conn.prepare_cached(&sql)?;
        let mut rows = stmt.query(rusqlite::params![
            (limit - out.len()) as i64,
            hlc_after,
            id_after
        ])?;
        while let Some(r) = rows.next()? {
            out.push(row_from_sql(r, table, &cols)?);
        }
    }
    Ok(out)
}

/// Local changes not on the server yet, leaving out versions the server rejected (they
/// are listed separately).
pub(crate) fn count_dirty(conn: &Connection) -> crate::Result<u64> {
    let mut n = 0u64;
    for table in SyncTable::ALL {
        let t = table.name();
        let sql = format!(
            "SELECT count(*) FROM {t} WHERE dirty = 1 AND NOT EXISTS \
             (SELECT 1 FROM sync_rejected r WHERE r.tbl = '{t}' AND r.id = {t}.id AND r.hlc = {t}.hlc)"
        );
        n += conn
            .prepare_cached(&sql)?
            .query_row([], |r| r.get::<_, i64>(0))? as u64;
    }
    Ok(n)
}

/// Marks pushed versions clean. Matching on the HLC too means a row edited again while its
/// older version was in flight stays dirty and goes out in the next batch.
pub(crate) fn clear_dirty(
    conn: &Connection,
    rows: &[(SyncTable, String, Hlc)],
) -> crate::Result<()> {
    for table in SyncTable::ALL {
        let sql = format!(
            "UPDATE {} SET dirty = 0 WHERE id = ?1 AND hlc = ?2",
            table.name()
        );
        let mut stmt = conn.prepare_cached(&sql)?;
        for (_, id, hlc) in rows.iter().filter(|r| r.0 == table) {
            stmt.execute(rusqlite::params![id, hlc.to_string()])?;
        }
    }
    Ok(())
}
