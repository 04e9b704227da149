//! A Fuelio file whose odometer goes backwards for one fill-up (31 500 typed as 3 150):
//! flagged in the preview, refused without a decision (naming the line, writing nothing),
//! and then skipped, fixed or confirmed. The average the preview shows is the one the
//! dashboard shows afterwards, and it is never a silent mix.
//!
//! `fuelio_backwards.csv` (km, litres): 30 000 40 L, 30 500 35 L, 31 000 40 L, line 9:
//! 3 150 30 L (really 31 500), 32 000 35 L, 32 500 30 L, all full.
//! - Strict (line 9 skipped): segments 30 000→30 500→31 000→32 000→32 500, 2 500 km on
//!   35 + 40 + 35 + 30 = 140 L = 5.6 L/100km.
//! - Corrected (line 9 read as 31 500): 30 000→…→32 500 in five segments, 2 500 km on
//!   35 + 40 + 30 + 35 + 30 = 170 L = 6.8 L/100km.
//! - Confirmed as written: the engine orders by odometer, so 3 150 anchors a segment to
//!   30 000 (26 850 km on 40 L) and its 30 L counts nowhere: 29 350 km on 40 + 35 + 40 +
//!   35 + 30 = 180 L = 0.61329 L/100km — which the preview shows, next to the strict 5.6,
//!   with a warning naming line 9.

mod import_support;

use glovebox_core::import::{ImportError, ImportOptions, Need, OdometerAction, OdometerDecision};
use glovebox_core::units::EconomyUnit;
use glovebox_core::{Error, Page};
use import_support::*;

const FILE: &str = "fuelio_backwards.csv";
const LINE: u64 = 9;
const STRICT: f64 = 140.0 / 2500.0 * 100.0;
const CORRECTED: f64 = 170.0 / 2500.0 * 100.0;
const AS_WRITTEN: f64 = 180.0 / 29350.0 * 100.0;

fn decide(action: OdometerAction) -> ImportOptions {
    ImportOptions {
        odometer: vec![OdometerDecision { line: LINE, action }],
        ..eur()
    }
}

fn near(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-5)
}

#[test]
fn the_backwards_row_is_flagged_and_commit_without_a_decision_writes_nothing() {
    let (_d, g) = garage();
    let p = preview(&g, FILE, &eur()).unwrap();
    assert_eq!(p.odometer_flags.len(), 1, "{:?}", p.odometer_flags);
    let f = &p.odometer_flags[0];
    assert_eq!((f.line, f.odometer, f.action), (LINE, 3150.0, None));
    assert!(!f.reason.is_empty());
    assert!(
        p.needs
            .contains(&Need::OdometerDecisions { lines: vec![LINE] }),
        "{:?}",
        p.needs
    );
    let e = p.vehicles[0].economy.as_ref().unwrap();
    assert_eq!(e.unit, EconomyUnit::LitresPer100Km);
    assert!(near(e.without_flagged, STRICT), "{e:?}");

    let before = snapshot(&g);
    let err = commit(&g, FILE, &eur()).unwrap_err();
    let Error::Import(ImportError::OdometerDecisions { count, lines, .. }) = &err else {
        panic!("{err}")
    };
    assert_eq!((*count, lines.clone()), (1, vec![LINE]));
    assert!(err.to_string().contains("line 9"), "{err}");
    assert_eq!(snapshot(&g), before);
}

#[test]
fn skipping_the_row_gives_exactly_the_strict_average() {
    let (_d, g) = garage();
    let p = preview(&g, FILE, &decide(OdometerAction::Skip)).unwrap();
    assert!(p.needs.is_empty(), "{:?}", p.needs);
    let e = p.vehicles[0].economy.clone().unwrap();
    assert!(
        near(e.average, STRICT) && near(e.without_flagged, STRICT),
        "{e:?}"
    );
    let r = commit(&g, FILE, &decide(OdometerAction::Skip)).unwrap();
    assert_eq!(r.new_records.fuel, 5);
    assert_eq!(r.odometer_flags[0].action, Some(OdometerAction::Skip));
    let v = vehicle(&g, "Octavia");
    assert!(near(average(&g, &v, EconomyUnit::LitresPer100Km), STRICT));
    assert!(g
        .fuel_records(&v.id, Page::ALL)
        .unwrap()
        .iter()
        .all(|f| f.odometer.value != 3150.0));
}

#[test]
fn fixing_the_reading_gives_exactly_the_corrected_average() {
    let (_d, g) = garage();
    let opts = decide(OdometerAction::Fix { odometer: 31_500.0 });
    let p = preview(&g, FILE, &opts).unwrap();
    let e = p.vehicles[0].economy.clone().unwrap();
    assert!(
        near(e.average, CORRECTED) && near(e.without_flagged, STRICT),
        "{e:?}"
    );
    let r = commit(&g, FILE, &opts).unwrap();
    assert_eq!(r.new_records.fuel, 6);
    let v = vehicle(&g, "Octavia");
    assert!(near(
        average(&g, &v, EconomyUnit::LitresPer100Km),
        CORRECTED
    ));
    assert_eq!(
        closing_economy(&g, &v, EconomyUnit::LitresPer100Km),
        vec![7.0, 8.0, 6.0, 7.0, 6.0]
    );
}

#[test]
fn confirming_the_reading_shows_what_it_does_to_the_average_before_writing() {
    let (_d, g) = garage();
    let opts = ImportOptions {
        odometer_default: Some(OdometerAction::Confirm),
        ..eur()
    };
    let p = preview(&g, FILE, &opts).unwrap();
    assert!(p.needs.is_empty(), "{:?}", p.needs);
    let e = p.vehicles[0].economy.clone().unwrap();
    assert!(
        near(e.average, AS_WRITTEN) && near(e.without_flagged, STRICT),
        "{e:?}"
    );
    let w = p
        .warnings
        .iter()
        .find(|w| w.contains("line 9"))
        .expect("a warning names line 9");
    assert!(w.contains("0.61") && w.contains("5.60"), "{w}");
    let r = commit(&g, FILE, &opts).unwrap();
    assert_eq!(r.new_records.fuel, 6);
    let v = vehicle(&g, "Octavia");
    // What the preview said is what the dashboard shows.
    assert!(near(
        average(&g, &v, EconomyUnit::LitresPer100Km),
        AS_WRITTEN
    ));
}
