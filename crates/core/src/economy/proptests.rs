//! Property tests: invariants of the economy engine over random histories.

use chrono::{Duration, NaiveDateTime};
use proptest::prelude::*;
use proptest::sample::Index;

use super::tests::day;
use super::*;

const KM: DistanceUnit = DistanceUnit::Kilometre;
const L: VolumeUnit = VolumeUnit::Litre;

/// Random histories with odometer ties (same-odometer fills), partials, missed flags and
/// times in any order relative to the odometer. Times and ids are distinct.
fn history() -> impl Strategy<Value = Vec<FillUp>> {
    prop::collection::vec(
        (
            0u32..900,
            1u32..8_000,
            0i64..20_000,
            0u8..10,
            0u8..20,
            0i64..1_000,
        ),
        0..40,
    )
    .prop_map(|raw| {
        let mut odometer = 1_000.0;
        raw.into_iter()
            .enumerate()
            .map(|(i, (step, centilitres, cost, kind, flag, slot))| {
                // About one step in nine is zero: a fill at the same odometer as the last.
                odometer += f64::from(step.saturating_sub(100)) * 0.7;
                FillUp {
                    id: format!("f{i:03}"),
                    occurred_at: day(0) + Duration::minutes(slot * 1_000 + i as i64),
                    odometer,
                    quantity: f64::from(centilitres) / 100.0,
                    total_cost_minor: cost,
                    is_full: kind < 6,
                    missed_previous: flag == 0,
                }
            })
            .collect()
    })
}

fn close(a: Option<Economy>, b: Option<Economy>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => {
            a.electric == b.electric
                && (a.km_per_base - b.km_per_base).abs() <= 1e-9 * b.km_per_base.abs()
        }
        _ => false,
    }
}

proptest! {
    #[test]
    fn input_order_never_changes_results(
        (fills, shuffled) in history().prop_flat_map(|f| (Just(f.clone()), Just(f).prop_shuffle()))
    ) {
        prop_assert_eq!(compute(&fills, KM, L), compute(&shuffled, KM, L));
    }

    #[test]
    fn splitting_a_full_fill_never_changes_the_average(
        fills in history(),
        which in any::<Index>(),
        percent in 1u32..100,
        flag_on_partial in any::<bool>(),
    ) {
        let fulls: Vec<usize> = (0..fills.len()).filter(|&i| fills[i].is_full).collect();
        prop_assume!(!fulls.is_empty());
        let i = fulls[which.index(fulls.len())];
        let original = fills[i].clone();
        let part = original.quantity * f64::from(percent) / 100.0;
        let part_cost = original.total_cost_minor * i64::from(percent) / 100;
        let mut split = fills.clone();
        split[i].quantity = original.quantity - part;
        split[i].total_cost_minor = original.total_cost_minor - part_cost;
        split.push(FillUp {
            id: format!("{}-part", original.id),
            quantity: part,
            total_cost_minor: part_cost,
            is_full: false,
            missed_previous: flag_on_partial && original.missed_previous,
            ..original.clone()
        });
        if flag_on_partial {
            split[i].missed_previous = false;
        }
        let a = compute(&fills, KM, L);
        let b = compute(&split, KM, L);
        prop_assert!(close(a.average, b.average), "{:?} vs {:?}", a.average, b.average);
        prop_assert!(close(a.best, b.best) && close(a.worst, b.worst));
        prop_assert_eq!(a.segments.len(), b.segments.len());
        prop_assert_eq!(a.voided_segments, b.voided_segments);
        prop_assert_eq!(a.distance, b.distance);
        prop_assert_eq!(a.cost_minor, b.cost_minor);
    }

    #[test]
    fn splitting_a_partial_into_two_partials_changes_nothing(
        fills in history(),
        which in any::<Index>(),
        percent in 1u32..100,
    ) {
        let partials: Vec<usize> = (0..fills.len()).filter(|&i| !fills[i].is_full).collect();
        prop_assume!(!partials.is_empty());
        let i = partials[which.index(partials.len())];
        let original = fills[i].clone();
        let part = original.quantity * f64::from(percent) / 100.0;
        let mut split = fills.clone();
        split[i].quantity = original.quantity - part;
        split.push(FillUp {
            id: format!("{}-part", original.id),
            quantity: part,
            total_cost_minor: 0,
            missed_previous: false,
            ..original
        });
        let a = compute(&fills, KM, L);
        let b = compute(&split, KM, L);
        prop_assert!(close(a.average, b.average), "{:?} vs {:?}", a.average, b.average);
        prop_assert_eq!(a.segments.len(), b.segments.len());
        prop_assert_eq!(a.cost_minor, b.cost_minor);
    }

    #[test]
    fn windows_and_months_add_up_to_the_lifetime(fills in history()) {
        let s = compute(&fills, KM, L);
        prop_assert_eq!(&s.within(NaiveDateTime::MIN, NaiveDateTime::MAX), &s);
        let months = s.monthly();
        let segments: usize = months.iter().map(|m| m.segments).sum();
        let cost: i64 = months.iter().map(|m| m.cost_minor).sum();
        let fuel: f64 = months.iter().map(|m| m.fuel.value).sum();
        prop_assert_eq!(segments, s.segments.len());
        prop_assert_eq!(cost, s.cost_minor);
        prop_assert!((fuel - s.fuel.value).abs() <= 1e-9 * s.fuel.value.max(1.0));
        // Split at an arbitrary instant, two windows partition the segments.
        let mid = day(0) + Duration::minutes(500_000);
        let (early, late) = (s.within(NaiveDateTime::MIN, mid), s.within(mid, NaiveDateTime::MAX));
        prop_assert_eq!(early.segments.len() + late.segments.len(), s.segments.len());
        prop_assert_eq!(early.voided_segments + late.voided_segments, s.voided_segments);
        prop_assert_eq!(early.fills.len() + late.fills.len(), s.fills.len());
    }

    #[test]
    fn average_lies_between_worst_and_best(fills in history()) {
        let s = compute(&fills, KM, L);
        match (s.average, s.worst, s.best) {
            (Some(avg), Some(worst), Some(best)) => {
                let tol = 1e-9 * best.km_per_base;
                prop_assert!(worst.km_per_base <= avg.km_per_base + tol);
                prop_assert!(avg.km_per_base <= best.km_per_base + tol);
                prop_assert!(worst.km_per_base <= best.km_per_base);
            }
            (None, None, None) => prop_assert!(s.segments.is_empty()),
            other => prop_assert!(false, "inconsistent figures {:?}", other),
        }
    }

    #[test]
    fn segment_fuel_never_exceeds_fuel_entered(fills in history()) {
        let s = compute(&fills, KM, L);
        let entered: f64 = fills.iter().map(|f| f.quantity).sum();
        let in_segments: f64 = s.segments.iter().map(|seg| seg.fuel.value).sum();
        prop_assert!(in_segments <= entered * (1.0 + 1e-12));
        prop_assert!((s.fuel.value - in_segments).abs() <= 1e-9 * entered.max(1.0));
        let fill_count: usize = s.segments.iter().map(|seg| seg.fill_ids.len()).sum();
        prop_assert!(fill_count <= fills.len());
    }

    #[test]
    fn roles_match_segments(fills in history()) {
        let s = compute(&fills, KM, L);
        for f in &s.fills {
            match f.role {
                FillRole::InSegment { segment } | FillRole::Closes { segment } => {
                    let seg = s.segment(segment);
                    prop_assert!(seg.is_some_and(|seg| seg.fill_ids.contains(&f.id)));
                    prop_assert_eq!(f.economy, seg.map(|seg| seg.economy));
                }
                _ => prop_assert_eq!(f.economy, None),
            }
        }
        let closes_voided = s.fills.iter().filter(|f| f.role == FillRole::ClosesVoided).count();
        prop_assert_eq!(closes_voided, s.voided_segments);
    }
}
