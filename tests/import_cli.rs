//! The import/export commands end to end through `glovebox_cli::run`.

use std::path::{Path, PathBuf};

/// What a command printed, and its error if it failed.
struct Outcome {
    ok: bool,
    error: String,
    out: String,
}

fn run(args: &[&str]) -> Outcome {
    let mut out = Vec::new();
    let mut argv = vec!["glovebox"];
    argv.extend_from_slice(args);
    let r = glovebox_cli::run(argv, &mut out);
    Outcome {
        ok: r.is_ok(),
        error: r.err().map(|e| format!("{e:#}")).unwrap_or_default(),
        out: String::from_utf8(out).unwrap(),
    }
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("crates/core/tests/fixtures/import")
        .join(name)
}

#[test]
fn import_preview_commit_export_backup_restore() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let db = db.to_str().unwrap();
    let fuel = fixture("lubelogger_fuel.csv");
    let fuel = fuel.to_str().unwrap();

    // A LubeLogger CSV says no units: refused, naming the flags, and nothing written.
    let r = run(&["import", fuel, "--vehicle", "Golf", "--db", db]);
    assert!(!r.ok, "{}", r.out);
    for flag in ["--distance-unit", "--volume-unit", "--currency"] {
        assert!(r.error.contains(flag), "{}", r.error);
    }
    let g = glovebox_core::Garage::open(db).unwrap();
    assert!(g.vehicles(true).unwrap().is_empty());
    drop(g);

    let units = [
        "--distance-unit",
        "km",
        "--volume-unit",
        "l",
        "--currency",
        "EUR",
    ];
    let with_units = |args: &[&str]| -> Vec<String> {
        args.iter()
            .chain(units.iter())
            .map(|s| s.to_string())
            .collect()
    };
    let run_units = |args: &[&str]| {
        let v = with_units(args);
        let refs: Vec<&str> = v.iter().map(String::as_str).collect();
        run(&refs)
    };
    let r = run_units(&["import", fuel, "--vehicle", "Golf", "--dry-run", "--db", db]);
    assert!(r.ok, "{}", r.error);
    assert!(
        r.out.contains("would import: 1 vehicle(s), 6 fuel"),
        "{}",
        r.out
    );
    assert!(r.out.contains("economy check: line 5"), "{}", r.out);

    let r = run_units(&["import", fuel, "--vehicle", "Golf", "--db", db]);
    assert!(
        r.ok && r.out.contains("imported: 1 vehicle(s), 6 fuel"),
        "{}{}",
        r.out,
        r.error
    );
    let r = run(&["import", fuel, "--vehicle", "Golf", "--db", db]);
    assert!(r.out.contains("6 duplicate(s) skipped"), "{}", r.out);

    let amb = fixture("lubelogger_ambiguous.csv");
    let r = run(&[
        "import",
        amb.to_str().unwrap(),
        "--vehicle",
        "Golf",
        "--db",
        db,
    ]);
    assert!(!r.ok && r.error.contains("--date-format"), "{}", r.error);

    let csv = dir.path().join("out.csv");
    let r = run(&[
        "export",
        "--kind",
        "fuel",
        "--vehicle",
        "golf",
        "--out",
        csv.to_str().unwrap(),
        "--db",
        db,
    ]);
    assert!(r.ok, "{}", r.error);
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(
        text.starts_with("Date,Odometer,FuelConsumed,Cost,FuelEconomy,IsFillToFull,MissedFuelUp")
    );
    assert_eq!(text.lines().count(), 7);

    let fuelio = fixture("fuelio.csv");
    assert!(
        run(&[
            "import",
            fuelio.to_str().unwrap(),
            "--currency",
            "EUR",
            "--db",
            db
        ])
        .ok
    );
    let ics = dir.path().join("r.ics");
    let r = run(&[
        "export",
        "--kind",
        "reminders-ics",
        "--out",
        ics.to_str().unwrap(),
        "--db",
        db,
    ]);
    assert!(
        r.ok && r.out.contains("wrote 1 row(s)"),
        "{}{}",
        r.out,
        r.error
    );

    let backup = dir.path().join("b.json");
    let b = backup.to_str().unwrap();
    assert!(run(&["backup", b, "--db", db]).ok);
    let db2 = dir.path().join("g2.db");
    let r = run(&["restore", b, "--db", db2.to_str().unwrap()]);
    assert!(
        r.ok && r.out.contains("restored 2 vehicle(s), 10 fuel, 2 service"),
        "{}{}",
        r.out,
        r.error
    );
    let r = run(&["restore", b, "--db", db2.to_str().unwrap()]);
    assert!(!r.ok && r.error.contains("empty"), "{}", r.error);
}

#[test]
fn bad_rows_are_listed_and_nothing_is_imported_unless_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let db = db.to_str().unwrap();
    let file = dir.path().join("bad.csv");
    std::fs::write(
        &file,
        "Date,Odometer,FuelConsumed,Cost\n2024-01-01,abc,40,60\n2024-01-02,200,40,60\n",
    )
    .unwrap();
    let f = file.to_str().unwrap();
    let units = [
        "--distance-unit",
        "mi",
        "--volume-unit",
        "us_gal",
        "--currency",
        "USD",
    ];
    let r = run(&[&["import", f, "--db", db][..], &units].concat());
    assert!(!r.ok);
    assert!(r.out.contains("line 2, column Odometer"), "{}", r.out);
    let r = run(&[&["import", f, "--db", db, "--skip-bad-rows"][..], &units].concat());
    assert!(
        r.ok && r.out.contains("imported: 1 vehicle(s), 1 fuel"),
        "{}{}",
        r.out,
        r.error
    );
}
