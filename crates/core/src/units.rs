//! Units carried in types: distances, volumes (or electric energy, or mass for CNG), fuel
//! economy and money.
//!
//! Energy comes in three kinds that never mix ([`Energy`]): liquid fuel (litres, gallons),
//! electricity (kWh) and gas sold by mass (CNG in kg). A vehicle has one unit, so one
//! stream; a figure in one kind is never converted into, or added to, another.
//!
//! Records are stored in their vehicle's own units and converted only for display, so a
//! user who enters litres and kilometres always gets back exactly what they typed.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

pub const KM_PER_MILE: f64 = 1.609_344;
pub const LITRES_PER_US_GALLON: f64 = 3.785_411_784;
pub const LITRES_PER_IMP_GALLON: f64 = 4.546_09;

/// Defines a unit enum with its stable storage/wire code and a display label.
macro_rules! unit_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $code:literal, $label:literal;)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "ts", derive(ts_rs::TS))]
        pub enum $name {
            $(#[serde(rename = $code)] $variant,)+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The stable code stored in the database and sent over the wire.
            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code,)+ }
            }

            /// A short label for people.
            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label,)+ }
            }
        }

        impl FromStr for $name {
            type Err = UnknownUnit;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($code => Ok($name::$variant),)+
                    _ => Err(UnknownUnit { kind: stringify!($name), value: s.to_owned() }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.label())
            }
        }
    };
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} {value:?}")]
pub struct UnknownUnit {
    pub kind: &'static str,
    pub value: String,
}

unit_enum!(
    /// Unit of a vehicle's odometer.
    DistanceUnit {
        Kilometre => "km", "km";
        Mile => "mi", "mi";
    }
);

unit_enum!(
    /// Unit in which a vehicle's fuel (or charge) is measured.
    VolumeUnit {
        Litre => "l", "L";
        UsGallon => "us_gal", "US gal";
        ImpGallon => "imp_gal", "imp gal";
        KilowattHour => "kwh", "kWh";
        Kilogram => "kg", "kg";
    }
);

unit_enum!(
    /// How fuel economy is shown to the user.
    EconomyUnit {
        LitresPer100Km => "l_per_100km", "L/100km";
        KmPerLitre => "km_per_l", "km/L";
        MpgUs => "mpg_us", "mpg (US)";
        MpgUk => "mpg_uk", "mpg (UK)";
        KwhPer100Km => "kwh_per_100km", "kWh/100km";
        MilesPerKwh => "mi_per_kwh", "mi/kWh";
        KmPerKwh => "km_per_kwh", "km/kWh";
        KgPer100Km => "kg_per_100km", "kg/100km";
        KmPerKg => "km_per_kg", "km/kg";
        MilesPerKg => "mi_per_kg", "mi/kg";
    }
);

unit_enum!(
    /// The kind of energy a vehicle uses.
    FuelKind {
        Petrol => "petrol", "Petrol";
        Diesel => "diesel", "Diesel";
        Electric => "electric", "Electric";
        Hybrid => "hybrid", "Hybrid";
        Lpg => "lpg", "LPG";
        Cng => "cng", "CNG";
        Other => "other", "Other";
    }
);

impl DistanceUnit {
    pub fn to_km(self, value: f64) -> f64 {
        match self {
            DistanceUnit::Kilometre => value,
            DistanceUnit::Mile => value * KM_PER_MILE,
        }
    }

    pub fn from_km(self, km: f64) -> f64 {
        match self {
            DistanceUnit::Kilometre => km,
            DistanceUnit::Mile => km / KM_PER_MILE,
        }
    }
}

/// The kind of energy a unit measures. Figures of different kinds never mix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Energy {
    /// Litres and gallons (petrol, diesel, LPG).
    Liquid,
    /// kWh.
    Electric,
    /// kg (CNG).
    Mass,
}

impl VolumeUnit {
    pub fn is_electric(self) -> bool {
        self == VolumeUnit::KilowattHour
    }

    pub fn energy(self) -> Energy {
        match self {
            VolumeUnit::Litre | VolumeUnit::UsGallon | VolumeUnit::ImpGallon => Energy::Liquid,
            VolumeUnit::KilowattHour => Energy::Electric,
            VolumeUnit::Kilogram => Energy::Mass,
        }
    }

    /// Litres for liquid units, kWh for electric energy, kg for mass.
    pub fn to_base(self, value: f64) -> f64 {
        match self {
            VolumeUnit::Litre | VolumeUnit::KilowattHour | VolumeUnit::Kilogram => value,
            VolumeUnit::UsGallon => value * LITRES_PER_US_GALLON,
            VolumeUnit::ImpGallon => value * LITRES_PER_IMP_GALLON,
        }
    }

    pub fn from_base(self, base: f64) -> f64 {
        match self {
            VolumeUnit::Litre | VolumeUnit::KilowattHour | VolumeUnit::Kilogram => base,
            VolumeUnit::UsGallon => base / LITRES_PER_US_GALLON,
            VolumeUnit::ImpGallon => base / LITRES_PER_IMP_GALLON,
        }
    }
}

impl EconomyUnit {
    pub fn is_electric(self) -> bool {
        self.energy() == Energy::Electric
    }

    /// The kind of energy whose figures this unit shows.
    pub fn energy(self) -> Energy {
        match self {
            EconomyUnit::LitresPer100Km
            | EconomyUnit::KmPerLitre
            | EconomyUnit::MpgUs
            | EconomyUnit::MpgUk => Energy::Liquid,
            EconomyUnit::KwhPer100Km | EconomyUnit::MilesPerKwh | EconomyUnit::KmPerKwh => {
                Energy::Electric
            }
            EconomyUnit::KgPer100Km | EconomyUnit::KmPerKg | EconomyUnit::MilesPerKg => {
                Energy::Mass
            }
        }
    }

    /// True when a smaller number is better (consumption rather than economy).
    pub fn lower_is_better(self) -> bool {
        matches!(
            self,
            EconomyUnit::LitresPer100Km | EconomyUnit::KwhPer100Km | EconomyUnit::KgPer100Km
        )
    }

    /// The unit a new vehicle gets unless the user picks another.
    pub fn default_for(distance: DistanceUnit, volume: VolumeUnit) -> EconomyUnit {
        match (distance, volume) {
            (DistanceUnit::Kilometre, VolumeUnit::KilowattHour) => EconomyUnit::KwhPer100Km,
            (DistanceUnit::Mile, VolumeUnit::KilowattHour) => EconomyUnit::MilesPerKwh,
            (DistanceUnit::Kilometre, VolumeUnit::Kilogram) => EconomyUnit::KgPer100Km,
            (DistanceUnit::Mile, VolumeUnit::Kilogram) => EconomyUnit::MilesPerKg,
            (DistanceUnit::Kilometre, _) => EconomyUnit::LitresPer100Km,
            (DistanceUnit::Mile, VolumeUnit::ImpGallon) => EconomyUnit::MpgUk,
            (DistanceUnit::Mile, _) => EconomyUnit::MpgUs,
        }
    }
}

/// A distance with its unit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Distance {
    pub value: f64,
    pub unit: DistanceUnit,
}

impl Distance {
    pub fn new(value: f64, unit: DistanceUnit) -> Self {
        Distance { value, unit }
    }
    pub fn km(self) -> f64 {
        self.unit.to_km(self.value)
    }
    pub fn to(self, unit: DistanceUnit) -> Distance {
        Distance::new(unit.from_km(self.km()), unit)
    }
}

/// A quantity of fuel (or electric energy) with its unit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Volume {
    pub value: f64,
    pub unit: VolumeUnit,
}

impl Volume {
    pub fn new(value: f64, unit: VolumeUnit) -> Self {
        Volume { value, unit }
    }
    /// Litres, or kWh for electric energy.
    pub fn base(self) -> f64 {
        self.unit.to_base(self.value)
    }
    /// Converts between units of one energy kind; `None` across kinds (litres to kWh or kg).
    pub fn to(self, unit: VolumeUnit) -> Option<Volume> {
        (self.unit.energy() == unit.energy())
            .then(|| Volume::new(unit.from_base(self.base()), unit))
    }
}

/// Fuel economy as kilometres per litre (or per kWh, or per kg), convertible to any display
/// unit of the same energy kind.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Economy {
    /// Kilometres per litre for liquid fuel, per kWh for electric, per kg for CNG.
    pub km_per_base: f64,
    pub electric: bool,
    /// Per kg (CNG). Absent in older serialised figures, which were never mass.
    #[serde(default)]
    pub mass: bool,
}

impl Economy {
    /// `None` when either side is not a positive finite number.
    pub fn from_distance_and_fuel(distance: Distance, fuel: Volume) -> Option<Economy> {
        let km = distance.km();
        let base = fuel.base();
        (km.is_finite() && base.is_finite() && km > 0.0 && base > 0.0)
            .then(|| Economy::of_kind(km / base, fuel.unit.energy()))
    }

    fn of_kind(km_per_base: f64, energy: Energy) -> Economy {
        Economy {
            km_per_base,
            electric: energy == Energy::Electric,
            mass: energy == Energy::Mass,
        }
    }

    pub fn energy(self) -> Energy {
        match (self.electric, self.mass) {
            (true, _) => Energy::Electric,
            (_, true) => Energy::Mass,
            _ => Energy::Liquid,
        }
    }

    /// The figure in `unit`; `None` if the unit is for another energy kind.
    pub fn value_in(self, unit: EconomyUnit) -> Option<f64> {
        if unit.energy() != self.energy() {
            return None;
        }
        let k = self.km_per_base;
        Some(match unit {
            EconomyUnit::LitresPer100Km | EconomyUnit::KwhPer100Km | EconomyUnit::KgPer100Km => {
                100.0 / k
            }
            EconomyUnit::KmPerLitre | EconomyUnit::KmPerKwh | EconomyUnit::KmPerKg => k,
            EconomyUnit::MpgUs => k / KM_PER_MILE * LITRES_PER_US_GALLON,
            EconomyUnit::MpgUk => k / KM_PER_MILE * LITRES_PER_IMP_GALLON,
            EconomyUnit::MilesPerKwh | EconomyUnit::MilesPerKg => k / KM_PER_MILE,
        })
    }

    /// Parses a figure given in `unit` (used to cross-check imported economy columns).
    pub fn from_value(value: f64, unit: EconomyUnit) -> Option<Economy> {
        if !(value.is_finite() && value > 0.0) {
            return None;
        }
        let k = match unit {
            EconomyUnit::LitresPer100Km | EconomyUnit::KwhPer100Km | EconomyUnit::KgPer100Km => {
                100.0 / value
            }
            EconomyUnit::KmPerLitre | EconomyUnit::KmPerKwh | EconomyUnit::KmPerKg => value,
            EconomyUnit::MpgUs => value * KM_PER_MILE / LITRES_PER_US_GALLON,
            EconomyUnit::MpgUk => value * KM_PER_MILE / LITRES_PER_IMP_GALLON,
            EconomyUnit::MilesPerKwh | EconomyUnit::MilesPerKg => value * KM_PER_MILE,
        };
        Some(Economy::of_kind(k, unit.energy()))
    }
}

/// An ISO 4217 currency code with its number of minor-unit digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(as = "String"))]
pub struct Currency {
    code: [u8; 3],
    minor_digits: u8,
}

/// Currencies we know, with their minor-unit digits (ISO 4217). Codes not listed are
/// refused rather than guessed, so money is never shown with the wrong number of decimals.
const CURRENCIES: &[(&str, u8)] = &[
    ("AED", 2),
    ("ARS", 2),
    ("AUD", 2),
    ("BGN", 2),
    ("BHD", 3),
    ("BRL", 2),
    ("CAD", 2),
    ("CHF", 2),
    ("CLP", 0),
    ("CNY", 2),
    ("COP", 2),
    ("CZK", 2),
    ("DKK", 2),
    ("EGP", 2),
    ("EUR", 2),
    ("GBP", 2),
    ("HKD", 2),
    ("HUF", 2),
    ("IDR", 2),
    ("ILS", 2),
    ("INR", 2),
    ("ISK", 0),
    ("JOD", 3),
    ("JPY", 0),
    ("KES", 2),
    ("KRW", 0),
    ("KWD", 3),
    ("MAD", 2),
    ("MXN", 2),
    ("MYR", 2),
    ("NGN", 2),
    ("NOK", 2),
    ("NZD", 2),
    ("OMR", 3),
    ("PHP", 2),
    ("PKR", 2),
    ("PLN", 2),
    ("QAR", 2),
    ("RON", 2),
    ("RSD", 2),
    ("RUB", 2),
    ("SAR", 2),
    ("SEK", 2),
    ("SGD", 2),
    ("THB", 2),
    ("TND", 3),
    ("TRY", 2),
    ("TWD", 2),
    ("UAH", 2),
    ("USD", 2),
    ("VND", 0),
    ("ZAR", 2),
];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown currency {0:?}: use an ISO 4217 code such as EUR, USD or GBP")]
pub struct UnknownCurrency(pub String);

impl Currency {
    pub fn code(&self) -> &str {
        std::str::from_utf8(&self.code).unwrap_or("???")
    }
    pub fn minor_digits(&self) -> u8 {
        self.minor_digits
    }
    pub fn all() -> impl Iterator<Item = Currency> {
        CURRENCIES
            .iter()
            .map(|(c, _)| c.parse().unwrap_or(Currency::EUR))
    }
    pub const EUR: Currency = Currency {
        code: *b"EUR",
        minor_digits: 2,
    };
    pub const USD: Currency = Currency {
        code: *b"USD",
        minor_digits: 2,
    };
    pub const GBP: Currency = Currency {
        code: *b"GBP",
        minor_digits: 2,
    };
}

impl FromStr for Currency {
    type Err = UnknownCurrency;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let upper = s.trim().to_ascii_uppercase();
        CURRENCIES
            .iter()
            .find(|(c, _)| *c == upper)
            .map(|(c, d)| Currency {
                code: c.as_bytes().try_into().unwrap_or(*b"???"),
                minor_digits: *d,
            })
            .ok_or_else(|| UnknownCurrency(s.to_owned()))
    }
}

impl TryFrom<String> for Currency {
    type Error = UnknownCurrency;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Currency> for String {
    fn from(c: Currency) -> String {
        c.code().to_owned()
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Money in integer minor units (cents, pence, yen) of one currency. Never a float.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Money {
    pub minor: i64,
    pub currency: Currency,
}

impl Money {
    pub fn new(minor: i64, currency: Currency) -> Self {
        Money { minor, currency }
    }

    /// Parses a user-typed amount such as "61.23", "61,23" or "1 234,56" into minor units,
    /// exactly (no float rounding). Refuses more decimals than the currency has.
    pub fn parse(text: &str, currency: Currency) -> Result<Money, String> {
        let minor = parse_decimal_minor(text, currency.minor_digits())?;
        Ok(Money::new(minor, currency))
    }

    /// The amount as a decimal string with the currency's digits, e.g. "61.23".
    pub fn format_amount(&self) -> String {
        let digits = self.currency.minor_digits() as u32;
        if digits == 0 {
            return self.minor.to_string();
        }
        let scale = 10i64.pow(digits);
        let sign = if self.minor < 0 { "-" } else { "" };
        let abs = self.minor.unsigned_abs();
        format!(
            "{sign}{}.{:0width$}",
            abs / scale as u64,
            abs % scale as u64,
            width = digits as usize
        )
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.format_amount(), self.currency)
    }
}

/// Parses a decimal number typed by a person: accepts "." or "," as the decimal separator,
/// and thousands separators when unambiguous ("1,234.56", "1.234,56", "1 234,56").
pub fn parse_decimal(text: &str) -> Result<f64, String> {
    let normalized = normalize_decimal(text)?;
    let value: f64 = normalized
        .parse()
        .map_err(|_| format!("{text:?} is not a number"))?;
    if !value.is_finite() {
        return Err(format!("{text:?} is not a finite number"));
    }
    Ok(value)
}

fn normalize_decimal(text: &str) -> Result<String, String> {
    let t: String = text
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\''))
        .collect();
    if t.is_empty() {
        return Err("a number is required".into());
    }
    let last_dot = t.rfind('.');
    let last_comma = t.rfind(',');
    let decimal_sep = match (last_dot, last_comma) {
        (Some(d), Some(c)) => Some(if d > c { '.' } else { ',' }),
        (Some(_), None) => {
            // "1.234.567" is grouping; "15.65" is a decimal point.
            (t.matches('.').count() == 1).then_some('.')
        }
        (None, Some(_)) => (t.matches(',').count() == 1).then_some(','),
        (None, None) => None,
    };
    let mut out = String::with_capacity(t.len());
    for c in t.chars() {
        match c {
            '.' | ',' if Some(c) == decimal_sep => out.push('.'),
            '.' | ',' => {}
            '0'..='9' | '-' | '+' | 'e' | 'E' => out.push(c),
            _ => return Err(format!("{text:?} is not a number")),
        }
    }
    Ok(out)
}

/// Parses a decimal amount into an integer count of 10^-digits units, exactly.
pub fn parse_decimal_minor(text: &str, digits: u8) -> Result<i64, String> {
    let n = normalize_decimal(text)?;
    let (neg, n) = match n.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, n.strip_prefix('+').unwrap_or(&n)),
    };
    let (int, frac) = n.split_once('.').unwrap_or((n, ""));
    if int.is_empty() && frac.is_empty()
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(format!("{text:?} is not an amount"));
    }
    let (int, frac) = if frac.len() == 3 && digits < 3 && text.matches([',', '.']).count() == 1 {
        // "1,500" in a currency without three decimals can only mean fifteen hundred.
        (format!("{int}{frac}"), "")
    } else {
        (int.to_owned(), frac)
    };
    let int = int.as_str();
    if frac.len() > digits as usize {
        return Err(format!("{text:?} has more than {digits} decimals"));
    }
    let scale = 10i64.pow(digits as u32);
    let int_part: i64 = if int.is_empty() {
        0
    } else {
        int.parse().map_err(|_| format!("{text:?} is too large"))?
    };
    let frac_part: i64 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<width$}", width = digits as usize)
            .parse()
            .map_err(|_| format!("{text:?} is not an amount"))?
    };
    let v = int_part
        .checked_mul(scale)
        .and_then(|v| v.checked_add(frac_part))
        .ok_or_else(|| format!("{text:?} is too large"))?;
    Ok(if neg { -v } else { v })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9 * b.abs().max(1.0)
    }

    #[test]
    fn economy_conversions_agree_with_published_factors() {
        // 5 L/100km = 20 km/L = 47.04 mpg (US) = 56.50 mpg (UK)
        let e = Economy::from_value(5.0, EconomyUnit::LitresPer100Km).unwrap();
        assert!(close(e.value_in(EconomyUnit::KmPerLitre).unwrap(), 20.0));
        assert!((e.value_in(EconomyUnit::MpgUs).unwrap() - 47.0429).abs() < 1e-3);
        assert!((e.value_in(EconomyUnit::MpgUk).unwrap() - 56.4962).abs() < 1e-3);
        assert_eq!(e.value_in(EconomyUnit::KwhPer100Km), None);
        for unit in EconomyUnit::ALL
            .iter()
            .copied()
            .filter(|u| u.energy() == Energy::Liquid)
        {
            let v = e.value_in(unit).unwrap();
            assert!(close(
                Economy::from_value(v, unit).unwrap().km_per_base,
                20.0
            ));
        }
        let ev = Economy::from_distance_and_fuel(
            Distance::new(100.0, DistanceUnit::Mile),
            Volume::new(25.0, VolumeUnit::KilowattHour),
        )
        .unwrap();
        assert!(close(ev.value_in(EconomyUnit::MilesPerKwh).unwrap(), 4.0));
        assert!(close(
            ev.value_in(EconomyUnit::KwhPer100Km).unwrap(),
            25.0 / 1.609344
        ));
    }

    #[test]
    fn mass_is_its_own_energy_kind() {
        // 300 km on 5 kg of CNG: 60 km/kg = 1.667 kg/100km = 37.28 mi/kg.
        let e = Economy::from_distance_and_fuel(
            Distance::new(300.0, DistanceUnit::Kilometre),
            Volume::new(5.0, VolumeUnit::Kilogram),
        )
        .unwrap();
        assert_eq!(e.energy(), Energy::Mass);
        assert!(close(e.value_in(EconomyUnit::KmPerKg).unwrap(), 60.0));
        assert!(close(
            e.value_in(EconomyUnit::KgPer100Km).unwrap(),
            100.0 / 60.0
        ));
        assert!(close(
            e.value_in(EconomyUnit::MilesPerKg).unwrap(),
            60.0 / KM_PER_MILE
        ));
        // Never shown as litres or kWh, and kg never converts to litres.
        assert_eq!(e.value_in(EconomyUnit::LitresPer100Km), None);
        assert_eq!(e.value_in(EconomyUnit::KwhPer100Km), None);
        assert_eq!(
            Volume::new(5.0, VolumeUnit::Kilogram).to(VolumeUnit::Litre),
            None
        );
        let back = Economy::from_value(1.5, EconomyUnit::KgPer100Km).unwrap();
        assert_eq!(back.energy(), Energy::Mass);
        assert_eq!(
            EconomyUnit::default_for(DistanceUnit::Kilometre, VolumeUnit::Kilogram),
            EconomyUnit::KgPer100Km
        );
        // Serialised figures from before mass existed still read.
        let old: Economy =
            serde_json::from_str(r#"{"km_per_base":12.5,"electric":false}"#).unwrap();
        assert_eq!(old.energy(), Energy::Liquid);
    }

    #[test]
    fn distance_and_volume_round_trip() {
        let d = Distance::new(100.0, DistanceUnit::Mile);
        assert!(close(d.km(), 160.9344));
        assert!(close(
            d.to(DistanceUnit::Kilometre).to(DistanceUnit::Mile).value,
            100.0
        ));
        let v = Volume::new(10.0, VolumeUnit::UsGallon);
        assert!(close(v.to(VolumeUnit::Litre).unwrap().value, 37.85411784));
        assert!(close(
            v.to(VolumeUnit::ImpGallon).unwrap().value,
            8.326741846
        ));
        assert_eq!(v.to(VolumeUnit::KilowattHour), None);
    }

    #[test]
    fn decimals_accept_both_separators_and_grouping() {
        assert_eq!(parse_decimal("15.65").unwrap(), 15.65);
        assert_eq!(parse_decimal("15,65").unwrap(), 15.65);
        assert_eq!(parse_decimal("1,234.56").unwrap(), 1234.56);
        assert_eq!(parse_decimal("1.234,56").unwrap(), 1234.56);
        assert_eq!(parse_decimal("1 234,56").unwrap(), 1234.56);
        assert_eq!(parse_decimal("1.234.567").unwrap(), 1234567.0);
        assert!(parse_decimal("abc").is_err());
        assert!(parse_decimal("").is_err());
        assert!(parse_decimal("NaN").is_err());
        assert!(parse_decimal("inf").is_err());
    }

    #[test]
    fn money_parses_exactly_in_minor_units() {
        let eur = Currency::EUR;
        assert_eq!(Money::parse("61.23", eur).unwrap().minor, 6123);
        assert_eq!(Money::parse("61,2", eur).unwrap().minor, 6120);
        assert_eq!(Money::parse("1.234,56", eur).unwrap().minor, 123456);
        assert_eq!(Money::parse("0.1", eur).unwrap().minor, 10);
        assert_eq!(
            Money::parse("1.234", eur).unwrap().minor,
            123400,
            "grouping"
        );
        assert!(Money::parse("1.2345", eur).is_err(), "four decimals in EUR");
        let jpy: Currency = "jpy".parse().unwrap();
        assert_eq!(Money::parse("1,500", jpy).unwrap().minor, 1500);
        assert_eq!(Money::new(-5, eur).format_amount(), "-0.05");
        assert_eq!(Money::new(123456, eur).to_string(), "1234.56 EUR");
        assert!("XXX".parse::<Currency>().is_err());
    }
}
