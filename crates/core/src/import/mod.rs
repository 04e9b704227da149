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

mod api;
mod check;
mod checker;
pub mod common;
mod dates;
mod drivvo;
pub mod format;
mod fuelio;
mod fuelly;
mod guard;
mod hammond;
pub mod lubelogger;
mod pipeline;
mod targets;

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::sync::atomic::AtomicBool;

pub use api::*;
pub use check::EconomyMismatch;
pub use common::VehicleDraft;
pub use format::{Format, Head};

use crate::error::{Error, Result};
use crate::Garage;

/// Why a whole file could not be imported. Nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("the file is empty")]
    Empty,
    #[error("line {line}: this is not a text (CSV) file")]
    NotText { line: u64 },
    #[error("could not tell which app wrote this file; choose the format (one of {})", FormatId::ALL.map(|f| f.code()).join(", "))]
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
    #[error("the file does not say the {} of vehicle {vehicle:?}; choose {} (nothing was imported)", fields.join(", "), if fields.len() == 1 { "it" } else { "them" })]
    UnitsRequired {
        vehicle: String,
        fields: Vec<String>,
    },
    #[error("{count} odometer reading(s) go backwards or jump implausibly; skip, fix or confirm each (first: {first}); nothing was imported")]
    OdometerDecisions {
        count: u64,
        lines: Vec<u64>,
        first: String,
    },
    #[error("the backup's stored times do not tell the server's time zone (they fit UTC{}); choose its UTC offset", candidates.iter().map(|m| format_offset(*m)).collect::<Vec<_>>().join(" or UTC"))]
    ServerUtcOffset { candidates: Vec<i32> },
    #[error("{reason} (nothing was imported)")]
    Refused { reason: String },
    #[error("{count} bad row(s); nothing was imported (choose to skip bad rows to import the rest). First: {}", rows.first().map(|r| r.to_string()).unwrap_or_default())]
    BadRows { count: u64, rows: Vec<RowError> },
    #[error("import cancelled; nothing was written")]
    Cancelled,
    #[error("reading the file: {0}")]
    Io(#[from] std::io::Error),
}

/// "+05:30", "-06:00".
pub fn format_offset(minutes: i32) -> String {
    let sign = if minutes < 0 { '-' } else { '+' };
    let m = minutes.unsigned_abs();
    format!("{sign}{:02}:{:02}", m / 60, m % 60)
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
            ImportError::UnitsRequired { .. } => "import_units_required",
            ImportError::OdometerDecisions { .. } => "import_odometer_decisions",
            ImportError::ServerUtcOffset { .. } => "import_server_utc_offset",
            ImportError::Refused { .. } => "import_refused",
            ImportError::BadRows { .. } => "import_bad_rows",
            ImportError::Cancelled => "cancelled",
            ImportError::Io(_) => "io",
        }
    }
}

/// A re-openable input: the importer reads it once per pass.
pub trait Source: Sync {
    fn open(&self) -> std::io::Result<Box<dyn BufRead + Send + '_>>;
    /// A name to give a new vehicle when the file names none (the file's stem).
    fn stem(&self) -> Option<String> {
        None
    }
    /// The file on disk, for formats that need random access (zip, SQLite).
    fn path(&self) -> Option<&Path> {
        None
    }
    /// The whole input in memory (zip and database formats, which are small).
    fn read_all(&self, limit: u64) -> std::io::Result<Vec<u8>> {
        let mut buf = Vec::new();
        self.open()?.take(limit).read_to_end(&mut buf)?;
        Ok(buf)
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
    fn path(&self) -> Option<&Path> {
        Some(self.0)
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

/// Every format's guess at a file's first bytes, best first (empty: no format fits).
pub fn detect(head: &[u8]) -> Vec<Detected> {
    format::rank(&Head::new(head))
}

/// Every format's guess at a file, best first.
pub fn detect_file(file: &Path) -> Result<Vec<Detected>> {
    Ok(detect(&head_of(&FileSource(file), HEAD_BYTES)?))
}

/// Bytes of a file the formats look at to recognise it.
pub(crate) const HEAD_BYTES: usize = 64 * 1024;

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

/// Turns an import error into the core's error (so `?` works across both).
fn fatal(e: ImportError) -> Error {
    match e {
        ImportError::Cancelled => Error::Cancelled,
        other => Error::Import(other),
    }
}
