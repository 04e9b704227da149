//! What every importer shares: the parsed-row model, header alias lookup, localised
//! yes/no, numbers with either decimal separator, and dates whose day/month order is
//! decided over the whole file (never guessed from one row).

use serde::{Deserialize, Serialize};

pub use super::dates::{DateEvidence, DateParts};
use super::{AttachmentRef, ImportError, LeftOut, Need, RowError};
use crate::reminders::{Schedule, Thresholds};
use crate::service::ServiceKind;
use crate::units::{parse_decimal, parse_decimal_minor, DistanceUnit, FuelKind, VolumeUnit};

/// A vehicle as a file describes it. Units are `None` when the format does not say.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VehicleDraft {
    pub name: String,
    pub make: String,
    pub model: String,
    pub year: Option<i32>,
    pub plate: String,
    pub vin: String,
    pub fuel_kind: Option<FuelKind>,
    pub distance_unit: Option<DistanceUnit>,
    pub volume_unit: Option<VolumeUnit>,
    /// The economy unit the source showed (LubeLogger's UseMPG/UseUKMPG settings).
    #[serde(default)]
    pub economy_unit: Option<crate::units::EconomyUnit>,
    #[serde(default)]
    pub currency: Option<crate::units::Currency>,
}

impl VehicleDraft {
    pub fn named(name: impl Into<String>) -> Self {
        VehicleDraft {
            name: name.into(),
            make: String::new(),
            model: String::new(),
            year: None,
            plate: String::new(),
            vin: String::new(),
            fuel_kind: None,
            distance_unit: None,
            volume_unit: None,
            economy_unit: None,
            currency: None,
        }
    }
}

/// One row as read from a file, in the file's own units; the date is still raw so its
/// day/month order can be decided across all rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub line: u64,
    /// Index of the vehicle (in the order the parser announced them).
    pub vehicle: usize,
    pub kind: ItemKind,
    /// Where the row is when lines do not say (a database record: "gasrecords #12").
    pub location: Option<String>,
}

impl Item {
    pub fn at(line: u64, vehicle: usize, kind: ItemKind) -> Item {
        Item {
            line,
            vehicle,
            kind,
            location: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum ItemKind {
    Fuel {
        date: DateParts,
        odometer: f64,
        quantity: f64,
        cost_minor: i64,
        full: bool,
        missed: bool,
        station: String,
        notes: String,
        tags: Vec<String>,
        /// The source's own economy figure, for the cross-check only.
        economy: Option<f64>,
        /// Distance since the previous fill-up, for files that track trips instead of the
        /// odometer (Fuelly); `odometer` is NaN until rebuilt from these.
        trip: Option<f64>,
    },
    Service {
        kind: ServiceKind,
        date: DateParts,
        odometer: Option<f64>,
        title: String,
        category: String,
        cost_minor: i64,
        notes: String,
        tags: Vec<String>,
    },
    Odometer {
        date: DateParts,
        odometer: f64,
        notes: String,
    },
    Reminder {
        title: String,
        notes: String,
        due: Option<DateParts>,
        /// Months to add to `due` (a repeat counted from the last time it was done).
        due_plus_months: u32,
        due_odometer: Option<f64>,
        recur_months: Option<u32>,
        recur_distance: Option<f64>,
        schedule: Schedule,
        thresholds: Thresholds,
    },
}

impl ItemKind {
    pub fn date(&self) -> Option<&DateParts> {
        match self {
            ItemKind::Fuel { date, .. }
            | ItemKind::Service { date, .. }
            | ItemKind::Odometer { date, .. } => Some(date),
            ItemKind::Reminder { due, .. } => due.as_ref(),
        }
    }
}

/// What a parser hands to the importer, in file order.
#[derive(Debug)]
pub enum Event {
    Vehicle(VehicleDraft),
    Item(Item),
    Bad(RowError),
    Warning(String),
    /// Which file column holds each record field, so that a validation error ("quantity
    /// must be greater than zero") names the column the user sees ("FuelConsumed").
    Fields(Vec<(&'static str, String)>),
    /// Something deliberately not imported (secrets, kinds Glovebox has no place for).
    LeftOut(LeftOut),
    /// A file attached to a record: listed as not imported yet.
    Attachment(AttachmentRef),
    /// A choice only the user can make (e.g. a backup server's time zone).
    Need(Need),
}

pub type Sink<'a> = dyn FnMut(Event) -> Result<(), ImportError> + 'a;

/// Settings a parser needs before it reads a row.
#[derive(Debug, Clone, Copy)]
pub struct ParseCtx {
    /// Minor-unit digits of the target currency, for exact money parsing.
    pub money_digits: u8,
    /// The CSV field separator sniffed from the head.
    pub delimiter: u8,
    /// Fuelio: the tank whose fills are imported (1 or 2).
    pub tank: u8,
    /// LubeLogger backup: the server's UTC offset, when the user gave it.
    pub utc_offset_minutes: Option<i32>,
}

impl Default for ParseCtx {
    fn default() -> Self {
        ParseCtx {
            money_digits: 2,
            delimiter: b',',
            tank: 1,
            utc_offset_minutes: None,
        }
    }
}

// ----- headers ---------------------------------------------------------------------------

/// Header names compared the way LubeLogger's CsvHelper maps compare them, only looser:
/// case, spaces, underscores and punctuation are ignored ("Total Cost" = "totalcost").
pub fn norm(h: &str) -> String {
    h.trim_start_matches('\u{feff}')
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Column positions of a header row, looked up by alias.
#[derive(Debug, Clone)]
pub struct Columns {
    pub names: Vec<String>,
    normed: Vec<String>,
}

impl Columns {
    pub fn new(header: &csv::StringRecord) -> Self {
        Columns {
            names: header.iter().map(|h| h.trim().to_owned()).collect(),
            normed: header.iter().map(norm).collect(),
        }
    }

    /// First column whose normalised name equals one of the aliases (given normalised).
    pub fn find(&self, aliases: &[&str]) -> Option<usize> {
        aliases
            .iter()
            .find_map(|a| self.normed.iter().position(|n| n == a))
    }

    /// First column whose normalised name starts with one of the prefixes.
    pub fn find_prefix(&self, prefixes: &[&str]) -> Option<usize> {
        prefixes
            .iter()
            .find_map(|a| self.normed.iter().position(|n| n.starts_with(a)))
    }

    pub fn require(&self, aliases: &[&str], line: u64, what: &str) -> Result<usize, ImportError> {
        self.find(aliases)
            .ok_or_else(|| ImportError::MissingColumn {
                line,
                column: what.to_owned(),
                found: self.names.join(", "),
            })
    }

    /// The `Event::Fields` for these columns.
    pub fn fields(&self, pairs: &[(&'static str, Option<usize>)]) -> Event {
        Event::Fields(
            pairs
                .iter()
                .filter_map(|(f, c)| Some((*f, self.names.get((*c)?)?.clone())))
                .collect(),
        )
    }

    pub fn name(&self, i: usize) -> &str {
        self.names.get(i).map(String::as_str).unwrap_or("?")
    }

    pub fn normed(&self, i: usize) -> &str {
        self.normed.get(i).map(String::as_str).unwrap_or("")
    }
}

/// Reads one row's fields and turns a parse failure into a line/column error.
pub struct Row<'a> {
    pub rec: &'a csv::StringRecord,
    pub cols: &'a Columns,
    pub line: u64,
}

impl Row<'_> {
    pub fn text(&self, col: Option<usize>) -> &str {
        col.and_then(|c| self.rec.get(c)).unwrap_or("").trim()
    }

    /// A row with fewer fields than its header: LubeLogger, Fuelly and Fuelio always
    /// write every field, so this is a cut-off line (an unterminated quote even swallows
    /// the rest of the file into one field), not a short row to guess at.
    pub fn truncated(&self) -> Option<RowError> {
        let (have, want) = (self.rec.len(), self.cols.names.len());
        (have < want).then(|| {
            self.err(
                None,
                format!("has {have} of the header's {want} fields (is the line cut off?)"),
            )
        })
    }

    pub fn err(&self, col: Option<usize>, reason: impl Into<String>) -> RowError {
        RowError {
            line: self.line,
            column: col.map(|c| self.cols.name(c).to_owned()),
            reason: reason.into(),
            location: None,
        }
    }

    pub fn number(&self, col: Option<usize>) -> Result<f64, RowError> {
        let t = self.text(col);
        if let Some(v) = plain_number(t) {
            return Ok(v);
        }
        parse_decimal(t).map_err(|e| self.err(col, e))
    }

    pub fn opt_number(&self, col: Option<usize>) -> Result<Option<f64>, RowError> {
        match self.text(col) {
            "" => Ok(None),
            _ => self.number(col).map(Some),
        }
    }

    /// Money in minor units; an empty cell is zero (many apps leave cost out).
    pub fn money(&self, col: Option<usize>, digits: u8) -> Result<i64, RowError> {
        let t = strip_currency(self.text(col));
        let t = t.as_ref();
        if t.is_empty() {
            return Ok(0);
        }
        if let Some(v) = plain_minor(t, digits) {
            return Ok(v);
        }
        parse_decimal_minor(t, digits)
            .or_else(|_| {
                // More decimals than the currency has (a per-litre-precise total): round.
                parse_decimal(t).map(|v| (v * 10f64.powi(digits as i32)).round() as i64)
            })
            .map_err(|e| self.err(col, e))
    }

    pub fn flag(&self, col: Option<usize>, default: bool) -> Result<bool, RowError> {
        match self.text(col) {
            "" => Ok(default),
            t => parse_bool(t).ok_or_else(|| self.err(col, format!("{t:?} is not yes or no"))),
        }
    }

    pub fn date(&self, col: Option<usize>) -> Result<DateParts, RowError> {
        let t = self.text(col);
        if t.is_empty() {
            return Err(self.err(col, "a date is required"));
        }
        DateParts::parse(t).ok_or_else(|| self.err(col, format!("{t:?} is not a date")))
    }

    pub fn tags(&self, col: Option<usize>) -> Vec<String> {
        split_tags(self.text(col))
    }
}

/// "1234.5" as most exports write numbers: parsed without the allocation that the
/// general (both separators, grouping) parser needs. `None` sends it to the general one.
fn plain_number(t: &str) -> Option<f64> {
    let digits = t.strip_prefix('-').unwrap_or(t);
    let ok = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && digits.bytes().filter(|&b| b == b'.').count() <= 1
        && digits != ".";
    ok.then(|| t.parse().ok()).flatten()
}

/// "61.23" in a currency with `digits` decimals, exactly, without allocating.
fn plain_minor(t: &str, digits: u8) -> Option<i64> {
    let (neg, body) = match t.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, t),
    };
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    if int.is_empty()
        || frac.len() > digits as usize
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
        || int.len() > 15
    {
        return None;
    }
    let mut v: i64 = int.parse().ok()?;
    for i in 0..digits as usize {
        let d = frac.as_bytes().get(i).map_or(0, |b| (b - b'0') as i64);
        v = v * 10 + d;
    }
    Some(if neg { -v } else { v })
}

/// "R$ 12,50", "12.50 €", "-$1,234.56", "($5.00)" -> the number: LubeLogger writes costs
/// with the server culture's currency format (`ToString("C")`), other apps put signs
/// around amounts. Grouping spaces (no-break, narrow no-break) stay for the number parser.
fn strip_currency(t: &str) -> std::borrow::Cow<'_, str> {
    let plain = |c: char| c.is_ascii_digit() || matches!(c, '.' | ',' | '-' | '+');
    if t.chars().all(plain) {
        return t.into();
    }
    let negative = t.contains('-') || (t.contains('(') && t.contains(')'));
    let kept: String = t
        .chars()
        .filter(|&c| {
            c.is_ascii_digit() || matches!(c, '.' | ',' | ' ' | '\u{a0}' | '\u{202f}' | '\'')
        })
        .collect();
    let kept = kept.trim_matches(|c: char| !c.is_ascii_digit());
    if kept.is_empty() {
        return "".into();
    }
    if negative {
        format!("-{kept}").into()
    } else {
        kept.to_owned().into()
    }
}

/// Tags as apps write them: LubeLogger separates them with spaces, Fuelly with commas
/// (so "road trip,summer" is two tags, not three).
pub fn split_tags(t: &str) -> Vec<String> {
    let parts: Vec<&str> = if t.contains([',', ';']) {
        t.split([',', ';']).collect()
    } else {
        t.split_whitespace().collect()
    };
    parts
        .into_iter()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Yes/no in the languages the supported apps export in.
pub fn parse_bool(t: &str) -> Option<bool> {
    let l = t.trim().to_lowercase();
    const YES: &[&str] = &[
        "yes", "y", "true", "t", "1", "x", "sim", "s", "sí", "si", "oui", "o", "ja", "j", "sì",
        "tak", "da", "ano", "igen", "evet", "kyllä", "full", "-1",
    ];
    const NO: &[&str] = &[
        "no", "n", "false", "f", "0", "não", "nao", "non", "nein", "nee", "nej", "nei", "ei",
        "nie", "ne", "nem", "hayır", "hayir", "partial",
    ];
    if YES.contains(&l.as_str()) {
        Some(true)
    } else if NO.contains(&l.as_str()) {
        Some(false)
    } else {
        None
    }
}

// ----- reading -----------------------------------------------------------------------------

/// The field separator: exports from European locales often use ';'.
pub fn sniff_delimiter(head: &[u8]) -> u8 {
    let text = String::from_utf8_lossy(head);
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.trim_start_matches('"').starts_with('#'))
        .take(5)
        .collect();
    let count = |d: char| -> usize {
        lines
            .iter()
            .map(|l| {
                let mut quoted = false;
                l.chars()
                    .filter(|&c| {
                        if c == '"' {
                            quoted = !quoted;
                        }
                        !quoted && c == d
                    })
                    .count()
            })
            .sum()
    };
    [b',', b';', b'\t']
        .into_iter()
        .max_by_key(|&d| (count(d as char), d == b','))
        .unwrap_or(b',')
}

/// Streams the records of a CSV file to `f` with their 1-based line numbers, skipping
/// blank lines. Rows that are not UTF-8 are read as Windows-1252 (older Windows exports)
/// and reported once as a warning.
pub fn read_records(
    input: Box<dyn std::io::BufRead + Send + '_>,
    delimiter: u8,
    sink: &mut Sink<'_>,
    f: &mut dyn FnMut(&csv::StringRecord, u64, &mut Sink<'_>) -> Result<(), ImportError>,
) -> Result<(), ImportError> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        // '\n' alone ends a record: with the default CRLF handling the csv crate's line
        // numbers drift on CRLF files. A trailing '\r' stays in the last field, and every
        // field is trimmed before use.
        .terminator(csv::Terminator::Any(b'\n'))
        .from_reader(input);
    let mut raw = csv::ByteRecord::new();
    let mut warned = false;
    loop {
        let line = rdr.position().line();
        match rdr.read_byte_record(&mut raw) {
            Ok(false) => return Ok(()),
            Ok(true) => {}
            Err(e) => {
                return Err(match e.into_kind() {
                    csv::ErrorKind::Io(io) => ImportError::Io(io),
                    other => ImportError::Structure {
                        line,
                        reason: format!("unreadable CSV: {other:?}"),
                    },
                })
            }
        }
        let line = raw.position().map(|p| p.line()).unwrap_or(line);
        if raw.iter().all(|f| f.iter().all(u8::is_ascii_whitespace)) {
            continue;
        }
        // Moved in and out rather than cloned: this loop runs once per row.
        let rec = match csv::StringRecord::from_byte_record(std::mem::take(&mut raw)) {
            Ok(r) => r,
            Err(e) => {
                if !warned {
                    warned = true;
                    sink(Event::Warning(format!(
                        "line {line} is not UTF-8; read as Windows-1252 (Latin-1)"
                    )))?;
                }
                e.into_byte_record()
                    .iter()
                    .map(|f| f.iter().map(|&b| b as char).collect::<String>())
                    .collect()
            }
        };
        f(&rec, line, sink)?;
        raw = rec.into_byte_record();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_paths_agree_with_the_general_parsers() {
        use crate::units::{parse_decimal, parse_decimal_minor};
        for t in ["0", "12", "12.5", "-3.25", "1234.56", "007.10", ".5", "5."] {
            assert_eq!(plain_number(t), parse_decimal(t).ok(), "{t}");
        }
        for t in ["0", "12", "12.5", "-3.25", "1234.56", "007.10", "5."] {
            assert_eq!(plain_minor(t, 2), parse_decimal_minor(t, 2).ok(), "{t}");
        }
        assert_eq!(
            plain_minor("1.234", 2),
            None,
            "more decimals than the currency"
        );
        assert_eq!(plain_number("1,5"), None);
        assert_eq!(plain_number("."), None);
    }

    #[test]
    fn currency_formatted_amounts() {
        for (t, v) in [
            ("$1,234.56", "1,234.56"),
            ("23,07\u{a0}€", "23,07"),
            ("1\u{202f}234,56\u{a0}€", "1\u{202f}234,56"),
            ("-$5.00", "-5.00"),
            ("($5.00)", "-5.00"),
            ("R$ 12,50", "12,50"),
            ("CHF 1'234.50", "1'234.50"),
            ("12.5", "12.5"),
        ] {
            assert_eq!(strip_currency(t), v, "{t}");
        }
    }

    #[test]
    fn localised_yes_no() {
        for y in ["Yes", "Sim", "Sí", "Oui", "Ja", "TRUE", "1"] {
            assert_eq!(parse_bool(y), Some(true), "{y}");
        }
        for n in ["No", "Não", "Non", "Nein", "false", "0"] {
            assert_eq!(parse_bool(n), Some(false), "{n}");
        }
        assert_eq!(parse_bool("maybe"), None);
    }

    #[test]
    fn header_aliases_ignore_case_and_punctuation() {
        let cols = Columns::new(&csv::StringRecord::from(vec![
            "\u{feff}Date",
            "Total Cost",
            "partial_fuelup",
        ]));
        assert_eq!(cols.find(&["date"]), Some(0));
        assert_eq!(cols.find(&["cost", "totalcost"]), Some(1));
        assert_eq!(cols.find(&["partialfuelup"]), Some(2));
    }
}
