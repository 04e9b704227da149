//! The importer trait and the registry of formats. The pipeline knows formats only through
//! this table: it asks each for a confidence, runs the chosen one's parser, and reads its
//! fixed properties (date order, whether it is text); it never branches on a format.

use super::api::{DateOrder, Detected, FormatId};
use super::common::{norm, sniff_delimiter, ParseCtx, Sink};
use super::{ImportError, Source};

/// The first bytes of a file, pre-digested for every format's `detect`.
pub struct Head<'a> {
    /// Up to 64 KiB, without a UTF-8 byte-order mark.
    pub bytes: &'a [u8],
    /// The same, lower-cased text (lossy).
    pub text: String,
    /// The first non-blank line split at the sniffed delimiter, normalised (`norm`).
    pub header: Vec<String>,
    pub delimiter: u8,
}

impl<'a> Head<'a> {
    pub fn new(bytes: &'a [u8]) -> Head<'a> {
        let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
        let text = String::from_utf8_lossy(bytes).to_lowercase();
        let delimiter = sniff_delimiter(bytes);
        let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        let header = first.split(delimiter as char).map(norm).collect::<Vec<_>>();
        Head {
            bytes,
            text,
            header,
            delimiter,
        }
    }

    /// True when the header has a column of one of these (normalised) names.
    pub fn has(&self, names: &[&str]) -> bool {
        self.header.iter().any(|h| names.contains(&h.as_str()))
    }

    pub fn is_zip(&self) -> bool {
        self.bytes.starts_with(b"PK\x03\x04") || self.bytes.starts_with(b"PK\x05\x06")
    }

    pub fn is_sqlite(&self) -> bool {
        self.bytes.starts_with(b"SQLite format 3\0")
    }
}

/// One app's file format: how to recognise it and how to read it into events.
pub trait Format {
    const NAME: FormatId;
    /// The day/month order the format always uses, if it has one.
    const DATE_ORDER: Option<DateOrder> = None;
    /// A binary container (zip, database), not a CSV: skips the text checks.
    const BINARY: bool = false;
    /// 0 (certainly not) to 100 (certainly this format).
    fn detect(head: &Head<'_>) -> u8;
    /// Reads the whole input, handing vehicles, rows and bad rows to `sink` in file order.
    /// Called once per pass (scan, then check/write), so it must give the same events.
    fn parse(src: &dyn Source, ctx: &ParseCtx, sink: &mut Sink<'_>) -> Result<(), ImportError>;
}

type DetectFn = fn(&Head<'_>) -> u8;
type ParseFn = fn(&dyn Source, &ParseCtx, &mut Sink<'_>) -> Result<(), ImportError>;

/// A format as the pipeline sees it.
#[derive(Clone, Copy)]
pub struct Entry {
    pub id: FormatId,
    pub date_order: Option<DateOrder>,
    pub binary: bool,
    detect: DetectFn,
    parse: ParseFn,
}

impl Entry {
    pub fn parse(
        &self,
        src: &dyn Source,
        ctx: &ParseCtx,
        sink: &mut Sink<'_>,
    ) -> Result<(), ImportError> {
        (self.parse)(src, ctx, sink)
    }
}

const fn entry<F: Format>() -> Entry {
    Entry {
        id: F::NAME,
        date_order: F::DATE_ORDER,
        binary: F::BINARY,
        detect: F::detect,
        parse: F::parse,
    }
}

/// Every format, in detection tie-break order.
pub const FORMATS: &[Entry] = &[
    entry::<super::lubelogger::backup::Backup>(),
    entry::<super::hammond::Hammond>(),
    entry::<super::fuelio::Fuelio>(),
    entry::<super::drivvo::Drivvo>(),
    entry::<super::fuelly::Fuelly>(),
    entry::<super::lubelogger::Fuel>(),
    entry::<super::lubelogger::Service>(),
    entry::<super::lubelogger::Repair>(),
    entry::<super::lubelogger::Upgrade>(),
    entry::<super::lubelogger::Tax>(),
    entry::<super::lubelogger::Odometer>(),
];

pub fn entry_for(id: FormatId) -> Entry {
    *FORMATS
        .iter()
        .find(|e| e.id == id)
        .expect("every FormatId has an entry in FORMATS")
}

/// Every format's confidence, best first (ties keep `FORMATS` order); zeros left out.
pub fn rank(head: &Head<'_>) -> Vec<Detected> {
    let mut out: Vec<Detected> = FORMATS
        .iter()
        .map(|e| Detected {
            format: e.id,
            confidence: (e.detect)(head).min(100),
        })
        .filter(|d| d.confidence > 0)
        .collect();
    out.sort_by_key(|d| std::cmp::Reverse(d.confidence));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_format_id_has_exactly_one_entry() {
        for id in FormatId::ALL {
            assert_eq!(FORMATS.iter().filter(|e| e.id == id).count(), 1, "{id}");
        }
        assert_eq!(FORMATS.len(), FormatId::ALL.len());
    }
}
