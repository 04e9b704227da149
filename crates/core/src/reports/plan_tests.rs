//! EXPLAIN QUERY PLAN checks: every query behind the dashboard, the fuel report and the
//! reminders searches a per-vehicle index; none scans a table.

use rusqlite::Connection;

use super::queries;
use super::tests::{golf, open};
use crate::reminders::completion;
use crate::{odometer, reminders};

const TABLES: [&str; 5] = [
    "fuel_records",
    "service_records",
    "odometer_records",
    "reminders",
    "reminder_completions",
];

fn plan(conn: &Connection, sql: &str, params: usize) -> Vec<String> {
    let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
    let values: Vec<rusqlite::types::Value> = (0..params)
        .map(|i| rusqlite::types::Value::Integer(i as i64 + 1))
        .collect();
    stmt.query_map(rusqlite::params_from_iter(values), |r| {
        r.get::<_, String>(3)
    })
    .unwrap()
    .collect::<rusqlite::Result<_>>()
    .unwrap()
}

fn assert_indexed(conn: &Connection, name: &str, sql: &str, params: usize) {
    let lines = plan(conn, sql, params);
    let mut searched = 0;
    for line in &lines {
        for t in TABLES {
            let scans = line.starts_with(&format!("SCAN {t}"));
            assert!(!scans, "{name} scans {t}: {lines:#?}");
            if line.starts_with(&format!("SEARCH {t} USING")) && line.contains("INDEX") {
                searched += 1;
            }
        }
    }
    assert!(searched > 0, "{name} uses no index: {lines:#?}");
}

#[test]
fn report_and_reminder_queries_use_indexes() {
    let (dir, r) = open();
    // Some rows, so the plans are those of a real database (and ANALYZE has data).
    golf(&r);
    golf(&r);
    let conn = Connection::open(dir.path().join("g.db")).unwrap();
    conn.execute_batch("ANALYZE").unwrap();
    let queries: [(&str, &str, usize); 11] = [
        ("fuel_fills", queries::FUEL_FILLS, 1),
        ("recent_work", queries::RECENT_WORK, 2),
        ("service_costs", queries::SERVICE_COSTS, 2),
        ("readings_since", queries::READINGS_SINCE, 2),
        ("first_odometer", queries::FIRST_ODOMETER, 1),
        ("current_odometer", odometer::CURRENT_ODOMETER, 1),
        ("reading_before", odometer::READING_BEFORE, 3),
        ("reading_before_window", queries::READING_BEFORE_WINDOW, 2),
        ("reminders_active", reminders::LIST_ACTIVE, 1),
        ("completions_by_reminder", completion::LIST_BY_REMINDER, 3),
        ("completions_by_vehicle", completion::LIST_BY_VEHICLE, 3),
    ];
    for (name, sql, params) in queries {
        assert_indexed(&conn, name, sql, params);
    }
}

#[test]
fn the_fill_up_read_is_covered_by_its_index() {
    let (dir, r) = open();
    golf(&r);
    let conn = Connection::open(dir.path().join("g.db")).unwrap();
    conn.execute_batch("ANALYZE").unwrap();
    let lines = plan(&conn, queries::FUEL_FILLS, 1);
    assert!(
        lines
            .iter()
            .any(|l| l.contains("USING COVERING INDEX fuel_economy_by_vehicle")),
        "{lines:#?}"
    );
    assert!(
        !lines.iter().any(|l| l.contains("TEMP B-TREE")),
        "no sort: {lines:#?}"
    );
}

#[test]
fn the_plan_check_catches_a_table_scan() {
    let (dir, _r) = open();
    let conn = Connection::open(dir.path().join("g.db")).unwrap();
    let lines = plan(&conn, "SELECT * FROM fuel_records WHERE quantity > ?1", 1);
    assert!(
        lines.iter().any(|l| l.starts_with("SCAN fuel_records")),
        "{lines:?}"
    );
}
