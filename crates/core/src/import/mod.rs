//! Importing other apps' exports (LubeLogger, Fuelly, Fuelio, Drivvo) through the one
//! write path.
//!
//! An import reads its file in two streamed passes, so memory does not grow with the file
//! (beyond an 8-byte content hash per row for duplicate detection and, when the file
//! carries its own economy figures, a small per-fill-up record for the cross-check):
//! 1. *scan*: which vehicles the file holds and how its dates are written, so the
//!    day/month order is decided over all rows, never guessed from the first one;
//! 2. *check* (preview) or *check and write* (commit): every row is converted, validated
//!    exactly as the write path will, de-duplicated against the database and the file,
//!    and — when committing — streamed into one `Garage::try_write_batch` transaction.
//!    A bad row (unless the user chose to skip bad rows) or a cancel rolls it all back.
//!
//! ```no_run
//! # use glovebox_core::{Garage, import::{self, ImportOptions}};
//! # fn f(garage: &Garage) -> glovebox_core::Result<()> {
//! let opts = ImportOptions::default();
//! let preview = import::preview(garage, "fuel.csv".as_ref(), &opts)?;
//! let cancel = std::sync::atomic::AtomicBool::new(false);
//! let report = import::commit(garage, "fuel.csv".as_ref(), &opts, &|_p| {}, &cancel)?;
//! # Ok(()) }
//! ```

mod check;
mod checker;
pub mod common;
mod dates;
mod drivvo;
mod fuelio;
mod fuelly;
mod lubelogger;
mod pipeline;
mod targets;

use std::fmt;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::str::FromStr;
use std::sync::atomic::AtomicBool;

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

pub use check::EconomyMismatch;
pub use common::VehicleDraft;

use crate::error::{Error, Result};
use crate::events::RecordKind;
use crate::units::{Currency, DistanceUnit, VolumeUnit};
use crate::Garage;

/// The file formats Glovebox reads. LubeLogger exports one file per record kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    LubeloggerFuel,
    LubeloggerService,
    LubeloggerRepair,
    LubeloggerUpgrade,
    LubeloggerOdometer,
    Fuelly,
    Fuelio,
    Drivvo,
}

impl Format {
    pub const ALL: [Format; 8] = [
        Format::LubeloggerFuel,
        Format::LubeloggerService,
        Format::LubeloggerRepair,
        Format::LubeloggerUpgrade,
        Format::LubeloggerOdometer,
        Format::Fuelly,
        Format::Fuelio,
        Format::Drivvo,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Format::LubeloggerFuel => "lubelogger-fuel",
            Format::LubeloggerService => "lubelogger-service",
            Format::LubeloggerRepair => "lubelogger-repair",
            Format::LubeloggerUpgrade => "lubelogger-upgrade",
            Format::LubeloggerOdometer => "lubelogger-odometer",
            Format::Fuelly => "fuelly",
            Format::Fuelio => "fuelio",
            Format::Drivvo => "drivvo",
        }
    }

    /// The day/month order the format always uses, if it has one.
    fn fixed_date_order(self) -> Option<DateOrder> {
        match self {
            // Fuelly's web export writes MM/DD/YYYY whatever the account's locale.
            Format::Fuelly => Some(DateOrder::Mdy),
            Format::Fuelio => Some(DateOrder::Ymd),
            _ => None,
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        let s = s.trim().to_ascii_lowercase();
        if s == "lubelogger" {
            return Ok(Format::LubeloggerFuel);
        }
        Format::ALL
            .into_iter()
            .find(|f| f.code() == s)
            .ok_or_else(|| {
                let all: Vec<_> = Format::ALL.iter().map(|f| f.code()).collect();
                format!("unknown format {s:?}; one of {}", all.join(", "))
            })
    }
}

/// How to read dates such as 01/02/2024.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
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

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ImportOptions {
    /// Skip auto-detection.
    #[serde(default)]
    pub format: Option<Format>,
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
    /// Currency of new vehicles (files never say); default USD for miles, else EUR.
    #[serde(default)]
    pub currency: Option<Currency>,
}

/// A row that could not be imported, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowError {
    pub line: u64,
    pub column: Option<String>,
    pub reason: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.column {
            Some(c) => write!(f, "line {}, column {c}: {}", self.line, self.reason),
            None => write!(f, "line {}: {}", self.line, self.reason),
        }
    }
}

/// Why a whole file could not be imported. Nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("the file is empty")]
    Empty,
    #[error("line {line}: this is not a text (CSV) file")]
    NotText { line: u64 },
    #[error("could not tell which app wrote this file; choose the format (one of lubelogger-fuel, lubelogger-service, lubelogger-odometer, fuelly, fuelio, drivvo)")]
    UnknownFormat,
    #[error("line {line}: missing column {column} (found: {found})")]
    MissingColumn {
        line: u64,
        column: String,
        found: String,
    },
    #[error("line {line}: {reason}")]
    Structure { line: u64, reason: String },
    #[error("all {rows} dates read both as day/month/year and month/day/year; choose the date format (dmy or mdy)")]
    AmbiguousDates { rows: u64 },
    #[error("dates are written both ways ({day_first} is day-first, {month_first} is month-first); choose the date format")]
    MixedDates {
        day_first: String,
        month_first: String,
    },
    #[error("{0}")]
    Vehicle(String),
    #[error("{count} bad row(s); nothing was imported (choose to skip bad rows to import the rest). First: {}", rows.first().map(|r| r.to_string()).unwrap_or_default())]
    BadRows { count: u64, rows: Vec<RowError> },
    #[error("import cancelled; nothing was written")]
    Cancelled,
    #[error("reading the file: {0}")]
    Io(#[from] std::io::Error),
}

impl ImportError {
    pub fn code(&self) -> &'static str {
        match self {
            ImportError::Empty => "import_empty",
            ImportError::NotText { .. } => "import_not_text",
            ImportError::UnknownFormat => "import_unknown_format",
            ImportError::MissingColumn { .. } => "import_missing_column",
            ImportError::Structure { .. } => "import_structure",
            ImportError::AmbiguousDates { .. } => "import_ambiguous_dates",
            ImportError::MixedDates { .. } => "import_mixed_dates",
            ImportError::Vehicle(_) => "import_vehicle",
            ImportError::BadRows { .. } => "import_bad_rows",
            ImportError::Cancelled => "cancelled",
            ImportError::Io(_) => "io",
        }
    }
}

/// Where the rows of one file vehicle go.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetVehicle {
    /// The vehicle's name in the file (or the chosen/derived name when the file has none).
    pub source_name: String,
    pub name: String,
    /// Set when an existing vehicle of that name receives the rows.
    pub existing_id: Option<String>,
    pub distance_unit: DistanceUnit,
    pub volume_unit: VolumeUnit,
    pub currency: Currency,
    /// The file's units, when it says; values are converted when they differ.
    pub file_distance_unit: Option<DistanceUnit>,
    pub file_volume_unit: Option<VolumeUnit>,
    /// False when `--vehicle` picked another vehicle of a multi-vehicle file.
    pub included: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub vehicles: u64,
    pub fuel: u64,
    pub service: u64,
    pub odometer: u64,
    pub reminders: u64,
}

impl Counts {
    pub fn total(&self) -> u64 {
        self.vehicles + self.fuel + self.service + self.odometer + self.reminders
    }
}

/// A parsed row as it will be written, for the preview table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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

/// What an import would do (preview) or did (commit).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportReport {
    pub format: Format,
    pub date_order: DateOrder,
    pub vehicles: Vec<TargetVehicle>,
    /// Data rows read (not counting headers, section markers and blank lines).
    pub rows: u64,
    /// Records new to the database (preview: would be written; commit: were written).
    pub new_records: Counts,
    /// Rows already in the database (or earlier in the file), not written again.
    pub duplicates: u64,
    /// Every bad row with line, column and reason.
    pub bad_rows: Vec<RowError>,
    /// True when bad rows were skipped and the rest imported.
    pub skipped_bad_rows: bool,
    pub first_rows: Vec<PreviewRow>,
    /// Rows whose economy in the file differs from Glovebox's by more than 1%.
    pub economy_mismatches: Vec<EconomyMismatch>,
    pub warnings: Vec<String>,
    /// False for a preview.
    pub committed: bool,
}

/// Checking (first pass over the rows) or checking and writing (commit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Scanning,
    Importing,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    pub phase: Phase,
    pub done: u64,
    /// Unknown (0) during the scan, which is what counts the rows.
    pub total: u64,
}

/// A re-openable input: the importer reads it once per pass.
pub trait Source: Sync {
    fn open(&self) -> std::io::Result<Box<dyn BufRead + Send + '_>>;
    /// A name to give a new vehicle when the file names none (the file's stem).
    fn stem(&self) -> Option<String> {
        None
    }
}

/// A file on disk.
pub struct FileSource<'a>(pub &'a Path);

impl Source for FileSource<'_> {
    fn open(&self) -> std::io::Result<Box<dyn BufRead + Send + '_>> {
        Ok(Box::new(BufReader::with_capacity(
            256 * 1024,
            std::fs::File::open(self.0)?,
        )))
    }
    fn stem(&self) -> Option<String> {
        self.0.file_stem().map(|s| s.to_string_lossy().into_owned())
    }
}

/// Bytes in memory (tests, pasted text), with an optional name for a new vehicle.
pub struct BytesSource<'a>(pub &'a [u8]);

impl Source for BytesSource<'_> {
    fn open(&self) -> std::io::Result<Box<dyn BufRead + Send + '_>> {
        Ok(Box::new(self.0))
    }
}

/// Dry run: everything an import would do, nothing written.
pub fn preview(garage: &Garage, file: &Path, opts: &ImportOptions) -> Result<ImportReport> {
    preview_source(garage, &FileSource(file), opts)
}

/// Imports a file in one transaction. `progress` is called every few thousand rows;
/// setting `cancel` stops the import with nothing written (`Error::Cancelled`).
pub fn commit(
    garage: &Garage,
    file: &Path,
    opts: &ImportOptions,
    progress: &(dyn Fn(Progress) + Sync),
    cancel: &AtomicBool,
) -> Result<ImportReport> {
    commit_source(garage, &FileSource(file), opts, progress, cancel)
}

pub fn preview_source(
    garage: &Garage,
    src: &dyn Source,
    opts: &ImportOptions,
) -> Result<ImportReport> {
    let never = AtomicBool::new(false);
    pipeline::run(garage, src, opts, &|_| {}, &never, false)
}

pub fn commit_source(
    garage: &Garage,
    src: &dyn Source,
    opts: &ImportOptions,
    progress: &(dyn Fn(Progress) + Sync),
    cancel: &AtomicBool,
) -> Result<ImportReport> {
    pipeline::run(garage, src, opts, progress, cancel, true)
}

/// Tells the format from the file's first bytes.
pub fn detect(head: &[u8]) -> std::result::Result<Format, ImportError> {
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    if head.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(ImportError::Empty);
    }
    if looks_binary(head) {
        return Err(ImportError::NotText { line: 1 });
    }
    let text = String::from_utf8_lossy(head).to_lowercase();
    if text.contains("## vehicle") || text.contains("## log") {
        return Ok(Format::Fuelio);
    }
    if drivvo::SECTIONS
        .iter()
        .any(|(marker, _)| text.contains(marker))
    {
        return Ok(Format::Drivvo);
    }
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let header: Vec<String> = first.split([',', ';', '\t']).map(common::norm).collect();
    let has = |names: &[&str]| header.iter().any(|h| names.contains(&h.as_str()));
    if has(&["carname", "fuelupdate"]) {
        return Ok(Format::Fuelly);
    }
    if has(&["date"]) {
        if has(lubelogger::QUANTITY) {
            return Ok(Format::LubeloggerFuel);
        }
        if has(lubelogger::DESCRIPTION) {
            return Ok(Format::LubeloggerService);
        }
        if has(lubelogger::ODOMETER) {
            return Ok(Format::LubeloggerOdometer);
        }
    }
    Err(ImportError::UnknownFormat)
}

/// NUL bytes or a high share of control bytes: an image, a zip, a database…
fn looks_binary(head: &[u8]) -> bool {
    if head.contains(&0) {
        return true;
    }
    let control = head
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t'))
        .count();
    control * 20 > head.len()
}

/// Reads up to `n` bytes from the start of a fresh reader.
fn head_of(src: &dyn Source, n: usize) -> Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(n);
    src.open()?.take(n as u64).read_to_end(&mut buf)?;
    Ok(buf)
}

impl From<ImportError> for RowError {
    fn from(e: ImportError) -> Self {
        RowError {
            line: 0,
            column: None,
            reason: e.to_string(),
        }
    }
}

/// Turns an import error into the core's error (so `?` works across both).
fn fatal(e: ImportError) -> Error {
    match e {
        ImportError::Cancelled => Error::Cancelled,
        other => Error::Import(other),
    }
}
