use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use chrono::{NaiveDate, NaiveDateTime};

use super::cache::{Params, Value};
use super::*;
use crate::economy::FillRole;
use crate::fuel::FuelInput;
use crate::odometer::OdometerInput;
use crate::reminders::{ReminderInput, Schedule, Thresholds, Urgency};
use crate::service::{ServiceInput, ServiceKind};
use crate::units::EconomyUnit;
use crate::vehicles::VehicleInput;
use crate::{Garage, RecordKind, WriteOptions};

pub(super) fn now() -> NaiveDateTime {
    day(2026, 6, 15).date().and_hms_opt(12, 0, 0).unwrap()
}

pub(super) fn day(y: i32, m: u32, d: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(y, m, d)
        .unwrap()
        .and_hms_opt(9, 0, 0)
        .unwrap()
}

pub(super) fn open() -> (tempfile::TempDir, Arc<Reports>) {
    let dir = tempfile::tempdir().unwrap();
    let g = Garage::open(dir.path().join("g.db")).unwrap().with_now(now);
    (dir, Reports::new(Arc::new(g), CacheConfig::default()))
}

fn fill(v: &str, at: NaiveDateTime, odo: f64, qty: f64, cost: i64, full: bool) -> FuelInput {
    FuelInput {
        vehicle_id: v.into(),
        occurred_at: at,
        odometer: odo,
        quantity: qty,
        total_cost_minor: cost,
        is_full: full,
        missed_previous: false,
        station: String::new(),
        notes: String::new(),
        tags: vec![],
    }
}

fn work(
    v: &str,
    kind: ServiceKind,
    at: NaiveDateTime,
    title: &str,
    cat: &str,
    cost: i64,
) -> ServiceInput {
    ServiceInput {
        vehicle_id: v.into(),
        kind,
        occurred_at: at,
        odometer: None,
        title: title.into(),
        category: cat.into(),
        cost_minor: cost,
        notes: String::new(),
        tags: vec![],
    }
}

fn reminder(
    v: &str,
    title: &str,
    due_at: Option<NaiveDateTime>,
    due_odo: Option<f64>,
) -> ReminderInput {
    ReminderInput {
        vehicle_id: v.into(),
        title: title.into(),
        notes: String::new(),
        due_at,
        due_odometer: due_odo,
        recur_months: None,
        recur_distance: None,
        schedule: Schedule::FromCompletion,
        thresholds: Thresholds::default(),
    }
}

/// A km/L/EUR car: fills in 2025 and 2026, work, a reading and three reminders.
pub(super) fn golf(r: &Reports) -> String {
    let g = r.garage();
    let mut input = VehicleInput::new("Golf");
    input.economy_unit = Some(EconomyUnit::LitresPer100Km);
    let v = g.create_vehicle(&input).unwrap().id;
    let o = WriteOptions::default();
    g.add_fuel(&fill(&v, day(2025, 11, 1), 10_000.0, 40.0, 7_000, true), o)
        .unwrap();
    g.add_fuel(&fill(&v, day(2025, 12, 1), 10_500.0, 30.0, 5_400, true), o)
        .unwrap();
    g.add_fuel(&fill(&v, day(2026, 4, 1), 11_000.0, 10.0, 1_900, false), o)
        .unwrap();
    g.add_fuel(&fill(&v, day(2026, 4, 20), 11_400.0, 26.0, 5_000, true), o)
        .unwrap();
    g.add_fuel(&fill(&v, day(2026, 5, 20), 11_900.0, 35.0, 6_300, true), o)
        .unwrap();
    g.add_service(
        &work(
            &v,
            ServiceKind::Service,
            day(2025, 10, 1),
            "Oil",
            "Oil",
            9_000,
        ),
        o,
    )
    .unwrap();
    g.add_service(
        &work(
            &v,
            ServiceKind::Repair,
            day(2026, 2, 1),
            "Pads",
            "Brakes",
            24_000,
        ),
        o,
    )
    .unwrap();
    g.add_service(
        &work(
            &v,
            ServiceKind::Upgrade,
            day(2026, 3, 1),
            "Dash cam",
            "",
            14_000,
        ),
        o,
    )
    .unwrap();
    g.add_odometer(
        &OdometerInput {
            vehicle_id: v.clone(),
            occurred_at: day(2026, 6, 10),
            odometer: 12_100.0,
            notes: String::new(),
        },
        o,
    )
    .unwrap();
    g.add_reminder(&reminder(&v, "Inspection", Some(day(2026, 7, 1)), None))
        .unwrap();
    g.add_reminder(&reminder(&v, "Tyres", None, Some(12_300.0)))
        .unwrap();
    g.add_reminder(&reminder(&v, "Insurance", Some(day(2027, 1, 1)), None))
        .unwrap();
    v
}

#[test]
fn the_dashboard_adds_up() {
    let (_d, r) = open();
    let v = golf(&r);
    let d = r.compute_dashboard(&v).unwrap();
    assert_eq!(d.odometer.unwrap().value, 12_100.0, "max over every kind");
    let titles: Vec<&str> = d.recent_work.iter().map(|w| w.title.as_str()).collect();
    assert_eq!(titles, vec!["Dash cam", "Pads", "Oil"]);

    let reminders: Vec<(&str, Urgency)> = d
        .reminders
        .iter()
        .map(|s| (s.reminder.title.as_str(), s.urgency))
        .collect();
    assert_eq!(
        reminders,
        vec![
            ("Tyres", Urgency::VeryUrgent),
            ("Inspection", Urgency::Urgent),
            ("Insurance", Urgency::NotUrgent)
        ]
    );
    assert_eq!((d.due_reminders, d.past_due_reminders), (2, 0));

    // Lifetime: segments 10,000→10,500 (30 L), 10,500→11,400 (36 L), 11,400→11,900 (35 L).
    let lifetime = d.economy_lifetime.unwrap();
    assert_eq!(lifetime.unit, EconomyUnit::LitresPer100Km);
    assert!(
        (lifetime.value - 101.0 / 1_900.0 * 100.0).abs() < 1e-9,
        "{lifetime:?}"
    );
    // Last 3 months (from 15 March): the segments closing 20 April and 20 May.
    let recent = d.economy_recent.unwrap();
    assert!(
        (recent.value - 71.0 / 1_400.0 * 100.0).abs() < 1e-9,
        "{recent:?}"
    );

    let cat = |b: &CostBreakdown, name: &str| {
        b.categories
            .iter()
            .find(|c| c.category == name)
            .map(|c| c.minor)
    };
    assert_eq!(cat(&d.cost_lifetime, "Fuel"), Some(25_600));
    assert_eq!(cat(&d.cost_lifetime, "Oil"), Some(9_000));
    assert_eq!(
        cat(&d.cost_lifetime, "Upgrade"),
        Some(14_000),
        "empty category → kind"
    );
    assert_eq!(
        d.cost_lifetime.total_minor,
        25_600 + 9_000 + 24_000 + 14_000
    );
    assert_eq!(
        d.cost_lifetime.categories[0].category, "Fuel",
        "largest first"
    );
    assert_eq!(cat(&d.cost_this_year, "Fuel"), Some(13_200));
    assert_eq!(cat(&d.cost_this_year, "Oil"), None);
    assert_eq!(d.cost_this_year.total_minor, 13_200 + 24_000 + 14_000);
    let cpd = d.cost_per_distance_minor.unwrap();
    assert!((cpd - 72_600.0 / 2_100.0).abs() < 1e-9, "{cpd}");
    let fuel_cpd = d.fuel_cost_per_distance_minor.unwrap();
    assert!((fuel_cpd - (5_400.0 + 6_900.0 + 6_300.0) / 1_900.0).abs() < 1e-9);

    // Twelve months, July 2025 to June 2026.
    assert_eq!(d.distance_per_month.len(), 12);
    assert_eq!(
        (d.distance_per_month[0].year, d.distance_per_month[0].month),
        (2025, 7)
    );
    let dist = |y: i32, m: u32| {
        d.distance_per_month
            .iter()
            .find(|x| x.year == y && x.month == m)
            .unwrap()
            .distance
    };
    assert_eq!(
        dist(2025, 11),
        0.0,
        "the first reading ever starts the count"
    );
    assert_eq!(dist(2025, 12), 500.0);
    assert_eq!(dist(2026, 4), 900.0);
    assert_eq!(dist(2026, 5), 500.0);
    assert_eq!(dist(2026, 6), 200.0);
    let total: f64 = d.distance_per_month.iter().map(|m| m.distance).sum();
    assert_eq!(total, 2_100.0);
}

#[test]
fn the_fuel_report_covers_its_window_with_whole_history_segments() {
    let (_d, r) = open();
    let v = golf(&r);
    let rep = r
        .compute_fuel_report(&v, day(2026, 1, 1), day(2026, 7, 1))
        .unwrap();
    let ids: Vec<f64> = rep.rows.iter().map(|row| row.odometer).collect();
    assert_eq!(ids, vec![11_000.0, 11_400.0, 11_900.0]);
    assert_eq!(rep.rows[0].role, FillRole::InSegment { segment: 1 });
    assert_eq!(rep.rows[1].role, FillRole::Closes { segment: 1 });
    // The partial in April counts in the segment anchored in December.
    let e = rep.rows[1].economy.unwrap().value;
    assert!((e - 36.0 / 900.0 * 100.0).abs() < 1e-9, "{e}");
    assert_eq!(rep.segments, 2);
    assert_eq!(rep.distance, 1_400.0);
    assert_eq!(rep.fuel, 71.0);
    // L/100km: lower is better, so "best" is the smaller figure.
    assert!(rep.best.unwrap().value < rep.worst.unwrap().value);
    assert_eq!(rep.spent_minor, 1_900 + 5_000 + 6_300);
    assert_eq!(rep.quantity, 71.0);
    assert_eq!(rep.price_per_unit.len(), 3);
    assert_eq!(rep.price_per_unit[0].price_minor, 190.0);
    let months: Vec<(u32, usize, usize)> = rep
        .months
        .iter()
        .map(|m| (m.month, m.fills, m.segments))
        .collect();
    assert_eq!(months, vec![(4, 2, 1), (5, 1, 1)]);
    assert_eq!(rep.months[0].average_price_minor, Some(6_900.0 / 36.0));
    let cpd = rep.cost_per_distance_minor.unwrap();
    assert!((cpd - (6_900.0 + 6_300.0) / 1_400.0).abs() < 1e-9);

    let empty = r
        .compute_fuel_report(&v, day(2020, 1, 1), day(2021, 1, 1))
        .unwrap();
    assert!(empty.rows.is_empty() && empty.average.is_none() && empty.months.is_empty());
}

#[test]
fn the_overview_lists_live_vehicles_with_their_due_counts() {
    let (_d, r) = open();
    let a = golf(&r);
    let b = r
        .garage()
        .create_vehicle(&VehicleInput::new("Attic bike"))
        .unwrap()
        .id;
    r.garage().set_vehicle_archived(&b, true).unwrap();
    let c = r
        .garage()
        .create_vehicle(&VehicleInput::new("Van"))
        .unwrap()
        .id;
    r.garage()
        .add_reminder(&reminder(&c, "Late", Some(day(2026, 1, 1)), None))
        .unwrap();
    let o = r.garage_overview().unwrap();
    let names: Vec<&str> = o.vehicles.iter().map(|h| h.name.as_str()).collect();
    assert_eq!(names, vec!["Golf", "Van"]);
    assert_eq!(o.vehicles[0].vehicle_id, a);
    assert_eq!((o.due_reminders, o.past_due_reminders), (3, 1));
    assert_eq!(
        o.vehicles[1].next_reminder,
        Some(("Late".into(), Urgency::PastDue))
    );
    assert_eq!(*o, r.compute_garage_overview().unwrap());
}

#[test]
fn a_change_invalidates_exactly_its_vehicle_and_the_overview() {
    let (_d, r) = open();
    let a = golf(&r);
    let b = golf(&r);
    let da = r.dashboard(&a).unwrap();
    let db = r.dashboard(&b).unwrap();
    let o = r.garage_overview().unwrap();
    assert!(
        Arc::ptr_eq(&da, &r.dashboard(&a).unwrap()),
        "a hit is the same Arc"
    );

    r.garage()
        .add_fuel(
            &fill(&a, day(2026, 6, 12), 12_300.0, 40.0, 7_600, true),
            WriteOptions::default(),
        )
        .unwrap();
    let da2 = r.dashboard(&a).unwrap();
    assert!(!Arc::ptr_eq(&da, &da2));
    assert_eq!(da2.odometer.unwrap().value, 12_300.0);
    assert!(
        Arc::ptr_eq(&db, &r.dashboard(&b).unwrap()),
        "the other vehicle stays cached"
    );
    let o2 = r.garage_overview().unwrap();
    assert!(!Arc::ptr_eq(&o, &o2));
    assert_eq!(*o2, r.compute_garage_overview().unwrap());

    let s = r.cache_stats();
    let dash = &s.kinds[0];
    assert_eq!(dash.kind, "dashboard");
    // Misses: a and b. After the write, a's dashboard and the overview were refreshed in
    // the background before (or while) they were read again: refreshes, not misses.
    assert_eq!(dash.misses, 2);
    assert!(dash.invalidations >= 1, "{s:?}");
    assert_eq!(s.kinds[2].kind, "garage_overview");
    assert_eq!(s.kinds[2].misses, 1);
    assert!(r.cache().refreshes() >= 2, "{}", r.cache().refreshes());
    assert!(s.total.hit_rate > 0.0 && s.total.hit_rate < 1.0);
}

#[test]
fn every_kind_of_write_reaches_the_cache() {
    let (_d, r) = open();
    let v = golf(&r);
    let g = r.garage().clone();
    let check = |what: &str| {
        let cached = r.dashboard(&v).unwrap();
        assert_eq!(*cached, r.compute_dashboard(&v).unwrap(), "after {what}");
    };
    check("start");
    let s = g
        .add_service(
            &work(
                &v,
                ServiceKind::Repair,
                day(2026, 6, 1),
                "Wipers",
                "Body",
                3_500,
            ),
            WriteOptions::default(),
        )
        .unwrap();
    check("service");
    g.delete(RecordKind::Service, &s.id).unwrap();
    check("delete");
    g.restore(RecordKind::Service, &s.id).unwrap();
    check("restore");
    let rem = g.reminders(&v).unwrap()[0].clone();
    g.complete_reminder(
        &rem.id,
        &crate::reminders::CompletionInput {
            completed_at: day(2026, 6, 14),
            odometer: Some(12_150.0),
            notes: String::new(),
            service: None,
        },
        WriteOptions::default(),
    )
    .unwrap();
    check("completion");
    let mut input = VehicleInput::new("Golf GTI");
    input.economy_unit = Some(EconomyUnit::KmPerLitre);
    g.update_vehicle(&v, &input).unwrap();
    check("vehicle edit");
    assert_eq!(r.dashboard(&v).unwrap().vehicle.name, "Golf GTI");
    g.delete_vehicle(&v).unwrap();
    assert!(matches!(r.dashboard(&v), Err(Error::NotFound { .. })));
    assert!(r.garage_overview().unwrap().vehicles.is_empty());
}

#[test]
fn sync_invalidation_by_vehicle_and_for_everything() {
    let (_d, r) = open();
    let a = golf(&r);
    let b = golf(&r);
    let da = r.dashboard(&a).unwrap();
    let db = r.dashboard(&b).unwrap();
    r.invalidate_after_sync(Some(std::slice::from_ref(&a)));
    assert!(!Arc::ptr_eq(&da, &r.dashboard(&a).unwrap()));
    assert!(Arc::ptr_eq(&db, &r.dashboard(&b).unwrap()));
    let da = r.dashboard(&a).unwrap();
    r.invalidate_after_sync(None);
    assert!(!Arc::ptr_eq(&da, &r.dashboard(&a).unwrap()));
    assert!(!Arc::ptr_eq(&db, &r.dashboard(&b).unwrap()));
}

#[test]
fn a_computation_overtaken_by_a_change_is_not_served_as_fresh() {
    let cache = ReportCache::new(CacheConfig::default());
    let (_d, r) = open();
    let v = golf(&r);
    let old = Arc::new(r.compute_dashboard(&v).unwrap());
    // The computation reads the old state, then the change lands before it finishes.
    let got = cache
        .get_or_compute(Some(&v), Params::Dashboard, || {
            cache.invalidate_vehicle(&v);
            Ok(Value::Dashboard(old.clone()))
        })
        .unwrap();
    assert!(matches!(got, Value::Dashboard(ref d) if Arc::ptr_eq(d, &old)));
    // The next reader must compute again rather than get the overtaken value.
    let computed = AtomicUsize::new(0);
    cache
        .get_or_compute(Some(&v), Params::Dashboard, || {
            computed.fetch_add(1, Ordering::SeqCst);
            Ok(Value::Dashboard(old.clone()))
        })
        .unwrap();
    assert_eq!(computed.load(Ordering::SeqCst), 1);
    // And the overtaken entry was removed rather than left to age out.
    let s = cache.stats();
    assert_eq!(s.kinds[0].entries, 1);
    assert_eq!(s.kinds[0].misses, 2);
}

#[test]
fn concurrent_misses_on_one_key_compute_once() {
    let (_d, r) = open();
    let v = golf(&r);
    let cache = Arc::new(ReportCache::new(CacheConfig::default()));
    let dash = Arc::new(r.compute_dashboard(&v).unwrap());
    let computed = Arc::new(AtomicUsize::new(0));
    let barrier = Arc::new(std::sync::Barrier::new(8));
    std::thread::scope(|s| {
        for _ in 0..8 {
            let (cache, dash, computed, barrier, v) = (
                cache.clone(),
                dash.clone(),
                computed.clone(),
                barrier.clone(),
                v.clone(),
            );
            s.spawn(move || {
                barrier.wait();
                cache
                    .get_or_compute(Some(&v), Params::Dashboard, || {
                        computed.fetch_add(1, Ordering::SeqCst);
                        // Hold the computation open so the others arrive meanwhile.
                        std::thread::sleep(std::time::Duration::from_millis(50));
                        Ok(Value::Dashboard(dash))
                    })
                    .unwrap();
            });
        }
    });
    assert_eq!(computed.load(Ordering::SeqCst), 1);
    let s = cache.stats();
    assert_eq!((s.kinds[0].hits, s.kinds[0].misses), (7, 1));
}

#[test]
fn errors_are_not_cached_and_keep_their_code() {
    let (_d, r) = open();
    for _ in 0..2 {
        let e = r.dashboard("no-such-vehicle").unwrap_err();
        assert_eq!(e.code(), "not_found");
    }
    assert_eq!(r.cache_stats().total.entries, 0);
}

#[test]
fn the_size_bound_evicts() {
    let dir = tempfile::tempdir().unwrap();
    let g = Arc::new(Garage::open(dir.path().join("g.db")).unwrap().with_now(now));
    let r = Reports::new(
        g,
        CacheConfig {
            capacity: 2,
            ..CacheConfig::default()
        },
    );
    let ids: Vec<String> = (0..6).map(|_| golf(&r)).collect();
    for _ in 0..3 {
        for id in &ids {
            r.dashboard(id).unwrap();
        }
    }
    let s = r.cache_stats();
    assert!(s.total.entries <= 2, "{s:?}");
    assert!(s.total.evictions > 0, "{s:?}");
}

#[test]
fn warming_fills_the_overview_and_dashboards_in_the_background() {
    let (_d, r) = open();
    golf(&r);
    golf(&r);
    r.spawn_warm().unwrap().join().unwrap().unwrap();
    let s = r.cache_stats();
    assert_eq!((s.kinds[0].entries, s.kinds[2].entries), (2, 1));
    let before = r.cache_stats().total.misses;
    r.garage_overview().unwrap();
    assert_eq!(r.cache_stats().total.misses, before, "served warm");
    let h = r.health();
    let names: Vec<&str> = h.queries.iter().map(|q| q.name.as_str()).collect();
    for n in [
        "report.dashboard",
        "report.garage_overview",
        "report.q.fuel_fills",
    ] {
        assert!(names.contains(&n), "{names:?}");
    }
}

/// How often `name` was timed by the reports' tracker.
fn timed(r: &Reports, name: &str) -> u64 {
    r.tracker()
        .queries()
        .iter()
        .find(|q| q.name == name)
        .map_or(0, |q| q.count)
}

#[test]
fn a_record_change_patches_its_line_of_the_overview_and_a_vehicle_change_rebuilds() {
    let (_dir, r) = open();
    let g = r.garage().clone();
    let ids: Vec<String> = ["Alpha", "Bravo", "Charlie"]
        .iter()
        .map(|n| g.create_vehicle(&VehicleInput::new(*n)).unwrap().id)
        .collect();
    g.add_fuel(
        &fill(&ids[1], day(2026, 6, 1), 10_000.0, 40.0, 7_000, true),
        WriteOptions::default(),
    )
    .unwrap();
    r.garage_overview().unwrap();
    let rebuilds = timed(&r, "report.garage_overview");
    assert!(rebuilds >= 1);

    // Records of one vehicle: its line is figured again, the others are kept.
    g.add_fuel(
        &fill(&ids[1], day(2026, 6, 10), 10_500.0, 35.0, 6_500, true),
        WriteOptions::default(),
    )
    .unwrap();
    let o = r.garage_overview().unwrap();
    assert_eq!(*o, r.compute_garage_overview().unwrap());
    assert_eq!(o.vehicles[1].odometer.unwrap().value, 10_500.0);
    assert!(timed(&r, "report.garage_overview_patch") >= 1);
    // compute_garage_overview above is the one rebuild since.
    assert_eq!(timed(&r, "report.garage_overview"), rebuilds + 1);

    // A rename moves the line: that is a rebuild, and the order follows the name.
    let mut input = VehicleInput::new("Aardvark");
    input.currency = g.vehicle(&ids[2]).unwrap().currency;
    g.update_vehicle(&ids[2], &input).unwrap();
    let o = r.garage_overview().unwrap();
    assert_eq!(o.vehicles[0].name, "Aardvark");
    assert_eq!(*o, r.compute_garage_overview().unwrap());
    assert_eq!(timed(&r, "report.garage_overview"), rebuilds + 3);
}
