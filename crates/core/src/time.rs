//! Record times are local wall-clock times without a zone ("when I filled up"), stored as
//! seconds since 1970-01-01T00:00:00 of that wall clock.

use chrono::{DateTime, NaiveDateTime};

pub fn to_sql(t: NaiveDateTime) -> i64 {
    t.and_utc().timestamp()
}

pub fn from_sql(secs: i64) -> NaiveDateTime {
    DateTime::from_timestamp(secs, 0)
        .map(|d| d.naive_utc())
        .unwrap_or_default()
}

pub fn now_local() -> NaiveDateTime {
    chrono::Local::now().naive_local()
}

pub fn now_millis() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
