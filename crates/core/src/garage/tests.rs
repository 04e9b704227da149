use std::sync::{Arc, Mutex};

use chrono::{NaiveDate, NaiveDateTime};

use super::*;
use crate::error::Error;
use crate::units::{FuelKind, VolumeUnit};

fn now() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 6, 30)
        .unwrap()
        .and_hms_opt(12, 0, 0)
        .unwrap()
}

fn day(m: u32, d: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, m, d)
        .unwrap()
        .and_hms_opt(9, 0, 0)
        .unwrap()
}

struct Fixture {
    _dir: tempfile::TempDir,
    garage: Garage,
    events: Arc<Mutex<Vec<ChangeEvent>>>,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let garage = Garage::open(dir.path().join("g.db")).unwrap().with_now(now);
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    garage.subscribe(move |e| sink.lock().unwrap().push(e.clone()));
    Fixture {
        _dir: dir,
        garage,
        events,
    }
}

fn car(g: &Garage) -> Vehicle {
    g.create_vehicle(&VehicleInput::new("Golf")).unwrap()
}

fn fill(vehicle_id: &str, at: NaiveDateTime, odometer: f64, quantity: f64) -> FuelInput {
    FuelInput {
        vehicle_id: vehicle_id.to_owned(),
        occurred_at: at,
        odometer,
        quantity,
        total_cost_minor: (quantity * 180.0).round() as i64,
        is_full: true,
        missed_previous: false,
        station: String::new(),
        notes: String::new(),
        tags: vec![],
    }
}

/// Every synced row, including tombstones: proof of what was (not) written.
fn snapshot(g: &Garage) -> Vec<(String, String, String, bool, bool)> {
    g.store()
        .read("test.snapshot", |c| {
            let mut out = Vec::new();
            for kind in RecordKind::ALL {
                let sql = format!(
                    "SELECT id, hlc, deleted, dirty FROM {} ORDER BY id",
                    kind.table()
                );
                let mut stmt = c.prepare(&sql)?;
                let rows = stmt.query_map([], |r| {
                    Ok((
                        kind.table().to_owned(),
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                    ))
                })?;
                for row in rows {
                    out.push(row?);
                }
            }
            Ok(out)
        })
        .unwrap()
}

#[test]
fn create_stamps_uuid_v7_hlc_and_dirty_and_emits_one_event() {
    let f = fixture();
    let v = car(&f.garage);
    let r = f
        .garage
        .add_fuel(
            &fill(&v.id, day(1, 5), 1000.0, 40.0),
            WriteOptions::default(),
        )
        .unwrap();
    let uuid = uuid::Uuid::parse_str(&r.id).unwrap();
    assert_eq!(uuid.get_version_num(), 7);
    let rows = snapshot(&f.garage);
    assert_eq!(rows.len(), 2);
    for (_, _, hlc, deleted, dirty) in &rows {
        let hlc: glovebox_protocol::Hlc = hlc.parse().unwrap();
        assert_eq!(hlc.node, f.garage.device_id());
        assert!(!deleted);
        assert!(dirty);
    }
    let events = f.events.lock().unwrap().clone();
    assert_eq!(
        events,
        vec![
            ChangeEvent {
                vehicle_id: v.id.clone(),
                kind: RecordKind::Vehicle,
                source: ChangeSource::Local
            },
            ChangeEvent {
                vehicle_id: v.id.clone(),
                kind: RecordKind::Fuel,
                source: ChangeSource::Local
            },
        ]
    );
}

#[test]
fn each_write_moves_the_hlc_forward() {
    let f = fixture();
    let v = car(&f.garage);
    let r = f
        .garage
        .add_fuel(
            &fill(&v.id, day(1, 5), 1000.0, 40.0),
            WriteOptions::default(),
        )
        .unwrap();
    let hlc_of = |g: &Garage| snapshot(g).into_iter().find(|row| row.1 == r.id).unwrap().2;
    let before = hlc_of(&f.garage);
    f.garage
        .update_fuel(
            &r.id,
            &fill(&v.id, day(1, 5), 1000.0, 41.0),
            WriteOptions::default(),
        )
        .unwrap();
    let after = hlc_of(&f.garage);
    assert!(after > before, "{after} > {before}");
}

#[test]
fn delete_is_a_tombstone_hidden_from_reads_and_restore_undoes_it() {
    let f = fixture();
    let v = car(&f.garage);
    let r = f
        .garage
        .add_fuel(
            &fill(&v.id, day(1, 5), 1000.0, 40.0),
            WriteOptions::default(),
        )
        .unwrap();
    f.garage.delete(RecordKind::Fuel, &r.id).unwrap();
    assert!(f.garage.fuel_records(&v.id, Page::ALL).unwrap().is_empty());
    let row = snapshot(&f.garage)
        .into_iter()
        .find(|row| row.1 == r.id)
        .unwrap();
    assert!(row.3, "tombstone kept so the delete can sync");
    assert!(row.4, "tombstone is dirty");
    assert!(matches!(
        f.garage.delete(RecordKind::Fuel, &r.id),
        Err(Error::NotFound { .. })
    ));
    f.garage.restore(RecordKind::Fuel, &r.id).unwrap();
    assert_eq!(f.garage.fuel_records(&v.id, Page::ALL).unwrap(), vec![r]);
}

#[test]
fn deleting_a_vehicle_tombstones_all_its_records() {
    let f = fixture();
    let v = car(&f.garage);
    let other = car(&f.garage);
    f.garage
        .add_fuel(
            &fill(&v.id, day(1, 5), 1000.0, 40.0),
            WriteOptions::default(),
        )
        .unwrap();
    let kept = f
        .garage
        .add_fuel(
            &fill(&other.id, day(1, 5), 1000.0, 40.0),
            WriteOptions::default(),
        )
        .unwrap();
    f.garage.delete_vehicle(&v.id).unwrap();
    let mut live: Vec<String> = snapshot(&f.garage)
        .into_iter()
        .filter(|r| !r.3)
        .map(|r| r.1)
        .collect();
    live.sort();
    let mut expected = vec![other.id.clone(), kept.id.clone()];
    expected.sort();
    assert_eq!(
        live, expected,
        "only the other vehicle and its record stay live"
    );
    assert!(matches!(
        f.garage.vehicle(&v.id),
        Err(Error::NotFound { .. })
    ));
    assert_eq!(f.garage.vehicles(true).unwrap().len(), 1);
}

#[test]
fn lists_are_newest_first_and_paged() {
    let f = fixture();
    let v = car(&f.garage);
    for i in 0..5 {
        f.garage
            .add_fuel(
                &fill(&v.id, day(1, 1 + i), 1000.0 + 100.0 * i as f64, 30.0),
                WriteOptions::default(),
            )
            .unwrap();
    }
    let page1 = f
        .garage
        .fuel_records(
            &v.id,
            Page {
                offset: 0,
                limit: 2,
            },
        )
        .unwrap();
    let page2 = f
        .garage
        .fuel_records(
            &v.id,
            Page {
                offset: 2,
                limit: 2,
            },
        )
        .unwrap();
    let page3 = f
        .garage
        .fuel_records(
            &v.id,
            Page {
                offset: 4,
                limit: 2,
            },
        )
        .unwrap();
    let odos: Vec<f64> = page1
        .iter()
        .chain(&page2)
        .chain(&page3)
        .map(|r| r.odometer.value)
        .collect();
    assert_eq!(odos, vec![1400.0, 1300.0, 1200.0, 1100.0, 1000.0]);
}

#[test]
fn current_odometer_is_the_highest_reading_across_record_kinds() {
    let f = fixture();
    let v = car(&f.garage);
    assert_eq!(f.garage.current_odometer(&v.id).unwrap(), None);
    f.garage
        .add_fuel(
            &fill(&v.id, day(1, 1), 1000.0, 30.0),
            WriteOptions::default(),
        )
        .unwrap();
    f.garage
        .add_service(
            &ServiceInput {
                vehicle_id: v.id.clone(),
                kind: ServiceKind::Service,
                occurred_at: day(1, 10),
                odometer: Some(1500.0),
                title: "Oil".into(),
                category: String::new(),
                cost_minor: 9000,
                notes: String::new(),
                tags: vec![],
            },
            WriteOptions::default(),
        )
        .unwrap();
    assert_eq!(
        f.garage.current_odometer(&v.id).unwrap().unwrap().value,
        1500.0
    );
    let o = f
        .garage
        .add_odometer(
            &OdometerInput {
                vehicle_id: v.id.clone(),
                occurred_at: day(1, 20),
                odometer: 1700.0,
                notes: String::new(),
            },
            WriteOptions::default(),
        )
        .unwrap();
    assert_eq!(
        f.garage.current_odometer(&v.id).unwrap().unwrap().value,
        1700.0
    );
    f.garage.delete(RecordKind::Odometer, &o.id).unwrap();
    assert_eq!(
        f.garage.current_odometer(&v.id).unwrap().unwrap().value,
        1500.0
    );
}

#[test]
fn odometer_typo_guard_asks_for_confirmation_and_writes_nothing() {
    let f = fixture();
    let v = car(&f.garage);
    f.garage
        .add_fuel(
            &fill(&v.id, day(3, 1), 50_000.0, 30.0),
            WriteOptions::default(),
        )
        .unwrap();
    let before = snapshot(&f.garage);
    // Lower than an earlier reading (a dropped digit).
    let err = f
        .garage
        .add_fuel(
            &fill(&v.id, day(3, 10), 5_040.0, 30.0),
            WriteOptions::default(),
        )
        .unwrap_err();
    assert_eq!(err.code(), "odometer_needs_confirmation");
    assert_eq!(err.field(), Some("odometer"));
    assert!(err.to_string().contains("lower than"), "{err}");
    // An implausible jump (an extra digit): 450,000 km in 9 days.
    let err = f
        .garage
        .add_fuel(
            &fill(&v.id, day(3, 10), 500_400.0, 30.0),
            WriteOptions::default(),
        )
        .unwrap_err();
    assert_eq!(err.code(), "odometer_needs_confirmation");
    assert!(err.to_string().contains("implausible"), "{err}");
    // Higher than a later reading, entered out of order.
    let err = f
        .garage
        .add_fuel(
            &fill(&v.id, day(2, 1), 50_100.0, 30.0),
            WriteOptions::default(),
        )
        .unwrap_err();
    assert!(err.to_string().contains("recorded later"), "{err}");
    assert_eq!(snapshot(&f.garage), before, "nothing written");
    assert_eq!(
        f.events.lock().unwrap().len(),
        2,
        "no event for refused writes"
    );
    // Confirmed by the user: saved.
    f.garage
        .add_fuel(
            &fill(&v.id, day(3, 10), 5_040.0, 30.0),
            WriteOptions::CONFIRMED,
        )
        .unwrap();
    // Plausible readings pass without confirmation, including an equal one.
    f.garage
        .add_fuel(
            &fill(&v.id, day(3, 12), 50_000.0, 30.0),
            WriteOptions::CONFIRMED,
        )
        .unwrap();
    f.garage
        .add_fuel(
            &fill(&v.id, day(3, 12), 50_000.0, 5.0),
            WriteOptions::default(),
        )
        .unwrap();
    f.garage
        .add_fuel(
            &fill(&v.id, day(3, 14), 50_900.0, 30.0),
            WriteOptions::default(),
        )
        .unwrap();
}

#[test]
fn editing_a_record_is_checked_against_its_neighbours_not_itself() {
    let f = fixture();
    let v = car(&f.garage);
    let a = f
        .garage
        .add_fuel(
            &fill(&v.id, day(3, 1), 50_000.0, 30.0),
            WriteOptions::default(),
        )
        .unwrap();
    f.garage
        .update_fuel(
            &a.id,
            &fill(&v.id, day(3, 1), 49_990.0, 30.0),
            WriteOptions::default(),
        )
        .unwrap();
}

#[test]
fn records_cannot_move_between_vehicles_or_point_at_unknown_ones() {
    let f = fixture();
    let v = car(&f.garage);
    let w = car(&f.garage);
    let r = f
        .garage
        .add_fuel(
            &fill(&v.id, day(1, 1), 1000.0, 30.0),
            WriteOptions::default(),
        )
        .unwrap();
    let err = f
        .garage
        .update_fuel(
            &r.id,
            &fill(&w.id, day(1, 1), 1000.0, 30.0),
            WriteOptions::default(),
        )
        .unwrap_err();
    assert_eq!(err.field(), Some("vehicle_id"));
    let err = f
        .garage
        .add_fuel(
            &fill("nope", day(1, 1), 1000.0, 30.0),
            WriteOptions::default(),
        )
        .unwrap_err();
    assert_eq!(
        (err.code(), err.field()),
        ("validation", Some("vehicle_id"))
    );
}

/// Each rule: the error names the field and the reason, and nothing is written.
#[test]
fn every_validation_rule_names_its_field_and_writes_nothing() {
    let f = fixture();
    let v = car(&f.garage);
    let ev = f
        .garage
        .create_vehicle(&VehicleInput {
            fuel_kind: FuelKind::Electric,
            volume_unit: VolumeUnit::KilowattHour,
            ..VehicleInput::new("Leaf")
        })
        .unwrap();
    let before = snapshot(&f.garage);
    let events_before = f.events.lock().unwrap().len();
    let g = &f.garage;
    let ok_fill = fill(&v.id, day(1, 1), 1000.0, 30.0);
    let with = |m: &dyn Fn(&mut FuelInput)| {
        let mut i = ok_fill.clone();
        m(&mut i);
        g.add_fuel(&i, WriteOptions::CONFIRMED).unwrap_err()
    };
    let vehicle_with = |m: &dyn Fn(&mut VehicleInput)| {
        let mut i = VehicleInput::new("Car");
        m(&mut i);
        g.create_vehicle(&i).unwrap_err()
    };
    let service_with = |m: &dyn Fn(&mut ServiceInput)| {
        let mut i = ServiceInput {
            vehicle_id: v.id.clone(),
            kind: ServiceKind::Repair,
            occurred_at: day(1, 1),
            odometer: None,
            title: "Brakes".into(),
            category: String::new(),
            cost_minor: 100,
            notes: String::new(),
            tags: vec![],
        };
        m(&mut i);
        g.add_service(&i, WriteOptions::CONFIRMED).unwrap_err()
    };
    let reminder_with = |m: &dyn Fn(&mut ReminderInput)| {
        let mut i = ReminderInput {
            vehicle_id: v.id.clone(),
            title: "Oil".into(),
            notes: String::new(),
            due_at: Some(day(9, 1)),
            due_odometer: None,
            recur_months: None,
            recur_distance: None,
            schedule: Default::default(),
            thresholds: Default::default(),
        };
        m(&mut i);
        g.add_reminder(&i).unwrap_err()
    };
    let cases: Vec<(Error, &str, &str)> = vec![
        (with(&|i| i.quantity = 0.0), "quantity", "greater than zero"),
        (
            with(&|i| i.quantity = -3.0),
            "quantity",
            "greater than zero",
        ),
        (
            with(&|i| i.quantity = f64::NAN),
            "quantity",
            "must be a number",
        ),
        (
            with(&|i| i.odometer = f64::INFINITY),
            "odometer",
            "must be a number",
        ),
        (with(&|i| i.odometer = -1.0), "odometer", "negative"),
        (with(&|i| i.total_cost_minor = -1), "total_cost", "negative"),
        (
            with(&|i| i.occurred_at = day(12, 31)),
            "occurred_at",
            "future",
        ),
        (
            with(&|i| i.occurred_at = NaiveDate::from_ymd_opt(1899, 12, 31).unwrap().into()),
            "occurred_at",
            "1900",
        ),
        (
            with(&|i| i.vehicle_id = "missing".into()),
            "vehicle_id",
            "unknown vehicle",
        ),
        (with(&|i| i.tags = vec!["a,b".into()]), "tags", "commas"),
        (
            with(&|i| i.notes = "x".repeat(10_001)),
            "notes",
            "longer than",
        ),
        (vehicle_with(&|i| i.name = "   ".into()), "name", "empty"),
        (vehicle_with(&|i| i.year = Some(1700)), "year", "between"),
        (
            vehicle_with(&|i| i.vin = "1HGCM82633A00435O".into()),
            "vin",
            "I, O or Q",
        ),
        (
            vehicle_with(&|i| i.vin = "ABC-123".into()),
            "vin",
            "letters and digits",
        ),
        (
            vehicle_with(&|i| i.fuel_kind = FuelKind::Electric),
            "volume_unit",
            "kWh",
        ),
        (
            vehicle_with(&|i| i.volume_unit = VolumeUnit::KilowattHour),
            "volume_unit",
            "litres or gallons",
        ),
        (
            vehicle_with(&|i| i.economy_unit = Some(crate::units::EconomyUnit::MilesPerKwh)),
            "economy_unit",
            "does not fit",
        ),
        (service_with(&|i| i.title = "".into()), "title", "empty"),
        (service_with(&|i| i.cost_minor = -5), "cost", "negative"),
        (
            service_with(&|i| i.odometer = Some(f64::NAN)),
            "odometer",
            "number",
        ),
        (reminder_with(&|i| i.title = " ".into()), "title", "empty"),
        (
            reminder_with(&|i| {
                i.due_at = None;
                i.due_odometer = None;
            }),
            "due_at",
            "due date",
        ),
        (
            reminder_with(&|i| i.recur_months = Some(0)),
            "recur_months",
            "between",
        ),
        (
            reminder_with(&|i| i.recur_distance = Some(5000.0)),
            "due_odometer",
            "needs a due odometer",
        ),
        (
            reminder_with(&|i| i.thresholds.urgent_days = Some(-1)),
            "urgent_days",
            "between",
        ),
        (
            reminder_with(&|i| {
                i.thresholds.urgent_days = Some(5);
                i.thresholds.very_urgent_days = Some(10);
            }),
            "very_urgent_days",
            "exceed",
        ),
    ];
    for (err, field, reason) in &cases {
        assert_eq!(err.code(), "validation", "{err}");
        assert_eq!(err.field(), Some(*field), "{err}");
        assert!(
            err.to_string().contains(reason),
            "{err:?} should mention {reason:?}"
        );
    }
    // The same rules hold for an EV's kWh.
    let bad = fill(&ev.id, day(1, 1), 100.0, 0.0);
    assert_eq!(
        g.add_fuel(&bad, WriteOptions::CONFIRMED)
            .unwrap_err()
            .field(),
        Some("quantity")
    );
    assert_eq!(snapshot(g), before, "no validation failure wrote anything");
    assert_eq!(
        f.events.lock().unwrap().len(),
        events_before,
        "and no event was emitted"
    );
}

#[test]
fn a_batch_is_all_or_nothing_and_names_the_bad_record() {
    let f = fixture();
    let v = car(&f.garage);
    let before = snapshot(&f.garage);
    let mut bad = fill(&v.id, day(1, 2), 1100.0, 30.0);
    bad.quantity = -1.0;
    let err = f
        .garage
        .write_batch(
            vec![
                NewRecord::Fuel {
                    id: None,
                    input: fill(&v.id, day(1, 1), 1000.0, 30.0),
                },
                NewRecord::Fuel {
                    id: None,
                    input: bad,
                },
            ],
            BatchOptions::default(),
        )
        .unwrap_err();
    assert_eq!(err.field(), Some("record 2: quantity"));
    assert_eq!(snapshot(&f.garage), before);
    let s = f
        .garage
        .write_batch(
            vec![
                NewRecord::Vehicle {
                    id: Some("01890a5d-ac96-774b-bcce-b302099a8057".into()),
                    input: VehicleInput::new("Van"),
                },
                NewRecord::Fuel {
                    id: None,
                    input: fill(
                        "01890a5d-ac96-774b-bcce-b302099a8057",
                        day(1, 1),
                        10.0,
                        30.0,
                    ),
                },
            ],
            BatchOptions::default(),
        )
        .unwrap();
    assert_eq!((s.vehicles, s.fuel), (1, 1));
    let events = f.events.lock().unwrap();
    let last_two: Vec<_> = events
        .iter()
        .rev()
        .take(2)
        .map(|e| (e.kind, e.source))
        .collect();
    assert!(last_two.contains(&(RecordKind::Vehicle, ChangeSource::Import)));
    assert!(last_two.contains(&(RecordKind::Fuel, ChangeSource::Import)));
}

#[test]
fn readers_on_other_threads_see_committed_writes() {
    let f = fixture();
    let v = car(&f.garage);
    let garage = Arc::new(f.garage);
    let writer = {
        let g = garage.clone();
        let id = v.id.clone();
        std::thread::spawn(move || {
            for i in 0..50 {
                g.add_fuel(
                    &fill(
                        &id,
                        day(1, 1) + chrono::Duration::hours(i),
                        1000.0 + i as f64,
                        10.0,
                    ),
                    WriteOptions::default(),
                )
                .unwrap();
            }
        })
    };
    let readers: Vec<_> = (0..3)
        .map(|_| {
            let g = garage.clone();
            let id = v.id.clone();
            std::thread::spawn(move || {
                let mut last = 0;
                for _ in 0..50 {
                    let n = g.fuel_records(&id, Page::ALL).unwrap().len();
                    assert!(n >= last, "a reader never goes back in time");
                    last = n;
                }
            })
        })
        .collect();
    writer.join().unwrap();
    for r in readers {
        r.join().unwrap();
    }
    assert_eq!(garage.fuel_records(&v.id, Page::ALL).unwrap().len(), 50);
}

#[test]
fn hlc_text_is_exactly_the_display_form() {
    use glovebox_protocol::Hlc;
    for h in [
        Hlc::new(0, 0, "a"),
        Hlc::new(1_780_000_000_123, 7, "f908cda4ea6a48bbae7304e79950dc46"),
        Hlc::new(999_999_999_999_999, u32::MAX, "b0"),
        Hlc::new(u64::MAX, 0xabc, "00"),
    ] {
        assert_eq!(super::hlc_text(&h), h.to_string());
    }
}

#[test]
fn a_large_batch_goes_out_in_multi_row_inserts_and_reads_back_exactly() {
    let f = fixture();
    let v = car(&f.garage);
    let mut records = Vec::new();
    for i in 0..150u32 {
        let mut input = fill(
            &v.id,
            day(1, 1) + chrono::Duration::hours(i64::from(i)),
            1000.0 + f64::from(i) * 10.0,
            20.0 + f64::from(i % 7),
        );
        input.is_full = i % 3 != 0;
        input.notes = format!("fill {i}");
        records.push(NewRecord::Fuel { id: None, input });
        if i % 40 == 39 {
            // Another kind in between: what was pending goes out first, in order.
            records.push(NewRecord::Odometer {
                id: None,
                input: OdometerInput {
                    vehicle_id: v.id.clone(),
                    occurred_at: day(1, 1) + chrono::Duration::hours(i64::from(i)),
                    odometer: 1000.0 + f64::from(i) * 10.0 + 1.0,
                    notes: String::new(),
                },
            });
        }
    }
    let summary = f
        .garage
        .write_batch(records.clone(), BatchOptions::default())
        .unwrap();
    assert_eq!((summary.fuel, summary.odometer), (150, 3));
    let mut stored = f.garage.fuel_records(&v.id, Page::ALL).unwrap();
    stored.reverse();
    let wanted: Vec<(String, f64, f64, bool)> = records
        .iter()
        .filter_map(|r| match r {
            NewRecord::Fuel { input, .. } => Some((
                input.notes.clone(),
                input.odometer,
                input.quantity,
                input.is_full,
            )),
            _ => None,
        })
        .collect();
    let got: Vec<(String, f64, f64, bool)> = stored
        .iter()
        .map(|r| {
            (
                r.notes.clone(),
                r.odometer.value,
                r.quantity.value,
                r.is_full,
            )
        })
        .collect();
    assert_eq!(got, wanted);
    assert_eq!(
        f.garage.odometer_records(&v.id, Page::ALL).unwrap().len(),
        3
    );
    // Every row stamped: distinct HLCs, all dirty.
    let rows = snapshot(&f.garage);
    let hlcs: std::collections::BTreeSet<&String> = rows.iter().map(|r| &r.2).collect();
    assert_eq!(hlcs.len(), rows.len());
    assert!(rows.iter().all(|r| r.4));
}

#[test]
fn a_bulk_insert_failing_half_way_leaves_nothing_of_the_batch() {
    let f = fixture();
    let v = car(&f.garage);
    let before = snapshot(&f.garage);
    // 200 fill-ups in one batch, the 70th reusing the 10th's id: the second multi-row
    // INSERT (rows 65..128) fails on the primary key after writing some of its rows.
    let ids: Vec<String> = (0..200).map(|_| super::new_id()).collect();
    let records: Vec<NewRecord> = (0..200usize)
        .map(|i| NewRecord::Fuel {
            id: Some(ids[if i == 69 { 9 } else { i }].clone()),
            input: fill(
                &v.id,
                day(1, 1) + chrono::Duration::hours(i as i64),
                1000.0 + i as f64 * 10.0,
                20.0,
            ),
        })
        .collect();
    let err = f
        .garage
        .write_batch(records, BatchOptions::default())
        .unwrap_err();
    assert!(err.to_string().contains("UNIQUE"), "{err}");
    assert_eq!(snapshot(&f.garage), before);
    assert!(f.garage.fuel_records(&v.id, Page::ALL).unwrap().is_empty());
    // The garage still writes afterwards.
    f.garage
        .add_fuel(
            &fill(&v.id, day(2, 1), 5000.0, 30.0),
            WriteOptions::default(),
        )
        .unwrap();
}
