//! The import API the shells render: options in, one report out (preview or summary).
//!
//! Every type here is serde + ts-rs: the desktop wizard builds [`ImportOptions`] from the
//! user's choices, calls `preview` until `needs` is empty, then `commit`. Fields are only
//! ever added (with `#[serde(default)]`), never renamed.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use crate::events::RecordKind;
use crate::units::{Currency, DistanceUnit, EconomyUnit, FuelKind, VolumeUnit};

/// The file formats Glovebox reads. LubeLogger CSVs are one file per record kind; its
/// backup is a zip of its whole database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum FormatId {
    LubeloggerBackup,
    LubeloggerFuel,
    LubeloggerService,
    LubeloggerRepair,
    LubeloggerUpgrade,
    LubeloggerTax,
    LubeloggerOdometer,
    Fuelly,
    Fuelio,
    Drivvo,
    Hammond,
}

impl FormatId {
    pub const ALL: [FormatId; 11] = [
        FormatId::LubeloggerBackup,
        FormatId::LubeloggerFuel,
        FormatId::LubeloggerService,
        FormatId::LubeloggerRepair,
        FormatId::LubeloggerUpgrade,
        FormatId::LubeloggerTax,
        FormatId::LubeloggerOdometer,
        FormatId::Fuelly,
        FormatId::Fuelio,
        FormatId::Drivvo,
        FormatId::Hammond,
    ];

    pub fn code(self) -> &'static str {
        match self {
            FormatId::LubeloggerBackup => "lubelogger-backup",
            FormatId::LubeloggerFuel => "lubelogger-fuel",
            FormatId::LubeloggerService => "lubelogger-service",
            FormatId::LubeloggerRepair => "lubelogger-repair",
            FormatId::LubeloggerUpgrade => "lubelogger-upgrade",
            FormatId::LubeloggerTax => "lubelogger-tax",
            FormatId::LubeloggerOdometer => "lubelogger-odometer",
            FormatId::Fuelly => "fuelly",
            FormatId::Fuelio => "fuelio",
            FormatId::Drivvo => "drivvo",
            FormatId::Hammond => "hammond",
        }
    }

    /// A name for people ("LubeLogger fuel CSV").
    pub fn label(self) -> &'static str {
        match self {
            FormatId::LubeloggerBackup => "LubeLogger backup (.zip)",
            FormatId::LubeloggerFuel => "LubeLogger fuel CSV",
            FormatId::LubeloggerService => "LubeLogger service CSV",
            FormatId::LubeloggerRepair => "LubeLogger repair CSV",
            FormatId::LubeloggerUpgrade => "LubeLogger upgrade CSV",
            FormatId::LubeloggerTax => "LubeLogger tax CSV",
            FormatId::LubeloggerOdometer => "LubeLogger odometer CSV",
            FormatId::Fuelly => "Fuelly CSV",
            FormatId::Fuelio => "Fuelio backup CSV",
            FormatId::Drivvo => "Drivvo CSV",
            FormatId::Hammond => "Hammond database (hammond.db)",
        }
    }
}

impl fmt::Display for FormatId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for FormatId {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        let s = s.trim().to_ascii_lowercase();
        if s == "lubelogger" {
            return Ok(FormatId::LubeloggerFuel);
        }
        FormatId::ALL
            .into_iter()
            .find(|f| f.code() == s)
            .ok_or_else(|| {
                let all: Vec<_> = FormatId::ALL.iter().map(|f| f.code()).collect();
                format!("unknown format {s:?}; one of {}", all.join(", "))
            })
    }
}

/// One format's guess at a file: 0 (certainly not) to 100 (certainly).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Detected {
    pub format: FormatId,
    pub confidence: u8,
}

/// How to read dates such as 01/02/2024.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum DateOrder {
    Dmy,
    Mdy,
    Ymd,
}

impl FromStr for DateOrder {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "dmy" => Ok(DateOrder::Dmy),
            "mdy" => Ok(DateOrder::Mdy),
            "ymd" => Ok(DateOrder::Ymd),
            _ => Err(format!("date format must be dmy, mdy or ymd, not {s:?}")),
        }
    }
}

/// What the user decided about one file vehicle (keyed by its name in the file, as
/// [`TargetVehicle::source_name`] reports it). Unset fields fall back to the options'
/// defaults, then to what the file says.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct VehicleChoice {
    pub source_name: String,
    /// Import into this existing vehicle.
    #[serde(default)]
    pub existing_id: Option<String>,
    /// Name of the new vehicle (default: the file's name).
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub distance_unit: Option<DistanceUnit>,
    #[serde(default)]
    pub volume_unit: Option<VolumeUnit>,
    #[serde(default)]
    pub economy_unit: Option<EconomyUnit>,
    #[serde(default)]
    pub currency: Option<Currency>,
    /// Leave this vehicle's rows out.
    #[serde(default)]
    pub skip: bool,
}

/// What to do with a row whose odometer reading the typo guard flagged.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum OdometerAction {
    /// Leave the row out.
    Skip,
    /// Import it as written (the reading is right, e.g. a replaced odometer).
    Confirm,
    /// Import it with this reading instead (in the file's distance unit).
    Fix { odometer: f64 },
}

/// A decision for one flagged row, by its line ([`OdometerFlag::line`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct OdometerDecision {
    pub line: u64,
    #[serde(flatten)]
    pub action: OdometerAction,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ImportOptions {
    /// Skip auto-detection (the preview's `detected` lists the alternatives).
    #[serde(default)]
    pub format: Option<FormatId>,
    /// Import into this vehicle (an existing one by name, or a new one of that name). For a
    /// file with several vehicles, picks the one of that name.
    #[serde(default)]
    pub vehicle: Option<String>,
    /// Required when every date could be read day-first and month-first.
    #[serde(default)]
    pub date_format: Option<DateOrder>,
    /// Import the good rows and report the bad ones, instead of importing nothing.
    #[serde(default)]
    pub skip_bad_rows: bool,
    /// Currency of new vehicles whose choice does not say (files rarely do).
    #[serde(default)]
    pub currency: Option<Currency>,
    /// Units of new vehicles whose choice does not say. Required for files that carry no
    /// units (LubeLogger CSVs, Drivvo).
    #[serde(default)]
    pub distance_unit: Option<DistanceUnit>,
    #[serde(default)]
    pub volume_unit: Option<VolumeUnit>,
    #[serde(default)]
    pub economy_unit: Option<EconomyUnit>,
    /// Per file vehicle: target, units, currency.
    #[serde(default)]
    pub vehicles: Vec<VehicleChoice>,
    /// Per flagged odometer row: skip, confirm or fix.
    #[serde(default)]
    pub odometer: Vec<OdometerDecision>,
    /// For flagged rows without their own decision (`Skip` or `Confirm`).
    #[serde(default)]
    pub odometer_default: Option<OdometerAction>,
    /// LubeLogger backup: the server's UTC offset in minutes (e.g. -360 for UTC-6), for
    /// turning its stored UTC instants back into local dates. Inferred when not given.
    #[serde(default)]
    pub server_utc_offset_minutes: Option<i32>,
    /// Fuelio: which tank's fills to import for a two-tank vehicle (1 or 2, default 1).
    #[serde(default)]
    pub tank: Option<u8>,
    /// Rows the preview shows (default 20).
    #[serde(default)]
    pub preview_rows: Option<u32>,
}

/// A row that could not be imported, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RowError {
    /// Line in the file (for a database backup: the record's number, see `location`).
    pub line: u64,
    pub column: Option<String>,
    pub reason: String,
    /// Where the row is when lines do not say (a backup: "gasrecords #12").
    #[serde(default)]
    pub location: Option<String>,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.location {
            Some(l) => write!(f, "{l}")?,
            None => write!(f, "line {}", self.line)?,
        }
        match &self.column {
            Some(c) => write!(f, ", column {c}: {}", self.reason),
            None => write!(f, ": {}", self.reason),
        }
    }
}

/// Where a value shown for a new vehicle came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Origin {
    /// The file says.
    File,
    /// The user chose (options).
    Chosen,
    /// The existing vehicle's.
    Existing,
    /// Nobody said: the user must choose before committing (the value shown, if any, is a
    /// placeholder used only to check the rows).
    NeedsChoice,
}

/// Where the rows of one file vehicle go.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TargetVehicle {
    /// The vehicle's name in the file (or the chosen/derived name when the file has none).
    /// This is the key of [`VehicleChoice::source_name`].
    pub source_name: String,
    pub name: String,
    /// Set when an existing vehicle receives the rows.
    pub existing_id: Option<String>,
    /// Set once committed: the id of the vehicle created or used.
    #[serde(default)]
    pub vehicle_id: Option<String>,
    pub make: String,
    pub model: String,
    pub year: Option<i32>,
    pub fuel_kind: Option<FuelKind>,
    /// `None` when it needs a choice (see `*_from`).
    pub distance_unit: Option<DistanceUnit>,
    pub volume_unit: Option<VolumeUnit>,
    pub economy_unit: Option<EconomyUnit>,
    pub currency: Option<Currency>,
    pub distance_unit_from: Origin,
    pub volume_unit_from: Origin,
    pub currency_from: Origin,
    /// The file's units, when it says; values are converted when they differ.
    pub file_distance_unit: Option<DistanceUnit>,
    pub file_volume_unit: Option<VolumeUnit>,
    /// False when left out (`vehicle` picked another one, or its choice says skip).
    pub included: bool,
    /// Records of this vehicle that are new.
    pub records: Counts,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Counts {
    pub vehicles: u64,
    pub fuel: u64,
    /// Service records of every kind (service, repair, upgrade, tax), split below.
    pub service: u64,
    pub odometer: u64,
    pub reminders: u64,
    /// Of `service`: repairs, upgrades, and taxes (service records of category "Tax").
    #[serde(default)]
    pub repair: u64,
    #[serde(default)]
    pub upgrade: u64,
    #[serde(default)]
    pub tax: u64,
}

impl Counts {
    /// Records of every table (repair/upgrade/tax are part of `service`).
    pub fn total(&self) -> u64 {
        self.vehicles + self.fuel + self.service + self.odometer + self.reminders
    }
}

/// A parsed row as it will be written, for the preview table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PreviewRow {
    pub line: u64,
    pub kind: RecordKind,
    pub vehicle: String,
    pub date: NaiveDateTime,
    pub odometer: Option<f64>,
    pub quantity: Option<f64>,
    pub cost_minor: i64,
    pub is_full: Option<bool>,
    pub missed_previous: Option<bool>,
    /// Title (service, reminder) or notes.
    pub text: String,
}

/// How the file's dates were read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DateInfo {
    /// The order used; `None` when it needs a choice (rows were checked day-first).
    pub order: Option<DateOrder>,
    /// Some date reads both day-first and month-first (01/02/2024).
    pub ambiguous: bool,
    /// The row that settles the order (13/02/2024 is only day-first), when one does.
    pub settled_by: Option<DateEvidenceRow>,
    /// Dates with the year last, the only ones whose order can be in doubt.
    pub year_last_rows: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DateEvidenceRow {
    pub line: u64,
    pub text: String,
}

/// A row the odometer typo guard flagged (lower than an earlier reading, higher than a
/// later one, or an implausible jump): the user skips, fixes or confirms it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct OdometerFlag {
    pub line: u64,
    #[serde(default)]
    pub location: Option<String>,
    pub vehicle: String,
    pub kind: RecordKind,
    pub date: NaiveDateTime,
    /// As written in the file (file's unit).
    pub odometer: f64,
    pub reason: String,
    /// The decision applied, if any (`None`: commit refuses until one is given).
    pub action: Option<OdometerAction>,
}

/// A row already in the database (or earlier in the file), not written again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DuplicateRow {
    pub line: u64,
    pub kind: RecordKind,
    pub vehicle: String,
    pub date: NaiveDateTime,
    /// Title or notes, to tell the row.
    pub text: String,
}

/// Something in the file that was deliberately not imported, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LeftOut {
    pub what: String,
    pub count: u64,
    pub reason: String,
}

/// A file attached to a record in the source app; not imported yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AttachmentRef {
    /// The record it belongs to ("gasrecords #12", "vehicles #1").
    pub record: String,
    pub name: String,
    pub location: String,
}

/// What must be chosen before `commit` can run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "need", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Need {
    /// Every date reads both ways: set `date_format`.
    DateOrder,
    /// Units or currency of a new vehicle: set them in `vehicles` (or the defaults).
    Units {
        source_name: String,
        fields: Vec<String>,
    },
    /// Flagged odometer rows without a decision: set `odometer` (or `odometer_default`).
    OdometerDecisions { lines: Vec<u64> },
    /// A LubeLogger backup whose stored times do not tell the server's zone: set
    /// `server_utc_offset_minutes`.
    ServerUtcOffset { candidates: Vec<i32> },
}

/// Checking (first pass over the rows) or checking and writing (commit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Phase {
    Scanning,
    Importing,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Progress {
    pub phase: Phase,
    pub done: u64,
    /// Unknown (0) during the scan, which is what counts the rows.
    pub total: u64,
}

/// What an import would do (preview) or did (commit), in one value the wizard renders.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ImportReport {
    pub format: FormatId,
    /// Every format's guess, best first (re-run with `format` to choose another).
    pub detected: Vec<Detected>,
    pub dates: DateInfo,
    pub vehicles: Vec<TargetVehicle>,
    /// Data rows read (not counting headers, section markers and blank lines).
    pub rows: u64,
    /// Records new to the database (preview: would be written; commit: were written).
    pub new_records: Counts,
    /// Rows already in the database (or earlier in the file), not written again.
    pub duplicates: u64,
    /// The first duplicates, to show.
    pub duplicate_rows: Vec<DuplicateRow>,
    /// Every bad row with line, column and reason (the first 10,000; all are counted).
    pub bad_rows: Vec<RowError>,
    pub bad_row_count: u64,
    /// True when bad rows were skipped and the rest imported.
    pub skipped_bad_rows: bool,
    pub first_rows: Vec<PreviewRow>,
    /// Odometer readings the typo guard flagged, with the decision applied.
    pub odometer_flags: Vec<OdometerFlag>,
    /// Rows whose economy in the file differs from Glovebox's by more than 1%.
    pub economy_mismatches: Vec<super::EconomyMismatch>,
    /// What was deliberately not imported (secrets, kinds Glovebox has no place for yet).
    pub left_out: Vec<LeftOut>,
    /// Attachments in the source: not imported yet.
    pub attachments: Vec<AttachmentRef>,
    /// Choices `commit` needs first; empty when it can run.
    pub needs: Vec<Need>,
    pub warnings: Vec<String>,
    /// False for a preview.
    pub committed: bool,
}

impl ImportReport {
    /// Ids of the vehicles the commit created.
    pub fn created_vehicle_ids(&self) -> Vec<String> {
        self.vehicles
            .iter()
            .filter(|v| v.existing_id.is_none() && v.records.vehicles > 0)
            .filter_map(|v| v.vehicle_id.clone())
            .collect()
    }
}
