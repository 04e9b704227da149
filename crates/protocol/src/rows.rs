//! Checks every pushed or pulled row must pass, shared by server and client so both
//! refuse the same things for the same reasons. They are structural only: the server
//! never interprets `data` beyond them; the client additionally applies its domain rules.
//!
//! A row that fails is refused on its own (`RowOutcome::Rejected` with the problem's
//! code and message on push; quarantine on pull): one bad row never stops a batch.

use crate::hlc::{Hlc, MAX_CLOCK_DRIFT_MS, MAX_COUNTER};
use crate::sync::SyncRow;
use crate::tables::SyncTable;

/// Largest JSON encoding of one row. A fill-up with 10,000 characters of notes in a
/// 4-byte script is about 40 KiB; nothing a user types comes close to this.
pub const MAX_ROW_BYTES: usize = 64 * 1024;
/// Most domain columns a row may carry (today's widest table has 14).
pub const MAX_COLUMNS: usize = 64;
/// Longest column name.
pub const MAX_COLUMN_NAME: usize = 64;
/// Largest HLC counter accepted from another device (the clock's own bound). A counter
/// only grows when many writes share one millisecond; no real device comes near 16 M of
/// them, while a huge counter would push every later local write into the future.
pub const MAX_REMOTE_COUNTER: u32 = MAX_COUNTER;

/// Columns that travel outside `data` (or never travel) and so may not appear in it.
pub const SYNC_COLUMNS: [&str; 5] = ["id", "hlc", "deleted", "dirty", "updated_at"];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RowProblem {
    /// Not a row at all: a missing or mistyped field, a malformed HLC, `data` not an
    /// object, a duplicate column. The text says what the parser found.
    #[error("not a valid row: {0}")]
    Malformed(String),
    #[error("unknown table {0:?}")]
    UnknownTable(String),
    #[error("id {0:?} is not a lower-case hyphenated UUID")]
    BadId(String),
    #[error("column {column:?} is not a scalar (null, boolean, number or string)")]
    NotFlat { column: String },
    #[error(
        "column name {0:?} is not allowed (lower-case letters, digits and '_', not a sync column)"
    )]
    BadColumnName(String),
    #[error("{count} columns (at most {limit})")]
    TooManyColumns { count: usize, limit: usize },
    #[error("row is {bytes} bytes (at most {limit})")]
    TooLarge { bytes: usize, limit: usize },
    #[error(
        "stamped {drift_ms} ms ahead of this clock (limit {limit_ms} ms); check the date and \
         time settings of the device that wrote it"
    )]
    ClockAhead { drift_ms: u64, limit_ms: u64 },
    #[error("clock counter {counter} is over {limit}")]
    CounterTooLarge { counter: u32, limit: u32 },
}

impl RowProblem {
    /// Stable code, sent as `RowResult::code` and stored with quarantined rows.
    pub fn code(&self) -> &'static str {
        match self {
            RowProblem::Malformed(_) => "malformed_row",
            RowProblem::UnknownTable(_) => "unknown_table",
            RowProblem::BadId(_) => "bad_id",
            RowProblem::NotFlat { .. } => "not_flat",
            RowProblem::BadColumnName(_) => "bad_column",
            RowProblem::TooManyColumns { .. } => "too_many_columns",
            RowProblem::TooLarge { .. } => "row_too_large",
            RowProblem::ClockAhead { .. } => "clock_ahead",
            RowProblem::CounterTooLarge { .. } => "counter_too_large",
        }
    }
}

/// Row ids are UUIDs in their canonical text form (any version): 8-4-4-4-12 lower-case
/// hex digits.
pub fn is_row_id(id: &str) -> bool {
    let b = id.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_digit() || (b'a'..=b'f').contains(c),
        })
}

fn is_column_name(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty()
        && b.len() <= MAX_COLUMN_NAME
        && b[0].is_ascii_lowercase()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'_')
        && !SYNC_COLUMNS.contains(&name)
}

/// Checks one row. `encoded_len` is the size of its JSON encoding (the server passes the
/// bytes it received; [`encoded_len`] computes it otherwise); `now_ms` is the checking
/// side's wall clock. Returns the row's table.
pub fn check_row(row: &SyncRow, encoded_len: usize, now_ms: u64) -> Result<SyncTable, RowProblem> {
    let table = check_head(&row.table, &row.id, &row.hlc, encoded_len, now_ms)?;
    check_columns(
        row.data.len(),
        row.data
            .iter()
            .map(|(name, value)| (name.as_str(), !(value.is_array() || value.is_object()))),
    )?;
    Ok(table)
}

/// [`check_row`] without the columns: table, id, clock and size, in that order. With
/// [`check_columns`] after it, it is all of [`check_row`] for a reader that does not build
/// a `SyncRow` (the server checks pushed rows straight from their JSON text).
pub fn check_head(
    table: &str,
    id: &str,
    hlc: &Hlc,
    encoded_len: usize,
    now_ms: u64,
) -> Result<SyncTable, RowProblem> {
    let table =
        SyncTable::from_name(table).ok_or_else(|| RowProblem::UnknownTable(table.to_owned()))?;
    if !is_row_id(id) {
        return Err(RowProblem::BadId(id.to_owned()));
    }
    check_hlc(hlc, now_ms)?;
    if encoded_len > MAX_ROW_BYTES {
        return Err(RowProblem::TooLarge {
            bytes: encoded_len,
            limit: MAX_ROW_BYTES,
        });
    }
    Ok(table)
}

/// The column part of [`check_row`]: `count` columns, given as (name, is a scalar) in
/// name order (the order of a `serde_json::Map`), so the first bad one is the one
/// [`check_row`] names.
pub fn check_columns<'a>(
    count: usize,
    columns: impl IntoIterator<Item = (&'a str, bool)>,
) -> Result<(), RowProblem> {
    if count > MAX_COLUMNS {
        return Err(RowProblem::TooManyColumns {
            count,
            limit: MAX_COLUMNS,
        });
    }
    for (name, scalar) in columns {
        if !is_column_name(name) {
            return Err(RowProblem::BadColumnName(name.to_owned()));
        }
        if !scalar {
            return Err(RowProblem::NotFlat {
                column: name.to_owned(),
            });
        }
    }
    Ok(())
}

/// The clock part of [`check_row`]: not too far ahead, counter bounded.
pub fn check_clock(row: &SyncRow, now_ms: u64) -> Result<(), RowProblem> {
    check_hlc(&row.hlc, now_ms)
}

fn check_hlc(hlc: &Hlc, now_ms: u64) -> Result<(), RowProblem> {
    if hlc.millis > now_ms.saturating_add(MAX_CLOCK_DRIFT_MS) {
        return Err(RowProblem::ClockAhead {
            drift_ms: hlc.millis - now_ms,
            limit_ms: MAX_CLOCK_DRIFT_MS,
        });
    }
    if hlc.counter > MAX_REMOTE_COUNTER {
        return Err(RowProblem::CounterTooLarge {
            counter: hlc.counter,
            limit: MAX_REMOTE_COUNTER,
        });
    }
    Ok(())
}

/// Size of a row's JSON encoding (counted, not built: a pulled page checks every row).
pub fn encoded_len(row: &SyncRow) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut c = Count(0);
    match serde_json::to_writer(&mut c, row) {
        Ok(()) => c.0,
        Err(_) => usize::MAX,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Hlc;

    const ID: &str = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";
    const NOW: u64 = 1_800_000_000_000;

    fn row(table: &str, id: &str, data: serde_json::Value) -> SyncRow {
        SyncRow {
            table: table.into(),
            id: id.into(),
            hlc: Hlc::new(NOW, 0, "ab"),
            deleted: false,
            data: data.as_object().cloned().unwrap_or_default(),
        }
    }

    fn check(r: &SyncRow) -> Result<SyncTable, RowProblem> {
        check_row(r, encoded_len(r), NOW)
    }

    #[test]
    fn a_normal_row_passes() {
        let r = row(
            "fuel_records",
            ID,
            serde_json::json!({"vehicle_id": ID, "odometer": 12.5, "is_full": 1, "notes": "", "x": null}),
        );
        assert_eq!(check(&r), Ok(SyncTable::FuelRecords));
    }

    #[test]
    fn each_problem_is_named() {
        let cases = [
            (row("users", ID, serde_json::json!({})), "unknown_table"),
            (row("vehicles", "../etc", serde_json::json!({})), "bad_id"),
            (
                row("vehicles", &ID.to_uppercase(), serde_json::json!({})),
                "bad_id",
            ),
            (
                row("vehicles", ID, serde_json::json!({"name": ["a"]})),
                "not_flat",
            ),
            (
                row("vehicles", ID, serde_json::json!({"name": {"a": 1}})),
                "not_flat",
            ),
            (
                row("vehicles", ID, serde_json::json!({"Name": "a"})),
                "bad_column",
            ),
            (
                row("vehicles", ID, serde_json::json!({"hlc": "a"})),
                "bad_column",
            ),
            (
                row(
                    "vehicles",
                    ID,
                    serde_json::json!({"notes": "x".repeat(MAX_ROW_BYTES)}),
                ),
                "row_too_large",
            ),
        ];
        for (r, code) in cases {
            assert_eq!(check(&r).unwrap_err().code(), code, "{r:?}");
        }
        let many: serde_json::Map<_, _> = (0..=MAX_COLUMNS)
            .map(|i| (format!("c{i}"), serde_json::Value::Null))
            .collect();
        let mut r = row("vehicles", ID, serde_json::json!({}));
        r.data = many;
        assert_eq!(check(&r).unwrap_err().code(), "too_many_columns");
    }

    #[test]
    fn clocks_too_far_ahead_or_with_huge_counters_are_refused() {
        let mut r = row("vehicles", ID, serde_json::json!({}));
        r.hlc = Hlc::new(NOW + MAX_CLOCK_DRIFT_MS, 0, "ab");
        assert!(check(&r).is_ok());
        r.hlc = Hlc::new(NOW + MAX_CLOCK_DRIFT_MS + 1, 0, "ab");
        assert_eq!(check(&r).unwrap_err().code(), "clock_ahead");
        r.hlc = Hlc::new(NOW, MAX_REMOTE_COUNTER + 1, "ab");
        assert_eq!(check(&r).unwrap_err().code(), "counter_too_large");
    }
}
