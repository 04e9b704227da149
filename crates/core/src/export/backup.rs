//! The full JSON backup: every row of every synced table exactly as stored — its HLC and
//! tombstones included — plus the user's settings from `local_meta` (never the device id
//! or sync state, which belong to this installation).
//!
//! Why rows and not records: a restore must not look like new edits. Restored rows keep
//! their HLC (and deleted records stay deleted), so restoring last month's backup on a
//! synced device loses to every newer edit and delete made anywhere since: the server
//! answers `stale` to the old versions and the device pulls the newer ones.
//!
//! `write` reads every table in one read transaction (a consistent snapshot while the app
//! keeps writing); `write_file` writes a temporary file beside the target, fsyncs it and
//! renames it over the target, so a crash never destroys the last good backup. `restore`
//! goes into an empty database only, checks every row with the sync rules (the same
//! decoding and validation as a pulled row) and writes all of it or nothing; restored
//! rows are dirty, so they reach the server. Version 1 backups (records without HLCs)
//! are still read; their records get new HLCs.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use glovebox_protocol::sync::SyncRow;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::fuel::{FuelInput, FuelRecord};
use crate::garage::{BatchOptions, BatchSummary, NewRecord};
use crate::odometer::{OdometerInput, OdometerRecord};
use crate::reminders::completion::Completion;
use crate::reminders::{Reminder, ReminderInput};
use crate::service::{ServiceInput, ServiceRecord};
use crate::vehicles::{Vehicle, VehicleInput};
use crate::{ChangeSource, Garage};

pub const FORMAT: &str = "glovebox-backup";
pub const VERSION: u32 = 2;

/// A backup as read back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Backup {
    pub format: String,
    pub version: u32,
    /// When the backup was made (UTC, RFC 3339); informational only.
    #[serde(default)]
    pub created_at: String,
    /// Version 2: every row, vehicles first.
    #[serde(default)]
    pub rows: Vec<SyncRow>,
    /// Version 1: live records per vehicle.
    #[serde(default)]
    pub vehicles: Vec<VehicleBackup>,
    #[serde(default)]
    pub settings: BTreeMap<String, String>,
}

/// Version 1's records of one vehicle.
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
    k == "device_id"
        || k.contains("sync")
        || k.contains("cursor")
        || k.contains("token")
        || k.starts_with("hlc.")
}

fn settings(c: &rusqlite::Connection) -> Result<BTreeMap<String, String>> {
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
}

fn json_err(e: serde_json::Error) -> Error {
    Error::Other(format!("writing the backup: {e}"))
}

/// Writes the backup as JSON from one read transaction, streaming row by row. Returns the
/// number of rows written (tombstones included).
pub fn write(garage: &Garage, out: &mut dyn Write) -> Result<u64> {
    let created = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    garage.store().read("backup.write", |c| {
        // One snapshot for every table: rows written meanwhile are all in or all out.
        let tx = rusqlite::Transaction::new_unchecked(c, rusqlite::TransactionBehavior::Deferred)?;
        write!(
            out,
            "{{\"format\":\"{FORMAT}\",\"version\":{VERSION},\"created_at\":\"{created}\",\"rows\":["
        )?;
        let mut n = 0u64;
        crate::sync::for_each_row(&tx, |row| {
            if n > 0 {
                out.write_all(b",\n")?;
            }
            serde_json::to_writer(&mut *out, &row).map_err(json_err)?;
            n += 1;
            Ok(())
        })?;
        out.write_all(b"],\"settings\":")?;
        serde_json::to_writer(&mut *out, &settings(&tx)?).map_err(json_err)?;
        out.write_all(b"}\n")?;
        out.flush()?;
        tx.finish()?;
        Ok(n)
    })
}

/// Writes the backup to `path` without ever leaving a half-written file there: a
/// temporary file in the same directory, fsync, rename over `path`, fsync of the
/// directory. Returns the number of rows written.
pub fn write_file(garage: &Garage, path: &Path) -> Result<u64> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path.file_name().ok_or_else(|| {
        Error::validation("file", format!("{} is not a file name", path.display()))
    })?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".tmp-{}", std::process::id()));
    let tmp: PathBuf = dir.join(tmp_name);
    let result = (|| -> Result<u64> {
        let file = std::fs::File::create(&tmp)?;
        let mut w = std::io::BufWriter::new(file);
        let n = write(garage, &mut w)?;
        let file = w.into_inner().map_err(|e| Error::Io(e.into_error()))?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, path)?;
        #[cfg(unix)]
        std::fs::File::open(dir)?.sync_all()?;
        Ok(n)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
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

/// Restores a backup into an empty database in one transaction, keeping every id (and,
/// from version 2 on, every HLC and tombstone). Anything wrong with any row fails the
/// whole restore with the row and the reason, and nothing is written.
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
            "restore needs an empty database; this one already has data (restore into a \
             new database file, or delete this one first)",
        ));
    }
    let summary = if b.version >= 2 {
        crate::sync::restore_rows(garage, &b.rows)?
    } else {
        restore_v1(garage, b.vehicles)?
    };
    garage.store().write("restore.settings", |tx| {
        for (k, v) in b.settings.iter().filter(|(k, _)| !is_local_only(k)) {
            crate::store::meta_set(tx, k, v)?;
        }
        Ok(())
    })?;
    Ok(summary)
}

fn restore_v1(garage: &Garage, vehicles: Vec<VehicleBackup>) -> Result<BatchSummary> {
    let archived: Vec<String> = vehicles
        .iter()
        .filter(|v| v.vehicle.archived)
        .map(|v| v.vehicle.id.clone())
        .collect();
    let records = vehicles.into_iter().flat_map(records_of);
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
