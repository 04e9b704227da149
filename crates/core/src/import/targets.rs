//! Where a file's vehicles go (existing by name, or new), unit conversion factors, and
//! the content keys that detect duplicates.

use std::collections::HashSet;
use std::hash::Hasher;

use chrono::Datelike;

use super::common::VehicleDraft;
use super::{fatal, ImportError, ImportOptions, TargetVehicle};
use crate::error::Result;
use crate::events::RecordKind;
use crate::units::{Currency, DistanceUnit, FuelKind, VolumeUnit};
use crate::vehicles::{Vehicle, VehicleInput};
use crate::Garage;

/// Where one file vehicle's rows go, with unit conversion factors.
pub(super) struct Target {
    pub(super) public: TargetVehicle,
    pub(super) vehicle: Vehicle,
    pub(super) input: VehicleInput,
    pub(super) is_new: bool,
    pub(super) distance_factor: f64,
    pub(super) volume_factor: f64,
}

pub(super) fn resolve_targets(
    garage: &Garage,
    drafts: &[VehicleDraft],
    opts: &ImportOptions,
    stem: Option<String>,
    warnings: &mut Vec<String>,
) -> Result<Vec<Target>> {
    let existing = garage.vehicles(true)?;
    let pick = opts.vehicle.as_deref().map(str::trim);
    let mut out = Vec::new();
    for d in drafts {
        let source_name = match d.name.trim() {
            "" => pick
                .map(str::to_owned)
                .or(stem.clone())
                .unwrap_or_else(|| "Imported vehicle".into()),
            n => n.to_owned(),
        };
        let (name, included) = match pick {
            None => (source_name.clone(), true),
            Some(p) if drafts.len() == 1 => (p.to_owned(), true),
            Some(p) => (source_name.clone(), source_name.eq_ignore_ascii_case(p)),
        };
        let found = existing
            .iter()
            .find(|v| v.name.trim().eq_ignore_ascii_case(name.trim()));
        let (vehicle, input, is_new) = match found {
            Some(v) => (v.clone(), input_of(v), false),
            None => {
                let distance = d.distance_unit.unwrap_or(match d.volume_unit {
                    Some(VolumeUnit::UsGallon) => DistanceUnit::Mile,
                    _ => DistanceUnit::Kilometre,
                });
                let volume = d.volume_unit.unwrap_or(VolumeUnit::Litre);
                let input = VehicleInput {
                    name: name.clone(),
                    make: d.make.clone(),
                    model: d.model.clone(),
                    year: d.year,
                    plate: d.plate.clone(),
                    vin: d.vin.clone(),
                    fuel_kind: d.fuel_kind.unwrap_or(if volume.is_electric() {
                        FuelKind::Electric
                    } else {
                        FuelKind::Petrol
                    }),
                    distance_unit: distance,
                    volume_unit: volume,
                    economy_unit: None,
                    currency: opts.currency.unwrap_or(if distance == DistanceUnit::Mile {
                        Currency::USD
                    } else {
                        Currency::EUR
                    }),
                };
                let mut v = input.validate(garage.now().year()).map_err(|e| {
                    fatal(ImportError::Vehicle(format!(
                        "vehicle {name:?} in the file: {e}"
                    )))
                })?;
                v.id = uuid::Uuid::now_v7().to_string();
                (v, input, true)
            }
        };
        let distance_factor = d
            .distance_unit
            .map(|u| vehicle.distance_unit.from_km(u.to_km(1.0)))
            .unwrap_or(1.0);
        let volume_factor = match d.volume_unit {
            Some(u) if u.is_electric() != vehicle.volume_unit.is_electric() => {
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
        out.push(Target {
            public: TargetVehicle {
                source_name,
                name: vehicle.name.clone(),
                existing_id: (!is_new).then(|| vehicle.id.clone()),
                distance_unit: vehicle.distance_unit,
                volume_unit: vehicle.volume_unit,
                currency: vehicle.currency,
                file_distance_unit: d.distance_unit,
                file_volume_unit: d.volume_unit,
                included,
            },
            vehicle,
            input,
            is_new,
            distance_factor,
            volume_factor,
        });
    }
    if let Some(p) = pick {
        if drafts.len() > 1 && !out.iter().any(|t| t.public.included) {
            let names: Vec<_> = out.iter().map(|t| t.public.source_name.clone()).collect();
            return Err(fatal(ImportError::Vehicle(format!(
                "the file holds vehicles {}; none is named {p:?}",
                names.join(", ")
            ))));
        }
    }
    Ok(out)
}

fn input_of(v: &Vehicle) -> VehicleInput {
    VehicleInput {
        name: v.name.clone(),
        make: v.make.clone(),
        model: v.model.clone(),
        year: v.year,
        plate: v.plate.clone(),
        vin: v.vin.clone(),
        fuel_kind: v.fuel_kind,
        distance_unit: v.distance_unit,
        volume_unit: v.volume_unit,
        economy_unit: Some(v.economy_unit),
        currency: v.currency,
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
        garage.store().read("import.existing_keys", |c| {
            let mut s = c.prepare(
                "SELECT occurred_at, odometer, quantity, total_cost FROM fuel_records \
                 WHERE vehicle_id = ?1 AND deleted = 0",
            )?;
            let mut rows = s.query([id])?;
            while let Some(r) = rows.next()? {
                keys.insert(key(id, RecordKind::Fuel, r.get(0)?, Some(r.get(1)?), r.get(2)?, r.get(3)?, ""));
            }
            let mut s = c.prepare(
                "SELECT occurred_at, odometer, cost, title FROM service_records \
                 WHERE vehicle_id = ?1 AND deleted = 0",
            )?;
            let mut rows = s.query([id])?;
            while let Some(r) = rows.next()? {
                let title: String = r.get(3)?;
                keys.insert(key(id, RecordKind::Service, r.get(0)?, r.get(1)?, 0.0, r.get(2)?, &title));
            }
            let mut s = c.prepare(
                "SELECT occurred_at, odometer FROM odometer_records WHERE vehicle_id = ?1 AND deleted = 0",
            )?;
            let mut rows = s.query([id])?;
            while let Some(r) = rows.next()? {
                keys.insert(key(id, RecordKind::Odometer, r.get(0)?, Some(r.get(1)?), 0.0, 0, ""));
            }
            let mut s = c.prepare(
                "SELECT coalesce(due_at, 0), due_odometer, title FROM reminders WHERE vehicle_id = ?1 AND deleted = 0",
            )?;
            let mut rows = s.query([id])?;
            while let Some(r) = rows.next()? {
                let title: String = r.get(2)?;
                keys.insert(key(id, RecordKind::Reminder, r.get(0)?, r.get(1)?, 0.0, 0, &title));
            }
            Ok(())
        })?;
    }
    Ok(keys)
}
