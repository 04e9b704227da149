//! Every hot query must be answered from an index: a full-table SCAN on the dashboard,
//! fuel-list or reminder paths would grow with the whole garage, not with one vehicle.

use rusqlite::Connection;

use crate::{fuel, odometer, reminders, service, vehicles};

/// EXPLAIN QUERY PLAN lines for `sql` (parameters left unbound read as NULL).
pub fn plan(conn: &Connection, sql: &str) -> Vec<String> {
    let mut stmt = conn
        .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
        .expect("query prepares");
    // The plan does not depend on the values; bind NULL to every parameter.
    for i in 1..=stmt.parameter_count() {
        stmt.raw_bind_parameter(i, rusqlite::types::Null)
            .expect("bind");
    }
    let mut rows = stmt.raw_query();
    let mut out = Vec::new();
    while let Some(row) = rows.next().expect("plan runs") {
        out.push(row.get::<_, String>(3).expect("plan detail"));
    }
    out
}

/// Plan lines that read a whole table (a SCAN without an index). Scans of a subquery's
/// result ("SCAN (subquery-1)") read the few rows the subquery produced, not a table.
pub fn full_scans(plan: &[String]) -> Vec<String> {
    plan.iter()
        .filter(|l| l.starts_with("SCAN ") && !l.starts_with("SCAN (") && !l.contains("USING"))
        .filter(|l| l.as_str() != "SCAN CONSTANT ROW")
        .cloned()
        .collect()
}

/// The named hot queries of the record modules, for the plan test.
pub fn hot_queries() -> Vec<(&'static str, &'static str)> {
    vec![
        ("vehicle.list", vehicles::LIST_ACTIVE),
        ("vehicle.list_all", vehicles::LIST_ALL),
        ("fuel.list", fuel::LIST_NEWEST_FIRST),
        ("service.list", service::LIST_NEWEST_FIRST),
        ("odometer.list", odometer::LIST_NEWEST_FIRST),
        ("odometer.current", odometer::CURRENT_ODOMETER),
        ("odometer.reading_before", odometer::READING_BEFORE),
        ("odometer.reading_after", odometer::READING_AFTER),
        ("reminder.list_active", reminders::LIST_ACTIVE),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    #[test]
    fn hot_queries_use_indexes_and_never_scan_a_table() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("plan.db")).unwrap();
        store
            .read("test.plan", |conn| {
                for (name, sql) in hot_queries() {
                    let p = plan(conn, sql);
                    assert!(full_scans(&p).is_empty(), "{name} scans a table: {p:#?}");
                    assert!(
                        p.iter().any(
                            |l| l.contains("USING INDEX") || l.contains("USING COVERING INDEX")
                        ),
                        "{name} uses no index: {p:#?}"
                    );
                    // Lists come out in index order: no sort of the vehicle's rows.
                    if name.ends_with(".list") {
                        assert!(
                            !p.iter().any(|l| l.contains("TEMP B-TREE")),
                            "{name} sorts: {p:#?}"
                        );
                    }
                }
                Ok(())
            })
            .unwrap();
    }

    #[test]
    fn the_detector_does_flag_a_full_scan() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("plan.db")).unwrap();
        store
            .read("test.plan", |conn| {
                let p = plan(conn, "SELECT * FROM fuel_records WHERE notes = 'x'");
                assert_eq!(full_scans(&p), vec!["SCAN fuel_records".to_owned()]);
                Ok(())
            })
            .unwrap();
    }
}
