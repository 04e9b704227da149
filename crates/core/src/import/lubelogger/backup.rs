//! LubeLogger's backup zip, as its Backup button writes it (`data/cartracker.db`, a LiteDB
//! v5 file; `config/userConfig.json`; `config/serverConfig.json`; `images/`,
//! `documents/`), and the zip of its "export from Postgres" page (`cartracker.db` at the
//! root). Layout and field names from hargata/lubelog: `FileHelper.MakeBackup`,
//! `MigrationController`, `Models/*`.
//!
//! - Vehicles, gas records (fuel), service, collision (repair) and upgrade records, tax
//!   records (service records of category "Tax"), odometer records, reminders (date,
//!   odometer or both; recurring by month or distance interval, custom thresholds).
//!   Tags are kept; extra fields go into the notes as "Name: value".
//! - Units: `UseMPG` (miles, US gallons; `UseUKMPG`: imperial gallons) or metric (km,
//!   litres); an `IsElectric` vehicle is in kWh. LubeLogger has no currency setting, so
//!   the user chooses it. A vehicle that counts engine hours (`UseHours`) is left out,
//!   said so (Glovebox's odometer is a distance).
//! - Money and quantities are .NET System.Decimal: decoded exactly (`bson::Decimal`).
//! - Dates: LubeLogger stores a date as local midnight of the server, converted to UTC. The
//!   server's zone is inferred from the stored times of day (a UTC instant at 06:00 is
//!   midnight at UTC-6; DST moves it by an hour, so each instant is rounded to the nearest
//!   local midnight), or given (`server_utc_offset_minutes`). Times near noon UTC fit two
//!   zones (UTC-11 and UTC+13): then the user must say.
//! - Never imported: password hashes, tokens, API keys, SMTP/OpenID/database settings.
//!   Attachments (record files, vehicle images) are listed, not imported yet. Supplies,
//!   plans, inspections, equipment and vehicle notes have no Glovebox equivalent yet and
//!   are listed as left out.

use std::collections::HashMap;
use std::io::{Read, Seek};

use chrono::{DateTime, Duration, NaiveDate};

use super::super::api::FormatId;
use super::super::common::{DateParts, Event, Item, ItemKind, ParseCtx, Sink, VehicleDraft};
use super::super::format::{Format, Head};
use super::super::{AttachmentRef, ImportError, LeftOut, Need, RowError, Source};
use super::bson::{Decimal, Document, Value};
use super::litedb::LiteDb;
use crate::reminders::{Schedule, Thresholds};
use crate::service::ServiceKind;
use crate::units::{DistanceUnit, EconomyUnit, FuelKind, VolumeUnit};

pub struct Backup;

impl Format for Backup {
    const NAME: FormatId = FormatId::LubeloggerBackup;
    const DATE_ORDER: Option<super::super::DateOrder> = Some(super::super::DateOrder::Ymd);
    const BINARY: bool = true;
    fn detect(head: &Head<'_>) -> u8 {
        if !head.is_zip() {
            0
        } else if contains(head.bytes, b"cartracker.db") {
            95
        } else {
            // Another zip: the data file may come after the first 64 KiB (images first).
            40
        }
    }
    fn parse(src: &dyn Source, ctx: &ParseCtx, sink: &mut Sink<'_>) -> Result<(), ImportError> {
        let backup = match src.path() {
            Some(p) => read_zip(std::fs::File::open(p)?)?,
            None => read_zip(std::io::Cursor::new(src.read_all(MAX_ZIP)?))?,
        };
        emit(&backup, ctx, sink)
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Bounds against a zip bomb or a mislabelled file.
const MAX_ZIP: u64 = 4 << 30;
const MAX_DB: u64 = 1 << 30;
const MAX_CONFIG: u64 = 16 << 20;

/// What the zip holds that the import reads.
struct Contents {
    db: Vec<u8>,
    user_config: Option<serde_json::Value>,
    server_config: Option<serde_json::Value>,
    /// Files under images/ and documents/.
    files: u64,
}

fn structure(reason: impl Into<String>) -> ImportError {
    ImportError::Structure {
        line: 1,
        reason: reason.into(),
    }
}

fn read_zip<R: Read + Seek>(r: R) -> Result<Contents, ImportError> {
    let mut zip =
        zip::ZipArchive::new(r).map_err(|e| structure(format!("not a readable zip file: {e}")))?;
    let names: Vec<String> = zip
        .file_names()
        .filter_map(|n| n.ok().map(|n| n.into_owned()))
        .collect();
    let norm = |n: &str| n.replace('\\', "/").trim_start_matches("./").to_owned();
    let find = |want: &[&str]| {
        names
            .iter()
            .find(|n| want.iter().any(|w| norm(n).eq_ignore_ascii_case(w)))
            .cloned()
    };
    let db_name = find(&["data/cartracker.db", "cartracker.db"])
        .ok_or_else(|| structure("the zip holds no data/cartracker.db: not a LubeLogger backup"))?;
    let mut read = |name: &str, limit: u64| -> Result<Vec<u8>, ImportError> {
        let f = zip
            .by_name(name)
            .map_err(|e| structure(format!("{name} in the zip: {e}")))?;
        if f.size() > limit {
            return Err(structure(format!("{name} is larger than {limit} bytes")));
        }
        let mut buf = Vec::with_capacity(f.size() as usize);
        f.take(limit)
            .read_to_end(&mut buf)
            .map_err(|e| structure(format!("{name} in the zip is damaged: {e}")))?;
        Ok(buf)
    };
    let db = read(&db_name, MAX_DB)?;
    let mut json = |want: &[&str]| -> Result<Option<serde_json::Value>, ImportError> {
        match find(want) {
            None => Ok(None),
            Some(n) => {
                let bytes = read(&n, MAX_CONFIG)?;
                let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&bytes);
                serde_json::from_slice(bytes)
                    .map(Some)
                    .map_err(|e| structure(format!("{n} is not valid JSON: {e}")))
            }
        }
    };
    let user_config = json(&["config/userConfig.json", "data/config/userConfig.json"])?;
    let server_config = json(&["config/serverConfig.json", "data/config/serverConfig.json"])?;
    let files = names
        .iter()
        .map(|n| norm(n))
        .filter(|n| (n.starts_with("images/") || n.starts_with("documents/")) && !n.ends_with('/'))
        .count() as u64;
    Ok(Contents {
        db,
        user_config,
        server_config,
        files,
    })
}

/// Units from the user config (config/userConfig.json, else the first user's record).
struct Settings {
    use_mpg: bool,
    use_uk_mpg: bool,
}

fn settings(c: &Contents, db: &LiteDb<'_>) -> Result<Settings, ImportError> {
    if let Some(j) = &c.user_config {
        let b = |k: &str| j.get(k).and_then(|v| v.as_bool()).unwrap_or(false);
        return Ok(Settings {
            use_mpg: b("UseMPG"),
            use_uk_mpg: b("UseUKMPG"),
        });
    }
    let users = db.documents("userconfigrecords").map_err(structure)?;
    let cfg = users.iter().find_map(|d| d.doc("UserConfig"));
    Ok(Settings {
        use_mpg: cfg.is_some_and(|c| c.bool("UseMPG")),
        use_uk_mpg: cfg.is_some_and(|c| c.bool("UseUKMPG")),
    })
}

/// Record collections, the kind they become, and their name for people.
const SERVICE_KINDS: [(&str, ServiceKind, &str); 3] = [
    ("servicerecords", ServiceKind::Service, "service"),
    ("collisionrecords", ServiceKind::Repair, "repair"),
    ("upgraderecords", ServiceKind::Upgrade, "upgrade"),
];

/// Collections with no Glovebox equivalent yet.
const NOT_YET: [(&str, &str); 6] = [
    ("supplyrecords", "supplies (parts inventory)"),
    ("planrecords", "planner items"),
    ("planrecordtemplates", "planner templates"),
    ("inspectionrecords", "inspections"),
    ("equipmentrecords", "equipment"),
    ("notes", "vehicle notes"),
];

fn emit(c: &Contents, ctx: &ParseCtx, sink: &mut Sink<'_>) -> Result<(), ImportError> {
    let db = LiteDb::open(&c.db).map_err(|e| structure(format!("data/cartracker.db: {e}")))?;
    let docs = |name: &str| db.documents(name).map_err(structure);
    let settings = settings(c, &db)?;
    secrets(c, &db, sink)?;

    // Which zone turned the server's local midnights into the stored UTC instants.
    let mut instants = Vec::new();
    let record_collections = [
        "gasrecords",
        "servicerecords",
        "collisionrecords",
        "upgraderecords",
        "taxrecords",
        "odometerrecords",
        "reminderrecords",
    ];
    let mut all: HashMap<&str, Vec<Document>> = HashMap::new();
    for name in record_collections {
        let d = docs(name)?;
        instants.extend(d.iter().filter_map(|d| ms(d, "Date")));
        all.insert(name, d);
    }
    let zone = Zone::infer(&instants, ctx.utc_offset_minutes);
    if let Some(n) = zone.need() {
        sink(Event::Need(n))?;
    }
    if let Some(w) = zone.describe() {
        sink(Event::Warning(w))?;
    }

    // Vehicles, in id order; records find theirs by LubeLogger id.
    let mut vehicles = docs("vehicles")?;
    vehicles.sort_by_key(|v| v.int("_id").unwrap_or(0));
    let mut index: HashMap<i64, usize> = HashMap::new();
    let mut hours = Vec::new();
    for v in &vehicles {
        let id = v.int("_id").unwrap_or(0);
        let name = vehicle_name(v);
        if v.bool("UseHours") {
            hours.push(name);
            continue;
        }
        let electric = v.bool("IsElectric");
        let mut d = VehicleDraft::named(name);
        d.make = v.str("Make").trim().to_owned();
        d.model = v.str("Model").trim().to_owned();
        d.year = v.int("Year").map(|y| y as i32).filter(|y| *y > 0);
        d.plate = v.str("LicensePlate").trim().to_owned();
        d.fuel_kind = Some(if electric {
            FuelKind::Electric
        } else if v.bool("IsDiesel") {
            FuelKind::Diesel
        } else {
            FuelKind::Petrol
        });
        let (du, vu, eu) = match (settings.use_mpg, settings.use_uk_mpg, electric) {
            (true, _, true) => (
                DistanceUnit::Mile,
                VolumeUnit::KilowattHour,
                EconomyUnit::MilesPerKwh,
            ),
            (false, _, true) => (
                DistanceUnit::Kilometre,
                VolumeUnit::KilowattHour,
                EconomyUnit::KwhPer100Km,
            ),
            (true, true, false) => (
                DistanceUnit::Mile,
                VolumeUnit::ImpGallon,
                EconomyUnit::MpgUk,
            ),
            (true, false, false) => (DistanceUnit::Mile, VolumeUnit::UsGallon, EconomyUnit::MpgUs),
            (false, _, false) => (
                DistanceUnit::Kilometre,
                VolumeUnit::Litre,
                EconomyUnit::LitresPer100Km,
            ),
        };
        (d.distance_unit, d.volume_unit, d.economy_unit) = (Some(du), Some(vu), Some(eu));
        if v.bool("HasOdometerAdjustment") {
            sink(Event::Warning(format!(
                "{}: LubeLogger applied an odometer adjustment (×{} {:+}); readings are imported as stored",
                d.name,
                v.str("OdometerMultiplier"),
                v.str("OdometerDifference").parse::<f64>().unwrap_or(0.0)
            )))?;
        }
        let image = v.str("ImageLocation");
        if !image.is_empty() && !image.starts_with("/defaults/") {
            sink(Event::Attachment(AttachmentRef {
                record: format!("vehicles #{id}"),
                name: "vehicle image".into(),
                location: image.to_owned(),
            }))?;
        }
        index.insert(id, index.len());
        sink(Event::Vehicle(d))?;
    }
    if !hours.is_empty() {
        sink(Event::LeftOut(LeftOut {
            what: format!("vehicles counting engine hours ({})", hours.join(", ")),
            count: hours.len() as u64,
            reason: "Glovebox's odometer is a distance (km or miles), not engine hours".into(),
        }))?;
        if index.is_empty() {
            return Err(ImportError::Refused {
                reason: format!(
                    "every vehicle in this backup counts engine hours ({}); Glovebox tracks distances only",
                    hours.join(", ")
                ),
            });
        }
    }
    if index.is_empty() {
        return Err(structure("the backup holds no vehicles"));
    }

    let mut line = 0u64;
    let mut emit_item = |coll: &str,
                         d: &Document,
                         sink: &mut Sink<'_>,
                         f: &mut dyn FnMut(&Document, DateParts) -> Result<ItemKind, String>|
     -> Result<(), ImportError> {
        line += 1;
        let rid = d.int("_id").unwrap_or(0);
        let location = format!("{coll} #{rid}");
        for file in d.array("Files") {
            if let Value::Document(fd) = file {
                sink(Event::Attachment(AttachmentRef {
                    record: location.clone(),
                    name: fd.str("Name").to_owned(),
                    location: fd.str("Location").to_owned(),
                }))?;
            }
        }
        let Some(&vehicle) = d.int("VehicleId").and_then(|v| index.get(&v)) else {
            // A record of a left-out (engine-hours) or missing vehicle.
            return Ok(());
        };
        let bad = |reason: String, column: Option<&str>| RowError {
            line,
            column: column.map(str::to_owned),
            reason,
            location: Some(location.clone()),
        };
        let date = match ms(d, "Date") {
            Some(t) => zone.local_date(t),
            None => None,
        };
        let Some(date) = date else {
            return sink(Event::Bad(bad("has no valid date".into(), Some("Date"))));
        };
        match f(d, date) {
            Ok(kind) => sink(Event::Item(Item {
                line,
                vehicle,
                kind,
                location: Some(location.clone()),
            })),
            Err(reason) => sink(Event::Bad(bad(reason, None))),
        }
    };
    let money = |d: &Document, key: &str| -> Result<i64, String> {
        match d.decimal(key) {
            None => Ok(0),
            Some(v) => v
                .to_minor(ctx.money_digits)
                .map(|(m, _)| m)
                .ok_or_else(|| format!("{key} {v} is out of range")),
        }
    };

    for d in &all["gasrecords"] {
        emit_item("gasrecords", d, sink, &mut |d, date| {
            Ok(ItemKind::Fuel {
                date,
                odometer: d.int("Mileage").unwrap_or(0) as f64,
                quantity: d.decimal("Gallons").map(Decimal::to_f64).unwrap_or(0.0),
                cost_minor: money(d, "Cost")?,
                full: !matches!(d.get("IsFillToFull"), Some(Value::Bool(false))),
                missed: d.bool("MissedFuelUp"),
                station: String::new(),
                notes: notes(d, "Notes"),
                tags: tags(d),
                economy: None,
                trip: None,
            })
        })?;
    }
    for (coll, kind, _) in SERVICE_KINDS {
        for d in &all[coll] {
            emit_item(coll, d, sink, &mut |d, date| {
                Ok(ItemKind::Service {
                    kind,
                    date,
                    odometer: d.int("Mileage").filter(|m| *m > 0).map(|m| m as f64),
                    title: title(d),
                    category: String::new(),
                    cost_minor: money(d, "Cost")?,
                    notes: notes(d, "Notes"),
                    tags: tags(d),
                })
            })?;
        }
    }
    for d in &all["taxrecords"] {
        emit_item("taxrecords", d, sink, &mut |d, date| {
            let mut n = notes(d, "Notes");
            if d.bool("IsRecurring") {
                let every = month_interval(d, "RecurringInterval")
                    .map(|m| format!("every {m} month(s)"))
                    .unwrap_or_else(|| "recurring".into());
                push_line(&mut n, &format!("Recurring in LubeLogger: {every}"));
            }
            Ok(ItemKind::Service {
                kind: ServiceKind::Service,
                date,
                odometer: None,
                title: title(d),
                category: "Tax".into(),
                cost_minor: money(d, "Cost")?,
                notes: n,
                tags: tags(d),
            })
        })?;
    }
    for d in &all["odometerrecords"] {
        emit_item("odometerrecords", d, sink, &mut |d, date| {
            Ok(ItemKind::Odometer {
                date,
                odometer: d.int("Mileage").unwrap_or(0) as f64,
                notes: notes(d, "Notes"),
            })
        })?;
    }
    for d in &all["reminderrecords"] {
        emit_item("reminderrecords", d, sink, &mut |d, date| reminder(d, date))?;
    }

    for (coll, what) in NOT_YET {
        let n = docs(coll)?.len() as u64;
        if n > 0 {
            sink(Event::LeftOut(LeftOut {
                what: what.into(),
                count: n,
                reason: "Glovebox has no place for these yet".into(),
            }))?;
        }
    }
    if c.files > 0 {
        sink(Event::Warning(format!(
            "the zip holds {} attached file(s) (images, documents): not imported yet",
            c.files
        )))?;
    }
    Ok(())
}

/// What the backup holds that must never be imported; the summary says it was left out.
fn secrets(c: &Contents, db: &LiteDb<'_>, sink: &mut Sink<'_>) -> Result<(), ImportError> {
    let mut left = |what: &str, count: u64| -> Result<(), ImportError> {
        if count == 0 {
            return Ok(());
        }
        sink(Event::LeftOut(LeftOut {
            what: what.into(),
            count,
            reason: "secrets are never imported".into(),
        }))
    };
    let users = db.documents("userrecords").map_err(structure)?.len() as u64;
    let root = c
        .user_config
        .as_ref()
        .is_some_and(|j| j.get("UserPasswordHash").is_some_and(|v| !v.is_null()));
    left("user accounts and password hashes", users + root as u64)?;
    left(
        "login tokens",
        db.documents("tokenrecords").map_err(structure)?.len() as u64,
    )?;
    left(
        "API keys",
        db.documents("apikeyrecords").map_err(structure)?.len() as u64,
    )?;
    if let Some(s) = &c.server_config {
        let keys = s.as_object().map(|o| o.len()).unwrap_or(0) as u64;
        left(
            "server settings (SMTP, OpenID Connect, database connection)",
            keys.max(1),
        )?;
    }
    Ok(())
}

fn ms(d: &Document, key: &str) -> Option<i64> {
    match d.get(key)? {
        Value::DateTime(t) => Some(*t),
        _ => None,
    }
}

/// How stored UTC instants become local dates.
///
/// A date-only record written on a server at UTC-6 is stored as 06:00 UTC: such times of
/// day tell the server's zone (two offsets an hour apart: daylight saving). Records at
/// exactly 00:00 UTC are weak evidence (a date handled as UTC anywhere looks like that),
/// so a zone seen in other records wins, and they are read in it, as LubeLogger itself
/// shows them on that server (LubeLogger's own demo: fill-ups at 00:00 UTC, their
/// auto-inserted odometer records at 06:00/07:00 UTC, the same local day in Denver).
struct Zone {
    /// The server's offsets in minutes (one, or two an hour apart), most common first.
    offsets: Vec<i32>,
    /// Given by the user (else inferred).
    given: bool,
    /// A time of day that fits a zone west of UTC-10 and one east of UTC+10.
    ambiguous: Option<i32>,
    /// Records whose times tell the zone.
    evidence: u64,
}

const DAY_MIN: i32 = 24 * 60;

/// The offset at which a UTC time of day is local midnight (within UTC-12..UTC+12).
fn offset_of(minute_of_day: i32) -> i32 {
    if minute_of_day < 12 * 60 {
        -minute_of_day
    } else {
        DAY_MIN - minute_of_day
    }
}

impl Zone {
    fn infer(instants: &[i64], given: Option<i32>) -> Zone {
        if let Some(o) = given {
            return Zone {
                offsets: vec![o, o + 60, o - 60],
                given: true,
                ambiguous: None,
                evidence: 0,
            };
        }
        let mut seen: HashMap<i32, u64> = HashMap::new();
        for &t in instants {
            let m = (t.rem_euclid(86_400_000) / 60_000) as i32;
            if m != 0 {
                *seen.entry(m).or_default() += 1;
            }
        }
        let mut seen: Vec<(i32, u64)> = seen.into_iter().collect();
        seen.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let ambiguous = seen
            .iter()
            .map(|(m, _)| *m)
            .find(|m| (10 * 60..=14 * 60).contains(m));
        let Some(&(main, _)) = seen.first() else {
            return Zone {
                offsets: vec![0],
                given: false,
                ambiguous: None,
                evidence: 0,
            };
        };
        let main = offset_of(main);
        let mut offsets = vec![main];
        let mut evidence = 0;
        for (m, n) in &seen {
            let o = offset_of(*m);
            if (o - main).abs() <= 60 {
                evidence += n;
                if !offsets.contains(&o) {
                    offsets.push(o);
                }
            }
        }
        Zone {
            offsets,
            given: false,
            ambiguous,
            evidence,
        }
    }

    fn need(&self) -> Option<Need> {
        let m = self.ambiguous?;
        Some(Need::ServerUtcOffset {
            candidates: vec![-m, DAY_MIN - m],
        })
    }

    fn describe(&self) -> Option<String> {
        let list = |offsets: &[i32]| {
            offsets
                .iter()
                .map(|o| format!("UTC{}", super::super::format_offset(*o)))
                .collect::<Vec<_>>()
                .join("/")
        };
        if self.given {
            return Some(format!(
                "dates read in the server's zone, UTC{}",
                super::super::format_offset(self.offsets[0])
            ));
        }
        (self.offsets != [0]).then(|| {
            format!(
                "dates read in the server's zone, {} (inferred from {} record(s) stored as local midnight there)",
                list(&self.offsets),
                self.evidence
            )
        })
    }

    /// The local date of a stored instant: the offset that makes it a local midnight, else
    /// the server's main offset.
    fn local_date(&self, ms: i64) -> Option<DateParts> {
        let t = DateTime::from_timestamp_millis(ms)?.naive_utc();
        // .NET DateTime.MinValue/MaxValue: "no date".
        if t.date() <= NaiveDate::from_ymd_opt(1, 1, 2)? || chrono::Datelike::year(&t) >= 9999 {
            return None;
        }
        let shifted = |o: i32| t + Duration::minutes(o as i64);
        let local = self
            .offsets
            .iter()
            .map(|&o| shifted(o))
            .find(|l| l.time() == chrono::NaiveTime::MIN)
            .unwrap_or_else(|| shifted(self.offsets[0]));
        let d = local.date();
        Some(DateParts {
            year_first: true,
            a: chrono::Datelike::year(&d) as u32,
            b: chrono::Datelike::month(&d),
            c: chrono::Datelike::day(&d),
            time: chrono::NaiveTime::MIN,
        })
    }
}

/// LubeLogger vehicles have no name: "1992 Jeep Cherokee", else the plate.
fn vehicle_name(v: &Document) -> String {
    let parts: Vec<String> = [
        v.int("Year").filter(|y| *y > 0).map(|y| y.to_string()),
        Some(v.str("Make").trim().to_owned()),
        Some(v.str("Model").trim().to_owned()),
    ]
    .into_iter()
    .flatten()
    .filter(|s| !s.is_empty())
    .collect();
    match (parts.is_empty(), v.str("LicensePlate").trim()) {
        (false, _) => parts.join(" "),
        (true, "") => format!("LubeLogger vehicle {}", v.int("_id").unwrap_or(0)),
        (true, plate) => plate.to_owned(),
    }
}

fn title(d: &Document) -> String {
    match d.str("Description").trim() {
        "" => "(no description)".into(),
        t => t.to_owned(),
    }
}

fn push_line(s: &mut String, line: &str) {
    if !s.is_empty() {
        s.push('\n');
    }
    s.push_str(line);
}

/// The record's notes, with its extra fields appended ("Name: value").
fn notes(d: &Document, key: &str) -> String {
    let mut n = d.str(key).replace("\r\n", "\n");
    for f in d.array("ExtraFields") {
        if let Value::Document(f) = f {
            let (name, value) = (f.str("Name").trim(), f.str("Value").trim());
            if !value.is_empty() {
                push_line(&mut n, &format!("{name}: {value}"));
            }
        }
    }
    n
}

fn tags(d: &Document) -> Vec<String> {
    d.array("Tags")
        .iter()
        .filter_map(|t| match t {
            Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
            _ => None,
        })
        .collect()
}

/// An enum stored by name (LiteDB's default) or by number.
fn enum_value(d: &Document, key: &str, names: &[(&str, i64)]) -> Option<i64> {
    match d.get(key)? {
        Value::String(s) => names.iter().find(|(n, _)| n == s).map(|(_, v)| *v),
        _ => d.int(key),
    }
}

/// `ReminderMonthInterval`: months; `Other` is the custom interval (in months or days).
fn month_interval(d: &Document, key: &str) -> Option<u32> {
    const NAMES: &[(&str, i64)] = &[
        ("Other", 0),
        ("OneMonth", 1),
        ("ThreeMonths", 3),
        ("SixMonths", 6),
        ("OneYear", 12),
        ("TwoYears", 24),
        ("ThreeYears", 36),
        ("FiveYears", 60),
    ];
    match enum_value(d, key, NAMES)? {
        0 => {
            let n = d.int("CustomMonthInterval").filter(|n| *n > 0)?;
            let days = matches!(d.get("CustomMonthIntervalUnit"), Some(Value::String(s)) if s == "Days")
                || d.int("CustomMonthIntervalUnit") == Some(2);
            // Glovebox recurs by months: days become the nearest whole month (at least 1).
            Some(if days {
                ((n as f64 / 30.44).round() as u32).max(1)
            } else {
                n as u32
            })
        }
        m => u32::try_from(m).ok().filter(|m| *m > 0),
    }
}

fn reminder(d: &Document, date: DateParts) -> Result<ItemKind, String> {
    const METRIC: &[(&str, i64)] = &[("Date", 0), ("Odometer", 1), ("Both", 2)];
    let metric = enum_value(d, "Metric", METRIC).unwrap_or(0);
    let by_date = metric != 1;
    let by_odo = metric != 0;
    let recurring = d.bool("IsRecurring");
    let recur_months = (recurring && by_date)
        .then(|| month_interval(d, "ReminderMonthInterval"))
        .flatten();
    let recur_distance = if recurring && by_odo {
        const MILES: &[(&str, i64)] = &[
            ("Other", 0),
            ("FiftyMiles", 50),
            ("OneHundredMiles", 100),
            ("FiveHundredMiles", 500),
            ("OneThousandMiles", 1000),
            ("ThreeThousandMiles", 3000),
            ("FourThousandMiles", 4000),
            ("FiveThousandMiles", 5000),
            ("SevenThousandFiveHundredMiles", 7500),
            ("TenThousandMiles", 10000),
            ("FifteenThousandMiles", 15000),
            ("TwentyThousandMiles", 20000),
            ("ThirtyThousandMiles", 30000),
            ("FortyThousandMiles", 40000),
            ("FiftyThousandMiles", 50000),
            ("SixtyThousandMiles", 60000),
            ("OneHundredThousandMiles", 100000),
            ("OneHundredFiftyThousandMiles", 150000),
        ];
        match enum_value(d, "ReminderMileageInterval", MILES) {
            Some(0) => d.int("CustomMileageInterval").filter(|n| *n > 0),
            v => v,
        }
        .map(|v| v as f64)
    } else {
        None
    };
    let thresholds = match (d.bool("UseCustomThresholds"), d.doc("CustomThresholds")) {
        (true, Some(t)) => Thresholds {
            urgent_days: t.int("UrgentDays"),
            very_urgent_days: t.int("VeryUrgentDays"),
            urgent_distance: t.int("UrgentDistance").map(|v| v as f64),
            very_urgent_distance: t.int("VeryUrgentDistance").map(|v| v as f64),
        },
        _ => Thresholds::default(),
    };
    Ok(ItemKind::Reminder {
        title: title(d),
        notes: notes(d, "Notes"),
        due: by_date.then_some(date),
        due_plus_months: 0,
        due_odometer: by_odo
            .then(|| d.int("Mileage").filter(|m| *m > 0).map(|m| m as f64))
            .flatten(),
        recur_months,
        recur_distance,
        schedule: if d.bool("FixedIntervals") {
            Schedule::Fixed
        } else {
            Schedule::FromCompletion
        },
        thresholds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> i64 {
        chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M")
            .unwrap()
            .and_utc()
            .timestamp_millis()
    }

    fn ymd(p: DateParts) -> String {
        format!("{}-{:02}-{:02}", p.a, p.b, p.c)
    }

    #[test]
    fn stored_midnights_become_local_dates() {
        // Denver: 06:00 UTC in summer (MDT), 07:00 in winter (MST): both midnight there.
        let z = Zone::infer(
            &[
                at("2020-05-07 06:00"),
                at("2020-12-01 07:00"),
                at("2020-05-08 00:00"),
            ],
            None,
        );
        assert!(z.need().is_none());
        assert_eq!(
            ymd(z.local_date(at("2020-05-07 06:00")).unwrap()),
            "2020-05-07"
        );
        assert_eq!(
            ymd(z.local_date(at("2020-12-01 07:00")).unwrap()),
            "2020-12-01"
        );
        // 00:00 UTC is 18:00 the day before in Denver, as LubeLogger shows it there.
        assert_eq!(
            ymd(z.local_date(at("2020-05-08 00:00")).unwrap()),
            "2020-05-07"
        );
        // Berlin: 22:00 / 23:00 UTC the day before.
        let z = Zone::infer(&[at("2024-06-30 22:00")], None);
        assert_eq!(
            ymd(z.local_date(at("2024-06-30 22:00")).unwrap()),
            "2024-07-01"
        );
        assert!(
            z.describe().unwrap().contains("UTC+02:00"),
            "{:?}",
            z.describe()
        );
        // Only UTC midnights: a UTC server.
        let z = Zone::infer(&[at("2024-03-01 00:00")], None);
        assert_eq!(
            ymd(z.local_date(at("2024-03-01 00:00")).unwrap()),
            "2024-03-01"
        );
        assert!(z.describe().is_none());
        // Auckland in summer (UTC+13): 11:00 UTC the day before, also UTC-11's midnight.
        let z = Zone::infer(&[at("2024-01-09 11:00")], None);
        assert_eq!(
            z.need(),
            Some(Need::ServerUtcOffset {
                candidates: vec![-660, 780]
            })
        );
        let z = Zone::infer(&[at("2024-01-09 11:00")], Some(780));
        assert!(z.need().is_none());
        assert_eq!(
            ymd(z.local_date(at("2024-01-09 11:00")).unwrap()),
            "2024-01-10"
        );
        // In winter (NZST, UTC+12) the same server stores 12:00: a DST hour away.
        assert_eq!(
            ymd(z.local_date(at("2024-06-09 12:00")).unwrap()),
            "2024-06-10"
        );
        // DateTime.MinValue is no date.
        assert!(z.local_date(-62_135_596_800_000).is_none());
    }
}
