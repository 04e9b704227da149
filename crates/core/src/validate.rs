//! Small validation helpers shared by the record modules. Each returns an error that
//! names the field and the reason, in words a user understands.

use chrono::{NaiveDate, NaiveDateTime};

use crate::error::{Error, Result};

pub const MAX_TEXT: usize = 200;
pub const MAX_NOTES: usize = 10_000;
pub const MAX_ODOMETER: f64 = 10_000_000.0;
pub const MAX_TAG_LEN: usize = 40;
pub const MAX_TAGS: usize = 20;

pub fn earliest_date() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(1900, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .unwrap_or_default()
}

/// Required, trimmed, bounded text.
pub fn required_text(field: &str, value: &str) -> Result<String> {
    let v = value.trim();
    if v.is_empty() {
        return Err(Error::validation(field, "must not be empty"));
    }
    optional_text(field, v, MAX_TEXT)
}

pub fn optional_text(field: &str, value: &str, max: usize) -> Result<String> {
    let v = value.trim();
    if v.chars().count() > max {
        return Err(Error::validation(
            field,
            format!("is longer than {max} characters"),
        ));
    }
    if v.chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
    {
        return Err(Error::validation(field, "contains control characters"));
    }
    Ok(v.to_owned())
}

pub fn finite(field: &str, value: f64) -> Result<f64> {
    if !value.is_finite() {
        return Err(Error::validation(field, "must be a number"));
    }
    Ok(value)
}

pub fn positive(field: &str, value: f64, max: f64) -> Result<f64> {
    finite(field, value)?;
    if value <= 0.0 {
        return Err(Error::validation(field, "must be greater than zero"));
    }
    if value > max {
        return Err(Error::validation(field, format!("must be at most {max}")));
    }
    Ok(value)
}

pub fn odometer(field: &str, value: f64) -> Result<f64> {
    finite(field, value)?;
    if value < 0.0 {
        return Err(Error::validation(field, "must not be negative"));
    }
    if value > MAX_ODOMETER {
        return Err(Error::validation(
            field,
            format!("must be below {MAX_ODOMETER}"),
        ));
    }
    Ok(value)
}

pub fn non_negative_money(field: &str, minor: i64) -> Result<i64> {
    if minor < 0 {
        return Err(Error::validation(field, "must not be negative"));
    }
    if minor > 1_000_000_000_000 {
        return Err(Error::validation(field, "is implausibly large"));
    }
    Ok(minor)
}

/// A record's date: not before 1900 and not after tomorrow (time zones differ by a day at
/// most; anything later is a typo such as 2042 for 2024).
pub fn record_date(field: &str, value: NaiveDateTime, now: NaiveDateTime) -> Result<NaiveDateTime> {
    if value < earliest_date() {
        return Err(Error::validation(field, "must not be before 1900-01-01"));
    }
    if value > now + chrono::Duration::days(1) {
        return Err(Error::validation(
            field,
            format!("{} is in the future", value.format("%Y-%m-%d")),
        ));
    }
    Ok(value)
}

/// Tags: trimmed, de-duplicated, each short and without commas.
pub fn tags(field: &str, tags: &[String]) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for t in tags {
        let t = t.trim();
        if t.is_empty() {
            continue;
        }
        if t.chars().count() > MAX_TAG_LEN {
            return Err(Error::validation(
                field,
                format!("tag {t:?} is longer than {MAX_TAG_LEN} characters"),
            ));
        }
        if t.contains(',') || t.chars().any(char::is_control) {
            return Err(Error::validation(
                field,
                format!("tag {t:?} must not contain commas or control characters"),
            ));
        }
        if !out.iter().any(|o| o.eq_ignore_ascii_case(t)) {
            out.push(t.to_owned());
        }
    }
    if out.len() > MAX_TAGS {
        return Err(Error::validation(field, format!("at most {MAX_TAGS} tags")));
    }
    Ok(out)
}

pub fn tags_to_sql(tags: &[String]) -> String {
    tags.join(",")
}

pub fn tags_from_sql(text: &str) -> Vec<String> {
    text.split(',')
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}
