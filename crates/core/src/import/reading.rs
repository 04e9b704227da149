//! Reading CSV files as the apps write them, which is not always as RFC 4180 says:
//! - the field separator is sniffed (`,` `;` tab: European locales use `;`);
//! - iPhone exports (Drivvo) end lines with a lone CR;
//! - Fuelly's web export separates its header names with `", "`, so a quoted field may
//!   follow a space (`, "Long drive, windy"`): the space is dropped before the quote;
//! - text after a closing quote joins the field (`"Full tank" 2` is `Full tank 2`), as
//!   Drivvo's headers have it;
//! - rows that are not UTF-8 are read as Windows-1252 and reported once.
//!
//! What the head shows (separator, line ends, spaced quotes, decimal separator) is decided
//! once per file and handed to the parsers in [`ReadOpts`].

use std::io::Read;

use super::common::{Event, Sink};
use super::numbers::DecimalEvidence;
use super::ImportError;

/// How a file is read, decided from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadOpts {
    pub delimiter: u8,
    /// Lines end with a lone CR (classic Mac, iPhone exports).
    pub cr_only: bool,
    /// A quoted field may follow spaces after the separator.
    pub spaced_quotes: bool,
    /// The decimal separator the file's amounts prove, if they agree.
    pub decimal: Option<u8>,
}

impl Default for ReadOpts {
    fn default() -> Self {
        ReadOpts {
            delimiter: b',',
            cr_only: false,
            spaced_quotes: false,
            decimal: None,
        }
    }
}

impl ReadOpts {
    /// Looks at a file's first bytes (a BOM already removed).
    pub fn sniff(head: &[u8]) -> ReadOpts {
        let cr_only = head.contains(&b'\r') && !head.contains(&b'\n');
        let delimiter = sniff_delimiter(head);
        let spaced_quotes = head
            .windows(3)
            .any(|w| w[0] == delimiter && w[1] == b' ' && (w[2] == b'"' || w[2] == b' '));
        let mut opts = ReadOpts {
            delimiter,
            cr_only,
            spaced_quotes,
            decimal: None,
        };
        opts.decimal = sniff_decimal(head, &opts);
        opts
    }
}

/// The field separator: exports from European locales often use ';'.
pub fn sniff_delimiter(head: &[u8]) -> u8 {
    let text = String::from_utf8_lossy(head);
    let lines: Vec<&str> = text
        .split(['\n', '\r'])
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

/// The decimal separator the amounts in the head prove (see `numbers`).
fn sniff_decimal(head: &[u8], opts: &ReadOpts) -> Option<u8> {
    // The last line of the head may be cut off: a half cell proves nothing wrong (it is
    // still digits and separators), so it is simply read like the others.
    let mut rdr = reader(Box::new(head), opts);
    let mut evidence = DecimalEvidence::default();
    let mut rec = csv::StringRecord::new();
    while let Ok(true) = rdr.read_record(&mut rec) {
        for cell in rec.iter() {
            evidence.add(cell);
        }
    }
    evidence.decide()
}

fn reader<'a>(input: Box<dyn Read + Send + 'a>, opts: &ReadOpts) -> csv::Reader<Lenient<'a>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(opts.delimiter)
        // '\n' alone ends a record: with the default CRLF handling the csv crate's line
        // numbers drift on CRLF files. A trailing '\r' stays in the last field, and every
        // field is trimmed before use. Lone CRs become '\n' in `Lenient`.
        .terminator(csv::Terminator::Any(b'\n'))
        .from_reader(Lenient::new(input, opts))
}

/// Streams the records of a CSV file to `f` with their 1-based line numbers, skipping
/// blank lines. Rows that are not UTF-8 are read as Windows-1252 (older Windows exports)
/// and reported once as a warning.
pub fn read_records(
    input: Box<dyn std::io::BufRead + Send + '_>,
    opts: &ReadOpts,
    sink: &mut Sink<'_>,
    f: &mut dyn FnMut(&csv::StringRecord, u64, &mut Sink<'_>) -> Result<(), ImportError>,
) -> Result<(), ImportError> {
    let mut rdr = reader(Box::new(input), opts);
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    FieldStart,
    Unquoted,
    Quoted,
    QuoteInQuoted,
}

/// The byte-level fixes the csv reader needs before it sees a file: lone CRs become line
/// feeds, and spaces between a separator and an opening quote are dropped. Everything
/// else passes through unchanged, so line numbers stay the file's.
struct Lenient<'a> {
    inner: Box<dyn Read + Send + 'a>,
    cr_only: bool,
    spaced_quotes: bool,
    delimiter: u8,
    state: State,
    /// Spaces seen at the start of a field, not yet known to be before a quote.
    pending: usize,
    raw: Vec<u8>,
    out: Vec<u8>,
    pos: usize,
    done: bool,
}

impl<'a> Lenient<'a> {
    fn new(inner: Box<dyn Read + Send + 'a>, opts: &ReadOpts) -> Lenient<'a> {
        Lenient {
            inner,
            cr_only: opts.cr_only,
            spaced_quotes: opts.spaced_quotes,
            delimiter: opts.delimiter,
            state: State::FieldStart,
            pending: 0,
            raw: vec![0; 64 * 1024],
            out: Vec::with_capacity(64 * 1024),
            pos: 0,
            done: false,
        }
    }

    fn flush_pending(&mut self) {
        self.out.extend(std::iter::repeat_n(b' ', self.pending));
        self.pending = 0;
    }

    fn transform(&mut self, n: usize) {
        for i in 0..n {
            let mut b = self.raw[i];
            if self.cr_only && b == b'\r' {
                b = b'\n';
            }
            if !self.spaced_quotes {
                self.out.push(b);
                continue;
            }
            let end_of_field = b == self.delimiter || b == b'\n';
            self.state = match (self.state, b) {
                (State::FieldStart, b' ') => {
                    self.pending += 1;
                    continue;
                }
                (State::FieldStart, b'"') => {
                    self.pending = 0;
                    State::Quoted
                }
                (State::FieldStart | State::Unquoted | State::QuoteInQuoted, _) if end_of_field => {
                    self.flush_pending();
                    State::FieldStart
                }
                (State::FieldStart, _) => {
                    self.flush_pending();
                    State::Unquoted
                }
                (State::Unquoted, _) => State::Unquoted,
                (State::Quoted, b'"') => State::QuoteInQuoted,
                (State::Quoted, _) => State::Quoted,
                (State::QuoteInQuoted, b'"') => State::Quoted,
                (State::QuoteInQuoted, _) => State::Unquoted,
            };
            self.out.push(b);
        }
    }
}

impl Read for Lenient<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.pos >= self.out.len() {
            if self.done {
                return Ok(0);
            }
            self.out.clear();
            self.pos = 0;
            let n = self.inner.read(&mut self.raw)?;
            if n == 0 {
                self.done = true;
                self.flush_pending();
            } else {
                self.transform(n);
            }
        }
        let n = buf.len().min(self.out.len() - self.pos);
        buf[..n].copy_from_slice(&self.out[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(input: &str) -> Vec<(u64, Vec<String>)> {
        let opts = ReadOpts::sniff(input.as_bytes());
        let mut out = Vec::new();
        read_records(
            Box::new(input.as_bytes()),
            &opts,
            &mut |_| Ok(()),
            &mut |rec, line, _| {
                out.push((line, rec.iter().map(str::to_owned).collect()));
                Ok(())
            },
        )
        .unwrap();
        out
    }

    #[test]
    fn spaced_quotes_lone_crs_and_text_after_a_closing_quote() {
        let r =
            records("car_name, model, notes\n\"My SX4\", \"Suzuki, SX4\", \"a \"\"b\"\", c\"\n");
        assert_eq!(r[1].1, vec!["My SX4", "Suzuki, SX4", "a \"b\", c"]);
        let r = records("##Refuelling\r\"Odo\",\"Full\" 2\r\"1.0\",\"Yes\"\r");
        assert_eq!(r.iter().map(|(l, _)| *l).collect::<Vec<_>>(), vec![1, 2, 3]);
        assert_eq!(r[1].1, vec!["Odo", "Full 2"]);
        // A space inside an unquoted field, or before an unquoted one, stays.
        let r = records("a, b c,d\n1, 2 3,4\n");
        assert_eq!(r[1].1, vec!["1", " 2 3", "4"]);
    }

    #[test]
    fn the_heads_amounts_decide_the_decimal_separator() {
        assert_eq!(
            ReadOpts::sniff(b"Date,Cost\n1/5/2024,\"$1,234.56\"\n").decimal,
            Some(b'.')
        );
        assert_eq!(
            ReadOpts::sniff("Date;Cost\n5.1.2024;23,07\u{a0}€\n".as_bytes()).decimal,
            Some(b',')
        );
        assert_eq!(
            ReadOpts::sniff(b"Date,Odo\n2024-01-05,1000\n").decimal,
            None
        );
    }
}
