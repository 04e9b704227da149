//! Dates as the supported apps write them. The day/month order of "01/02/2024" is
//! decided over every date in a file (`DateEvidence`), never guessed from one row.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use serde::{Deserialize, Serialize};

use super::{DateOrder, ImportError};

/// A date as written: three numbers in a known or not-yet-known order, plus a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateParts {
    /// Year first (2024-02-13): order known.
    pub year_first: bool,
    pub a: u32,
    pub b: u32,
    pub c: u32,
    pub time: NaiveTime,
}

impl DateParts {
    pub fn parse(text: &str) -> Option<DateParts> {
        let spaced = unspace(text.trim());
        let text = spaced.as_ref();
        let split = text
            .find(|c: char| c == 'T' || c.is_whitespace())
            .unwrap_or(text.len());
        let (date, rest) = text.split_at(split);
        let mut nums = date
            .trim_end_matches('.')
            .split(['-', '/', '.'])
            .map(|p| (p.len(), p.parse::<u32>().ok()));
        let (la, a) = nums.next()?;
        let (_, b) = nums.next()?;
        let (lc, c) = nums.next()?;
        if nums.next().is_some() {
            return None;
        }
        let (a, b, mut c) = (a?, b?, c?);
        let year_first = la == 4;
        if !year_first {
            match lc {
                4 => {}
                2 => c += if c < 70 { 2000 } else { 1900 },
                _ => return None,
            }
        }
        let time = parse_time(rest.trim_start_matches('T').trim())?;
        let d = DateParts {
            year_first,
            a,
            b,
            c,
            time,
        };
        // Valid in at least one order, or it is not a date at all.
        (d.resolve(DateOrder::Ymd).is_some()
            || d.resolve(DateOrder::Dmy).is_some()
            || d.resolve(DateOrder::Mdy).is_some())
        .then_some(d)
    }

    /// The date in `order`; year-first dates ignore the order (they are unambiguous).
    pub fn resolve(&self, order: DateOrder) -> Option<NaiveDateTime> {
        let (y, m, d) = if self.year_first {
            (self.a, self.b, self.c)
        } else {
            match order {
                DateOrder::Dmy => (self.c, self.b, self.a),
                DateOrder::Mdy => (self.c, self.a, self.b),
                DateOrder::Ymd => return None,
            }
        };
        NaiveDate::from_ymd_opt(y as i32, m, d).map(|d| d.and_time(self.time))
    }

    /// Which orders give a real date.
    pub fn fits(&self) -> (bool, bool) {
        (
            self.resolve(DateOrder::Dmy).is_some(),
            self.resolve(DateOrder::Mdy).is_some(),
        )
    }
}

/// "2024. 02. 13." (Hungarian, Korean) and "13. 2. 2024" (Czech, Slovak) as .NET's
/// short date patterns write them: the spaces after the date's dots go.
fn unspace(t: &str) -> std::borrow::Cow<'_, str> {
    if !t.contains(". ") {
        return t.into();
    }
    let mut out = String::with_capacity(t.len());
    let mut dots = 0;
    let mut chars = t.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '.' && dots < 2 && out[..out.len() - 1].ends_with(|p: char| p.is_ascii_digit()) {
            dots += 1;
            let mut spaces = 0;
            while chars.peek() == Some(&' ') {
                chars.next();
                spaces += 1;
            }
            if !chars.peek().is_some_and(char::is_ascii_digit) {
                out.extend(std::iter::repeat_n(' ', spaces));
            }
        }
    }
    out.into()
}

fn parse_time(t: &str) -> Option<NaiveTime> {
    // Nothing that could be a time ("13.02.2024 г.", Bulgarian's year suffix): no time.
    if t.is_empty() || !t.contains(|c: char| c.is_ascii_digit()) {
        return Some(NaiveTime::MIN);
    }
    // "07:05", "7:05:30", "07:05:30.250": most files. Read without the five allocations
    // of the general path below, which were a quarter of an import's preview.
    if t.bytes()
        .all(|b| b.is_ascii_digit() || b == b':' || b == b'.')
    {
        return clock_time(t);
    }
    general_time(t)
}

/// `H[:M[:S]]`, anything after the first dot ignored (fractions of a second), as the
/// general path reads it.
fn clock_time(t: &str) -> Option<NaiveTime> {
    let body = t.split('.').next().unwrap_or("");
    let mut parts = body.split(':');
    let h: u32 = parts.next()?.parse().ok()?;
    let m: u32 = parts.next().unwrap_or("0").parse().ok()?;
    let s: u32 = parts.next().unwrap_or("0").parse().ok()?;
    NaiveTime::from_hms_opt(h, m, s)
}

fn general_time(t: &str) -> Option<NaiveTime> {
    // "5:30 p. m." (Spanish), "5:30 p.m.".
    let t = &t
        .to_ascii_lowercase()
        .replace("a. m.", "am")
        .replace("p. m.", "pm")
        .replace("a.m.", "am")
        .replace("p.m.", "pm");
    // Drop a zone suffix (Z, +02:00): records are local wall-clock times.
    let t = t.trim_end_matches(['Z', 'z']);
    let t = match t.rfind(['+']) {
        Some(i) if i > 0 => &t[..i],
        _ => t,
    };
    let lower = t.to_ascii_lowercase();
    let (body, pm) = if let Some(b) = lower.strip_suffix("pm") {
        (b.trim().to_owned(), Some(true))
    } else if let Some(b) = lower.strip_suffix("am") {
        (b.trim().to_owned(), Some(false))
    } else {
        (lower, None)
    };
    let body = body.split('.').next().unwrap_or("");
    let mut parts = body.split(':');
    let mut h: u32 = parts.next()?.trim().parse().ok()?;
    let m: u32 = parts.next().unwrap_or("0").parse().ok()?;
    let s: u32 = parts.next().unwrap_or("0").parse().ok()?;
    match pm {
        Some(true) if h < 12 => h += 12,
        Some(false) if h == 12 => h = 0,
        _ => {}
    }
    NaiveTime::from_hms_opt(h, m, s)
}

/// Evidence about day/month order gathered over every date in a file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DateEvidence {
    /// Dates with the year last (the only ones whose order can be in doubt).
    pub year_last: u64,
    /// Of those, dates that give two different days (01/02/2024; not 05/05/2024, which
    /// reads the same both ways).
    pub ambiguous: u64,
    /// First date that only fits day-first, e.g. (line, "13/02/2024").
    pub day_first_only: Option<(u64, String)>,
    pub month_first_only: Option<(u64, String)>,
}

impl DateEvidence {
    pub fn add(&mut self, line: u64, d: &DateParts) {
        if d.year_first {
            return;
        }
        self.year_last += 1;
        let text = || format!("{:02}/{:02}/{}", d.a, d.b, d.c);
        match d.fits() {
            (true, true) if d.a != d.b => self.ambiguous += 1,
            (true, false) if self.day_first_only.is_none() => {
                self.day_first_only = Some((line, text()))
            }
            (false, true) if self.month_first_only.is_none() => {
                self.month_first_only = Some((line, text()))
            }
            _ => {}
        }
    }

    /// The order to use: the user's choice, else what the rows prove, else the format's
    /// own order (Fuelly writes month-first) when every date reads both ways. `Err` when
    /// only the user can decide.
    pub fn decide(
        &self,
        chosen: Option<DateOrder>,
        format: Option<DateOrder>,
        warnings: &mut Vec<String>,
    ) -> Result<DateOrder, ImportError> {
        if let Some(o) = chosen {
            return Ok(o);
        }
        match (&self.day_first_only, &self.month_first_only) {
            (Some((l1, t1)), Some((l2, t2))) => Err(ImportError::MixedDates {
                day_first: format!("line {l1}: {t1}"),
                month_first: format!("line {l2}: {t2}"),
            }),
            (Some((l, t)), None) => {
                warnings.push(format!(
                    "dates read as day/month/year: line {l} has {t}, which is only valid day-first"
                ));
                Ok(DateOrder::Dmy)
            }
            (None, Some((l, t))) => {
                warnings.push(format!(
                    "dates read as month/day/year: line {l} has {t}, which is only valid month-first"
                ));
                Ok(DateOrder::Mdy)
            }
            (None, None) if self.year_last == 0 => Ok(format.unwrap_or(DateOrder::Ymd)),
            (None, None) if format.is_some() => Ok(format.unwrap_or(DateOrder::Ymd)),
            // Every date reads the same day-first and month-first (05/05/2024): no need to
            // ask.
            (None, None) if self.ambiguous == 0 => Ok(DateOrder::Dmy),
            (None, None) => Err(ImportError::AmbiguousDates {
                rows: self.year_last,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_every_shape() {
        let d = DateParts::parse("2024-02-13 07:05").unwrap();
        assert_eq!(
            d.resolve(DateOrder::Dmy).unwrap().to_string(),
            "2024-02-13 07:05:00"
        );
        let d = DateParts::parse("02/13/2024 5:30 PM").unwrap();
        assert_eq!(d.fits(), (false, true));
        assert_eq!(
            d.resolve(DateOrder::Mdy).unwrap().to_string(),
            "2024-02-13 17:30:00"
        );
        let d = DateParts::parse("13.02.24").unwrap();
        assert_eq!(d.fits(), (true, false));
        assert!(DateParts::parse("2024-02-30").is_none());
        assert!(DateParts::parse("yesterday").is_none());
        assert!(DateParts::parse("2024-01-01T10:00:00Z").is_some());
    }

    #[test]
    fn plain_clock_times_read_as_the_general_path_reads_them() {
        for t in [
            "07:05",
            "7:05",
            "23:59:59",
            "07:05:30.250",
            "8",
            "8.15",
            "24:00",
            "07:61",
            "7::5",
            ":30",
            "07:05:30:01",
            "1.2.3",
        ] {
            assert_eq!(clock_time(t), general_time(t), "{t:?}");
            assert_eq!(parse_time(t), general_time(t), "{t:?}");
        }
        // .NET short dates of other cultures.
        for (t, want) in [
            ("2024. 02. 13.", "2024-02-13 00:00:00"),
            ("13. 2. 2024", "2024-02-13 00:00:00"),
            ("13.02.2024 г.", "2024-02-13 00:00:00"),
            ("2024/2/13", "2024-02-13 00:00:00"),
            ("13-2-2024", "2024-02-13 00:00:00"),
            ("13/02/2024 5:30 p. m.", "2024-02-13 17:30:00"),
            ("2025-08-24 17:37:33", "2025-08-24 17:37:33"),
        ] {
            let d = DateParts::parse(t).unwrap_or_else(|| panic!("{t}"));
            assert_eq!(d.resolve(DateOrder::Dmy).unwrap().to_string(), want, "{t}");
        }
    }

    #[test]
    fn ambiguous_dates_need_a_choice_and_one_row_settles_them() {
        let mut ev = DateEvidence::default();
        ev.add(2, &DateParts::parse("01/02/2024").unwrap());
        let mut w = vec![];
        assert!(matches!(
            ev.decide(None, None, &mut w),
            Err(ImportError::AmbiguousDates { rows: 1 })
        ));
        assert_eq!(
            ev.decide(Some(DateOrder::Mdy), None, &mut w).unwrap(),
            DateOrder::Mdy
        );
        let mut same = DateEvidence::default();
        same.add(2, &DateParts::parse("05/05/2024").unwrap());
        same.add(3, &DateParts::parse("12.12.2023").unwrap());
        assert_eq!(same.decide(None, None, &mut w).unwrap(), DateOrder::Dmy);
        ev.add(3, &DateParts::parse("13/02/2024").unwrap());
        assert_eq!(ev.decide(None, None, &mut w).unwrap(), DateOrder::Dmy);
        assert!(w[0].contains("line 3"), "{w:?}");
        ev.add(4, &DateParts::parse("02/14/2024").unwrap());
        assert!(matches!(
            ev.decide(None, None, &mut w),
            Err(ImportError::MixedDates { .. })
        ));
    }
}
