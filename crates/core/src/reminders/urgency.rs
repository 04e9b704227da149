//! How pressing a reminder is, by date and by distance; the worse of the two wins.
//!
//! Each reminder may carry its own thresholds; whatever it leaves unset falls back to the
//! defaults below, never to another reminder's values (LubeLogger once let one reminder's
//! custom thresholds stick to the next one it evaluated — here thresholds are resolved per
//! call from that reminder alone and nothing is carried between calls).

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use super::{Reminder, Thresholds};
use crate::units::{Distance, DistanceUnit};

/// Ordered from calm to late, so `max` picks the worse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Urgency {
    NotUrgent,
    Urgent,
    VeryUrgent,
    PastDue,
}

impl Urgency {
    /// Urgent or worse: what the garage overview counts as "due".
    pub fn is_due(self) -> bool {
        self >= Urgency::Urgent
    }

    pub fn label(self) -> &'static str {
        match self {
            Urgency::NotUrgent => "Not urgent",
            Urgency::Urgent => "Urgent",
            Urgency::VeryUrgent => "Very urgent",
            Urgency::PastDue => "Past due",
        }
    }
}

pub const DEFAULT_URGENT_DAYS: i64 = 30;
pub const DEFAULT_VERY_URGENT_DAYS: i64 = 7;
/// Distance defaults are defined in km and converted to the vehicle's unit (621.4 mi and
/// 186.4 mi), so a miles vehicle gets the same real-world warning distance.
pub const DEFAULT_URGENT_KM: f64 = 1_000.0;
pub const DEFAULT_VERY_URGENT_KM: f64 = 300.0;

/// Thresholds with every default filled in, in the vehicle's distance unit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ResolvedThresholds {
    pub urgent_days: i64,
    pub very_urgent_days: i64,
    pub urgent_distance: f64,
    pub very_urgent_distance: f64,
}

impl ResolvedThresholds {
    /// This reminder's own thresholds over the defaults. A custom "urgent" smaller than the
    /// default "very urgent" pulls "very urgent" down with it, so the order always holds.
    pub fn resolve(t: &Thresholds, unit: DistanceUnit) -> ResolvedThresholds {
        let urgent_days = t.urgent_days.unwrap_or(DEFAULT_URGENT_DAYS);
        let very_urgent_days = t
            .very_urgent_days
            .unwrap_or(DEFAULT_VERY_URGENT_DAYS)
            .min(urgent_days);
        let urgent_distance = t
            .urgent_distance
            .unwrap_or_else(|| unit.from_km(DEFAULT_URGENT_KM));
        let very_urgent_distance = t
            .very_urgent_distance
            .unwrap_or_else(|| unit.from_km(DEFAULT_VERY_URGENT_KM))
            .min(urgent_distance);
        ResolvedThresholds {
            urgent_days,
            very_urgent_days,
            urgent_distance,
            very_urgent_distance,
        }
    }
}

/// A reminder with how pressing it is right now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ReminderStatus {
    pub reminder: Reminder,
    pub urgency: Urgency,
    /// Whole days until the due date (negative when past); `None` without a due date.
    pub days_left: Option<i64>,
    /// Distance until the due odometer (negative when past); `None` without a due
    /// odometer or without any reading to compare with.
    pub distance_left: Option<Distance>,
    pub thresholds: ResolvedThresholds,
}

/// Urgency by date: past due once the due moment has passed.
pub fn by_date(due_at: NaiveDateTime, now: NaiveDateTime, t: &ResolvedThresholds) -> Urgency {
    if now >= due_at {
        return Urgency::PastDue;
    }
    let left = due_at - now;
    if left <= chrono::Duration::days(t.very_urgent_days) {
        Urgency::VeryUrgent
    } else if left <= chrono::Duration::days(t.urgent_days) {
        Urgency::Urgent
    } else {
        Urgency::NotUrgent
    }
}

/// Urgency by distance (all in the vehicle's unit): past due at or beyond the due reading.
pub fn by_distance(due_odometer: f64, current: f64, t: &ResolvedThresholds) -> Urgency {
    let left = due_odometer - current;
    if left <= 0.0 {
        Urgency::PastDue
    } else if left <= t.very_urgent_distance {
        Urgency::VeryUrgent
    } else if left <= t.urgent_distance {
        Urgency::Urgent
    } else {
        Urgency::NotUrgent
    }
}

/// How pressing `r` is at `now` with the vehicle's current odometer (its unit). An
/// inactive (completed one-off) reminder is never urgent.
pub fn status(r: &Reminder, now: NaiveDateTime, current_odometer: Option<f64>) -> ReminderStatus {
    let unit = r
        .due_odometer
        .or(r.recur_distance)
        .map(|d| d.unit)
        .unwrap_or(DistanceUnit::Kilometre);
    let t = ResolvedThresholds::resolve(&r.thresholds, unit);
    let mut urgency = Urgency::NotUrgent;
    let mut days_left = None;
    let mut distance_left = None;
    if let Some(due) = r.due_at {
        urgency = urgency.max(by_date(due, now, &t));
        days_left = Some((due - now).num_days());
    }
    if let (Some(due), Some(cur)) = (r.due_odometer, current_odometer) {
        urgency = urgency.max(by_distance(due.value, cur, &t));
        distance_left = Some(Distance::new(due.value - cur, due.unit));
    }
    if !r.active {
        urgency = Urgency::NotUrgent;
    }
    ReminderStatus {
        reminder: r.clone(),
        urgency,
        days_left,
        distance_left,
        thresholds: t,
    }
}

/// Most pressing first; then soonest due date; then least distance left; then id.
pub fn sort_most_pressing(list: &mut [ReminderStatus]) {
    list.sort_by(|a, b| {
        b.urgency
            .cmp(&a.urgency)
            .then_with(|| match (a.days_left, b.days_left) {
                (Some(x), Some(y)) => x.cmp(&y),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            })
            .then_with(|| {
                let l = |s: &ReminderStatus| s.distance_left.map_or(f64::INFINITY, |d| d.value);
                l(a).total_cmp(&l(b))
            })
            .then_with(|| a.reminder.id.cmp(&b.reminder.id))
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reminders::Schedule;
    use chrono::NaiveDate;

    fn day(y: i32, m: u32, d: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(9, 0, 0)
            .unwrap()
    }

    fn reminder(
        due_at: Option<NaiveDateTime>,
        due_odo: Option<f64>,
        unit: DistanceUnit,
    ) -> Reminder {
        Reminder {
            id: "r".into(),
            vehicle_id: "v".into(),
            title: "Oil".into(),
            notes: String::new(),
            due_at,
            due_odometer: due_odo.map(|o| Distance::new(o, unit)),
            recur_months: None,
            recur_distance: None,
            schedule: Schedule::FromCompletion,
            thresholds: Thresholds::default(),
            active: true,
        }
    }

    #[test]
    fn date_urgency_at_the_default_edges() {
        let now = day(2026, 1, 1);
        let t = ResolvedThresholds::resolve(&Thresholds::default(), DistanceUnit::Kilometre);
        assert_eq!(by_date(day(2026, 3, 1), now, &t), Urgency::NotUrgent);
        assert_eq!(by_date(day(2026, 1, 31), now, &t), Urgency::Urgent);
        assert_eq!(by_date(day(2026, 1, 8), now, &t), Urgency::VeryUrgent);
        assert_eq!(by_date(day(2026, 1, 9), now, &t), Urgency::Urgent);
        assert_eq!(by_date(now, now, &t), Urgency::PastDue);
        assert_eq!(by_date(day(2025, 12, 1), now, &t), Urgency::PastDue);
    }

    #[test]
    fn distance_defaults_are_converted_for_miles() {
        let km = ResolvedThresholds::resolve(&Thresholds::default(), DistanceUnit::Kilometre);
        let mi = ResolvedThresholds::resolve(&Thresholds::default(), DistanceUnit::Mile);
        assert_eq!(km.urgent_distance, 1000.0);
        assert!((mi.urgent_distance - 621.37).abs() < 0.01, "{mi:?}");
        assert!((mi.very_urgent_distance - 186.41).abs() < 0.01, "{mi:?}");
        // 700 left: urgent in km, not urgent in miles (700 mi is 1,127 km).
        assert_eq!(by_distance(10_700.0, 10_000.0, &km), Urgency::Urgent);
        assert_eq!(by_distance(10_700.0, 10_000.0, &mi), Urgency::NotUrgent);
        assert_eq!(by_distance(10_200.0, 10_000.0, &km), Urgency::VeryUrgent);
        assert_eq!(by_distance(10_000.0, 10_000.0, &km), Urgency::PastDue);
    }

    #[test]
    fn the_worse_of_date_and_distance_wins() {
        let now = day(2026, 1, 1);
        let r = reminder(
            Some(day(2026, 6, 1)),
            Some(10_100.0),
            DistanceUnit::Kilometre,
        );
        let s = status(&r, now, Some(10_000.0));
        assert_eq!(s.urgency, Urgency::VeryUrgent);
        assert_eq!(s.distance_left.unwrap().value, 100.0);
        let s = status(&r, now, Some(10_200.0));
        assert_eq!(s.urgency, Urgency::PastDue);
        let r = reminder(
            Some(day(2026, 1, 5)),
            Some(90_000.0),
            DistanceUnit::Kilometre,
        );
        assert_eq!(status(&r, now, Some(10_000.0)).urgency, Urgency::VeryUrgent);
        // No reading: the distance side cannot say anything.
        let r = reminder(None, Some(10.0), DistanceUnit::Kilometre);
        let s = status(&r, now, None);
        assert_eq!((s.urgency, s.distance_left), (Urgency::NotUrgent, None));
    }

    #[test]
    fn custom_thresholds_apply_to_their_reminder_only() {
        let now = day(2026, 1, 1);
        let mut custom = reminder(Some(day(2026, 2, 10)), None, DistanceUnit::Kilometre);
        custom.id = "custom".into();
        custom.thresholds = Thresholds {
            urgent_days: Some(60),
            very_urgent_days: Some(45),
            ..Thresholds::default()
        };
        let mut plain = reminder(Some(day(2026, 2, 10)), None, DistanceUnit::Kilometre);
        plain.id = "plain".into();
        // Evaluated in both orders: nothing carries over from one to the other.
        for order in [[&custom, &plain], [&plain, &custom]] {
            let got: Vec<(String, Urgency)> = order
                .iter()
                .map(|r| (r.id.clone(), status(r, now, None).urgency))
                .collect();
            for (id, u) in got {
                let want = if id == "custom" {
                    Urgency::VeryUrgent
                } else {
                    Urgency::NotUrgent
                };
                assert_eq!(u, want, "{id}");
            }
        }
    }

    #[test]
    fn a_small_custom_urgent_pulls_very_urgent_down() {
        let t = ResolvedThresholds::resolve(
            &Thresholds {
                urgent_days: Some(3),
                urgent_distance: Some(100.0),
                ..Thresholds::default()
            },
            DistanceUnit::Kilometre,
        );
        assert_eq!((t.urgent_days, t.very_urgent_days), (3, 3));
        assert_eq!(t.very_urgent_distance, 100.0);
    }

    #[test]
    fn inactive_reminders_are_never_urgent_and_sorting_puts_the_worst_first() {
        let now = day(2026, 1, 1);
        let mut done = reminder(Some(day(2025, 1, 1)), None, DistanceUnit::Kilometre);
        done.active = false;
        assert_eq!(status(&done, now, None).urgency, Urgency::NotUrgent);
        let mut a = status(
            &reminder(Some(day(2026, 5, 1)), None, DistanceUnit::Kilometre),
            now,
            None,
        );
        a.reminder.id = "a".into();
        let mut b = status(
            &reminder(Some(day(2025, 12, 1)), None, DistanceUnit::Kilometre),
            now,
            None,
        );
        b.reminder.id = "b".into();
        let mut c = status(
            &reminder(Some(day(2026, 3, 1)), None, DistanceUnit::Kilometre),
            now,
            None,
        );
        c.reminder.id = "c".into();
        let mut list = vec![a, b, c];
        sort_most_pressing(&mut list);
        let ids: Vec<&str> = list.iter().map(|s| s.reminder.id.as_str()).collect();
        assert_eq!(ids, vec!["b", "c", "a"]);
    }
}
