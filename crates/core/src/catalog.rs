//! The catalog: every code a front end offers in a list or formats by — units with their
//! labels and names, fuel kinds, currencies with their minor-unit digits, urgency levels
//! worst first, the default economy unit per unit pair. The desktop UI receives it as a
//! generated file (ui/src/lib/bindings/catalog.ts, kept fresh by the bindings test), so
//! nothing of it is copied by hand into TypeScript.

use serde::Serialize;

use crate::reminders::Urgency;
use crate::units::{Currency, DistanceUnit, EconomyUnit, FuelKind, VolumeUnit};

/// One choice of a list: the stable code, the short label shown beside numbers, and the
/// name shown in a drop-down.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    pub code: &'static str,
    pub label: &'static str,
    pub name: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CurrencyEntry {
    pub code: String,
    pub digits: u8,
}

/// The economy unit a new vehicle gets for a distance and volume unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DefaultEconomy {
    pub distance: &'static str,
    pub volume: &'static str,
    pub economy: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Catalog {
    pub distance_units: Vec<Entry>,
    pub volume_units: Vec<Entry>,
    pub economy_units: Vec<Entry>,
    /// Economy units where a smaller figure is better (L/100km, kWh/100km).
    pub economy_lower_is_better: Vec<&'static str>,
    pub fuel_kinds: Vec<Entry>,
    pub currencies: Vec<CurrencyEntry>,
    /// Offered first in the currency field.
    pub common_currencies: Vec<&'static str>,
    /// Worst first: the order reminder groups are shown in.
    pub urgency: Vec<Entry>,
    pub default_economy: Vec<DefaultEconomy>,
}

fn distance_name(u: DistanceUnit) -> &'static str {
    match u {
        DistanceUnit::Kilometre => "Kilometres",
        DistanceUnit::Mile => "Miles",
    }
}

fn volume_name(u: VolumeUnit) -> &'static str {
    match u {
        VolumeUnit::Litre => "Litres",
        VolumeUnit::UsGallon => "US gallons",
        VolumeUnit::ImpGallon => "Imperial gallons",
        VolumeUnit::KilowattHour => "kWh",
        VolumeUnit::Kilogram => "Kilograms",
    }
}

/// The stable code of an urgency level, as serialised.
pub fn urgency_code(u: Urgency) -> &'static str {
    match u {
        Urgency::NotUrgent => "not_urgent",
        Urgency::Urgent => "urgent",
        Urgency::VeryUrgent => "very_urgent",
        Urgency::PastDue => "past_due",
    }
}

const COMMON_CURRENCIES: [&str; 16] = [
    "EUR", "USD", "GBP", "CHF", "SEK", "NOK", "DKK", "PLN", "CZK", "CAD", "AUD", "NZD", "JPY",
    "INR", "BRL", "MXN",
];

pub fn catalog() -> Catalog {
    let entry = |code, label, name| Entry { code, label, name };
    let mut default_economy = Vec::new();
    for &d in DistanceUnit::ALL {
        for &v in VolumeUnit::ALL {
            default_economy.push(DefaultEconomy {
                distance: d.code(),
                volume: v.code(),
                economy: EconomyUnit::default_for(d, v).code(),
            });
        }
    }
    Catalog {
        distance_units: DistanceUnit::ALL
            .iter()
            .map(|&u| entry(u.code(), u.label(), distance_name(u)))
            .collect(),
        volume_units: VolumeUnit::ALL
            .iter()
            .map(|&u| entry(u.code(), u.label(), volume_name(u)))
            .collect(),
        economy_units: EconomyUnit::ALL
            .iter()
            .map(|&u| entry(u.code(), u.label(), u.label()))
            .collect(),
        economy_lower_is_better: EconomyUnit::ALL
            .iter()
            .filter(|u| u.lower_is_better())
            .map(|u| u.code())
            .collect(),
        fuel_kinds: FuelKind::ALL
            .iter()
            .map(|&k| entry(k.code(), k.label(), k.label()))
            .collect(),
        currencies: Currency::all()
            .map(|c| CurrencyEntry {
                code: c.code().to_owned(),
                digits: c.minor_digits(),
            })
            .collect(),
        common_currencies: COMMON_CURRENCIES.to_vec(),
        urgency: [
            Urgency::PastDue,
            Urgency::VeryUrgent,
            Urgency::Urgent,
            Urgency::NotUrgent,
        ]
        .into_iter()
        .map(|u| entry(urgency_code(u), u.label(), u.label()))
        .collect(),
        default_economy,
    }
}

/// The catalog as a TypeScript module (what the bindings test writes and checks).
pub fn typescript() -> String {
    let json = serde_json::to_string_pretty(&catalog()).unwrap_or_else(|_| "{}".into());
    format!(
        "// Generated from glovebox-core's catalog (crates/core/src/catalog.rs) by the bindings\n\
         // test; do not edit. Regenerate: UPDATE_BINDINGS=1 cargo test -p glovebox-desktop --test bindings\n\
         export const CATALOG = {json} as const;\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_what_serde_sends() {
        let c = catalog();
        for (e, u) in c.urgency.iter().zip([
            Urgency::PastDue,
            Urgency::VeryUrgent,
            Urgency::Urgent,
            Urgency::NotUrgent,
        ]) {
            assert_eq!(serde_json::to_value(u).unwrap(), e.code);
        }
        for e in &c.economy_units {
            let u: EconomyUnit = e.code.parse().unwrap();
            assert_eq!(serde_json::to_value(u).unwrap(), e.code);
        }
        let jpy = c.currencies.iter().find(|x| x.code == "JPY").unwrap();
        assert_eq!(jpy.digits, 0);
        for code in &c.common_currencies {
            assert!(c.currencies.iter().any(|x| x.code == *code), "{code}");
        }
        assert_eq!(
            c.default_economy.len(),
            DistanceUnit::ALL.len() * VolumeUnit::ALL.len()
        );
    }
}
