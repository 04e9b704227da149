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

/// Rows for [`insert_fills_floor`], made before its clock starts.
pub struct FloorRows(Vec<(crate::fuel::FuelRecord, crate::SyncStamp)>);

/// `rows` fill-ups of vehicle `vehicle_id` with their ids and clocks, for
/// [`insert_fills_floor`].
pub fn floor_rows(garage: &Garage, vehicle_id: &str, rows: u64) -> FloorRows {
    use crate::fuel::FuelRecord;
    use crate::units::{Currency, Distance, DistanceUnit, Money, Volume, VolumeUnit};
    let start = crate::time::from_sql(788_918_400);
    let made: Vec<(FuelRecord, crate::SyncStamp)> = (0..rows)
        .map(|i| {
            let record = FuelRecord {
                id: uuid::Builder::from_unix_timestamp_millis(1_700_000_000_000 + i, &[7; 10])
                    .into_uuid()
                    .to_string(),
                vehicle_id: vehicle_id.to_owned(),
                occurred_at: start + chrono::Duration::minutes(15 * i as i64),
                odometer: Distance::new((10_000 + 9 * i) as f64, DistanceUnit::Kilometre),
                quantity: Volume::new(0.6, VolumeUnit::Litre),
                total_cost: Money::new(105, Currency::EUR),
                is_full: true,
                missed_previous: false,
                station: String::new(),
                notes: String::new(),
                tags: Vec::new(),
            };
            let stamp = crate::SyncStamp {
                hlc: format!(
                    "{:015}-{:08x}-{}",
                    1_700_000_000_000u64 + i,
                    0,
                    garage.device_id()
                ),
                dirty: true,
                updated_at: 0,
            };
            (record, stamp)
        })
        .collect();
    FloorRows(made)
}

/// The floor under the write path, for the import benchmark: `rows` (from [`floor_rows`])
/// through the fuel table's own bulk INSERT (the write path's multi-row statement,
/// prepared once), in one transaction — no validation, no stamping, nothing else.
/// Returns the seconds the inserts and the commit took.
pub fn insert_fills_floor(garage: &Garage, rows: FloorRows) -> Result<f64> {
    use crate::fuel::FuelRecord;
    use crate::store::{self, ROWS_PER_INSERT};
    let made = rows.0;
    let started = std::time::Instant::now();
    garage.store().write("testing.insert_floor", |tx| {
        let mut bulk = tx.prepare(store::multi_row_insert::<FuelRecord>())?;
        let mut chunks = made.chunks_exact(ROWS_PER_INSERT);
        for chunk in &mut chunks {
            store::execute_rows(&mut bulk, chunk)?;
        }
        let mut one = tx.prepare(<FuelRecord as store::StoredRow>::INSERT)?;
        for (r, s) in chunks.remainder() {
            store::execute(&mut one, r, s)?;
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

/// Waits until the background checkpoint has folded every commit so far into the
/// database file (the import bench times that apart from the commit).
pub fn wait_for_checkpoint(garage: &Garage) {
    garage.store().wait_for_checkpoint();
}
