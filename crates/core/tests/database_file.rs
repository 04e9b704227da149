//! The database file itself: created fresh, reopened, refused when newer, configured.

use glovebox_core::store::{schema_version, SUPPORTED_SCHEMA_VERSION};
use glovebox_core::testing;
use glovebox_core::vehicles::VehicleInput;
use glovebox_core::{Error, Garage, Page};

#[test]
fn fresh_database_gets_the_whole_schema_in_wal_mode() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/dir/garage.db");
    let g = Garage::open(&path).unwrap();
    testing::inspect(&g, |c| {
            assert_eq!(schema_version(c)?, SUPPORTED_SCHEMA_VERSION);
            let mode: String = c.pragma_query_value(None, "journal_mode", |r| r.get(0))?;
            assert_eq!(mode, "wal");
            let fk: i64 = c.pragma_query_value(None, "foreign_keys", |r| r.get(0))?;
            assert_eq!(fk, 1);
            let sync: i64 = c.pragma_query_value(None, "synchronous", |r| r.get(0))?;
            assert_eq!(sync, 1, "NORMAL");
            let tables: i64 = c.query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN \
                 ('vehicles','fuel_records','service_records','odometer_records','reminders','reminder_completions','local_meta')",
                [],
                |r| r.get(0),
            )?;
            assert_eq!(tables, 7);
            Ok(())
        })
    .unwrap();
}

#[test]
fn reopening_keeps_data_and_device_id() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("garage.db");
    let (device, vehicle) = {
        let g = Garage::open(&path).unwrap();
        let v = g.create_vehicle(&VehicleInput::new("Golf")).unwrap();
        (g.device_id().to_owned(), v)
    };
    let g = Garage::open(&path).unwrap();
    assert_eq!(g.device_id(), device);
    assert_eq!(g.vehicles(false).unwrap(), vec![vehicle]);
    assert!(g
        .fuel_records(&g.vehicles(false).unwrap()[0].id, Page::ALL)
        .unwrap()
        .is_empty());
}

#[test]
fn a_database_from_a_newer_glovebox_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("garage.db");
    drop(Garage::open(&path).unwrap());
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.pragma_update(None, "user_version", SUPPORTED_SCHEMA_VERSION + 1)
            .unwrap();
        c.pragma_update(None, "journal_mode", "DELETE").unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    let err = Garage::open(&path).unwrap_err();
    assert!(
        matches!(err, Error::SchemaTooNew { found, supported } if found == SUPPORTED_SCHEMA_VERSION + 1 && supported == SUPPORTED_SCHEMA_VERSION)
    );
    assert!(err.to_string().contains("newer Glovebox"), "{err}");
    assert_eq!(err.code(), "schema_too_new");
    assert_eq!(std::fs::read(&path).unwrap(), before, "file not modified");
}

#[test]
fn a_file_that_is_not_a_database_is_refused_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("garage.db");
    std::fs::write(
        &path,
        b"this is not sqlite, just text that is long enough to have a header....",
    )
    .unwrap();
    let err = Garage::open(&path).unwrap_err();
    assert_eq!(err.code(), "database", "{err}");
}

#[test]
fn closing_the_database_folds_the_wal_back_into_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("garage.db");
    {
        let g = Garage::open(&path).unwrap();
        let v = g.create_vehicle(&VehicleInput::new("Golf")).unwrap();
        // Use a reader so the pool holds an open read-only connection at drop time.
        assert_eq!(g.vehicle(&v.id).unwrap().name, "Golf");
    }
    let wal = dir.path().join("garage.db-wal");
    assert!(
        !wal.exists() || std::fs::metadata(&wal).unwrap().len() == 0,
        "the last connection to close checkpoints and removes the WAL"
    );
    // The .db file alone has everything.
    let copy = dir.path().join("copy.db");
    std::fs::copy(&path, &copy).unwrap();
    assert_eq!(
        Garage::open(&copy).unwrap().vehicles(false).unwrap().len(),
        1
    );
}
