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
        let text = text.trim();
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

fn parse_time(t: &str) -> Option<NaiveTime> {
    if t.is_empty() {
        return Some(NaiveTime::MIN);
    }
    // Drop a zone suffix (Z, +02:00): records are local wall-clock times.
    let t = t.trim_end_matches('Z');
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

    /// The order to use: the user's choice, the format's fixed one, or what the rows prove.
    /// `Err` when only the user can decide.
    pub fn decide(
        &self,
        chosen: Option<DateOrder>,
        fixed: Option<DateOrder>,
        warnings: &mut Vec<String>,
    ) -> Result<DateOrder, ImportError> {
        if let Some(o) = chosen.or(fixed) {
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
            (None, None) if self.year_last == 0 => Ok(DateOrder::Ymd),
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
