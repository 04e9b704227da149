//! Deterministic dataset generator: the demo garage for first-time users, and datasets from
//! "small" to "fleet" (1,000 vehicles × 10 years, ≈1.8 M records) for benchmarks.
//!
//! The same seed and end date always give the same records, ids included (UUIDv7 built
//! from the record's date and seeded random bits), so benchmark runs are comparable.
//! Each vehicle is simulated day by day: it drives, burns fuel from a tank, fills up when
//! low (mostly to full, sometimes partially, occasionally unrecorded — which marks the next
//! fill "missed previous"), gets serviced by distance or time, has its odometer read, and
//! carries reminders. Everything is written through `Garage::write_batch`, one transaction
//! per vehicle.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::events::ChangeSource;
use crate::fuel::FuelInput;
use crate::garage::{BatchOptions, Garage, NewRecord};
use crate::odometer::OdometerInput;
use crate::reminders::{ReminderInput, Schedule, Thresholds};
use crate::service::{ServiceInput, ServiceKind};
use crate::units::{Currency, DistanceUnit, FuelKind, VolumeUnit};
use crate::vehicles::VehicleInput;

/// A small, fast, seedable PRNG (SplitMix64). Ours rather than a crate's so datasets never
/// change when a dependency changes its algorithm.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
    /// A UUIDv7 for a record dated `at`, with seeded random bits.
    fn id_at(&mut self, at: NaiveDateTime) -> String {
        let millis = at.and_utc().timestamp_millis().max(0) as u64;
        let mut bytes = [0u8; 10];
        bytes[..8].copy_from_slice(&self.next_u64().to_le_bytes());
        bytes[8..].copy_from_slice(&self.next_u64().to_le_bytes()[..2]);
        uuid::Builder::from_unix_timestamp_millis(millis, &bytes)
            .into_uuid()
            .to_string()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DatasetSize {
    /// 3 vehicles (petrol car, diesel van, EV), 3 years: the first-run demo garage.
    Demo,
    /// 10 vehicles × 5 years.
    Small,
    /// 100 vehicles × 10 years.
    Medium,
    /// 1,000 vehicles × 10 years, about 1.8 million records.
    Fleet,
}

impl std::str::FromStr for DatasetSize {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "demo" => Ok(DatasetSize::Demo),
            "small" => Ok(DatasetSize::Small),
            "medium" => Ok(DatasetSize::Medium),
            "fleet" => Ok(DatasetSize::Fleet),
            _ => Err(format!(
                "unknown dataset size {s:?}: use demo, small, medium or fleet"
            )),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GeneratorConfig {
    pub seed: u64,
    pub vehicles: usize,
    pub years: u32,
    /// The last simulated day (records never go past it).
    pub end: NaiveDate,
    /// Fleet vehicles drive more and are read more often.
    pub fleet: bool,
}

impl GeneratorConfig {
    pub fn new(size: DatasetSize, seed: u64, end: NaiveDate) -> Self {
        let (vehicles, years, fleet) = match size {
            DatasetSize::Demo => (3, 3, false),
            DatasetSize::Small => (10, 5, false),
            DatasetSize::Medium => (100, 10, true),
            DatasetSize::Fleet => (1000, 10, true),
        };
        GeneratorConfig {
            seed,
            vehicles,
            years,
            end,
            fleet,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenerateSummary {
    pub vehicles: u64,
    pub fuel: u64,
    pub service: u64,
    pub odometer: u64,
    pub reminders: u64,
    pub vehicle_ids: Vec<String>,
}

impl GenerateSummary {
    pub fn records(&self) -> u64 {
        self.vehicles + self.fuel + self.service + self.odometer + self.reminders
    }
}

/// What kind of vehicle to simulate.
#[derive(Debug, Clone, Copy)]
struct Profile {
    name: &'static str,
    make: &'static str,
    model: &'static str,
    fuel_kind: FuelKind,
    distance_unit: DistanceUnit,
    volume_unit: VolumeUnit,
    currency: Currency,
    /// Average distance per day, in km.
    km_per_day: f64,
    /// Consumption per km, in litres (or kWh).
    per_km: f64,
    /// Tank (or usable battery) size, litres (or kWh).
    tank: f64,
    /// Price per litre/kWh in minor units.
    price: f64,
}

const PROFILES: &[Profile] = &[
    Profile {
        name: "Family car",
        make: "Volkswagen",
        model: "Golf",
        fuel_kind: FuelKind::Petrol,
        distance_unit: DistanceUnit::Kilometre,
        volume_unit: VolumeUnit::Litre,
        currency: Currency::EUR,
        km_per_day: 42.0,
        per_km: 0.064,
        tank: 50.0,
        price: 178.0,
    },
    Profile {
        name: "Delivery van",
        make: "Ford",
        model: "Transit",
        fuel_kind: FuelKind::Diesel,
        distance_unit: DistanceUnit::Mile,
        volume_unit: VolumeUnit::UsGallon,
        currency: Currency::USD,
        km_per_day: 120.0,
        per_km: 0.095,
        tank: 80.0,
        price: 105.0,
    },
    Profile {
        name: "Electric hatch",
        make: "Nissan",
        model: "Leaf",
        fuel_kind: FuelKind::Electric,
        distance_unit: DistanceUnit::Kilometre,
        volume_unit: VolumeUnit::KilowattHour,
        currency: Currency::EUR,
        km_per_day: 35.0,
        per_km: 0.165,
        tank: 40.0,
        price: 32.0,
    },
    Profile {
        name: "Weekend roadster",
        make: "Mazda",
        model: "MX-5",
        fuel_kind: FuelKind::Petrol,
        distance_unit: DistanceUnit::Mile,
        volume_unit: VolumeUnit::ImpGallon,
        currency: Currency::GBP,
        km_per_day: 18.0,
        per_km: 0.070,
        tank: 45.0,
        price: 149.0,
    },
    Profile {
        name: "Work pickup",
        make: "Toyota",
        model: "Hilux",
        fuel_kind: FuelKind::Diesel,
        distance_unit: DistanceUnit::Kilometre,
        volume_unit: VolumeUnit::Litre,
        currency: Currency::EUR,
        km_per_day: 90.0,
        per_km: 0.085,
        tank: 80.0,
        price: 165.0,
    },
];

fn at(day: NaiveDate, hour: u32, minute: u32) -> NaiveDateTime {
    day.and_hms_opt(hour, minute, 0).unwrap_or_default()
}

const VEHICLES_PER_TRANSACTION: usize = 25;

/// Fills `garage` with a generated dataset; returns what was written.
pub fn generate(garage: &Garage, cfg: &GeneratorConfig) -> Result<GenerateSummary> {
    let mut summary = GenerateSummary::default();
    let start = cfg.end - Duration::days(365 * cfg.years as i64);
    let indexes: Vec<usize> = (0..cfg.vehicles).collect();
    // Several vehicles per transaction: fewer commits and checkpoints, memory still bounded.
    for chunk in indexes.chunks(VEHICLES_PER_TRANSACTION) {
        let records = chunk.iter().flat_map(|&index| {
            let mut rng = Rng::new(cfg.seed.wrapping_mul(1_000_003).wrapping_add(index as u64));
            simulate_vehicle(&mut rng, index, cfg, start)
        });
        let s = garage.write_batch(
            records,
            BatchOptions {
                source: ChangeSource::Import,
                check_odometer: false,
            },
        )?;
        summary.vehicles += s.vehicles;
        summary.fuel += s.fuel;
        summary.service += s.service;
        summary.odometer += s.odometer;
        summary.reminders += s.reminders;
    }
    summary.vehicle_ids = garage.vehicles(true)?.into_iter().map(|v| v.id).collect();
    Ok(summary)
}

fn simulate_vehicle(
    rng: &mut Rng,
    index: usize,
    cfg: &GeneratorConfig,
    start: NaiveDate,
) -> Vec<NewRecord> {
    // The demo garage is always a petrol car, a diesel van and an EV.
    let profile = if cfg.vehicles <= PROFILES.len() {
        PROFILES[index]
    } else {
        *rng.pick(PROFILES)
    };
    // Fleet vehicles work all day: about 2.6 times a private car's distance.
    let fleet_factor = if cfg.fleet { 2.6 } else { 1.0 };
    let km_per_day = profile.km_per_day * fleet_factor * rng.range(0.8, 1.2);
    let per_km = profile.per_km * rng.range(0.9, 1.1);
    let start_at = at(start, 9, 0);
    let vehicle_id = rng.id_at(start_at);
    let name = if cfg.vehicles <= PROFILES.len() {
        profile.name.to_owned()
    } else {
        format!("{} #{:04}", profile.name, index + 1)
    };
    let mut records = Vec::with_capacity(2_000);
    records.push(NewRecord::Vehicle {
        id: Some(vehicle_id.clone()),
        input: VehicleInput {
            name,
            make: profile.make.into(),
            model: profile.model.into(),
            year: Some(start.year() - rng.below(4) as i32),
            plate: format!(
                "GB-{:03}-{}",
                rng.below(1000),
                (b'A' + rng.below(26) as u8) as char
            ),
            vin: String::new(),
            fuel_kind: profile.fuel_kind,
            distance_unit: profile.distance_unit,
            volume_unit: profile.volume_unit,
            economy_unit: None,
            currency: profile.currency,
        },
    });

    let to_unit_distance = |km: f64| profile.distance_unit.from_km(km);
    let to_unit_volume = |base: f64| profile.volume_unit.from_base(base);
    let round1 = |x: f64| (x * 10.0).round() / 10.0;
    let round2 = |x: f64| (x * 100.0).round() / 100.0;

    let mut odometer_km = rng.range(2_000.0, 60_000.0);
    let mut level = profile.tank * rng.range(0.5, 1.0);
    let mut price = profile.price * rng.range(0.92, 1.08);
    let mut missed_pending = false;
    let service_every_km = if profile.fuel_kind == FuelKind::Electric {
        30_000.0
    } else {
        15_000.0
    };
    let mut last_service_km = odometer_km;
    let mut last_service_day = start;
    // Fleet managers log odometers every few days; households about monthly.
    let read_every_days = if cfg.fleet { 5 } else { 30 };
    let days = (cfg.end - start).num_days();

    for d in 0..=days {
        let day = start + Duration::days(d);
        let weekend = day.weekday().number_from_monday() >= 6;
        let winter = matches!(day.month(), 12 | 1 | 2);
        let driven = km_per_day
            * if weekend {
                rng.range(0.1, 1.0)
            } else {
                rng.range(0.6, 1.5)
            };
        let burn = driven * per_km * if winter { 1.08 } else { 1.0 } * rng.range(0.95, 1.05);
        odometer_km += driven;
        level = (level - burn).max(0.0);
        price = (price * rng.range(0.995, 1.005)).clamp(profile.price * 0.7, profile.price * 1.4);

        if level < profile.tank * rng.range(0.15, 0.35) {
            let partial = rng.chance(0.1);
            let space = profile.tank - level;
            let qty = if partial {
                space * rng.range(0.3, 0.6)
            } else {
                space
            };
            level += qty;
            if rng.chance(0.02) {
                // Not recorded: the next recorded fill says so.
                missed_pending = true;
            } else {
                let when = at(day, 7 + rng.below(14) as u32, rng.below(60) as u32);
                let quantity = round2(to_unit_volume(qty)).max(0.01);
                let unit_price = price / to_unit_volume(1.0);
                records.push(NewRecord::Fuel {
                    id: Some(rng.id_at(when)),
                    input: FuelInput {
                        vehicle_id: vehicle_id.clone(),
                        occurred_at: when,
                        odometer: round1(to_unit_distance(odometer_km)),
                        quantity,
                        total_cost_minor: (quantity * unit_price).round() as i64,
                        is_full: !partial,
                        missed_previous: std::mem::take(&mut missed_pending),
                        station: rng
                            .pick(&["Shell", "BP", "Esso", "Total", "Aral", "Jet", "Costco"])
                            .to_string(),
                        notes: String::new(),
                        tags: if rng.chance(0.05) {
                            vec!["road trip".into()]
                        } else {
                            Vec::new()
                        },
                    },
                });
            }
        }

        let service_due = odometer_km - last_service_km >= service_every_km
            || (day - last_service_day).num_days() >= 365;
        if service_due {
            last_service_km = odometer_km;
            last_service_day = day;
            let when = at(day, 10, 0);
            let (title, category, cost) = if profile.fuel_kind == FuelKind::Electric {
                ("Annual service", "Maintenance", rng.range(120.0, 220.0))
            } else {
                ("Oil and filter change", "Oil", rng.range(90.0, 180.0))
            };
            records.push(service(
                rng,
                &vehicle_id,
                ServiceKind::Service,
                when,
                Some(to_unit_distance(odometer_km)),
                title,
                category,
                cost,
            ));
        }
        if rng.chance(1.0 / 220.0) {
            let when = at(day, 14, 30);
            let (title, category, cost) = *rng.pick(&[
                ("Replace brake pads", "Brakes", 240.0),
                ("New tyres", "Tyres", 520.0),
                ("Replace battery", "Electrical", 160.0),
                ("Windscreen chip repair", "Body", 75.0),
                ("Replace wiper blades", "Body", 35.0),
            ]);
            let cost = cost * rng.range(0.85, 1.2);
            records.push(service(
                rng,
                &vehicle_id,
                ServiceKind::Repair,
                when,
                Some(to_unit_distance(odometer_km)),
                title,
                category,
                cost,
            ));
        }
        if rng.chance(1.0 / 900.0) {
            let when = at(day, 16, 0);
            let (title, category, cost) = *rng.pick(&[
                ("Roof rack", "Accessories", 310.0),
                ("Dash camera", "Electronics", 140.0),
                ("Tow bar", "Accessories", 650.0),
            ]);
            records.push(service(
                rng,
                &vehicle_id,
                ServiceKind::Upgrade,
                when,
                None,
                title,
                category,
                cost,
            ));
        }
        if d % read_every_days == read_every_days - 1 {
            let when = at(day, 20, 0);
            records.push(NewRecord::Odometer {
                id: Some(rng.id_at(when)),
                input: OdometerInput {
                    vehicle_id: vehicle_id.clone(),
                    occurred_at: when,
                    odometer: round1(to_unit_distance(odometer_km)),
                    notes: String::new(),
                },
            });
        }
    }

    // Reminders relative to the end: one due soon (urgent), one later, one by distance.
    let end_at = at(cfg.end, 9, 0);
    let next_service_km = last_service_km + service_every_km;
    let reminders = [
        ReminderInput {
            vehicle_id: vehicle_id.clone(),
            title: if profile.fuel_kind == FuelKind::Electric {
                "Annual service".into()
            } else {
                "Oil change".into()
            },
            notes: String::new(),
            due_at: Some(at(last_service_day + Duration::days(365), 9, 0)),
            due_odometer: Some(round1(to_unit_distance(next_service_km))),
            recur_months: Some(12),
            recur_distance: Some(round1(to_unit_distance(service_every_km))),
            schedule: Schedule::FromCompletion,
            thresholds: Thresholds::default(),
        },
        ReminderInput {
            vehicle_id: vehicle_id.clone(),
            title: "Roadworthiness inspection".into(),
            notes: String::new(),
            due_at: Some(end_at + Duration::days(5 + rng.below(40) as i64)),
            due_odometer: None,
            recur_months: Some(24),
            recur_distance: None,
            schedule: Schedule::Fixed,
            thresholds: Thresholds::default(),
        },
        ReminderInput {
            vehicle_id: vehicle_id.clone(),
            title: "Insurance renewal".into(),
            notes: String::new(),
            due_at: Some(end_at + Duration::days(60 + rng.below(240) as i64)),
            due_odometer: None,
            recur_months: Some(12),
            recur_distance: None,
            schedule: Schedule::Fixed,
            thresholds: Thresholds {
                urgent_days: Some(45),
                very_urgent_days: Some(14),
                ..Thresholds::default()
            },
        },
    ];
    for input in reminders {
        records.push(NewRecord::Reminder {
            id: Some(rng.id_at(end_at)),
            input,
        });
    }
    records
}

#[allow(clippy::too_many_arguments)]
fn service(
    rng: &mut Rng,
    vehicle_id: &str,
    kind: ServiceKind,
    when: NaiveDateTime,
    odometer: Option<f64>,
    title: &str,
    category: &str,
    cost_major: f64,
) -> NewRecord {
    NewRecord::Service {
        id: Some(rng.id_at(when)),
        input: ServiceInput {
            vehicle_id: vehicle_id.to_owned(),
            kind,
            occurred_at: when,
            odometer: odometer.map(|o| (o * 10.0).round() / 10.0),
            title: title.to_owned(),
            category: category.to_owned(),
            cost_minor: (cost_major * 100.0).round() as i64,
            notes: String::new(),
            tags: Vec::new(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Page;

    fn dump(g: &Garage) -> Vec<String> {
        let mut out = Vec::new();
        for v in g.vehicles(true).unwrap() {
            out.push(format!("{v:?}"));
            for f in g.fuel_records(&v.id, Page::ALL).unwrap() {
                out.push(format!("{f:?}"));
            }
            for s in g.service_records(&v.id, None, Page::ALL).unwrap() {
                out.push(format!("{s:?}"));
            }
            for o in g.odometer_records(&v.id, Page::ALL).unwrap() {
                out.push(format!("{o:?}"));
            }
            for r in g.reminders(&v.id).unwrap() {
                out.push(format!("{r:?}"));
            }
        }
        out
    }

    #[test]
    fn same_seed_and_end_give_identical_datasets_ids_included() {
        let end = NaiveDate::from_ymd_opt(2026, 6, 30).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let make = |name: &str, seed: u64| {
            let g = Garage::open(dir.path().join(name)).unwrap();
            let s = generate(&g, &GeneratorConfig::new(DatasetSize::Demo, seed, end)).unwrap();
            (g, s)
        };
        let (a, sa) = make("a.db", 7);
        let (b, sb) = make("b.db", 7);
        let (c, _) = make("c.db", 8);
        assert_eq!(sa, sb);
        assert_eq!(dump(&a), dump(&b));
        assert_ne!(dump(&a), dump(&c), "another seed gives another dataset");
    }

    #[test]
    fn the_demo_garage_is_realistic() {
        let end = NaiveDate::from_ymd_opt(2026, 6, 30).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let g = Garage::open(dir.path().join("demo.db")).unwrap();
        let s = generate(&g, &GeneratorConfig::new(DatasetSize::Demo, 7, end)).unwrap();
        assert_eq!(s.vehicles, 3);
        let kinds: Vec<FuelKind> = g
            .vehicles(true)
            .unwrap()
            .iter()
            .map(|v| v.fuel_kind)
            .collect();
        for k in [FuelKind::Petrol, FuelKind::Diesel, FuelKind::Electric] {
            assert!(kinds.contains(&k), "{kinds:?}");
        }
        for v in g.vehicles(true).unwrap() {
            let fills = g.fuel_records(&v.id, Page::ALL).unwrap();
            assert!(
                fills.len() > 50,
                "{}: {} fills over three years",
                v.name,
                fills.len()
            );
            assert!(
                fills.iter().any(|f| !f.is_full),
                "{} has partial fills",
                v.name
            );
            assert!(fills.iter().all(|f| f.occurred_at.date() <= end));
            // Odometer never goes backwards in date order.
            let mut by_date = fills.clone();
            by_date.sort_by_key(|f| f.occurred_at);
            assert!(by_date
                .windows(2)
                .all(|w| w[0].odometer.value <= w[1].odometer.value));
            assert!(!g
                .service_records(&v.id, None, Page::ALL)
                .unwrap()
                .is_empty());
            assert_eq!(g.reminders(&v.id).unwrap().len(), 3);
        }
        let missed: usize = g
            .vehicles(true)
            .unwrap()
            .iter()
            .map(|v| {
                g.fuel_records(&v.id, Page::ALL)
                    .unwrap()
                    .iter()
                    .filter(|f| f.missed_previous)
                    .count()
            })
            .sum();
        assert!(missed > 0, "some fill-ups were not recorded");
    }
}
