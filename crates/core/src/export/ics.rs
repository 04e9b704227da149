//! Reminders with a due date as an iCalendar file (RFC 5545), for any calendar app: one
//! all-day VEVENT per reminder on its due date, UID = the reminder's id (so re-importing
//! the file updates events instead of duplicating them), RRULE for month-recurring ones.

use std::io::Write;

use chrono::{Duration, NaiveDateTime};

use crate::error::Result;
use crate::reminders::Reminder;
use crate::Garage;

/// Escapes TEXT values (RFC 5545 §3.3.11).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Folds a content line at 75 octets (§3.1): continuation lines start with one space,
/// and a multi-byte UTF-8 character is never split.
pub fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + line.len() / 70 * 3 + 2);
    let mut used = 0;
    let mut limit = 75;
    for c in line.chars() {
        let n = c.len_utf8();
        if used + n > limit {
            out.push_str("\r\n ");
            used = 1;
            limit = 75;
        }
        out.push(c);
        used += n;
    }
    out.push_str("\r\n");
    out
}

/// The calendar for these reminders (`(vehicle name, reminder)`), stamped `now` (UTC).
pub fn calendar(reminders: &[(String, Reminder)], now: NaiveDateTime) -> String {
    let mut s = String::new();
    for l in [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Glovebox//Glovebox reminders//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
    ] {
        s.push_str(&fold(l));
    }
    let stamp = now.format("%Y%m%dT%H%M%SZ").to_string();
    for (vehicle, r) in reminders {
        let Some(due) = r.due_at else { continue };
        let day = due.date();
        let mut description = r.notes.clone();
        if let Some(o) = r.due_odometer {
            if !description.is_empty() {
                description.push('\n');
            }
            description.push_str(&format!("or at {} {}", o.value, o.unit.label()));
        }
        let mut lines = vec![
            "BEGIN:VEVENT".to_owned(),
            format!("UID:{}", escape(&r.id)),
            format!("DTSTAMP:{stamp}"),
            format!("DTSTART;VALUE=DATE:{}", day.format("%Y%m%d")),
            format!(
                "DTEND;VALUE=DATE:{}",
                (day + Duration::days(1)).format("%Y%m%d")
            ),
            format!("SUMMARY:{}", escape(&format!("{vehicle}: {}", r.title))),
        ];
        if !description.is_empty() {
            lines.push(format!("DESCRIPTION:{}", escape(&description)));
        }
        if let Some(m) = r.recur_months {
            lines.push(format!("RRULE:FREQ=MONTHLY;INTERVAL={m}"));
        }
        lines.push("TRANSP:TRANSPARENT".into());
        lines.push("END:VEVENT".into());
        for l in lines {
            s.push_str(&fold(&l));
        }
    }
    s.push_str(&fold("END:VCALENDAR"));
    s
}

/// Writes the active reminders with a due date of one vehicle (or all) as .ics; returns
/// the number of events.
pub fn write(garage: &Garage, vehicle_id: Option<&str>, out: &mut dyn Write) -> Result<u64> {
    let mut all = Vec::new();
    for v in garage.vehicles(true)? {
        if vehicle_id.is_some_and(|id| id != v.id) {
            continue;
        }
        for r in garage.reminders(&v.id)? {
            if r.due_at.is_some() {
                all.push((v.name.clone(), r));
            }
        }
    }
    out.write_all(calendar(&all, chrono::Utc::now().naive_utc()).as_bytes())?;
    Ok(all.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reminders::{Schedule, Thresholds};

    #[test]
    fn folding_keeps_lines_within_75_octets_and_characters_whole() {
        let line = format!("SUMMARY:{}", "é".repeat(100));
        let folded = fold(&line);
        for l in folded.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(l.len() <= 75, "{} octets", l.len());
        }
        let unfolded = folded.replace("\r\n ", "");
        assert_eq!(unfolded, format!("{line}\r\n"));
    }

    #[test]
    fn an_event_per_dated_reminder() {
        let r = Reminder {
            id: "0191-abc".into(),
            vehicle_id: "v".into(),
            title: "Oil, filter; check".into(),
            notes: "line1\nline2".into(),
            due_at: Some(
                chrono::NaiveDate::from_ymd_opt(2025, 3, 31)
                    .unwrap()
                    .and_hms_opt(0, 0, 0)
                    .unwrap(),
            ),
            due_odometer: None,
            recur_months: Some(12),
            recur_distance: None,
            schedule: Schedule::FromCompletion,
            thresholds: Thresholds::default(),
            active: true,
        };
        let now = chrono::NaiveDate::from_ymd_opt(2025, 1, 2)
            .unwrap()
            .and_hms_opt(3, 4, 5)
            .unwrap();
        let ics = calendar(&[("Golf".into(), r)], now);
        assert!(ics.ends_with("END:VCALENDAR\r\n"));
        assert!(!ics.replace("\r\n", "").contains('\n'));
        for want in [
            "UID:0191-abc\r\n",
            "DTSTAMP:20250102T030405Z\r\n",
            "DTSTART;VALUE=DATE:20250331\r\n",
            "DTEND;VALUE=DATE:20250401\r\n",
            "SUMMARY:Golf: Oil\\, filter\\; check\r\n",
            "DESCRIPTION:line1\\nline2\r\n",
            "RRULE:FREQ=MONTHLY;INTERVAL=12\r\n",
        ] {
            assert!(ics.contains(want), "missing {want:?} in {ics}");
        }
    }
}
