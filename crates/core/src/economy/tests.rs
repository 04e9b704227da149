//! Hand-computed cases for the economy engine. Numbers in comments are worked by hand.

use chrono::{Duration, NaiveDate, NaiveDateTime};

use super::*;
use crate::units::EconomyUnit;

const KM: DistanceUnit = DistanceUnit::Kilometre;
const L: VolumeUnit = VolumeUnit::Litre;

pub(super) fn day(n: i64) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2024, 1, 1)
        .and_then(|d| d.and_hms_opt(12, 0, 0))
        .expect("valid date")
        + Duration::days(n)
}

fn fill(id: &str, at_day: i64, odometer: f64, quantity: f64, cost: i64, full: bool) -> FillUp {
    FillUp {
        id: id.to_owned(),
        occurred_at: day(at_day),
        odometer,
        quantity,
        total_cost_minor: cost,
        is_full: full,
        missed_previous: false,
    }
}

fn full(id: &str, at_day: i64, odometer: f64, quantity: f64) -> FillUp {
    fill(id, at_day, odometer, quantity, 0, true)
}

fn partial(id: &str, at_day: i64, odometer: f64, quantity: f64) -> FillUp {
    fill(id, at_day, odometer, quantity, 0, false)
}

fn missed(mut f: FillUp) -> FillUp {
    f.missed_previous = true;
    f
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9 * b.abs().max(1.0)
}

fn kmpl(e: Option<Economy>) -> f64 {
    e.expect("an economy figure").km_per_base
}

fn role(s: &EconomySummary, id: &str) -> FillRole {
    s.fills
        .iter()
        .find(|f| f.id == id)
        .map(|f| f.role)
        .expect("fill present")
}

#[test]
fn two_full_fills_make_one_segment() {
    // 1000 km -> 1500 km on 30 L: 500 / 30 = 16.667 km/L = 6.0 L/100km.
    let s = compute(
        &[
            full("a", 0, 1000.0, 40.0),
            fill("b", 10, 1500.0, 30.0, 5400, true),
        ],
        KM,
        L,
    );
    assert_eq!(s.segments.len(), 1);
    let seg = &s.segments[0];
    assert_eq!(
        (seg.anchor_id.as_str(), seg.closing_id.as_str()),
        ("a", "b")
    );
    assert_eq!(seg.distance, Distance::new(500.0, KM));
    assert_eq!(
        seg.fuel,
        Volume::new(30.0, L),
        "the anchor's 40 L is not counted"
    );
    assert_eq!(seg.cost_minor, 5400);
    assert_eq!(seg.fill_ids, vec!["b".to_owned()]);
    let l100 = s
        .average
        .and_then(|e| e.value_in(EconomyUnit::LitresPer100Km));
    assert!(close(l100.expect("figure"), 6.0));
    assert_eq!(s.best, s.average);
    assert_eq!(s.worst, s.average);
    assert_eq!(role(&s, "a"), FillRole::Anchor);
    assert_eq!(role(&s, "b"), FillRole::Closes { segment: 0 });
    assert_eq!(s.fills[0].economy, None);
    assert_eq!(s.fills[1].economy, s.average);
}

#[test]
fn partials_inside_a_segment_add_their_fuel() {
    // 1000 -> 1600 km = 600 km on 10 + 15 + 20 = 45 L: 13.333 km/L = 7.5 L/100km.
    // (Dropping the partials would give 600 / 20 = 30 km/L: wrong.)
    let s = compute(
        &[
            fill("a", 0, 1000.0, 50.0, 9000, true),
            fill("p1", 3, 1200.0, 10.0, 1800, false),
            fill("p2", 6, 1400.0, 15.0, 2700, false),
            fill("c", 9, 1600.0, 20.0, 3600, true),
        ],
        KM,
        L,
    );
    assert_eq!(s.segments.len(), 1);
    assert_eq!(s.fuel, Volume::new(45.0, L));
    assert_eq!(s.cost_minor, 1800 + 2700 + 3600);
    assert!(close(kmpl(s.average), 600.0 / 45.0));
    let l100 = s
        .average
        .and_then(|e| e.value_in(EconomyUnit::LitresPer100Km));
    assert!(close(l100.expect("figure"), 7.5));
    assert_eq!(s.segments[0].fill_ids, ["p1", "p2", "c"]);
    assert_eq!(role(&s, "p1"), FillRole::InSegment { segment: 0 });
    assert_eq!(role(&s, "p2"), FillRole::InSegment { segment: 0 });
    assert!(s.fills.iter().skip(1).all(|f| f.economy == s.average));
}

#[test]
fn missed_flag_on_a_partial_voids_its_segment() {
    // a(0) .. p(300, missed) .. b(600): voided; b is a fresh anchor.
    // b(600) -> c(1000) on 25 L: 400 / 25 = 16 km/L = 6.25 L/100km is the only figure.
    // (Counting the voided fills would give 1000 / 55 = 18.18 km/L: wrong.)
    let s = compute(
        &[
            full("a", 0, 0.0, 40.0),
            missed(partial("p", 2, 300.0, 10.0)),
            full("b", 4, 600.0, 20.0),
            full("c", 8, 1000.0, 25.0),
        ],
        KM,
        L,
    );
    assert_eq!(s.voided_segments, 1);
    assert_eq!(s.segments.len(), 1);
    assert_eq!(s.segments[0].anchor_id, "b");
    assert!(close(kmpl(s.average), 16.0));
    assert_eq!(s.fuel, Volume::new(25.0, L));
    assert_eq!(role(&s, "p"), FillRole::Voided);
    assert_eq!(role(&s, "b"), FillRole::ClosesVoided);
    assert_eq!(role(&s, "c"), FillRole::Closes { segment: 0 });
    assert_eq!(s.fills[1].economy, None);
    assert_eq!(s.fills[2].economy, None);
}

#[test]
fn missed_flag_on_the_closing_fill_voids_it_and_re_anchors() {
    // a(0) -> b(500, missed): voided, no figure for b. b(500) -> c(1100) on 40 L = 15 km/L.
    let s = compute(
        &[
            full("a", 0, 0.0, 40.0),
            missed(full("b", 5, 500.0, 30.0)),
            full("c", 10, 1100.0, 40.0),
        ],
        KM,
        L,
    );
    assert_eq!(s.voided_segments, 1);
    assert_eq!(s.segments.len(), 1);
    assert_eq!(s.segments[0].anchor_id, "b");
    assert_eq!(s.segments[0].distance.value, 600.0);
    assert!(close(kmpl(s.average), 15.0));
    assert_eq!(role(&s, "b"), FillRole::ClosesVoided);
    assert_eq!(s.fills[1].economy, None);
}

#[test]
fn open_partials_after_the_last_full_fill_are_ignored() {
    // a(0) -> b(500) on 25 L = 20 km/L. p1, p2 (20 L, 1500 cost each) are open.
    let s = compute(
        &[
            fill("a", 0, 0.0, 40.0, 6000, true),
            fill("b", 5, 500.0, 25.0, 4500, true),
            fill("p1", 7, 700.0, 10.0, 1500, false),
            missed(fill("p2", 9, 900.0, 10.0, 1500, false)),
        ],
        KM,
        L,
    );
    assert!(close(kmpl(s.average), 20.0));
    assert_eq!(s.fuel, Volume::new(25.0, L));
    assert_eq!(s.cost_minor, 4500);
    assert_eq!(s.voided_segments, 0);
    assert_eq!(role(&s, "p1"), FillRole::Open);
    assert_eq!(role(&s, "p2"), FillRole::Open);
    assert_eq!(s.fills[3].economy, None);
}

fn mixed_history() -> Vec<FillUp> {
    vec![
        partial("x", 0, 50.0, 5.0),
        full("a", 1, 100.0, 40.0),
        partial("p1", 3, 300.0, 12.0),
        full("b", 5, 600.0, 20.0),
        missed(partial("p2", 7, 800.0, 10.0)),
        full("c", 9, 1000.0, 18.0),
        full("d", 12, 1450.0, 30.0),
        full("e", 12, 1450.0, 4.0), // same odometer, same day: ordered by id after d
        full("f", 15, 1900.0, 26.0),
        partial("g", 17, 2000.0, 9.0),
    ]
}

#[test]
fn entry_order_does_not_matter() {
    let fills = mixed_history();
    let expected = compute(&fills, KM, L);
    // a->b: 500 / 32 L; b->c voided; c->d: 450 / 30; d->f: 450 / (4 + 26) with e carried.
    assert_eq!(expected.segments.len(), 3);
    assert_eq!(expected.voided_segments, 1);
    assert!(close(kmpl(expected.average), 1400.0 / 92.0));
    let mut reversed = fills.clone();
    reversed.reverse();
    assert_eq!(compute(&reversed, KM, L), expected);
    for k in 1..fills.len() {
        let mut rotated = fills.clone();
        rotated.rotate_left(k);
        assert_eq!(compute(&rotated, KM, L), expected, "rotation {k}");
    }
    let order: Vec<_> = expected.fills.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(order, ["x", "a", "p1", "b", "p2", "c", "d", "e", "f", "g"]);
}

#[test]
fn a_first_partial_counts_in_nothing() {
    // p is before any full fill. a(100) -> b(600) on 25 L = 20 km/L.
    let s = compute(
        &[
            partial("p", 0, 0.0, 30.0),
            full("a", 1, 100.0, 40.0),
            full("b", 6, 600.0, 25.0),
        ],
        KM,
        L,
    );
    assert_eq!(role(&s, "p"), FillRole::BeforeFirstFull);
    assert!(close(kmpl(s.average), 20.0));
    assert_eq!(s.fuel.value, 25.0);
}

#[test]
fn a_single_fill_has_no_figure() {
    for f in [full("a", 0, 100.0, 40.0), partial("a", 0, 100.0, 40.0)] {
        let s = compute(std::slice::from_ref(&f), KM, L);
        assert!(s.segments.is_empty());
        assert_eq!((s.average, s.best, s.worst), (None, None, None));
        assert_eq!(s.cost_per_distance_minor(), None);
        let expected = if f.is_full {
            FillRole::Anchor
        } else {
            FillRole::BeforeFirstFull
        };
        assert_eq!(s.fills[0].role, expected);
    }
    let empty = compute(&[], KM, L);
    assert!(empty.fills.is_empty() && empty.segments.is_empty());
    assert_eq!(empty.average, None);
}

#[test]
fn a_second_full_fill_at_the_anchor_odometer_is_carried() {
    // a and a2 both at 1000 km; a2's 5 L is carried: 500 km / (5 + 20) L = 20 km/L.
    // (Closing at a2 would divide by zero distance; ignoring a2 would give 25 km/L.)
    let mut a2 = full("a2", 0, 1000.0, 5.0);
    a2.occurred_at += Duration::minutes(10);
    let s = compute(
        &[full("a", 0, 1000.0, 40.0), a2, full("b", 7, 1500.0, 20.0)],
        KM,
        L,
    );
    assert_eq!(s.segments.len(), 1);
    assert_eq!(s.segments[0].anchor_id, "a");
    assert_eq!(s.segments[0].fill_ids, ["a2", "b"]);
    assert!(close(kmpl(s.average), 20.0));
    assert_eq!(role(&s, "a2"), FillRole::InSegment { segment: 0 });
}

#[test]
fn electric_in_kwh() {
    // 0 -> 300 km on 8 + 40 = 48 kWh: 6.25 km/kWh = 16 kWh/100km = 3.88357 mi/kWh.
    let s = compute(
        &[
            full("a", 0, 0.0, 10.0),
            partial("p", 2, 120.0, 8.0),
            full("b", 4, 300.0, 40.0),
        ],
        KM,
        VolumeUnit::KilowattHour,
    );
    let e = s.average.expect("figure");
    assert!(e.electric);
    assert!(close(
        e.value_in(EconomyUnit::KmPerKwh).unwrap_or(0.0),
        6.25
    ));
    assert!(close(
        e.value_in(EconomyUnit::KwhPer100Km).unwrap_or(0.0),
        16.0
    ));
    let mi = e.value_in(EconomyUnit::MilesPerKwh).unwrap_or(0.0);
    assert!((mi - 3.883_57).abs() < 1e-5);
    assert_eq!(e.value_in(EconomyUnit::LitresPer100Km), None);
    assert_eq!(s.fuel, Volume::new(48.0, VolumeUnit::KilowattHour));

    // A miles EV: 200 mi on 50 kWh = 4 mi/kWh = 50 / 321.8688 km * 100 = 15.5343 kWh/100km.
    let s = compute(
        &[full("a", 0, 1000.0, 30.0), full("b", 3, 1200.0, 50.0)],
        DistanceUnit::Mile,
        VolumeUnit::KilowattHour,
    );
    let e = s.average.expect("figure");
    assert!(close(
        e.value_in(EconomyUnit::MilesPerKwh).unwrap_or(0.0),
        4.0
    ));
    let kwh100 = e.value_in(EconomyUnit::KwhPer100Km).unwrap_or(0.0);
    assert!((kwh100 - 15.534_28).abs() < 1e-5);
}

#[test]
fn mpg_us_and_uk_of_known_cases() {
    // US car: 300 mi on 10 US gal = 30 mpg (US) = 30 * 4.54609 / 3.785411784 = 36.0285
    // mpg (UK) = 37.854 L / 482.803 km = 7.8405 L/100km.
    let s = compute(
        &[full("a", 0, 10_000.0, 12.0), full("b", 6, 10_300.0, 10.0)],
        DistanceUnit::Mile,
        VolumeUnit::UsGallon,
    );
    let e = s.average.expect("figure");
    assert!(close(e.value_in(EconomyUnit::MpgUs).unwrap_or(0.0), 30.0));
    assert!((e.value_in(EconomyUnit::MpgUk).unwrap_or(0.0) - 36.0285).abs() < 1e-4);
    let l100 = e.value_in(EconomyUnit::LitresPer100Km).unwrap_or(0.0);
    assert!((l100 - 7.8405).abs() < 1e-4);
    assert_eq!(s.distance, Distance::new(300.0, DistanceUnit::Mile));
    assert_eq!(s.fuel, Volume::new(10.0, VolumeUnit::UsGallon));

    // UK car: 400 mi on 10 imp gal = 40 mpg (UK) = 40 * 3.785411784 / 4.54609 = 33.3070 mpg (US).
    let s = compute(
        &[full("a", 0, 500.0, 9.0), full("b", 6, 900.0, 10.0)],
        DistanceUnit::Mile,
        VolumeUnit::ImpGallon,
    );
    let e = s.average.expect("figure");
    assert!(close(e.value_in(EconomyUnit::MpgUk).unwrap_or(0.0), 40.0));
    assert!((e.value_in(EconomyUnit::MpgUs).unwrap_or(0.0) - 33.3070).abs() < 1e-4);
}

#[test]
fn cost_per_distance_counts_valid_segments_only() {
    // Valid: a(0) -> b(500): p 1800 + b 4500 = 6300 over 500 km = 12.6 minor/km.
    // Not counted: the anchor's 6000, the voided b -> c (3000 + 3000), the open g's 1500.
    // (Inverted it would be 500 / 6300 = 0.079: wrong.)
    let s = compute(
        &[
            fill("a", 0, 0.0, 40.0, 6000, true),
            fill("p", 2, 200.0, 10.0, 1800, false),
            fill("b", 5, 500.0, 25.0, 4500, true),
            missed(fill("m", 6, 600.0, 20.0, 3000, false)),
            fill("c", 8, 900.0, 20.0, 3000, true),
            fill("g", 9, 1000.0, 10.0, 1500, false),
        ],
        KM,
        L,
    );
    assert_eq!(s.cost_minor, 6300);
    assert!(close(s.cost_per_distance_minor().unwrap_or(0.0), 12.6));
}

/// a(Jan 1) -> b(Jan 20): 500 km / 25 L = 20 km/L.
/// b -> c(Feb 10): 400 km / 40 L = 10 km/L; c -> d(Feb 25): 400 km / 20 L = 20 km/L.
fn three_segments() -> EconomySummary {
    compute(
        &[
            fill("a", 0, 0.0, 40.0, 6000, true),
            fill("b", 19, 500.0, 25.0, 4000, true),
            fill("c", 40, 900.0, 40.0, 7000, true),
            fill("d", 55, 1300.0, 20.0, 3000, true),
        ],
        KM,
        L,
    )
}

#[test]
fn best_worst_and_average_of_ratios_is_not_used() {
    // Average = 1300 / 85 = 15.294 km/L, not the mean of ratios (20 + 10 + 20) / 3 = 16.67.
    let s = three_segments();
    assert!(close(kmpl(s.average), 1300.0 / 85.0));
    assert!(close(kmpl(s.best), 20.0));
    assert!(close(kmpl(s.worst), 10.0));
}

#[test]
fn monthly_groups_by_closing_month() {
    // January: b only, 500 / 25 = 20 km/L. February: c + d, 800 / 60 = 13.333 km/L
    // (not the mean of ratios, 15).
    let m = three_segments().monthly();
    assert_eq!(m.len(), 2);
    assert_eq!((m[0].year, m[0].month, m[0].segments), (2024, 1, 1));
    assert!(close(m[0].economy.km_per_base, 20.0));
    assert_eq!((m[1].year, m[1].month, m[1].segments), (2024, 2, 2));
    assert!(close(m[1].economy.km_per_base, 800.0 / 60.0));
    assert_eq!(m[1].distance, Distance::new(800.0, KM));
    assert_eq!(m[1].fuel, Volume::new(60.0, L));
    assert_eq!(m[1].cost_minor, 10_000);
}

#[test]
fn windows_take_segments_closing_inside_a_half_open_range() {
    let s = three_segments();
    // [Feb 1, Mar 1): c and d, 800 / 60 km/L.
    let feb = s.within(day(31), day(60));
    assert_eq!(feb.segments.len(), 2);
    assert!(close(kmpl(feb.average), 800.0 / 60.0));
    assert_eq!(feb.cost_minor, 10_000);
    // [c's time, d's time): c only (start included, end excluded): 400 / 40 = 10 km/L.
    let w = s.within(day(40), day(55));
    assert_eq!(w.segments.len(), 1);
    assert_eq!(w.segments[0].closing_id, "c");
    assert!(close(kmpl(w.average), 10.0));
    assert_eq!(w.fills.len(), 1);
    // Segment numbers stay those of the full history.
    assert_eq!(w.fills[0].role, FillRole::Closes { segment: 1 });
    assert_eq!(w.segment(1).map(|seg| seg.closing_id.as_str()), Some("c"));
    assert!(w.segment(0).is_none());
    // An all-time window is the lifetime summary.
    assert_eq!(s.within(NaiveDateTime::MIN, NaiveDateTime::MAX), s);
    // An empty window has no figure.
    assert_eq!(s.within(day(100), day(200)).average, None);
}

#[test]
fn windows_count_voided_segments_closing_inside() {
    let s = compute(
        &[
            full("a", 0, 0.0, 40.0),
            missed(full("b", 40, 500.0, 30.0)),
            full("c", 50, 1100.0, 40.0),
        ],
        KM,
        L,
    );
    assert_eq!(s.within(day(31), day(60)).voided_segments, 1);
    assert_eq!(s.within(day(0), day(31)).voided_segments, 0);
}

#[test]
fn fuel_records_convert_to_fill_ups() {
    use crate::units::{Currency, Money};
    let r = FuelRecord {
        id: "r1".into(),
        vehicle_id: "v1".into(),
        occurred_at: day(3),
        odometer: Distance::new(12_345.6, KM),
        quantity: Volume::new(41.2, L),
        total_cost: Money::new(7_390, Currency::EUR),
        is_full: true,
        missed_previous: true,
        station: String::new(),
        notes: String::new(),
        tags: Vec::new(),
    };
    let f = FillUp::from(&r);
    assert_eq!(f, {
        let mut e = fill("r1", 3, 12_345.6, 41.2, 7_390, true);
        e.missed_previous = true;
        e
    });
}

#[test]
fn summaries_serialise() {
    let s = three_segments();
    let json = serde_json::to_string(&s).expect("serialise");
    assert!(json.contains(r#""role":{"kind":"closes","segment":0}"#));
    let back: EconomySummary = serde_json::from_str(&json).expect("deserialise");
    assert_eq!(back, s);
}

#[test]
fn large_histories_stay_fast() {
    // 50 years of a fill every ~5 days, with partials: one sort and one pass.
    let fills: Vec<FillUp> = (0..50_000i64)
        .map(|i| {
            fill(
                &format!("f{i}"),
                i * 5,
                i as f64 * 400.0,
                30.0,
                5000,
                i % 3 != 1,
            )
        })
        .collect();
    let s = compute(&fills, KM, L);
    // Full fills at i = 0, 2, 3, 5, 6, ...: 33_333 full fills -> 33_332 segments.
    assert_eq!(s.segments.len(), 33_332);
    assert_eq!(s.fills.len(), 50_000);
}
