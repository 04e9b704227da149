//! Completing a reminder: the completion row, and re-arming the reminder for its next due
//! point. The transaction that ties these together (plus the optional service record) is
//! `Garage::complete_reminder`.

use chrono::{Months, NaiveDateTime};
use serde::{Deserialize, Serialize};

use super::{Reminder, Schedule};
use crate::error::Result;
use crate::service::{ServiceKind, ServiceRecord};
use crate::units::Distance;
use crate::validate;

/// What the user enters when marking a reminder done.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CompletionInput {
    pub completed_at: NaiveDateTime,
    /// Odometer when the work was done, in the vehicle's distance unit.
    #[serde(default)]
    pub odometer: Option<f64>,
    #[serde(default)]
    pub notes: String,
    /// The service record documenting the work; the UI's "complete" always sends one.
    #[serde(default)]
    pub service: Option<CompletionService>,
}

/// The service record created with a completion; date, odometer and notes come from the
/// completion itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CompletionService {
    pub kind: ServiceKind,
    /// Empty: the reminder's title.
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub cost_minor: i64,
    #[serde(default)]
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Completion {
    pub id: String,
    pub reminder_id: String,
    pub vehicle_id: String,
    pub completed_at: NaiveDateTime,
    pub odometer: Option<Distance>,
    pub service_record_id: Option<String>,
    pub notes: String,
}

/// Everything one completion changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompletionOutcome {
    pub completion: Completion,
    pub service: Option<ServiceRecord>,
    /// The reminder after completion: re-armed for its next due point, or inactive.
    pub reminder: Reminder,
}

/// Validates the user's numbers and text (the date is checked by the caller against "now").
pub(crate) fn validate_input(input: &CompletionInput) -> Result<(Option<f64>, String)> {
    let odometer = input
        .odometer
        .map(|o| validate::odometer("odometer", o))
        .transpose()?;
    let notes = validate::optional_text("notes", &input.notes, validate::MAX_NOTES)?;
    Ok((odometer, notes))
}

/// The reminder after a completion at (`done_at`, `done_odometer`).
///
/// - No recurrence: deactivated (kept, so its history stays).
/// - FromCompletion: the next due point counts from the completion (date + months,
///   odometer + distance). Without a completion odometer the vehicle's current reading
///   stands in; without any reading, the previous due odometer.
/// - Fixed: the next due point counts from the previous one, skipping whole periods that
///   are already behind the completion (done late twice over: the missed period is not
///   owed again).
///
/// A due side that does not recur is cleared when the reminder re-arms, or it would be
/// past due forever. Thresholds stay exactly this reminder's own.
pub fn rearm(r: &Reminder, done_at: NaiveDateTime, done_odometer: Option<f64>) -> Reminder {
    let mut next = r.clone();
    let recurs_by_date = r.recur_months.is_some() && r.due_at.is_some();
    let recurs_by_distance = r.recur_distance.is_some() && r.due_odometer.is_some();
    if !recurs_by_date && !recurs_by_distance {
        next.active = false;
        return next;
    }
    next.active = true;
    next.due_at = match (r.recur_months, r.due_at) {
        (Some(m), Some(due)) => Some(match r.schedule {
            Schedule::FromCompletion => add_months(done_at, m),
            Schedule::Fixed => {
                let mut k = 1;
                let mut d = add_months(due, m);
                while d <= done_at {
                    k += 1;
                    d = add_months(due, m * k);
                }
                d
            }
        }),
        _ => None,
    };
    next.due_odometer = match (r.recur_distance, r.due_odometer) {
        (Some(step), Some(due)) => {
            let base = done_odometer.unwrap_or(due.value);
            let value = match r.schedule {
                Schedule::FromCompletion => base + step.value,
                Schedule::Fixed => {
                    // Next multiple of the step after the completion odometer.
                    let mut k = 1.0;
                    while due.value + step.value * k <= base {
                        k += 1.0;
                        if k > 1e6 {
                            break;
                        }
                    }
                    due.value + step.value * k
                }
            };
            Some(Distance::new(value, due.unit))
        }
        _ => None,
    };
    next
}

/// Adds calendar months, clamping to the month's last day (31 Jan + 1 month = 28/29 Feb).
fn add_months(t: NaiveDateTime, months: u32) -> NaiveDateTime {
    t.checked_add_months(Months::new(months)).unwrap_or(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reminders::Thresholds;
    use crate::units::DistanceUnit;
    use chrono::NaiveDate;

    fn day(y: i32, m: u32, d: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(9, 0, 0)
            .unwrap()
    }

    fn km(v: f64) -> Distance {
        Distance::new(v, DistanceUnit::Kilometre)
    }

    fn base() -> Reminder {
        Reminder {
            id: "r".into(),
            vehicle_id: "v".into(),
            title: "Oil".into(),
            notes: String::new(),
            due_at: Some(day(2026, 1, 10)),
            due_odometer: Some(km(50_000.0)),
            recur_months: Some(12),
            recur_distance: Some(km(15_000.0)),
            schedule: Schedule::FromCompletion,
            thresholds: Thresholds {
                urgent_days: Some(90),
                ..Thresholds::default()
            },
            active: true,
        }
    }

    #[test]
    fn from_completion_counts_from_when_the_work_was_done() {
        let next = rearm(&base(), day(2026, 2, 1), Some(51_000.0));
        assert_eq!(next.due_at, Some(day(2027, 2, 1)));
        assert_eq!(next.due_odometer, Some(km(66_000.0)));
        assert!(next.active);
        assert_eq!(
            next.thresholds,
            base().thresholds,
            "thresholds stay its own"
        );
        // No odometer given: the previous due reading is the base.
        let next = rearm(&base(), day(2026, 2, 1), None);
        assert_eq!(next.due_odometer, Some(km(65_000.0)));
    }

    #[test]
    fn fixed_counts_from_the_previous_due_point_and_skips_past_periods() {
        let mut r = base();
        r.schedule = Schedule::Fixed;
        r.recur_months = Some(6);
        // Done early: the next due point is one period after the old one.
        let next = rearm(&r, day(2025, 12, 1), Some(48_000.0));
        assert_eq!(next.due_at, Some(day(2026, 7, 10)));
        assert_eq!(next.due_odometer, Some(km(65_000.0)));
        // Done 14 months late: two periods are behind us, the next is the third.
        let next = rearm(&r, day(2027, 3, 15), Some(82_000.0));
        assert_eq!(next.due_at, Some(day(2027, 7, 10)));
        assert_eq!(next.due_odometer, Some(km(95_000.0)));
    }

    #[test]
    fn a_one_off_is_deactivated_and_a_non_recurring_side_is_cleared() {
        let mut r = base();
        r.recur_months = None;
        r.recur_distance = None;
        let next = rearm(&r, day(2026, 2, 1), None);
        assert!(!next.active);
        assert_eq!(next.due_at, r.due_at, "history keeps the due point it had");
        let mut r = base();
        r.recur_distance = None;
        let next = rearm(&r, day(2026, 2, 1), Some(52_000.0));
        assert!(next.active);
        assert_eq!(
            (next.due_at, next.due_odometer),
            (Some(day(2027, 2, 1)), None)
        );
    }

    #[test]
    fn month_ends_clamp() {
        let mut r = base();
        r.due_at = Some(day(2026, 1, 31));
        r.recur_months = Some(1);
        r.schedule = Schedule::Fixed;
        let next = rearm(&r, day(2026, 1, 20), None);
        assert_eq!(next.due_at, Some(day(2026, 2, 28)));
    }
}
