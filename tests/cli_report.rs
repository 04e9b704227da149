//! `glovebox vehicle add|list|edit` and `glovebox report` on a real database file: units
//! and currency as given, the dashboard's figures hand-computed, JSON for scripts.

use glovebox_core::fuel::FuelInput;
use glovebox_core::{Garage, WriteOptions};

fn run(args: &[&str]) -> Result<String, Box<dyn std::error::Error>> {
    let mut out = Vec::new();
    let mut argv = vec!["glovebox"];
    argv.extend_from_slice(args);
    glovebox_cli::run(argv, &mut out).map_err(|e| format!("{e:#}"))?;
    Ok(String::from_utf8(out).expect("utf-8 output"))
}

fn fill(g: &Garage, vehicle: &str, minutes_ago: i64, odometer: f64, gallons: f64, cents: i64) {
    g.add_fuel(
        &FuelInput {
            vehicle_id: vehicle.into(),
            occurred_at: g.now() - chrono::Duration::minutes(minutes_ago),
            odometer,
            quantity: gallons,
            total_cost_minor: cents,
            is_full: true,
            missed_previous: false,
            station: String::new(),
            notes: String::new(),
            tags: vec![],
        },
        WriteOptions::CONFIRMED,
    )
    .unwrap();
}

#[test]
fn vehicles_with_their_units_and_a_report_with_hand_computed_figures() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let db = db.to_str().unwrap();

    let added = run(&[
        "vehicle",
        "add",
        "Van",
        "--distance-unit",
        "mi",
        "--volume-unit",
        "us_gal",
        "--currency",
        "USD",
        "--make",
        "Ford",
        "--db",
        db,
    ])
    .unwrap();
    assert_eq!(added.trim(), "added Van — mi · US gal · mpg (US) · USD");
    let listed = run(&["vehicle", "list", "--db", db]).unwrap();
    assert_eq!(listed.trim(), "Van — mi · US gal · mpg (US) · USD");

    // Two full fills 300 miles apart; the closing one took 10 US gallons: 30 mpg.
    let g = Garage::open(db).unwrap();
    let v = g.vehicles(false).unwrap().remove(0);
    fill(&g, &v.id, 3, 1000.0, 12.0, 4200);
    fill(&g, &v.id, 2, 1300.0, 10.0, 3550);
    drop(g);

    let report = run(&["report", "--vehicle", "van", "--db", db]).unwrap();
    assert!(report.starts_with("Van (Ford)\n"), "{report}");
    assert!(report.contains("Odometer              1300 mi"), "{report}");
    assert!(
        report.contains("Economy, lifetime     30.00 mpg (US)"),
        "{report}"
    );
    assert!(
        report.contains("Spent this year       77.50 USD"),
        "{report}"
    );
    assert!(
        report.contains("  Fuel                77.50 USD"),
        "{report}"
    );
    // Cost per distance: 77.50 USD over the 300 miles driven (0.2583 -> 0.26).
    assert!(
        report.contains("Cost per distance     0.26 USD per mi"),
        "{report}"
    );
    assert!(
        report.contains("Reminders             0 due (0 past due)"),
        "{report}"
    );

    let json: serde_json::Value =
        serde_json::from_str(&run(&["report", "--vehicle", "Van", "--json", "--db", db]).unwrap())
            .unwrap();
    assert!((json["economy_lifetime"]["value"].as_f64().unwrap() - 30.0).abs() < 1e-9);
    assert_eq!(json["economy_lifetime"]["unit"], "mpg_us");
    assert_eq!(json["cost_lifetime"]["total_minor"], 7750);

    let overview = run(&["report", "--db", db]).unwrap();
    assert!(overview.contains("Van"), "{overview}");
    assert!(overview.contains("30.00 mpg (US)"), "{overview}");
    assert!(
        overview.ends_with("1 vehicle(s); 0 reminder(s) due, 0 past due\n"),
        "{overview}"
    );

    let edited = run(&[
        "vehicle",
        "edit",
        "Van",
        "--rename",
        "Big Van",
        "--economy-unit",
        "mpg_uk",
        "--db",
        db,
    ])
    .unwrap();
    assert_eq!(
        edited.trim(),
        "changed Big Van — mi · US gal · mpg (UK) · USD"
    );
    let report = run(&["report", "--vehicle", "Big Van", "--db", db]).unwrap();
    // 30 mpg (US) is 36.03 mpg (UK).
    assert!(
        report.contains("Economy, lifetime     36.03 mpg (UK)"),
        "{report}"
    );
}

#[test]
fn bad_vehicle_input_names_the_field_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let db = db.to_str().unwrap();
    let e = run(&[
        "vehicle",
        "add",
        " ",
        "--distance-unit",
        "km",
        "--volume-unit",
        "l",
        "--currency",
        "EUR",
        "--db",
        db,
    ])
    .unwrap_err();
    assert!(e.to_string().starts_with("name:"), "{e}");
    let e = run(&[
        "vehicle",
        "add",
        "Golf",
        "--distance-unit",
        "km",
        "--volume-unit",
        "l",
        "--currency",
        "XYZ",
        "--db",
        db,
    ])
    .unwrap_err();
    assert!(e.to_string().contains("unknown currency"), "{e}");
    // Units are said, never guessed.
    assert!(run(&["vehicle", "add", "Golf", "--db", db]).is_err());
    assert_eq!(
        run(&["vehicle", "list", "--db", db])
            .unwrap()
            .lines()
            .count(),
        1,
        "only the hint line"
    );
    let e = run(&["report", "--vehicle", "Nope", "--db", db]).unwrap_err();
    assert!(e.to_string().contains("does not exist"), "{e}");
}
