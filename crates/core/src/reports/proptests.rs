//! Random sequences of writes (every record kind, edits, deletes, restores, completions,
//! archiving, sync invalidations, several vehicles) interleaved with report reads: after
//! every step, every cached report must equal a fresh, uncached computation.

use std::sync::Arc;

use chrono::{Duration, NaiveDateTime};
use proptest::prelude::*;

use super::tests::{day, now};
use super::*;
use crate::fuel::FuelInput;
use crate::odometer::OdometerInput;
use crate::reminders::{CompletionInput, CompletionService, ReminderInput, Schedule, Thresholds};
use crate::service::{ServiceInput, ServiceKind};
use crate::vehicles::VehicleInput;
use crate::{Garage, RecordKind, WriteOptions};

const VEHICLES: usize = 3;

#[derive(Debug, Clone)]
enum Op {
    Fuel {
        v: usize,
        days_ago: i64,
        odo: f64,
        qty: f64,
        cost: i64,
        full: bool,
        missed: bool,
    },
    EditFuel {
        pick: usize,
        qty: f64,
        full: bool,
    },
    Service {
        v: usize,
        kind: usize,
        days_ago: i64,
        odo: Option<f64>,
        cost: i64,
        cat: usize,
    },
    Odometer {
        v: usize,
        days_ago: i64,
        odo: f64,
    },
    Reminder {
        v: usize,
        due_in: i64,
        due_odo: Option<f64>,
        recur: bool,
        custom: bool,
    },
    Complete {
        pick: usize,
        days_ago: i64,
        odo: Option<f64>,
        with_service: bool,
    },
    Delete {
        kind: usize,
        pick: usize,
    },
    Restore,
    Archive {
        v: usize,
        archived: bool,
    },
    RenameVehicle {
        v: usize,
    },
    Sync {
        v: Option<usize>,
    },
    /// Reads only: warms whatever the next checks will compare.
    Read {
        v: usize,
    },
    /// Several fill-ups in one batch: more than the test garage's threshold defers the
    /// vehicle's overview stats to after the commit.
    Batch {
        v: usize,
        n: usize,
        days_ago: i64,
        odo: f64,
    },
    /// A fill-up pulled from another device (sync apply).
    Remote {
        v: usize,
        days_ago: i64,
        odo: f64,
        qty: f64,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let v = 0..VEHICLES;
    prop_oneof![
        4 => (v.clone(), 0i64..500, 0.0f64..60_000.0, 1.0f64..80.0, 0i64..20_000, any::<bool>(), prop::bool::weighted(0.1))
            .prop_map(|(v, days_ago, odo, qty, cost, full, missed)| Op::Fuel { v, days_ago, odo, qty, cost, full, missed }),
        1 => (any::<usize>(), 1.0f64..80.0, any::<bool>()).prop_map(|(pick, qty, full)| Op::EditFuel { pick, qty, full }),
        2 => (v.clone(), 0usize..3, 0i64..500, prop::option::of(0.0f64..60_000.0), 0i64..50_000, 0usize..4)
            .prop_map(|(v, kind, days_ago, odo, cost, cat)| Op::Service { v, kind, days_ago, odo, cost, cat }),
        2 => (v.clone(), 0i64..500, 0.0f64..60_000.0).prop_map(|(v, days_ago, odo)| Op::Odometer { v, days_ago, odo }),
        2 => (v.clone(), -60i64..400, prop::option::of(0.0f64..60_000.0), any::<bool>(), any::<bool>())
            .prop_map(|(v, due_in, due_odo, recur, custom)| Op::Reminder { v, due_in, due_odo, recur, custom }),
        1 => (any::<usize>(), 0i64..30, prop::option::of(0.0f64..60_000.0), any::<bool>())
            .prop_map(|(pick, days_ago, odo, with_service)| Op::Complete { pick, days_ago, odo, with_service }),
        2 => (0usize..4, any::<usize>()).prop_map(|(kind, pick)| Op::Delete { kind, pick }),
        1 => Just(Op::Restore),
        1 => (v.clone(), any::<bool>()).prop_map(|(v, archived)| Op::Archive { v, archived }),
        1 => v.clone().prop_map(|v| Op::RenameVehicle { v }),
        1 => prop::option::of(v.clone()).prop_map(|v| Op::Sync { v }),
        3 => v.clone().prop_map(|v| Op::Read { v }),
        1 => (v.clone(), 1usize..8, 0i64..500, 0.0f64..60_000.0)
            .prop_map(|(v, n, days_ago, odo)| Op::Batch { v, n, days_ago, odo }),
        1 => (v, 0i64..500, 0.0f64..60_000.0, 1.0f64..80.0)
            .prop_map(|(v, days_ago, odo, qty)| Op::Remote { v, days_ago, odo, qty }),
    ]
}

/// Ids of what was created, so edits, deletes and completions can pick among them.
#[derive(Default)]
struct Made {
    fuel: Vec<(String, String)>,
    service: Vec<String>,
    odometer: Vec<String>,
    reminders: Vec<String>,
    deleted: Vec<(RecordKind, String)>,
}

fn at(days_ago: i64) -> NaiveDateTime {
    now() - Duration::days(days_ago)
}

fn apply(r: &Reports, vehicles: &[String], made: &mut Made, op: &Op) {
    let g = r.garage();
    let o = WriteOptions::CONFIRMED;
    // Writes may fail validation (a deleted record, an archived vehicle's edit is fine,
    // a completed one-off): a refused write changes nothing, which the checks also cover.
    match op.clone() {
        Op::Fuel {
            v,
            days_ago,
            odo,
            qty,
            cost,
            full,
            missed,
        } => {
            let input = FuelInput {
                vehicle_id: vehicles[v].clone(),
                occurred_at: at(days_ago),
                odometer: (odo * 10.0).round() / 10.0,
                quantity: (qty * 100.0).round() / 100.0,
                total_cost_minor: cost,
                is_full: full,
                missed_previous: missed,
                station: String::new(),
                notes: String::new(),
                tags: vec![],
            };
            if let Ok(f) = g.add_fuel(&input, o) {
                made.fuel.push((f.id, vehicles[v].clone()));
            }
        }
        Op::EditFuel { pick, qty, full } => {
            if made.fuel.is_empty() {
                return;
            }
            let (id, v) = made.fuel[pick % made.fuel.len()].clone();
            if let Ok(old) = g.fuel_record(&v, &id) {
                let input = FuelInput {
                    vehicle_id: v,
                    occurred_at: old.occurred_at,
                    odometer: old.odometer.value,
                    quantity: (qty * 100.0).round() / 100.0,
                    total_cost_minor: old.total_cost.minor + 1,
                    is_full: full,
                    missed_previous: old.missed_previous,
                    station: old.station,
                    notes: old.notes,
                    tags: old.tags,
                };
                g.update_fuel(&id, &input, o).unwrap();
            }
        }
        Op::Service {
            v,
            kind,
            days_ago,
            odo,
            cost,
            cat,
        } => {
            let input = ServiceInput {
                vehicle_id: vehicles[v].clone(),
                kind: ServiceKind::ALL[kind],
                occurred_at: at(days_ago),
                odometer: odo.map(|x| x.round()),
                title: "Work".into(),
                category: ["", "Oil", "Brakes", "Tyres"][cat].into(),
                cost_minor: cost,
                notes: String::new(),
                tags: vec![],
            };
            if let Ok(s) = g.add_service(&input, o) {
                made.service.push(s.id);
            }
        }
        Op::Odometer { v, days_ago, odo } => {
            let input = OdometerInput {
                vehicle_id: vehicles[v].clone(),
                occurred_at: at(days_ago),
                odometer: odo.round(),
                notes: String::new(),
            };
            if let Ok(x) = g.add_odometer(&input, o) {
                made.odometer.push(x.id);
            }
        }
        Op::Reminder {
            v,
            due_in,
            due_odo,
            recur,
            custom,
        } => {
            let input = ReminderInput {
                vehicle_id: vehicles[v].clone(),
                title: "Reminder".into(),
                notes: String::new(),
                due_at: Some(now() + Duration::days(due_in)),
                due_odometer: due_odo.map(|x| x.round()),
                recur_months: recur.then_some(6),
                recur_distance: (recur && due_odo.is_some()).then_some(10_000.0),
                schedule: if due_in % 2 == 0 {
                    Schedule::Fixed
                } else {
                    Schedule::FromCompletion
                },
                thresholds: if custom {
                    Thresholds {
                        urgent_days: Some(90),
                        very_urgent_days: Some(60),
                        ..Thresholds::default()
                    }
                } else {
                    Thresholds::default()
                },
            };
            if let Ok(x) = g.add_reminder(&input) {
                made.reminders.push(x.id);
            }
        }
        Op::Complete {
            pick,
            days_ago,
            odo,
            with_service,
        } => {
            if made.reminders.is_empty() {
                return;
            }
            let id = made.reminders[pick % made.reminders.len()].clone();
            let input = CompletionInput {
                completed_at: at(days_ago),
                odometer: odo.map(|x| x.round()),
                notes: String::new(),
                service: with_service.then(|| CompletionService {
                    kind: ServiceKind::Service,
                    title: String::new(),
                    category: "Oil".into(),
                    cost_minor: 5_000,
                    tags: vec![],
                }),
            };
            let _ = g.complete_reminder(&id, &input, o);
        }
        Op::Delete { kind, pick } => {
            let (kind, list) = match kind {
                0 => (
                    RecordKind::Fuel,
                    made.fuel
                        .iter()
                        .map(|(id, _)| id.clone())
                        .collect::<Vec<_>>(),
                ),
                1 => (RecordKind::Service, made.service.clone()),
                2 => (RecordKind::Odometer, made.odometer.clone()),
                _ => (RecordKind::Reminder, made.reminders.clone()),
            };
            if list.is_empty() {
                return;
            }
            let id = list[pick % list.len()].clone();
            if g.delete(kind, &id).is_ok() {
                made.deleted.push((kind, id));
            }
        }
        Op::Restore => {
            if let Some((kind, id)) = made.deleted.pop() {
                g.restore(kind, &id).unwrap();
            }
        }
        Op::Archive { v, archived } => {
            g.set_vehicle_archived(&vehicles[v], archived).unwrap();
        }
        Op::RenameVehicle { v } => {
            let mut input = VehicleInput::new(format!("Renamed {v}"));
            input.currency = crate::units::Currency::GBP;
            g.update_vehicle(&vehicles[v], &input).unwrap();
        }
        Op::Sync { v } => {
            let ids = v.map(|v| vec![vehicles[v].clone()]);
            r.invalidate_after_sync(ids.as_deref());
        }
        Op::Read { v } => {
            r.dashboard(&vehicles[v]).unwrap();
            r.garage_overview().unwrap();
        }
        Op::Batch {
            v,
            n,
            days_ago,
            odo,
        } => {
            let records = (0..n).map(|i| crate::NewRecord::Fuel {
                id: None,
                input: FuelInput {
                    vehicle_id: vehicles[v].clone(),
                    occurred_at: at(days_ago) + Duration::hours(i as i64),
                    odometer: (odo + 100.0 * i as f64).round(),
                    quantity: 30.0 + i as f64,
                    total_cost_minor: 5_000 + i as i64,
                    is_full: i % 3 != 1,
                    missed_previous: false,
                    station: String::new(),
                    notes: String::new(),
                    tags: vec![],
                },
            });
            g.write_batch(records, crate::garage::BatchOptions::default())
                .unwrap();
        }
        Op::Remote {
            v,
            days_ago,
            odo,
            qty,
        } => {
            let wall = crate::time::now_millis() as u64;
            let mut data = serde_json::Map::new();
            for (k, val) in [
                ("vehicle_id", serde_json::json!(vehicles[v])),
                ("occurred_at", crate::time::to_sql(at(days_ago)).into()),
                ("odometer", odo.round().into()),
                ("quantity", ((qty * 100.0).round() / 100.0).into()),
                ("total_cost", 4_321.into()),
                ("is_full", 1.into()),
                ("missed_previous", 0.into()),
                ("station", "".into()),
                ("notes", "".into()),
                ("tags", "".into()),
            ] {
                data.insert(k.into(), val);
            }
            let row = glovebox_protocol::sync::SyncRow {
                table: "fuel_records".into(),
                id: uuid::Uuid::now_v7().to_string(),
                hlc: glovebox_protocol::Hlc::new(wall, 0, "f0f0f0f0"),
                deleted: false,
                data,
            };
            g.apply_remote(&[row], 1).unwrap();
        }
    }
}

fn check(r: &Reports, vehicles: &[String], step: usize) {
    let (from, to) = (day(2025, 6, 1), day(2026, 6, 1));
    for v in vehicles {
        let cached = r.dashboard(v).unwrap();
        assert_eq!(
            *cached,
            r.compute_dashboard(v).unwrap(),
            "dashboard of {v} at step {step}"
        );
        let cached = r.fuel_report(v, from, to).unwrap();
        assert_eq!(
            *cached,
            r.compute_fuel_report(v, from, to).unwrap(),
            "fuel report of {v} at step {step}"
        );
    }
    let cached = r.garage_overview().unwrap();
    let fresh = r.compute_garage_overview().unwrap();
    assert_eq!(*cached, fresh, "overview at step {step}");
    // The set-based overview (stored stats) equals one built from every dashboard.
    assert_eq!(
        fresh,
        r.compute_overview_from_dashboards().unwrap(),
        "set-based overview vs dashboards at step {step}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn cached_reports_always_equal_fresh_ones(ops in prop::collection::vec(op(), 1..40)) {
        let dir = tempfile::tempdir().unwrap();
        let g = Arc::new(
            Garage::open(dir.path().join("g.db"))
                .unwrap()
                .with_now(now)
                .with_defer_stats_rows(3),
        );
        let r = Reports::new(g.clone(), CacheConfig::default());
        let vehicles: Vec<String> = (0..VEHICLES)
            .map(|i| g.create_vehicle(&VehicleInput::new(format!("Vehicle {i}"))).unwrap().id)
            .collect();
        let mut made = Made::default();
        check(&r, &vehicles, 0);
        for (step, op) in ops.iter().enumerate() {
            apply(&r, &vehicles, &mut made, op);
            check(&r, &vehicles, step + 1);
        }
        // The cache did serve hits along the way, so the checks exercised it.
        prop_assert!(r.cache_stats().total.hits > 0);
    }
}
