//! Numbers and amounts as the apps write them: `1234.5`, `1.234,56`, `$1,234.56`,
//! `23,07 €`, `1 234,56 €` (narrow no-break space), `¤145.00` (.NET's invariant culture).
//!
//! Which character is the decimal separator is decided once per file from the cells of its
//! first 64 KiB (`sniff_decimal`), the way dates are: `40,5` or `1.234,56 €` prove a comma,
//! `37.52` or `$1,234.56` prove a point. A file that proves one reads `5300.064` as five
//! thousand three hundred and a bit, never as five million; a file that proves neither (or
//! both) falls back to reading each cell on its own.

use crate::units::{parse_decimal, parse_decimal_minor};

/// Reads a number. `dec` is the file's decimal separator when its cells proved one.
pub fn number(t: &str, dec: Option<u8>) -> Result<f64, String> {
    if dec != Some(b',') {
        if let Some(v) = plain_number(t) {
            return Ok(v);
        }
    }
    match dec {
        Some(d) => parse_decimal(&with_point(t, d)?),
        None => parse_decimal(t),
    }
}

/// Reads an amount in minor units of a currency with `digits` decimals. Currency signs and
/// codes around it are ignored; an empty cell is `None`. Amounts more precise than the
/// currency (a total computed from a per-litre price) are rounded.
pub fn money(t: &str, digits: u8, dec: Option<u8>) -> Result<Option<i64>, String> {
    let t = strip_currency(t);
    let t = t.as_ref();
    if t.is_empty() {
        return Ok(None);
    }
    if dec != Some(b',') {
        if let Some(v) = plain_minor(t, digits) {
            return Ok(Some(v));
        }
    }
    let normal = match dec {
        Some(d) => {
            let n = with_point(t, d)?;
            let decimals = n.split_once('.').map_or(0, |(_, f)| f.len());
            if decimals > digits as usize {
                // The file says this is a decimal point: more decimals than the currency
                // has are rounded, never read as grouping.
                let v = parse_decimal(&n)?;
                return Ok(Some((v * 10f64.powi(digits as i32)).round() as i64));
            }
            n
        }
        None => t.to_owned(),
    };
    parse_decimal_minor(&normal, digits)
        .or_else(|_| parse_decimal(&normal).map(|v| (v * 10f64.powi(digits as i32)).round() as i64))
        .map(Some)
}

/// `t` with grouping removed and the decimal separator `dec` turned into a point.
fn with_point(t: &str, dec: u8) -> Result<String, String> {
    let mut out = String::with_capacity(t.len());
    for c in t.trim().chars() {
        match c {
            '0'..='9' | '-' | '+' | 'e' | 'E' => out.push(c),
            '.' | ',' if c as u32 == dec as u32 => out.push('.'),
            '.' | ',' | ' ' | '\u{a0}' | '\u{202f}' | '\'' => {}
            _ => return Err(format!("{t:?} is not a number")),
        }
    }
    if out.is_empty() {
        return Err("a number is required".into());
    }
    Ok(out)
}

/// "1234.5" as most exports write numbers: parsed without the allocation that the
/// general (both separators, grouping) parser needs. `None` sends it to the general one.
pub(super) fn plain_number(t: &str) -> Option<f64> {
    let digits = t.strip_prefix('-').unwrap_or(t);
    let ok = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && digits.bytes().filter(|&b| b == b'.').count() <= 1
        && digits != ".";
    ok.then(|| t.parse().ok()).flatten()
}

/// "61.23" in a currency with `digits` decimals, exactly, without allocating.
pub(super) fn plain_minor(t: &str, digits: u8) -> Option<i64> {
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
pub(super) fn strip_currency(t: &str) -> std::borrow::Cow<'_, str> {
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

/// Evidence about the decimal separator gathered over cells.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DecimalEvidence {
    pub point: u32,
    pub comma: u32,
}

impl DecimalEvidence {
    /// Looks at one cell. Only cells that are an amount (digits, separators, grouping
    /// spaces, a sign, and at most a short currency sign or code around them) count; dates
    /// (`13.02.2024`), times, notes ("Discount: 1,25 €") and consumption texts with a unit
    /// ("6,414 l/100km") do not.
    pub fn add(&mut self, cell: &str) {
        let t = cell.trim();
        let Some(start) = t.find(|c: char| c.is_ascii_digit()) else {
            return;
        };
        let end = t.rfind(|c: char| c.is_ascii_digit()).unwrap_or(start) + 1;
        let (prefix, core, suffix) = (&t[..start], &t[start..end], &t[end..]);
        let affix_ok = |a: &str| {
            a.chars().count() <= 4
                && !a.contains([':', '/', '.', ',', '%'])
                && !a.chars().any(|c| c.is_ascii_digit())
        };
        let prefix = prefix.trim_end_matches(['-', '+', '(']);
        if !affix_ok(prefix) || !affix_ok(suffix.trim_start_matches(')')) {
            return;
        }
        let core: String = core
            .chars()
            .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\''))
            .collect();
        if !core
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
        {
            return;
        }
        let (points, commas) = (core.matches('.').count(), core.matches(',').count());
        let proves = match (points, commas) {
            (0, 0) => None,
            (p, c) if p > 0 && c > 0 => {
                let last = if core.rfind('.') > core.rfind(',') {
                    '.'
                } else {
                    ','
                };
                // The decimal separator occurs once, after every grouping one.
                (core.matches(last).count() == 1).then_some(last)
            }
            (1, 0) | (0, 1) => {
                let sep = if points == 1 { '.' } else { ',' };
                let after = core.len() - core.find(sep).unwrap_or(0) - 1;
                // "1,234" (three digits after) is grouping in one culture, a decimal in
                // another: no proof either way. "5." proves nothing either.
                (after != 3 && after != 0).then_some(sep)
            }
            // "1.234.567" or "13.02.2024": grouping or a date, no proof.
            _ => None,
        };
        match proves {
            Some('.') => self.point += 1,
            Some(',') => self.comma += 1,
            _ => {}
        }
    }

    /// The separator the cells proved, if they agree.
    pub fn decide(&self) -> Option<u8> {
        match (self.point, self.comma) {
            (p, 0) if p > 0 => Some(b'.'),
            (0, c) if c > 0 => Some(b','),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_paths_agree_with_the_general_parsers() {
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
            ("¤145.00", "145.00"),
            ("12.5", "12.5"),
        ] {
            assert_eq!(strip_currency(t), v, "{t}");
        }
    }

    #[test]
    fn the_files_decimal_separator_decides_three_decimal_amounts() {
        // A point file: 5300.064 is 5300.06, not 5 300 064.
        assert_eq!(money("5300.064", 2, Some(b'.')).unwrap(), Some(530_006));
        assert_eq!(money("$1,234.56", 2, Some(b'.')).unwrap(), Some(123_456));
        // A comma file: 1.500 is fifteen hundred, 40,5 is forty and a half.
        assert_eq!(money("1.500", 2, Some(b',')).unwrap(), Some(150_000));
        assert_eq!(
            money("1\u{202f}234,56\u{a0}€", 2, Some(b',')).unwrap(),
            Some(123_456)
        );
        assert_eq!(number("40,5", Some(b',')).unwrap(), 40.5);
        assert_eq!(number("1.234", Some(b',')).unwrap(), 1234.0);
        assert_eq!(number("1,234", Some(b'.')).unwrap(), 1234.0);
        // No evidence: each cell on its own (the old rules).
        assert_eq!(money("1,500", 2, None).unwrap(), Some(150_000));
        assert_eq!(money("", 2, None).unwrap(), None);
        assert!(number("abc", Some(b'.')).is_err());
    }

    #[test]
    fn evidence_comes_from_amounts_only() {
        let mut e = DecimalEvidence::default();
        for cell in [
            "13.02.2024",
            "2025-08-24 17:37:33",
            "17:37",
            "Discount: 1,25 €",
            "6,414 л/100км",
            "1,234",
            "491791",
            "b999ff9e",
        ] {
            e.add(cell);
        }
        assert_eq!(
            e,
            DecimalEvidence::default(),
            "none of these proves anything"
        );
        e.add("37.52");
        e.add("$1,234.56");
        e.add("491791.0");
        assert_eq!((e.point, e.comma, e.decide()), (3, 0, Some(b'.')));
        let mut c = DecimalEvidence::default();
        c.add("23,07\u{a0}€");
        c.add("1.234,56 €");
        c.add("40,5");
        assert_eq!(c.decide(), Some(b','));
        c.add("22.50");
        assert_eq!(c.decide(), None, "mixed files decide per cell");
    }
}
