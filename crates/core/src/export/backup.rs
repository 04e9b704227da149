//! The full JSON backup: every live vehicle with its records, reminders and completions,
//! plus the user's settings from `local_meta` (never the device id or sync state, which
//! belong to this installation). Restore goes through the one write path into an EMPTY
//! database, keeping ids, so backup → restore → backup gives the same content.

use std::collections::BTreeMap;
use std::io::{Read, Write};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::fuel::{FuelInput, FuelRecord};
use crate::garage::{BatchOptions, BatchSummary, NewRecord};
use crate::odometer::{OdometerInput, OdometerRecord};
use crate::reminders::completion::Completion;
use crate::reminders::{Reminder, ReminderInput};
use crate::service::{ServiceInput, ServiceRecord};
use crate::vehicles::{Vehicle, VehicleInput};
use crate::{ChangeSource, Garage, Page};

pub const FORMAT: &str = "glovebox-backup";
pub const VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Backup {
    pub format: String,
    pub version: u32,
    /// When the backup was made (UTC, RFC 3339); informational only.
    pub created_at: String,
    pub vehicles: Vec<VehicleBackup>,
    pub settings: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VehicleBackup {
    pub vehicle: Vehicle,
    pub fuel: Vec<FuelRecord>,
    pub service: Vec<ServiceRecord>,
    pub odometer: Vec<OdometerRecord>,
    pub reminders: Vec<Reminder>,
    pub completions: Vec<Completion>,
}

/// Settings that describe this installation or its sync state, not the user's data.
fn is_local_only(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    k == "device_id" || k.contains("sync") || k.contains("cursor") || k.contains("token")
}

fn vehicle_backup(garage: &Garage, v: Vehicle) -> Result<VehicleBackup> {
    let id = v.id.clone();
    Ok(VehicleBackup {
        fuel: garage.fuel_records(&id, Page::ALL)?,
        service: garage.service_records(&id, None, Page::ALL)?,
        odometer: garage.odometer_records(&id, Page::ALL)?,
        reminders: garage.all_reminders(&id)?,
        completions: garage.reminder_completions(&id, None, Page::ALL)?,
        vehicle: v,
    })
}

fn settings(garage: &Garage) -> Result<BTreeMap<String, String>> {
    garage.store().read("backup.settings", |c| {
        let mut s = c.prepare("SELECT key, value FROM local_meta ORDER BY key")?;
        let rows = s.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        let mut out = BTreeMap::new();
        for r in rows {
            let (k, v) = r?;
            if !is_local_only(&k) {
                out.insert(k, v);
            }
        }
        Ok(out)
    })
}

/// Writes the backup as JSON, one vehicle at a time (memory holds one vehicle's records).
/// Returns the number of records written.
pub fn write(garage: &Garage, out: &mut dyn Write) -> Result<u64> {
    let json = |e: serde_json::Error| Error::Other(format!("writing the backup: {e}"));
    let created = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    write!(
        out,
        "{{\"format\":\"{FORMAT}\",\"version\":{VERSION},\"created_at\":\"{created}\",\"vehicles\":["
    )?;
    let mut n = 0;
    for (i, v) in garage.vehicles(true)?.into_iter().enumerate() {
        if i > 0 {
            out.write_all(b",\n")?;
        }
        let b = vehicle_backup(garage, v)?;
        n += 1
            + (b.fuel.len() + b.service.len() + b.odometer.len()) as u64
            + (b.reminders.len() + b.completions.len()) as u64;
        serde_json::to_writer(&mut *out, &b).map_err(json)?;
    }
    out.write_all(b"],\"settings\":")?;
    serde_json::to_writer(&mut *out, &settings(garage)?).map_err(json)?;
    out.write_all(b"}\n")?;
    out.flush()?;
    Ok(n)
}

fn is_empty(garage: &Garage) -> Result<bool> {
    garage.store().read("restore.is_empty", |c| {
        let n: i64 = c.query_row(
            "SELECT (SELECT count(*) FROM vehicles) + (SELECT count(*) FROM fuel_records) \
             + (SELECT count(*) FROM service_records) + (SELECT count(*) FROM odometer_records) \
             + (SELECT count(*) FROM reminders) + (SELECT count(*) FROM reminder_completions)",
            [],
            |r| r.get(0),
        )?;
        Ok(n == 0)
    })
}

/// Restores a backup into an empty database in one transaction, keeping every id.
pub fn restore(garage: &Garage, input: &mut dyn Read) -> Result<BatchSummary> {
    let b: Backup = serde_json::from_reader(input)
        .map_err(|e| Error::validation("backup", format!("not a Glovebox backup: {e}")))?;
    if b.format != FORMAT {
        return Err(Error::validation(
            "backup",
            format!("format is {:?}, not {FORMAT:?}", b.format),
        ));
    }
    if b.version > VERSION {
        return Err(Error::validation(
            "backup",
            format!(
                "made by a newer Glovebox (backup version {}); update Glovebox",
                b.version
            ),
        ));
    }
    if !is_empty(garage)? {
        return Err(Error::validation(
            "backup",
            "restore needs an empty database; this one already has data",
        ));
    }
    let archived: Vec<String> = b
        .vehicles
        .iter()
        .filter(|v| v.vehicle.archived)
        .map(|v| v.vehicle.id.clone())
        .collect();
    let records = b.vehicles.into_iter().flat_map(records_of);
    let summary = garage.write_batch(
        records,
        BatchOptions {
            source: ChangeSource::Import,
            check_odometer: false,
        },
    )?;
    // The write path creates vehicles active; archiving is its own (tiny) write.
    for id in archived {
        garage.set_vehicle_archived(&id, true)?;
    }
    for (k, v) in b.settings.iter().filter(|(k, _)| !is_local_only(k)) {
        garage.set_local_setting(k, v)?;
    }
    Ok(summary)
}

fn records_of(vb: VehicleBackup) -> Vec<NewRecord> {
    let v = vb.vehicle;
    let vid = v.id.clone();
    let mut out = vec![NewRecord::Vehicle {
        id: Some(v.id.clone()),
        input: VehicleInput {
            name: v.name,
            make: v.make,
            model: v.model,
            year: v.year,
            plate: v.plate,
            vin: v.vin,
            fuel_kind: v.fuel_kind,
            distance_unit: v.distance_unit,
            volume_unit: v.volume_unit,
            economy_unit: Some(v.economy_unit),
            currency: v.currency,
        },
    }];
    out.extend(vb.fuel.into_iter().map(|r| NewRecord::Fuel {
        id: Some(r.id),
        input: FuelInput {
            vehicle_id: vid.clone(),
            occurred_at: r.occurred_at,
            odometer: r.odometer.value,
            quantity: r.quantity.value,
            total_cost_minor: r.total_cost.minor,
            is_full: r.is_full,
            missed_previous: r.missed_previous,
            station: r.station,
            notes: r.notes,
            tags: r.tags,
        },
    }));
    out.extend(vb.service.into_iter().map(|r| NewRecord::Service {
        id: Some(r.id),
        input: ServiceInput {
            vehicle_id: vid.clone(),
            kind: r.kind,
            occurred_at: r.occurred_at,
            odometer: r.odometer.map(|o| o.value),
            title: r.title,
            category: r.category,
            cost_minor: r.cost.minor,
            notes: r.notes,
            tags: r.tags,
        },
    }));
    out.extend(vb.odometer.into_iter().map(|r| NewRecord::Odometer {
        id: Some(r.id),
        input: OdometerInput {
            vehicle_id: vid.clone(),
            occurred_at: r.occurred_at,
            odometer: r.odometer.value,
            notes: r.notes,
        },
    }));
    out.extend(vb.reminders.into_iter().map(|r| NewRecord::Reminder {
        id: Some(r.id),
        input: ReminderInput {
            vehicle_id: vid.clone(),
            title: r.title,
            notes: r.notes,
            due_at: r.due_at,
            due_odometer: r.due_odometer.map(|o| o.value),
            recur_months: r.recur_months,
            recur_distance: r.recur_distance.map(|o| o.value),
            schedule: r.schedule,
            thresholds: r.thresholds,
        },
    }));
    out.extend(
        vb.completions
            .into_iter()
            .map(|completion| NewRecord::ReminderCompletion { completion }),
    );
    out
}
