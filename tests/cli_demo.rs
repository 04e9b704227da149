//! `glovebox demo` end to end on a temporary database file, and the demo garage's economy
//! cross-checked against an independent, deliberately naive full-to-full computation
//! straight from SQL (so a bug in the engine and the same bug in this test are unlikely).

use glovebox_core::{Garage, Page};

fn run_cli(args: &[&str]) -> String {
    let mut out = Vec::new();
    let mut argv = vec!["glovebox"];
    argv.extend_from_slice(args);
    glovebox_cli::run(argv, &mut out).expect("glovebox runs");
    String::from_utf8(out).expect("utf-8 output")
}

/// Full-to-full by the book: walk fills in odometer order; a full fill closes the segment
/// opened by the previous full fill; a missed flag anywhere in the segment voids it.
fn naive_lifetime_distance_per_fuel(db: &std::path::Path, vehicle_id: &str) -> Option<f64> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT odometer, quantity, is_full, missed_previous FROM fuel_records \
             WHERE vehicle_id = ?1 AND deleted = 0 ORDER BY odometer, occurred_at, is_full",
        )
        .unwrap();
    let rows: Vec<(f64, f64, bool, bool)> = stmt
        .query_map([vehicle_id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let (mut anchor, mut fuel, mut voided) = (None::<f64>, 0.0, false);
    let (mut total_distance, mut total_fuel) = (0.0, 0.0);
    for (odo, qty, full, missed) in rows {
        let Some(a) = anchor else {
            if full {
                anchor = Some(odo);
            }
            continue;
        };
        fuel += qty;
        voided |= missed;
        if full && odo > a {
            if !voided {
                total_distance += odo - a;
                total_fuel += fuel;
            }
            anchor = Some(odo);
            fuel = 0.0;
            voided = false;
        }
    }
    (total_fuel > 0.0).then(|| total_distance / total_fuel)
}

#[test]
fn demo_fills_a_fresh_database_and_prints_each_vehicle() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let db_arg = db.to_str().unwrap();

    let first = run_cli(&["demo", "--db", db_arg]);
    assert!(first.starts_with("Created the demo garage"), "{first}");
    let lines: Vec<&str> = first.lines().skip(1).collect();
    assert_eq!(lines.len(), 3, "three demo vehicles: {first}");
    for (line, name, unit) in [
        (lines[0], "Delivery van", "mpg (US)"),
        (lines[1], "Electric hatch", "kWh/100km"),
        (lines[2], "Family car", "L/100km"),
    ] {
        assert!(
            line.starts_with(name) && line.contains(unit) && line.contains("spent"),
            "{line}"
        );
    }

    // Running it again shows the same garage rather than a second copy.
    let second = run_cli(&["demo", "--db", db_arg]);
    assert!(second.contains("already has vehicles"), "{second}");
    assert_eq!(second.lines().skip(1).collect::<Vec<_>>(), lines);

    // The printed lifetime economy is the full-to-full figure.
    let garage = Garage::open(&db).unwrap();
    for (v, line) in garage.vehicles(true).unwrap().iter().zip(&lines) {
        let naive =
            naive_lifetime_distance_per_fuel(&db, &v.id).expect("demo vehicles have segments");
        let fills: Vec<_> = garage
            .fuel_records(&v.id, Page::ALL)
            .unwrap()
            .iter()
            .map(glovebox_core::economy::FillUp::from)
            .collect();
        let engine = glovebox_core::economy::compute(&fills, v.distance_unit, v.volume_unit);
        let avg = engine.average.unwrap();
        let engine_per_unit = engine.distance.value / engine.fuel.value;
        assert!(
            (engine_per_unit - naive).abs() < 1e-9 * naive,
            "{} engine {engine_per_unit} vs naive {naive}",
            v.name
        );
        let shown = format!(
            "{:.2} {}",
            avg.value_in(v.economy_unit).unwrap(),
            v.economy_unit.label()
        );
        assert!(line.contains(&shown), "{line} shows {shown}");
        assert!(
            engine.voided_segments > 0 || v.name == "Family car",
            "the demo has missed fill-ups"
        );
    }
}

#[test]
fn demo_refuses_a_database_from_a_newer_glovebox() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("newer.db");
    {
        let c = rusqlite::Connection::open(&db).unwrap();
        c.pragma_update(None, "user_version", 999).unwrap();
    }
    let mut out = Vec::new();
    let err = glovebox_cli::run(["glovebox", "demo", "--db", db.to_str().unwrap()], &mut out)
        .unwrap_err();
    assert!(format!("{err:#}").contains("newer Glovebox"), "{err:#}");
}
