//! The synced tables as the sync engine and backups see them: generic rows
//! (`SyncRow { table, id, hlc, deleted, data }`), their one mapping from and to SQL, and
//! the statements on the sync columns — dirty rows, marking them clean, the stored
//! version of a row, and writing a row version from elsewhere by last-writer-wins.
//!
//! Column lists come from the schema itself (`pragma_table_info`), so a migration that
//! adds a column syncs it without touching this file; table names only ever come from
//! `SyncTable`, never from the wire, which is why building SQL text here is safe. Text
//! that depends on the table alone is built once per process ([`per_table`]); a version
//! write is prepared once per transaction, table and set of columns ([`Versions`]).

use std::collections::HashMap;
use std::sync::OnceLock;

use glovebox_protocol::rows::SYNC_COLUMNS;
use glovebox_protocol::sync::SyncRow;
use glovebox_protocol::{Hlc, SyncTable};
use rusqlite::types::{ToSqlOutput, Value, ValueRef};
use rusqlite::{CachedStatement, Connection, OptionalExtension, Row, ToSql};

use crate::events::RecordKind;
use crate::{Error, SyncStamp};

const TABLE_COLUMNS: &str = "SELECT name FROM pragma_table_info(?1) ORDER BY cid";

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

fn index(table: SyncTable) -> usize {
    SyncTable::ALL
        .iter()
        .position(|t| *t == table)
        .unwrap_or_default()
}

/// One SQL text per table, built from the table's name the first time it is asked for.
pub(crate) type PerTable = [OnceLock<String>; SyncTable::ALL.len()];

pub(crate) const fn per_table_cells() -> PerTable {
    [const { OnceLock::new() }; SyncTable::ALL.len()]
}

pub(crate) fn per_table(
    cells: &'static PerTable,
    table: SyncTable,
    build: impl FnOnce(&str) -> String,
) -> &'static str {
    cells[index(table)].get_or_init(|| build(table.name()))
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

/// A JSON scalar bound as an SQL value without copying it (the other way of [`to_json`]).
/// Callers check flatness first; an array or object fails the bind.
struct Scalar<'a>(&'a serde_json::Value);

impl ToSql for Scalar<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        use serde_json::Value as J;
        Ok(match self.0 {
            J::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            J::Bool(b) => ToSqlOutput::Owned(Value::Integer(i64::from(*b))),
            J::Number(n) => match (n.as_i64(), n.as_f64()) {
                (Some(i), _) => ToSqlOutput::Owned(Value::Integer(i)),
                (None, Some(f)) => ToSqlOutput::Owned(Value::Real(f)),
                (None, None) => {
                    return Err(rusqlite::Error::ToSqlConversionFailure("number".into()))
                }
            },
            J::String(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            J::Array(_) | J::Object(_) => {
                return Err(rusqlite::Error::ToSqlConversionFailure(
                    "not a scalar".into(),
                ))
            }
        })
    }
}

fn is_scalar(v: &serde_json::Value) -> bool {
    match v {
        serde_json::Value::Array(_) | serde_json::Value::Object(_) => false,
        serde_json::Value::Number(n) => n.as_i64().is_some() || n.as_f64().is_some(),
        _ => true,
    }
}

/// `SELECT id, hlc, deleted, <cols> FROM table`: the head of every row read.
fn select_rows(table: SyncTable, cols: &[String]) -> String {
    format!(
        "SELECT id, hlc, deleted, {} FROM {}",
        cols.join(", "),
        table.name()
    )
}

/// The one mapping of a synced row: a `select_rows` row as a `SyncRow`.
fn row_from_sql(r: &Row<'_>, table: SyncTable, cols: &[String]) -> crate::Result<SyncRow> {
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

fn collect_rows(
    stmt: &mut rusqlite::Statement<'_>,
    params: impl rusqlite::Params,
    table: SyncTable,
    cols: &[String],
    mut f: impl FnMut(SyncRow) -> crate::Result<()>,
) -> crate::Result<()> {
    let mut rows = stmt.query(params)?;
    while let Some(r) = rows.next()? {
        f(row_from_sql(r, table, cols)?)?;
    }
    Ok(())
}

/// Row `id` of `table` as synced data, tombstone or not.
pub(crate) fn row_by_id(
    conn: &Connection,
    table: SyncTable,
    id: &str,
) -> crate::Result<Option<SyncRow>> {
    let cols = data_columns(conn, table)?;
    let mut stmt = conn.prepare_cached(&format!("{} WHERE id = ?1", select_rows(table, &cols)))?;
    let mut found = None;
    collect_rows(&mut stmt, [id], table, &cols, |r| {
        found = Some(r);
        Ok(())
    })?;
    Ok(found)
}

/// Every row of every synced table, vehicles first, each table by id (a backup).
pub(crate) fn for_each_row(
    conn: &Connection,
    mut f: impl FnMut(SyncRow) -> crate::Result<()>,
) -> crate::Result<()> {
    for table in SyncTable::ALL {
        let cols = data_columns(conn, table)?;
        let mut stmt = conn.prepare(&format!("{} ORDER BY id", select_rows(table, &cols)))?;
        collect_rows(&mut stmt, [], table, &cols, &mut f)?;
    }
    Ok(())
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
/// of its records with one HLC. Versions the server rejected are left out (`sync_rejected`).
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
        let params = rusqlite::params![(limit - out.len()) as i64, hlc_after, id_after];
        collect_rows(&mut stmt, params, table, &cols, |r| {
            out.push(r);
            Ok(())
        })?;
    }
    Ok(out)
}

/// Live rows of `table` whose column `col` holds `value` (the open-time sweep of values
/// this build cannot read; `col` is one of the table's code columns, never from the wire).
pub(crate) fn live_rows_where(
    conn: &Connection,
    table: SyncTable,
    col: &str,
    value: &str,
) -> crate::Result<Vec<SyncRow>> {
    let cols = data_columns(conn, table)?;
    let sql = format!(
        "{} WHERE deleted = 0 AND {col} = ?1",
        select_rows(table, &cols)
    );
    let mut stmt = conn.prepare(&sql)?;
    let mut out = Vec::new();
    collect_rows(&mut stmt, [value], table, &cols, |r| {
        out.push(r);
        Ok(())
    })?;
    Ok(out)
}

/// The distinct values of column `col` among live rows of `table` (a code column).
pub(crate) fn live_values(
    conn: &Connection,
    table: SyncTable,
    col: &str,
) -> crate::Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT DISTINCT {col} FROM {} WHERE deleted = 0",
        table.name()
    ))?;
    let values = stmt.query_map([], |r| r.get::<_, String>(0))?;
    Ok(values.collect::<rusqlite::Result<_>>()?)
}

/// Removes row `id` of `table` outright (it moved to quarantine: it cannot be read).
pub(crate) fn remove(conn: &Connection, table: SyncTable, id: &str) -> crate::Result<()> {
    static SQL: PerTable = per_table_cells();
    let sql = per_table(&SQL, table, |t| format!("DELETE FROM {t} WHERE id = ?1"));
    conn.prepare_cached(sql)?.execute([id])?;
    Ok(())
}

/// Local changes not on the server yet, leaving out versions the server rejected (they
/// are listed separately).
pub(crate) fn count_dirty(conn: &Connection) -> crate::Result<u64> {
    static SQL: PerTable = per_table_cells();
    // Nothing held back (the usual case): a count of the partial dirty index alone, not a
    // row lookup and a probe of sync_rejected per dirty row.
    static PLAIN: PerTable = per_table_cells();
    let none_rejected = super::rejected::count(conn)? == 0;
    let mut n = 0u64;
    for table in SyncTable::ALL {
        let sql = if none_rejected {
            per_table(&PLAIN, table, |t| {
                format!("SELECT count(*) FROM {t} WHERE dirty = 1")
            })
        } else {
            per_table(&SQL, table, |t| {
                format!(
                    "SELECT count(*) FROM {t} WHERE dirty = 1 AND NOT EXISTS \
                     (SELECT 1 FROM sync_rejected r WHERE r.tbl = '{t}' AND r.id = {t}.id \
                     AND r.hlc = {t}.hlc)"
                )
            })
        };
        n += conn
            .prepare_cached(sql)?
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
    static SQL: PerTable = per_table_cells();
    for table in SyncTable::ALL {
        if !rows.iter().any(|r| r.0 == table) {
            continue;
        }
        let sql = per_table(&SQL, table, |t| {
            format!("UPDATE {t} SET dirty = 0 WHERE id = ?1 AND hlc = ?2")
        });
        let mut stmt = conn.prepare_cached(sql)?;
        for (_, id, hlc) in rows.iter().filter(|r| r.0 == table) {
            stmt.execute(rusqlite::params![id, crate::garage::hlc_text(hlc)])?;
        }
    }
    Ok(())
}

/// Every row held becomes dirty (to be pushed again): after a reset, and when logging in
/// to another account.
pub(crate) fn mark_all_dirty(conn: &Connection) -> crate::Result<()> {
    static SQL: PerTable = per_table_cells();
    for table in SyncTable::ALL {
        let sql = per_table(&SQL, table, |t| {
            format!("UPDATE {t} SET dirty = 1 WHERE dirty = 0")
        });
        conn.prepare_cached(sql)?.execute([])?;
    }
    Ok(())
}

/// Why writing a row version failed: the row's fault (`Refused`, `NotFlat`: quarantine
/// it) or the database's (`Db`: fail the page, to be retried).
#[derive(Debug)]
pub(crate) enum VersionError {
    /// The database refused the row (STRICT types, NOT NULL): its message.
    Refused(String),
    /// This column's value is an array or object.
    NotFlat(String),
    Db(Error),
}

impl From<rusqlite::Error> for VersionError {
    fn from(e: rusqlite::Error) -> Self {
        match e {
            // STRICT types, NOT NULL: the row itself is at fault. Anything else (busy,
            // IO) is the database's.
            rusqlite::Error::SqliteFailure(f, msg)
                if f.code == rusqlite::ErrorCode::ConstraintViolation =>
            {
                VersionError::Refused(msg.unwrap_or_else(|| f.to_string()))
            }
            other => VersionError::Db(other.into()),
        }
    }
}

/// The statements that write row versions from elsewhere (a pulled page, a quarantined row
/// retried, a restored backup), for one transaction: each table's column list and
/// "stored version" lookup, and one upsert per table and set of columns present, prepared
/// the first time a row needs it.
pub(crate) struct Versions<'c> {
    conn: &'c Connection,
    columns: [Option<Vec<String>>; SyncTable::ALL.len()],
    stored: [Option<CachedStatement<'c>>; SyncTable::ALL.len()],
    upserts: HashMap<(usize, u64), CachedStatement<'c>>,
}

impl<'c> Versions<'c> {
    pub(crate) fn new(conn: &'c Connection) -> Self {
        Versions {
            conn,
            columns: Default::default(),
            stored: Default::default(),
            upserts: HashMap::new(),
        }
    }

    fn columns(&mut self, t: usize, table: SyncTable) -> crate::Result<&[String]> {
        if self.columns[t].is_none() {
            let cols = data_columns(self.conn, table)?;
            if cols.len() > 64 {
                return Err(Error::Other(format!(
                    "{} has more than 64 columns",
                    table.name()
                )));
            }
            self.columns[t] = Some(cols);
        }
        Ok(self.columns[t].as_deref().unwrap_or_default())
    }

    /// The HLC (text) of the stored version of row `id`, if the row exists here.
    pub(crate) fn stored_hlc(
        &mut self,
        table: SyncTable,
        id: &str,
    ) -> crate::Result<Option<String>> {
        static SQL: PerTable = per_table_cells();
        let t = index(table);
        if self.stored[t].is_none() {
            let sql = per_table(&SQL, table, |t| {
                format!("SELECT hlc FROM {t} WHERE id = ?1")
            });
            self.stored[t] = Some(self.conn.prepare_cached(sql)?);
        }
        let stmt = self.stored[t].as_mut().expect("prepared above");
        Ok(stmt.query_row([id], |r| r.get(0)).optional()?)
    }

    /// Marks row `id` of `table` dirty if it is clean (to be pushed again). Returns 1 if
    /// it was.
    pub(crate) fn mark_dirty_if_clean(
        &mut self,
        table: SyncTable,
        id: &str,
    ) -> crate::Result<usize> {
        static SQL: PerTable = per_table_cells();
        let sql = per_table(&SQL, table, |t| {
            format!("UPDATE {t} SET dirty = 1 WHERE id = ?1 AND dirty = 0")
        });
        Ok(self.conn.prepare_cached(sql)?.execute([id])?)
    }

    /// Writes `row` (of `table`) with stamp `s` if its HLC is greater than the stored one
    /// (last writer wins): every column of the table present in `data` (columns this
    /// build does not know are ignored; missing ones take the schema default on insert and
    /// keep their value on update), its tombstone flag, `s`'s HLC, dirty flag and time.
    /// Returns the rows changed: 0 when the stored version won.
    pub(crate) fn upsert(
        &mut self,
        table: SyncTable,
        row: &SyncRow,
        s: &SyncStamp,
    ) -> Result<usize, VersionError> {
        let t = index(table);
        let cols = self.columns(t, table).map_err(VersionError::Db)?;
        let mut mask = 0u64;
        for (i, c) in cols.iter().enumerate() {
            if let Some(v) = row.data.get(c) {
                if !is_scalar(v) {
                    return Err(VersionError::NotFlat(c.clone()));
                }
                mask |= 1 << i;
            }
        }
        let stmt = match self.upserts.entry((t, mask)) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                let cols = self.columns[t].as_deref().unwrap_or_default();
                let sql = upsert_sql(table, cols, mask);
                e.insert(self.conn.prepare_cached(&sql)?)
            }
        };
        let cols = self.columns[t].as_deref().unwrap_or_default();
        let mut n = 1;
        stmt.raw_bind_parameter(n, &row.id)?;
        for (i, c) in cols.iter().enumerate() {
            if mask & (1 << i) != 0 {
                n += 1;
                if let Some(v) = row.data.get(c) {
                    stmt.raw_bind_parameter(n, Scalar(v))?;
                }
            }
        }
        for v in [&s.hlc as &dyn ToSql, &row.deleted, &s.dirty, &s.updated_at] {
            n += 1;
            stmt.raw_bind_parameter(n, v)?;
        }
        Ok(stmt.raw_execute()?)
    }
}

/// `INSERT … ON CONFLICT (id) DO UPDATE … WHERE excluded.hlc > hlc` for the columns of
/// `cols` selected by `mask`.
fn upsert_sql(table: SyncTable, cols: &[String], mask: u64) -> String {
    let mut names = vec!["id"];
    names.extend(
        cols.iter()
            .enumerate()
            .filter(|(i, _)| mask & (1 << i) != 0)
            .map(|(_, c)| c.as_str()),
    );
    names.extend(["hlc", "deleted", "dirty", "updated_at"]);
    let placeholders: Vec<String> = (1..=names.len()).map(|i| format!("?{i}")).collect();
    let updates: Vec<String> = names[1..]
        .iter()
        .map(|n| format!("{n} = excluded.{n}"))
        .collect();
    format!(
        "INSERT INTO {t} ({}) VALUES ({}) ON CONFLICT (id) DO UPDATE SET {} \
         WHERE excluded.hlc > {t}.hlc",
        names.join(", "),
        placeholders.join(", "),
        updates.join(", "),
        t = table.name(),
    )
}
