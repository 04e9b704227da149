//! Every hot query must be answered from an index: a full-table SCAN on the dashboard,
//! fuel-list or reminder paths would grow with the whole garage, not with one vehicle.

use rusqlite::Connection;

use super::{completions, fuel, odometer, readings, reminders, service, vehicles};

/// EXPLAIN QUERY PLAN lines for `sql` (parameters left unbound read as NULL).
fn plan(conn: &Connection, sql: &str) -> Vec<String> {
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
fn full_scans(plan: &[String]) -> Vec<String> {
    plan.iter()
        .filter(|l| l.starts_with("SCAN ") && !l.starts_with("SCAN (") && !l.contains("USING"))
        .filter(|l| l.as_str() != "SCAN CONSTANT ROW")
        .cloned()
        .collect()
}

/// The named hot queries of the tables, for the plan test: the lists, everything the
/// dashboard, the fuel report and the odometer typo guard run.
fn hot_queries() -> Vec<(&'static str, &'static str)> {
    vec![
        ("vehicle.list", vehicles::LIST_ACTIVE),
        ("vehicle.list_all", vehicles::LIST_ALL),
        ("fuel.list", fuel::LIST_NEWEST_FIRST),
        ("fuel.fills", fuel::FILLS),
        ("service.list", service::LIST_NEWEST_FIRST),
        ("service.costs", service::COSTS),
        ("odometer.list", odometer::LIST_NEWEST_FIRST),
        ("readings.highest", readings::HIGHEST),
        ("readings.lowest", readings::LOWEST),
        ("readings.highest_before", readings::HIGHEST_BEFORE),
        (
            "readings.latest_at_or_before",
            readings::LATEST_AT_OR_BEFORE,
        ),
        (
            "readings.earliest_at_or_after",
            readings::EARLIEST_AT_OR_AFTER,
        ),
        ("readings.since", readings::SINCE),
        ("reminder.list_active", reminders::LIST_ACTIVE),
        ("completion.list_by_reminder", completions::LIST_BY_REMINDER),
        ("completion.list_by_vehicle", completions::LIST_BY_VEHICLE),
    ]
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::fuel::FuelInput;
    use crate::odometer::OdometerInput;
    use crate::store::Store;
    use crate::vehicles::VehicleInput;
    use crate::{Garage, WriteOptions};

    /// A garage with rows in every table the hot queries read, analysed, so the plans are
    /// those of a real database.
    fn garage_with_rows(dir: &tempfile::TempDir) -> Garage {
        let g = Garage::open(dir.path().join("plan.db")).unwrap();
        for name in ["Golf", "Polo"] {
            let v = g.create_vehicle(&VehicleInput::new(name)).unwrap();
            for i in 0..20u32 {
                let at = NaiveDate::from_ymd_opt(2025, 1 + i % 12, 1 + i)
                    .unwrap()
                    .and_hms_opt(8, 0, 0)
                    .unwrap();
                g.add_fuel(
                    &FuelInput {
                        vehicle_id: v.id.clone(),
                        occurred_at: at,
                        odometer: 1_000.0 * f64::from(i + 1),
                        quantity: 40.0,
                        total_cost_minor: 7_000,
                        is_full: true,
                        missed_previous: false,
                        station: String::new(),
                        notes: String::new(),
                        tags: vec![],
                    },
                    WriteOptions::CONFIRMED,
                )
                .unwrap();
                g.add_odometer(
                    &OdometerInput {
                        vehicle_id: v.id.clone(),
                        occurred_at: at,
                        odometer: 1_000.0 * f64::from(i + 1) + 10.0,
                        notes: String::new(),
                    },
                    WriteOptions::CONFIRMED,
                )
                .unwrap();
            }
        }
        g.store()
            .with_writer(|c| Ok(c.execute_batch("ANALYZE")?))
            .unwrap();
        g
    }

    fn check(conn: &Connection) {
        for (name, sql) in hot_queries() {
            let p = plan(conn, sql);
            assert!(full_scans(&p).is_empty(), "{name} scans a table: {p:#?}");
            assert!(
                p.iter()
                    .any(|l| l.contains("USING INDEX") || l.contains("USING COVERING INDEX")),
                "{name} uses no index: {p:#?}"
            );
            // Lists come out in index order: no sort of the vehicle's rows.
            if name.ends_with(".list") || name == "fuel.fills" {
                assert!(
                    !p.iter().any(|l| l.contains("TEMP B-TREE")),
                    "{name} sorts: {p:#?}"
                );
            }
        }
    }

    #[test]
    fn hot_queries_use_indexes_and_never_scan_a_table() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("plan.db")).unwrap();
        store
            .read("test.plan", |c| {
                check(c);
                Ok(())
            })
            .unwrap();
        // And with rows and statistics, which is when the planner could prefer a scan.
        let dir = tempfile::tempdir().unwrap();
        let g = garage_with_rows(&dir);
        g.store()
            .read("test.plan", |c| {
                check(c);
                Ok(())
            })
            .unwrap();
    }

    #[test]
    fn the_fill_up_read_is_covered_by_its_index() {
        let dir = tempfile::tempdir().unwrap();
        let g = garage_with_rows(&dir);
        let p = g
            .store()
            .read("test.plan", |c| Ok(plan(c, fuel::FILLS)))
            .unwrap();
        assert!(
            p.iter()
                .any(|l| l.contains("USING COVERING INDEX fuel_economy_by_vehicle")),
            "{p:#?}"
        );
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
