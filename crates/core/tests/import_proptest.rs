//! Arbitrary bytes into every parser never panic: each either previews or refuses with an
//! error. Inputs start with each format's real header half of the time, so the row
//! parsers are reached and not only the format detection.

use glovebox_core::import::{self, BytesSource, FormatId, ImportOptions};
use glovebox_core::Garage;
use proptest::prelude::*;

const HEADERS: &[&str] = &[
    "",
    "Date,Odometer,FuelConsumed,Cost,FuelEconomy,IsFillToFull,MissedFuelUp,Notes,Tags\n",
    "Date,Odometer,Description,Cost,Notes,Tags,Type\n",
    "car_name,model,mpg,odometer,miles,gallons,price,fuelup_date,partial_fuelup,missed_fuelup\n",
    "\"## Vehicle\"\n\"Name\",\"DistUnit\",\"FuelUnit\"\n\"X\",\"0\",\"0\"\n\"## Log\"\n\"Data\",\"Odo (km)\",\"Fuel (litres)\",\"Full\",\"Price (optional)\",\"Missed\"\n",
    "##Refuelling\nDate;Odometer;Volume;Total cost;Full tank?\n",
];

fn formats() -> Vec<Option<FormatId>> {
    std::iter::once(None)
        .chain(FormatId::ALL.into_iter().map(Some))
        .collect()
}

/// Bytes that look like CSV more often than pure noise does.
fn csvish() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        prop_oneof![
            4 => prop::sample::select(b"0123456789,;.-/: \"\n\r#abxTFYN".to_vec()),
            1 => any::<u8>(),
        ],
        0..400,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn parsers_never_panic(header in 0usize..HEADERS.len(), body in csvish(), raw in prop::collection::vec(any::<u8>(), 0..200)) {
        let dir = tempfile::tempdir().unwrap();
        let g = Garage::open(dir.path().join("g.db")).unwrap();
        for input in [
            [HEADERS[header].as_bytes(), &body].concat(),
            raw.clone(),
        ] {
            for format in formats() {
                let opts = ImportOptions { format, ..Default::default() };
                let _ = import::preview_source(&g, &BytesSource(&input), &opts);
            }
        }
    }
}
