//! Test support (feature `testing`): what tests and benchmarks in other crates need to see
//! or set up below the `Garage` API, so that none of them opens the database with its own
//! SQL. Not for the shells.

use std::collections::BTreeMap;

use glovebox_protocol::sync::SYNCED_TABLES;
use rusqlite::types::ValueRef;
use rusqlite::Connection;
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::Garage;

/// Runs `f` on a read-only connection (PRAGMAs, EXPLAIN, counts): tests may look, not
/// write.
pub fn inspect<T>(garage: &Garage, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
    garage.store().read("testing.inspect", f)
}

/// One stored row of a synced table as the sync protocol and schema version 2 spell it:
/// every column by name, ids and HLCs as text, tombstones and dirty flags included.
pub type Row = Map<String, Value>;

fn json(v: ValueRef<'_>) -> Result<Value> {
    Ok(match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => i.into(),
        ValueRef::Real(f) => serde_json::Number::from_f64(f)
            .map(Value::Number)
            .ok_or_else(|| Error::Corrupt(format!("non-finite number {f}")))?,
        ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned().into(),
        ValueRef::Blob(_) => return Err(Error::Corrupt("unexpected blob".into())),
    })
}

/// Every row of every synced table, tombstones included, by table and then by id.
pub fn all_rows(garage: &Garage) -> Result<BTreeMap<String, Vec<Row>>> {
    inspect(garage, |c| {
        let mut out = BTreeMap::new();
        for table in SYNCED_TABLES {
            let mut stmt = c.prepare(&format!("SELECT * FROM {table} ORDER BY id"))?;
            let names: Vec<String> = stmt.column_names().map(str::to_owned).collect();
            let mut rows = stmt.query([])?;
            let mut list = Vec::new();
            while let Some(r) = rows.next()? {
                let mut row = Row::new();
                for (i, n) in names.iter().enumerate() {
                    row.insert(n.clone(), json(r.get_ref(i)?)?);
                }
                list.push(row);
            }
            out.insert(table.to_owned(), list);
        }
        Ok(out)
    })
}

/// The text HLC of row `id` of `table`, tombstone or not.
pub fn hlc_of(garage: &Garage, table: &str, id: &str) -> Result<String> {
    let rows = all_rows(garage)?;
    rows.get(table)
        .and_then(|rows| rows.iter().find(|r| r["id"] == id))
        .and_then(|r| r["hlc"].as_str().map(str::to_owned))
        .ok_or_else(|| Error::not_found("row", id))
}

/// Marks every row of every synced table dirty, as a device that crashed between a push
/// and clearing its flags would have it.
pub fn mark_all_dirty(garage: &Garage) -> Result<()> {
    garage.store().write("testing.mark_all_dirty", |tx| {
        for table in SYNCED_TABLES {
            tx.execute(&format!("UPDATE {table} SET dirty = 1"), [])?;
        }
        Ok(())
    })
}

/// Copies the database to `path` as a file copy would (VACUUM INTO), for tests of a
/// database restored from a copy or cloned onto a second machine.
pub fn copy_database(garage: &Garage, path: &std::path::Path) -> Result<()> {
    let target = path
        .to_str()
        .ok_or_else(|| Error::Other(format!("not a UTF-8 path: {}", path.display())))?;
    garage.store().with_writer(|c| {
        c.execute("VACUUM INTO ?1", [target])?;
        Ok(())
    })
}

/// Runs raw SQL in one write transaction, below the write path: rows an older version
/// or another program left behind, for tests of what sync does with them.
pub fn execute_raw(garage: &Garage, sql: &str) -> Result<()> {
    garage.store().write("testing.execute_raw", |tx| {
        tx.execute_batch(sql)?;
        Ok(())
    })
}

/// The floor under the write path, for the import benchmark: `rows` fill-ups of vehicle
/// `vehicle_id` through the fuel table's own INSERT, prepared once, in one transaction,
/// with ids and clocks made before the clock starts — no validation, no stamping, nothing
/// else. Returns the seconds the inserts and the commit took.
pub fn insert_fills_floor(garage: &Garage, vehicle_id: &str, rows: u64) -> Result<f64> {
    use crate::store::StoredRow;
    let made: Vec<(String, String)> = (0..rows)
        .map(|i| {
            (
                uuid::Builder::from_unix_timestamp_millis(1_700_000_000_000 + i, &[7; 10])
                    .into_uuid()
                    .to_string(),
                format!(
                    "{:015}-{:08x}-{}",
                    1_700_000_000_000u64 + i,
                    0,
                    garage.device_id()
                ),
            )
        })
        .collect();
    let started = std::time::Instant::now();
    garage.store().write("testing.insert_floor", |tx| {
        let mut stmt = tx.prepare(crate::fuel::FuelRecord::INSERT)?;
        for (i, (id, hlc)) in made.iter().enumerate() {
            stmt.execute(rusqlite::params![
                id,
                vehicle_id,
                788_918_400 + 900 * i as i64,
                (10_000 + 9 * i) as f64,
                0.6,
                105,
                true,
                false,
                "",
                "",
                "",
                hlc,
                true,
                0,
            ])?;
        }
        Ok(())
    })?;
    Ok(started.elapsed().as_secs_f64())
}

/// Creates an empty database file at `path` with SQLite pages of `bytes` (4096 is what
/// databases created before the store set its own page size have), for a same-run baseline of
/// the page size: [`Garage::open`] then migrates it and keeps its page size.
pub fn create_with_page_size(path: &std::path::Path, bytes: u32) -> Result<()> {
    let conn = Connection::open(path)?;
    conn.pragma_update(None, "page_size", bytes)?;
    // The first write fixes the page size; WAL mode is what the store would set anyway.
    conn.pragma_update(None, "journal_mode", "WAL")?;
    Ok(())
}

/// The page size of the garage's database file.
pub fn page_size(garage: &Garage) -> Result<u32> {
    inspect(garage, |c| {
        Ok(c.query_row("PRAGMA page_size", [], |r| r.get(0))?)
    })
}
