use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::*;
use crate::fuel::FuelInput;
use crate::vehicles::VehicleInput;
use crate::WriteOptions;

fn quiet(watch: Option<Duration>) -> AppOptions {
    AppOptions {
        watch_interval: watch,
        ..AppOptions::command_line()
    }
}

/// A fresh command-line App (no watcher) with one vehicle, "Golf"; the directory keeps
/// the database alive.
fn app_with_golf() -> (tempfile::TempDir, Arc<App>, crate::vehicles::Vehicle) {
    let dir = tempfile::tempdir().unwrap();
    let app = App::open_db(dir.path().join("g.db"), quiet(None)).unwrap();
    let v = app
        .garage()
        .create_vehicle(&VehicleInput::new("Golf"))
        .unwrap();
    (dir, app, v)
}

fn events(app: &App) -> mpsc::Receiver<Changed> {
    let (tx, rx) = mpsc::channel();
    let tx = Mutex::new(tx);
    app.subscribe(move |e| {
        if let AppEvent::Changed(c) = e {
            let _ = lock(&tx).send(c.clone());
        }
    });
    rx
}

fn fill(app: &App, vehicle: &str, odometer: f64, litres: f64) {
    let now = app.garage().now();
    let input = FuelInput {
        vehicle_id: vehicle.into(),
        occurred_at: now - chrono::Duration::days(100 - odometer as i64 / 1000),
        odometer,
        quantity: litres,
        total_cost_minor: 5000,
        is_full: true,
        missed_previous: false,
        station: String::new(),
        notes: String::new(),
        tags: vec![],
    };
    app.garage()
        .add_fuel(&input, WriteOptions::CONFIRMED)
        .unwrap();
}

#[test]
fn a_local_write_reaches_the_shell_as_one_change_of_its_vehicle() {
    let dir = tempfile::tempdir().unwrap();
    let app = App::open_db(dir.path().join("g.db"), quiet(None)).unwrap();
    let rx = events(&app);
    let v = app
        .garage()
        .create_vehicle(&VehicleInput::new("Golf"))
        .unwrap();
    let c = rx.recv_timeout(Duration::from_secs(5)).unwrap();
    assert_eq!(c.vehicles, vec![v.id]);
    assert!(!c.all);
}

#[test]
fn another_processs_write_is_seen_and_invalidates_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.db");
    let app = App::open_db(&path, quiet(Some(Duration::from_millis(50)))).unwrap();
    let rx = events(&app);
    assert!(app.reports().garage_overview().unwrap().vehicles.is_empty());
    // Nothing happens while nobody else writes (our own writes are not "other").
    let v = app
        .garage()
        .create_vehicle(&VehicleInput::new("Mine"))
        .unwrap();
    let own = rx.recv_timeout(Duration::from_secs(5)).unwrap();
    assert!(!own.all, "{own:?}");
    assert!(rx.recv_timeout(Duration::from_millis(300)).is_err());
    assert_eq!(app.reports().garage_overview().unwrap().vehicles.len(), 1);

    // A second connection is exactly what another process is to SQLite.
    let other = Garage::open(&path).unwrap();
    let start = Instant::now();
    other.create_vehicle(&VehicleInput::new("Theirs")).unwrap();
    let seen = rx.recv_timeout(Duration::from_secs(2)).unwrap();
    assert!(seen.all, "{seen:?}");
    assert!(start.elapsed() < Duration::from_secs(2));
    let names: Vec<String> = app
        .reports()
        .garage_overview()
        .unwrap()
        .vehicles
        .iter()
        .map(|h| h.name.clone())
        .collect();
    assert_eq!(names, ["Mine", "Theirs"]);
    drop(v);
}

#[test]
fn fuel_log_shows_each_segments_economy_on_its_closing_fill() {
    let (_dir, app, v) = app_with_golf();
    fill(&app, &v.id, 10_000.0, 40.0);
    fill(&app, &v.id, 11_000.0, 45.0);
    let log = app.fuel_log(&v.id, 100).unwrap();
    assert_eq!((log.records.len(), log.total), (2, 2));
    // Newest first: the closing fill shows 45 L / 1000 km.
    assert_eq!(log.records[0].odometer.value, 11_000.0);
    assert!((log.economy[0].unwrap() - 4.5).abs() < 1e-9);
    assert_eq!(log.economy[1], None);
    // A page of one: the newest, with its figure, and the total.
    let log = app.fuel_log(&v.id, 1).unwrap();
    assert_eq!((log.records.len(), log.total), (1, 2));
    assert!((log.economy[0].unwrap() - 4.5).abs() < 1e-9);
}

#[test]
fn service_and_odometer_logs_send_a_page_with_totals_over_every_match() {
    use crate::odometer::OdometerInput;
    use crate::service::{ServiceInput, ServiceKind};
    let (_dir, app, v) = app_with_golf();
    let now = app.garage().now();
    for i in 0..5i64 {
        let input = ServiceInput {
            vehicle_id: v.id.clone(),
            kind: if i % 2 == 0 {
                ServiceKind::Service
            } else {
                ServiceKind::Repair
            },
            occurred_at: now - chrono::Duration::days(30 * (5 - i)),
            odometer: None,
            title: format!("work {i}"),
            category: String::new(),
            cost_minor: 1000 * (i + 1),
            notes: String::new(),
            tags: if i < 3 {
                vec!["oil".into()]
            } else {
                vec!["tyres".into(), "winter".into()]
            },
        };
        app.garage()
            .add_service(&input, WriteOptions::default())
            .unwrap();
        let reading = OdometerInput {
            vehicle_id: v.id.clone(),
            occurred_at: now - chrono::Duration::days(30 * (5 - i)),
            odometer: 1000.0 * (i + 1) as f64,
            notes: String::new(),
        };
        app.garage()
            .add_odometer(&reading, WriteOptions::default())
            .unwrap();
    }
    // All kinds, any tag, a page of two: the newest two, totals over all five.
    let log = app.service_log(&v.id, None, None, 2).unwrap();
    let titles: Vec<&str> = log.records.iter().map(|r| r.title.as_str()).collect();
    assert_eq!(titles, ["work 4", "work 3"]);
    assert_eq!((log.total, log.total_cost_minor), (5, 15_000));
    assert_eq!(log.tags, ["oil", "tyres", "winter"]);
    // Repairs (1 and 3) only: their tags only.
    let log = app
        .service_log(&v.id, Some(ServiceKind::Repair), None, 10)
        .unwrap();
    assert_eq!((log.total, log.total_cost_minor), (2, 2000 + 4000));
    assert_eq!(log.tags, ["oil", "tyres", "winter"]);
    // One tag: records 0-2, costs 1000 + 2000 + 3000.
    let log = app.service_log(&v.id, None, Some("oil"), 1).unwrap();
    assert_eq!(log.records.len(), 1);
    assert_eq!(log.records[0].title, "work 2");
    assert_eq!((log.total, log.total_cost_minor), (3, 6000));
    // Odometer: the newest three of five.
    let log = app.odometer_log(&v.id, 3).unwrap();
    let readings: Vec<f64> = log.records.iter().map(|r| r.odometer.value).collect();
    assert_eq!((readings, log.total), (vec![5000.0, 4000.0, 3000.0], 5));
}

#[test]
fn exports_write_whole_files_and_restore_refuses_a_garage_with_data() {
    let (dir, app, v) = app_with_golf();
    fill(&app, &v.id, 10_000.0, 40.0);
    let csv = dir.path().join("fuel.csv");
    assert_eq!(app.export_csv(&v.id, CsvKind::Fuel, &csv).unwrap(), 1);
    assert!(std::fs::read_to_string(&csv).unwrap().starts_with("Date,"));
    // A directory that does not exist: a clear error, and no partial file anywhere.
    let bad = dir.path().join("missing/fuel.csv");
    let e = app.export_csv(&v.id, CsvKind::Fuel, &bad).unwrap_err();
    assert_eq!(e.field(), Some("path"));

    let backup = dir.path().join("backup.json");
    assert_eq!(app.backup_to(&backup).unwrap(), 2);
    let e = app.restore_from(&backup).unwrap_err();
    assert!(e.to_string().contains("empty database"), "{e}");

    let fresh = App::open_db(dir.path().join("fresh.db"), quiet(None)).unwrap();
    let r = fresh.restore_from(&backup).unwrap();
    assert_eq!((r.vehicles, r.fuel), (1, 1));
    assert_eq!(fresh.garage().vehicles(true).unwrap()[0].id, v.id);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".part"))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn plain_http_warns_except_to_this_machine() {
    for ok in [
        "https://sync.example.org",
        "http://127.0.0.1:8787",
        "http://localhost:8787/",
        "http://[::1]:8787",
    ] {
        assert_eq!(insecure_server_warning(ok), None, "{ok}");
    }
    for warn in [
        "http://sync.example.org",
        "http://192.168.1.10:8787",
        "http://user@10.0.0.2/x",
    ] {
        assert!(insecure_server_warning(warn).is_some(), "{warn}");
    }
}

#[test]
fn local_only_status_and_sync_now_without_a_server() {
    let dir = tempfile::tempdir().unwrap();
    let app = App::open_db(dir.path().join("g.db"), AppOptions::desktop()).unwrap();
    app.garage()
        .create_vehicle(&VehicleInput::new("Golf"))
        .unwrap();
    let s = app.sync_settings().unwrap();
    assert!(s.account.is_none());
    assert_eq!(s.status.state, SyncState::LocalOnly);
    assert_eq!(s.status.pending, 1);
    assert_eq!(s.token_kind, None, "signed out: no token anywhere");
    assert_eq!(
        app.sync_counts().unwrap(),
        crate::sync::Counts {
            pending: 1,
            quarantined: 0,
            rejected: 0
        }
    );
    assert!(app.sync_problems().unwrap().quarantined.is_empty());
    let e = app.block_on(app.sync_now()).unwrap_err();
    assert_eq!(e.code(), "sync_not_configured");
    let e = app
        .block_on(app.sign_in(SignIn {
            server_url: "http://sync.example.org".into(),
            user: "ann".into(),
            password: "pw".into(),
            device_name: String::new(),
            allow_insecure: false,
        }))
        .unwrap_err();
    assert_eq!(e.to_payload().field.as_deref(), Some("server_url"));
    assert_eq!(e.code(), "sync_insecure_server");
}

/// A LubeLogger fuel CSV of `n` full fills, 500 km and 40 L apart: 8.00 L/100km.
pub(crate) fn lubelogger_fuel_csv(n: usize) -> String {
    let mut s = String::from(
        "Date,Odometer,FuelConsumed,Cost,FuelEconomy,IsFillToFull,MissedFuelUp,Notes,Tags\n",
    );
    let start = chrono::NaiveDate::from_ymd_opt(2001, 1, 13).unwrap();
    for i in 0..n {
        let d = start + chrono::Duration::days(i as i64 / 4);
        s.push_str(&format!(
            "{},{},40.00,60.00,0,True,False,,\n",
            d.format("%m/%d/%Y"),
            10_000 + 500 * i
        ));
    }
    s
}

#[test]
fn import_needs_units_reports_progress_and_cancel_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let app = App::open_db(dir.path().join("g.db"), quiet(None)).unwrap();
    let file = dir.path().join("Golf.csv");
    std::fs::write(&file, lubelogger_fuel_csv(10_000)).unwrap();

    let mut opts = import::ImportOptions::default();
    let preview = app.import_preview(&file, &opts).unwrap();
    assert!(
        preview
            .needs
            .iter()
            .any(|n| matches!(n, import::Need::Units { .. })),
        "LubeLogger files carry no units: {:?}",
        preview.needs
    );
    opts.distance_unit = Some(crate::units::DistanceUnit::Kilometre);
    opts.volume_unit = Some(crate::units::VolumeUnit::Litre);
    opts.currency = Some(crate::units::Currency::EUR);
    assert!(app.import_preview(&file, &opts).unwrap().needs.is_empty());

    // Cancel at the first progress report: nothing is written.
    let weak = Arc::downgrade(&app);
    app.subscribe(move |e| {
        if let (AppEvent::Import(p), Some(app)) = (e, weak.upgrade()) {
            if p.phase == import::Phase::Importing && p.done > 0 && p.done < p.total {
                app.cancel_import();
            }
        }
    });
    let e = app.import_commit(&file, &opts).unwrap_err();
    assert_eq!(e.code(), "cancelled", "{e}");
    assert!(app.garage().vehicles(true).unwrap().is_empty());
    assert!(!app.cancel_import(), "no import is running any more");

    // Without the cancelling listener: imported, and the economy is the hand-computed one.
    let app2 = App::open_db(app.db_path(), quiet(None)).unwrap();
    drop(app);
    let report = app2.import_commit(&file, &opts).unwrap();
    assert!(report.committed);
    assert_eq!(report.new_records.fuel, 10_000);
    let v = app2.garage().vehicles(false).unwrap().remove(0);
    let d = app2.reports().dashboard(&v.id).unwrap();
    assert!((d.economy_lifetime.unwrap().value - 8.0).abs() < 1e-9);
}
