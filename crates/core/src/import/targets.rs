//! Where a file's vehicles go (existing by name, or new), unit conversion factors, and
//! the content keys that detect duplicates.

use std::collections::HashSet;
use std::hash::Hasher;

use chrono::Datelike;

use super::common::VehicleDraft;
use super::{fatal, Counts, ImportError, ImportOptions, Need, Origin, TargetVehicle};
use crate::error::Result;
use crate::events::RecordKind;
use crate::units::{Currency, DistanceUnit, Energy, FuelKind, VolumeUnit};
use crate::vehicles::{Vehicle, VehicleInput};
use crate::{time, Garage, Page};

/// Where one file vehicle's rows go, with unit conversion factors.
pub(super) struct Target {
    pub(super) public: TargetVehicle,
    pub(super) vehicle: Vehicle,
    pub(super) input: VehicleInput,
    pub(super) is_new: bool,
    pub(super) distance_factor: f64,
    pub(super) volume_factor: f64,
}

pub(super) struct Resolved {
    pub(super) targets: Vec<Target>,
    /// Units or currency nobody gave for a new vehicle.
    pub(super) needs: Vec<Need>,
}

/// A unit for a new vehicle: the user's per-vehicle choice, then the options' default,
/// then what the file says; `None` (needs a choice) when nobody says.
fn pick<T: Copy>(choice: Option<T>, default: Option<T>, file: Option<T>) -> (Option<T>, Origin) {
    match (choice.or(default), file) {
        (Some(v), _) => (Some(v), Origin::Chosen),
        (None, Some(v)) => (Some(v), Origin::File),
        (None, None) => (None, Origin::NeedsChoice),
    }
}

pub(super) fn resolve_targets(
    garage: &Garage,
    drafts: &[VehicleDraft],
    opts: &ImportOptions,
    stem: Option<String>,
    warnings: &mut Vec<String>,
) -> Result<Resolved> {
    let existing = garage.vehicles(true)?;
    let pick_name = opts.vehicle.as_deref().map(str::trim);
    let mut out = Vec::new();
    let mut needs = Vec::new();
    for d in drafts {
        let source_name = match d.name.trim() {
            "" => pick_name
                .map(str::to_owned)
                .or(stem.clone())
                .unwrap_or_else(|| "Imported vehicle".into()),
            n => n.to_owned(),
        };
        let choice = opts.vehicles.iter().find(|c| {
            c.source_name
                .trim()
                .eq_ignore_ascii_case(source_name.trim())
        });
        let (mut name, mut included) = match pick_name {
            None => (source_name.clone(), true),
            Some(p) if drafts.len() == 1 => (p.to_owned(), true),
            Some(p) => (source_name.clone(), source_name.eq_ignore_ascii_case(p)),
        };
        if let Some(c) = choice {
            if let Some(n) = c.name.as_deref().filter(|n| !n.trim().is_empty()) {
                name = n.trim().to_owned();
            }
            included = !c.skip;
        }
        let found = match choice.and_then(|c| c.existing_id.as_deref()) {
            Some(id) => Some(existing.iter().find(|v| v.id == id).ok_or_else(|| {
                fatal(ImportError::Vehicle(format!(
                    "no vehicle with id {id} for {source_name:?}"
                )))
            })?),
            None => existing
                .iter()
                .find(|v| v.name.trim().eq_ignore_ascii_case(name.trim())),
        };
        let c = choice.cloned().unwrap_or_default();
        let (vehicle, input, is_new, origins) = match found {
            Some(v) => (
                v.clone(),
                VehicleInput::from(v),
                false,
                [Origin::Existing, Origin::Existing, Origin::Existing],
            ),
            None => {
                // A file's volume unit implies its distance unit only for US gallons.
                let file_distance = d.distance_unit.or(match d.volume_unit {
                    Some(VolumeUnit::UsGallon) if d.economy_unit.is_none() => {
                        Some(DistanceUnit::Mile)
                    }
                    _ => None,
                });
                let (distance, d_from) = pick(c.distance_unit, opts.distance_unit, file_distance);
                let (volume, v_from) = pick(c.volume_unit, opts.volume_unit, d.volume_unit);
                let (currency, c_from) = pick(c.currency, opts.currency, d.currency);
                let mut missing = Vec::new();
                if distance.is_none() {
                    missing.push("distance_unit".to_owned());
                }
                if volume.is_none() {
                    missing.push("volume_unit".to_owned());
                }
                if currency.is_none() {
                    missing.push("currency".to_owned());
                }
                if !missing.is_empty() && included {
                    needs.push(Need::Units {
                        source_name: source_name.clone(),
                        fields: missing,
                    });
                }
                // Placeholders only to check the rows in a preview; commit refuses first.
                let distance = distance.unwrap_or(DistanceUnit::Kilometre);
                let volume = volume.unwrap_or(VolumeUnit::Litre);
                let economy = c
                    .economy_unit
                    .or(opts.economy_unit)
                    .or(d.economy_unit)
                    .filter(|e| e.energy() == volume.energy());
                let input = VehicleInput {
                    name: name.clone(),
                    make: d.make.clone(),
                    model: d.model.clone(),
                    year: d.year,
                    plate: d.plate.clone(),
                    vin: d.vin.clone(),
                    fuel_kind: d.fuel_kind.filter(|k| fits(*k, volume)).unwrap_or(
                        match volume.energy() {
                            Energy::Electric => FuelKind::Electric,
                            Energy::Mass => FuelKind::Cng,
                            Energy::Liquid => FuelKind::Petrol,
                        },
                    ),
                    distance_unit: distance,
                    volume_unit: volume,
                    economy_unit: economy,
                    currency: currency.unwrap_or(Currency::EUR),
                };
                let mut v = input.validate(garage.now().year()).map_err(|e| {
                    fatal(ImportError::Vehicle(format!(
                        "vehicle {name:?} in the file: {e}"
                    )))
                })?;
                v.id = uuid::Uuid::now_v7().to_string();
                (v, input, true, [d_from, v_from, c_from])
            }
        };
        let distance_factor = d
            .distance_unit
            .map(|u| vehicle.distance_unit.from_km(u.to_km(1.0)))
            .unwrap_or(1.0);
        let volume_factor = match d.volume_unit {
            Some(u) if u.energy() != vehicle.volume_unit.energy() => {
                return Err(fatal(ImportError::Vehicle(format!(
                    "the file measures fuel in {} but {} uses {}",
                    u.label(),
                    vehicle.name,
                    vehicle.volume_unit.label()
                ))))
            }
            Some(u) => vehicle.volume_unit.from_base(u.to_base(1.0)),
            None => 1.0,
        };
        if included && (distance_factor != 1.0 || volume_factor != 1.0) {
            warnings.push(format!(
                "{}: the file's {} / {} are converted to the vehicle's {} / {}",
                vehicle.name,
                d.distance_unit.unwrap_or(vehicle.distance_unit).label(),
                d.volume_unit.unwrap_or(vehicle.volume_unit).label(),
                vehicle.distance_unit.label(),
                vehicle.volume_unit.label()
            ));
        }
        let known = |o: Origin| o != Origin::NeedsChoice;
        out.push(Target {
            public: TargetVehicle {
                source_name,
                name: vehicle.name.clone(),
                existing_id: (!is_new).then(|| vehicle.id.clone()),
                vehicle_id: Some(vehicle.id.clone()),
                make: vehicle.make.clone(),
                model: vehicle.model.clone(),
                year: vehicle.year,
                fuel_kind: Some(vehicle.fuel_kind),
                distance_unit: known(origins[0]).then_some(vehicle.distance_unit),
                volume_unit: known(origins[1]).then_some(vehicle.volume_unit),
                economy_unit: (known(origins[0]) && known(origins[1]))
                    .then_some(vehicle.economy_unit),
                currency: known(origins[2]).then_some(vehicle.currency),
                distance_unit_from: origins[0],
                volume_unit_from: origins[1],
                currency_from: origins[2],
                file_distance_unit: d.distance_unit,
                file_volume_unit: d.volume_unit,
                included,
                records: Counts::default(),
                economy: None,
            },
            vehicle,
            input,
            is_new,
            distance_factor,
            volume_factor,
        });
    }
    if let Some(p) = pick_name {
        if drafts.len() > 1 && !out.iter().any(|t| t.public.included) {
            let names: Vec<_> = out.iter().map(|t| t.public.source_name.clone()).collect();
            return Err(fatal(ImportError::Vehicle(format!(
                "the file holds vehicles {}; none is named {p:?}",
                names.join(", ")
            ))));
        }
    }
    Ok(Resolved {
        targets: out,
        needs,
    })
}

/// A fuel kind the vehicle's unit can measure (the write path's own rule).
fn fits(kind: FuelKind, volume: VolumeUnit) -> bool {
    match kind {
        FuelKind::Electric => volume.energy() == Energy::Electric,
        FuelKind::Cng => volume.energy() == Energy::Mass,
        FuelKind::Petrol | FuelKind::Diesel | FuelKind::Lpg => volume.energy() == Energy::Liquid,
        FuelKind::Hybrid | FuelKind::Other => true,
    }
}

// ----- duplicate detection -----------------------------------------------------------------

/// Content key of a record: vehicle, kind, date, odometer, quantity, cost (and title for
/// services and reminders), as a 64-bit hash so a million rows cost 8 MB, not a copy of
/// the file. FNV-1a over the fields: no allocation per row (the title is lower-cased byte
/// by byte), and 64 bits make a false duplicate among a million rows a 1-in-10^7 event.
pub(super) fn key(
    vehicle_id: &str,
    kind: RecordKind,
    at: i64,
    odo: Option<f64>,
    qty: f64,
    cost: i64,
    text: &str,
) -> u64 {
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for &b in bytes {
            h ^= b as u64;
            h = h.wrapping_mul(PRIME);
        }
    };
    eat(vehicle_id.as_bytes());
    eat(&[kind as u8, 0xff]);
    eat(&at.to_le_bytes());
    eat(&odo
        .map_or(i64::MIN, |o| (o * 100.0).round() as i64)
        .to_le_bytes());
    eat(&((qty * 1000.0).round() as i64).to_le_bytes());
    eat(&cost.to_le_bytes());
    for c in text.trim().chars().flat_map(char::to_lowercase) {
        let mut buf = [0u8; 4];
        eat(c.encode_utf8(&mut buf).as_bytes());
    }
    // Final avalanche (from splitmix64) so the identity-hashed set spreads well.
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

/// The keys are already well-mixed hashes: hashing them again would be wasted work.
#[derive(Default, Clone, Copy)]
pub(super) struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | b as u64;
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

pub(super) type KeySet = HashSet<u64, std::hash::BuildHasherDefault<KeyHasher>>;

pub(super) fn existing_keys(garage: &Garage, targets: &[Target]) -> Result<KeySet> {
    let mut keys = KeySet::default();
    for t in targets.iter().filter(|t| !t.is_new && t.public.included) {
        let id = t.vehicle.id.as_str();
        for r in garage.fuel_records(id, Page::ALL)? {
            keys.insert(key(
                id,
                RecordKind::Fuel,
                time::to_sql(r.occurred_at),
                Some(r.odometer.value),
                r.quantity.value,
                r.total_cost.minor,
                "",
            ));
        }
        for r in garage.service_records(id, None, Page::ALL)? {
            keys.insert(key(
                id,
                RecordKind::Service,
                time::to_sql(r.occurred_at),
                r.odometer.map(|o| o.value),
                0.0,
                r.cost.minor,
                &r.title,
            ));
        }
        for r in garage.odometer_records(id, Page::ALL)? {
            keys.insert(key(
                id,
                RecordKind::Odometer,
                time::to_sql(r.occurred_at),
                Some(r.odometer.value),
                0.0,
                0,
                "",
            ));
        }
        for r in garage.reminders(id)? {
            keys.insert(key(
                id,
                RecordKind::Reminder,
                r.due_at.map(time::to_sql).unwrap_or(0),
                r.due_odometer.map(|o| o.value),
                0.0,
                0,
                &r.title,
            ));
        }
    }
    Ok(keys)
}
