//! What every importer shares: the parsed-row model, header alias lookup, localised
//! yes/no, numbers with either decimal separator, and dates whose day/month order is
//! decided over the whole file (never guessed from one row).

use serde::{Deserialize, Serialize};

pub use super::dates::{DateEvidence, DateParts};
pub use super::reading::{read_records, sniff_delimiter, ReadOpts};
use super::{numbers, AttachmentRef, ImportError, LeftOut, Need, RowError};
use crate::reminders::{Schedule, Thresholds};
use crate::service::ServiceKind;
use crate::units::{DistanceUnit, FuelKind, VolumeUnit};

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
    /// How the file is read (separator, line ends, decimal separator), sniffed from the head.
    pub read: ReadOpts,
    /// Fuelio and Drivvo: the tank whose fills are imported (1 or 2).
    pub tank: u8,
    /// LubeLogger backup: the server's UTC offset, when the user gave it.
    pub utc_offset_minutes: Option<i32>,
    /// The garage's clock: rows dated after it are plans (Fuelio's upcoming costs).
    pub now: chrono::NaiveDateTime,
}

impl Default for ParseCtx {
    fn default() -> Self {
        ParseCtx {
            money_digits: 2,
            read: ReadOpts::default(),
            tank: 1,
            utc_offset_minutes: None,
            now: chrono::NaiveDateTime::MAX,
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
    /// The file's decimal separator, when its amounts proved one.
    pub decimal: Option<u8>,
}

impl<'a> Row<'a> {
    pub fn new(
        rec: &'a csv::StringRecord,
        cols: &'a Columns,
        line: u64,
        ctx: &ParseCtx,
    ) -> Row<'a> {
        Row {
            rec,
            cols,
            line,
            decimal: ctx.read.decimal,
        }
    }

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
        numbers::number(self.text(col), self.decimal).map_err(|e| self.err(col, e))
    }

    pub fn opt_number(&self, col: Option<usize>) -> Result<Option<f64>, RowError> {
        match self.text(col) {
            "" => Ok(None),
            _ => self.number(col).map(Some),
        }
    }

    /// Money in minor units; an empty cell is zero (many apps leave cost out).
    pub fn money(&self, col: Option<usize>, digits: u8) -> Result<i64, RowError> {
        Ok(self.opt_money(col, digits)?.unwrap_or(0))
    }

    /// Money in minor units; `None` for an empty cell.
    pub fn opt_money(&self, col: Option<usize>, digits: u8) -> Result<Option<i64>, RowError> {
        numbers::money(self.text(col), digits, self.decimal).map_err(|e| self.err(col, e))
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

/// Yes/no in the languages the supported apps export in (Drivvo translates its
/// "Full tank" column's values: Sim/Não, Да/Нет, Ja/Nej, Tak/Nie, …).
pub fn parse_bool(t: &str) -> Option<bool> {
    // What LubeLogger, Fuelly and Fuelio write, on every row of a big file: no
    // lower-casing (an allocation) and no scan of the lists below.
    match t {
        "True" | "true" | "TRUE" | "1" | "Yes" | "yes" => return Some(true),
        "False" | "false" | "FALSE" | "0" | "No" | "no" => return Some(false),
        _ => {}
    }
    let l = t.trim().trim_end_matches(['.', '!']).to_lowercase();
    const YES: &[&str] = &[
        "yes",
        "y",
        "true",
        "t",
        "1",
        "x",
        "sim",
        "s",
        "sí",
        "si",
        "oui",
        "o",
        "ja",
        "j",
        "sì",
        "tak",
        "da",
        "ano",
        "áno",
        "igen",
        "evet",
        "kyllä",
        "full",
        "-1",
        "да",
        "так",
        "је",
        "jah",
        "taip",
        "jā",
        "ναι",
        "是",
        "はい",
        "예",
        "ya",
        "có",
        "ใช่",
        "כן",
        "نعم",
        "हाँ",
        "on",
    ];
    const NO: &[&str] = &[
        "no",
        "n",
        "false",
        "f",
        "0",
        "não",
        "nao",
        "non",
        "nein",
        "nee",
        "nej",
        "nei",
        "ei",
        "nie",
        "ne",
        "nem",
        "hayır",
        "hayir",
        "partial",
        "нет",
        "ні",
        "не",
        "nu",
        "nē",
        "όχι",
        "否",
        "いいえ",
        "아니요",
        "tidak",
        "không",
        "ไม่",
        "לא",
        "لا",
        "नहीं",
        "off",
    ];
    if YES.contains(&l.as_str()) {
        Some(true)
    } else if NO.contains(&l.as_str()) {
        Some(false)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_common_yes_and_no_read_as_the_full_lists_read_them() {
        for t in [
            "True", "true", "TRUE", "1", "Yes", "yes", "False", "false", "FALSE", "0", "No", "no",
        ] {
            let l = t.to_lowercase();
            let general = if ["yes", "true", "1"].contains(&l.as_str()) {
                Some(true)
            } else {
                Some(false)
            };
            assert_eq!(super::parse_bool(t), general, "{t:?}");
            // The same through the general path (a trailing dot skips the fast one).
            assert_eq!(super::parse_bool(&format!("{t}.")), general, "{t:?}.");
        }
    }

    use super::*;

    #[test]
    fn localised_yes_no() {
        for y in [
            "Yes", "Sim", "Sí", "Oui", "Ja", "TRUE", "1", "Да", "Tak", "Ano",
        ] {
            assert_eq!(parse_bool(y), Some(true), "{y}");
        }
        for n in [
            "No", "Não", "Non", "Nein", "false", "0", "Нет", "Nej", "Nie",
        ] {
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
