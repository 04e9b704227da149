//! The database side of sync: reading dirty rows, clearing them once the server has them,
//! and applying pulled rows through the Garage write path.
//!
//! Rows travel generically (`SyncRow { table, id, hlc, deleted, data }`). Column lists
//! come from the schema itself (`pragma_table_info`), so a migration that adds a column
//! syncs it without touching this file; table names only ever come from
//! `SYNCED_TABLES`, never from the wire, which is why building SQL text here is safe.

use std::collections::BTreeSet;

use glovebox_protocol::sync::{SyncRow, SYNCED_TABLES};
use glovebox_protocol::Hlc;
use rusqlite::types::{Value, ValueRef};
use rusqlite::{params_from_iter, Connection, OptionalExtension};

use super::SyncError;
use crate::events::{ChangeSource, RecordKind};
use crate::store::{meta_get, meta_set};
use crate::{time, Error, Garage};

/// Columns every synced table has and that travel outside `data`.
const SYNC_COLUMNS: [&str; 5] = ["id", "hlc", "deleted", "dirty", "updated_at"];
const TABLE_COLUMNS: &str = "SELECT name FROM pragma_table_info(?1) ORDER BY cid";

pub(crate) const META_CURSOR: &str = "sync.cursor";
pub(crate) const META_LAST_SYNCED: &str = "sync.last_synced_at";

pub(crate) fn kind_of(table: &str) -> Option<RecordKind> {
    RecordKind::ALL.into_iter().find(|k| k.table() == table)
}

/// The table's domain columns (everything but the sync columns), in schema order.
fn data_columns(conn: &Connection, table: &str) -> crate::Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(TABLE_COLUMNS)?;
    let names = stmt.query_map([table], |r| r.get::<_, String>(0))?;
    let mut out = Vec::new();
    for n in names {
        let n = n?;
        if !SYNC_COLUMNS.contains(&n.as_str()) {
            out.push(n);
        }
    }
    Ok(out)
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

fn from_json(v: &serde_json::Value) -> Option<Value> {
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

/// Up to `limit` dirty rows, vehicles first (so a fresh device tends to learn a vehicle
/// before its records), each table in (hlc, id) order.
#[cfg(test)]
pub(crate) fn read_dirty(conn: &Connection, limit: usize) -> crate::Result<Vec<SyncRow>> {
    read_dirty_after(conn, limit, None)
}

/// Where a read of dirty rows stopped: table, hlc and id of the last row read.
pub(crate) type DirtyPosition = (String, String, String);

/// Like `read_dirty`, but only rows after `after` in that order. The push loop reads the
/// next batch while the previous one is still dirty (its acknowledgement is being written),
/// so it must not see that batch again. The id breaks ties: a vehicle delete stamps all
/// of its records with one HLC.
pub(crate) fn read_dirty_after(
    conn: &Connection,
    limit: usize,
    after: Option<&DirtyPosition>,
) -> crate::Result<Vec<SyncRow>> {
    let start = after.map_or(0, |p| {
        SYNCED_TABLES
            .iter()
            .position(|t| *t == p.0)
            .unwrap_or(SYNCED_TABLES.len())
    });
    let mut out = Vec::new();
    for (i, table) in SYNCED_TABLES.iter().enumerate().skip(start) {
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
        let sql = format!(
            "SELECT id, hlc, deleted, {} FROM {table} WHERE dirty = 1 AND (hlc, id) > (?2, ?3) \
             ORDER BY hlc, id LIMIT ?1",
            cols.join(", ")
        );
        let mut stmt = conn.prepare_cached(&sql)?;
        let mut rows = stmt.query(rusqlite::params![
            (limit - out.len()) as i64,
            hlc_after,
            id_after
        ])?;
        while let Some(r) = rows.next()? {
            let hlc: String = r.get(1)?;
            let mut data = serde_json::Map::with_capacity(cols.len());
            for (i, c) in cols.iter().enumerate() {
                data.insert(c.clone(), to_json(r.get_ref(3 + i)?)?);
            }
            out.push(SyncRow {
                table: (*table).to_owned(),
                id: r.get(0)?,
                hlc: hlc
                    .parse()
                    .map_err(|e: glovebox_protocol::HlcError| Error::Corrupt(e.to_string()))?,
                deleted: r.get(2)?,
                data,
            });
        }
    }
    Ok(out)
}

pub(crate) fn count_dirty(conn: &Connection) -> crate::Result<u64> {
    let mut n = 0u64;
    for table in SYNCED_TABLES {
        let sql = format!("SELECT count(*) FROM {table} WHERE dirty = 1");
        n += conn
            .prepare_cached(&sql)?
            .query_row([], |r| r.get::<_, i64>(0))? as u64;
    }
    Ok(n)
}

/// Marks pushed versions clean. Matching on the HLC too means a row edited again while its
/// older version was in flight stays dirty and goes out in the next batch.
pub(crate) fn clear_dirty(conn: &Connection, rows: &[(String, String, Hlc)]) -> crate::Result<()> {
    for table in SYNCED_TABLES {
        let sql = format!("UPDATE {table} SET dirty = 0 WHERE id = ?1 AND hlc = ?2");
        let mut stmt = conn.prepare_cached(&sql)?;
        for (_, id, hlc) in rows.iter().filter(|r| r.0 == table) {
            stmt.execute(rusqlite::params![id, hlc.to_string()])?;
        }
    }
    Ok(())
}

/// After logging in to a (possibly different) account every local row must reach it, and
/// the pull cursor of the old account means nothing there.
pub(crate) fn reset_for_new_account(conn: &Connection) -> crate::Result<()> {
    for table in SYNCED_TABLES {
        conn.prepare_cached(&format!("UPDATE {table} SET dirty = 1 WHERE dirty = 0"))?
            .execute([])?;
    }
    meta_set(conn, META_CURSOR, "0")?;
    Ok(())
}

pub(crate) fn cursor(conn: &Connection) -> crate::Result<u64> {
    Ok(meta_get(conn, META_CURSOR)?
        .and_then(|s| s.parse().ok())
        .unwrap_or(0))
}

/// What applying one pulled page did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ApplyOutcome {
    /// Rows newer than the local version, now stored.
    pub applied: usize,
    /// Rows the local database already had in this or a newer version.
    pub skipped: usize,
    /// Vehicles whose data changed.
    pub vehicles: BTreeSet<String>,
}

impl Garage {
    /// Applies a pulled page and saves the pull cursor in the same transaction, so a crash
    /// either keeps both or neither. Each row wins only if its HLC is greater than the
    /// local one (last writer wins; the node id inside the HLC breaks ties). Applied rows
    /// are clean (not pushed back) and produce change events with source Sync.
    pub fn apply_remote(&self, rows: &[SyncRow], cursor: u64) -> Result<ApplyOutcome, SyncError> {
        // Refuse the whole page before writing anything if a clock is too far ahead.
        for row in rows {
            self.clock().observe(&row.hlc)?;
        }
        let out = self.write("sync.apply", ChangeSource::Sync, |tx, touched| {
            let mut out = ApplyOutcome::default();
            let now = time::now_millis();
            let mut columns: std::collections::HashMap<&str, Vec<String>> = Default::default();
            for row in rows {
                let Some(kind) = kind_of(&row.table) else {
                    // A table a newer Glovebox syncs and this one does not know yet.
                    out.skipped += 1;
                    continue;
                };
                let cols = match columns.get(row.table.as_str()) {
                    Some(c) => c,
                    None => columns
                        .entry(kind.table())
                        .or_insert(data_columns(tx, kind.table())?),
                };
                let mut names = vec!["id".to_owned()];
                let mut values = vec![Value::Text(row.id.clone())];
                for c in cols {
                    // Columns this build does not know are ignored; missing ones take
                    // the schema default.
                    if let Some(v) = row.data.get(c) {
                        let v = from_json(v).ok_or_else(|| {
                            Error::Corrupt(format!(
                                "column {c} of {} {} is not a scalar",
                                row.table, row.id
                            ))
                        })?;
                        names.push(c.clone());
                        values.push(v);
                    }
                }
                names.extend(["hlc", "deleted", "dirty", "updated_at"].map(String::from));
                values.extend([
                    Value::Text(row.hlc.to_string()),
                    Value::Integer(i64::from(row.deleted)),
                    Value::Integer(0),
                    Value::Integer(now),
                ]);
                let placeholders: Vec<String> =
                    (1..=names.len()).map(|i| format!("?{i}")).collect();
                let updates: Vec<String> = names[1..]
                    .iter()
                    .map(|n| format!("{n} = excluded.{n}"))
                    .collect();
                let sql = format!(
                    "INSERT INTO {t} ({}) VALUES ({}) ON CONFLICT (id) DO UPDATE SET {} \
                     WHERE excluded.hlc > {t}.hlc",
                    names.join(", "),
                    placeholders.join(", "),
                    updates.join(", "),
                    t = row.table,
                );
                let n = tx.prepare_cached(&sql)?.execute(params_from_iter(values))?;
                if n == 0 {
                    out.skipped += 1;
                    continue;
                }
                out.applied += 1;
                let vehicle_id = match (kind, row.data.get("vehicle_id")) {
                    (RecordKind::Vehicle, _) => row.id.clone(),
                    (_, Some(serde_json::Value::String(v))) => v.clone(),
                    // Not in the payload (an older client?): the stored row knows.
                    _ => vehicle_of(tx, &row.table, &row.id)?.unwrap_or_default(),
                };
                touched.add(&vehicle_id, kind);
                out.vehicles.insert(vehicle_id);
            }
            meta_set(tx, META_CURSOR, &cursor.to_string())?;
            Ok(out)
        })?;
        Ok(out)
    }
}

fn vehicle_of(conn: &Connection, table: &str, id: &str) -> crate::Result<Option<String>> {
    let sql = format!("SELECT vehicle_id FROM {table} WHERE id = ?1");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([id], |r| r.get(0))
        .optional()?)
}
