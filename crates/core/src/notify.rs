//! Reminder notifications: which reminders to announce, and what to say. A reminder is
//! announced when it becomes urgent, very urgent or past due — once per change of level,
//! not on every start. The last level announced per reminder is kept in the database's
//! local_meta table (device-local, never synced), so a restart stays quiet.
//!
//! The core decides; a shell only shows what it is handed ([`Notification`]).

use crate::catalog::urgency_code;
use crate::error::Result;
use crate::reminders::urgency::ReminderStatus;
use crate::vehicles::Vehicle;
use crate::Garage;

/// What a shell shows: a title and a body, with what it is about.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Notification {
    pub vehicle_id: String,
    pub reminder_id: String,
    pub title: String,
    pub body: String,
}

fn meta_key(reminder_id: &str) -> String {
    format!("notified_urgency:{reminder_id}")
}

/// The reminders to announce now: those whose level differs from the last one recorded
/// and is urgent or worse. Also returns every level to record, so a reminder that calms
/// down (completed, re-armed) is announced again when it next turns urgent.
pub fn decide(
    reminders: &[ReminderStatus],
    last: impl Fn(&str) -> Option<String>,
) -> (Vec<&ReminderStatus>, Vec<(String, &'static str)>) {
    let mut announce = Vec::new();
    let mut record = Vec::new();
    for r in reminders {
        let now = urgency_code(r.urgency);
        let before = last(&r.reminder.id);
        if before.as_deref() == Some(now) {
            continue;
        }
        // A reminder seen for the first time while calm needs no entry.
        if before.is_none() && !r.urgency.is_due() {
            continue;
        }
        if r.urgency.is_due() {
            announce.push(r);
        }
        record.push((r.reminder.id.clone(), now));
    }
    (announce, record)
}

/// The text of a notification for reminder `r` of vehicle `v`.
pub fn message(v: &Vehicle, r: &ReminderStatus) -> Notification {
    let body = match (r.days_left, r.distance_left) {
        (Some(d), _) if d < 0 => format!("{}: {} days overdue", v.name, -d),
        (Some(0), _) => format!("{}: due today", v.name),
        (Some(d), _) => format!("{}: due in {d} days", v.name),
        (None, Some(left)) if left.value < 0.0 => {
            format!("{}: {:.0} {} over", v.name, -left.value, left.unit.label())
        }
        (None, Some(left)) => {
            format!("{}: {:.0} {} to go", v.name, left.value, left.unit.label())
        }
        _ => v.name.clone(),
    };
    Notification {
        vehicle_id: v.id.clone(),
        reminder_id: r.reminder.id.clone(),
        title: format!("{} — {}", r.reminder.title, r.urgency.label()),
        body,
    }
}

/// Checks `vehicles` (every active one with `None`): returns what to announce and records
/// the new levels first, so a notification that cannot be shown (no notification daemon)
/// is not retried on every check.
pub fn check(garage: &Garage, vehicles: Option<&[String]>) -> Result<Vec<Notification>> {
    let list = match vehicles {
        None => garage.vehicles(false)?,
        Some(ids) => {
            let mut out = Vec::with_capacity(ids.len());
            for id in ids {
                match garage.vehicle(id) {
                    Ok(v) if !v.archived => out.push(v),
                    // Deleted or archived since: nothing to announce.
                    Ok(_) | Err(crate::Error::NotFound { .. }) => {}
                    Err(e) => return Err(e),
                }
            }
            out
        }
    };
    let store = garage.store();
    let mut out = Vec::new();
    for v in list {
        let statuses = garage.reminder_statuses(&v.id)?;
        let (announce, record) =
            decide(&statuses, |id| store.meta_get(&meta_key(id)).ok().flatten());
        out.extend(announce.into_iter().map(|r| message(&v, r)));
        for (id, level) in record {
            store.meta_set(&meta_key(&id), level)?;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reminders::urgency::{ResolvedThresholds, Urgency};
    use crate::reminders::{Reminder, ReminderInput};
    use crate::units::DistanceUnit;
    use crate::vehicles::VehicleInput;
    use std::collections::HashMap;

    fn view(id: &str, urgency: Urgency) -> ReminderStatus {
        ReminderStatus {
            reminder: Reminder {
                id: id.into(),
                vehicle_id: "v".into(),
                title: "t".into(),
                notes: String::new(),
                due_at: None,
                due_odometer: None,
                recur_months: None,
                recur_distance: None,
                schedule: Default::default(),
                thresholds: Default::default(),
                active: true,
            },
            urgency,
            days_left: Some(3),
            distance_left: None,
            thresholds: ResolvedThresholds::resolve(&Default::default(), DistanceUnit::Kilometre),
        }
    }

    fn ids(v: &[&ReminderStatus]) -> Vec<String> {
        v.iter().map(|r| r.reminder.id.clone()).collect()
    }

    #[test]
    fn announces_once_per_change_of_level() {
        let mut stored: HashMap<String, String> = HashMap::new();
        let run = |list: &[ReminderStatus], stored: &mut HashMap<String, String>| {
            let (a, rec) = decide(list, |id| stored.get(id).cloned());
            let out = ids(&a);
            for (id, l) in rec {
                stored.insert(id, l.to_owned());
            }
            out
        };
        // Calm reminders are not announced and leave no trace.
        assert!(run(&[view("a", Urgency::NotUrgent)], &mut stored).is_empty());
        assert!(stored.is_empty());
        // Turning urgent: announced once, then quiet (a restart reads the same store).
        assert_eq!(run(&[view("a", Urgency::Urgent)], &mut stored), ["a"]);
        assert!(run(&[view("a", Urgency::Urgent)], &mut stored).is_empty());
        // Worse level: announced again.
        assert_eq!(run(&[view("a", Urgency::PastDue)], &mut stored), ["a"]);
        // Completed and re-armed: calm is recorded, so the next rise is announced.
        assert!(run(&[view("a", Urgency::NotUrgent)], &mut stored).is_empty());
        assert_eq!(stored["a"], "not_urgent");
        assert_eq!(run(&[view("a", Urgency::Urgent)], &mut stored), ["a"]);
    }

    #[test]
    fn check_on_a_real_database_announces_once_across_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("g.db");
        let garage = Garage::open(&path).unwrap();
        let v = garage.create_vehicle(&VehicleInput::new("Golf")).unwrap();
        let due = garage.now() + chrono::Duration::days(3);
        garage
            .add_reminder(&ReminderInput {
                vehicle_id: v.id.clone(),
                title: "Inspection".into(),
                notes: String::new(),
                due_at: Some(due),
                due_odometer: None,
                recur_months: None,
                recur_distance: None,
                schedule: Default::default(),
                thresholds: Default::default(),
            })
            .unwrap();

        let first = check(&garage, None).unwrap();
        assert_eq!(first.len(), 1);
        assert_eq!(first[0].title, "Inspection — Very urgent");
        assert!(
            first[0].body.starts_with("Golf: due in "),
            "{}",
            first[0].body
        );
        assert!(check(&garage, Some(std::slice::from_ref(&v.id)))
            .unwrap()
            .is_empty());
        drop(garage);
        let garage = Garage::open(&path).unwrap();
        assert!(
            check(&garage, None).unwrap().is_empty(),
            "quiet after a restart"
        );
    }
}
