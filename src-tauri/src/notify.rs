//! Desktop notifications when a reminder becomes urgent, very urgent or past due: once per
//! change of level, not on every start. The last level notified per reminder is kept in
//! the database's local_meta table (device-local, never synced), so a restart stays quiet.

use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::time::Duration;

use glovebox_core::reminders::urgency::{ReminderStatus, Urgency};
use glovebox_core::Garage;
use tauri::AppHandle;
use tauri_plugin_notification::NotificationExt;

/// Urgency by date moves with the clock, not only with writes: look again this often.
const RECHECK: Duration = Duration::from_secs(15 * 60);

fn meta_key(reminder_id: &str) -> String {
    format!("notified_urgency:{reminder_id}")
}

fn code(u: Urgency) -> &'static str {
    match u {
        Urgency::NotUrgent => "not_urgent",
        Urgency::Urgent => "urgent",
        Urgency::VeryUrgent => "very_urgent",
        Urgency::PastDue => "past_due",
    }
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
        let now = code(r.urgency);
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

fn check(app: &AppHandle, garage: &Garage) -> glovebox_core::Result<()> {
    for v in garage.vehicles(false)? {
        let list = garage.reminder_statuses(&v.id)?;
        let (announce, record) = decide(&list, |id| {
            garage.local_setting(&meta_key(id)).ok().flatten()
        });
        for r in announce {
            let body = match (r.days_left, r.distance_left) {
                (Some(d), _) if d < 0 => format!("{}: {} days overdue", v.name, -d),
                (Some(d), _) => format!("{}: due in {d} days", v.name),
                (None, Some(left)) => {
                    format!("{}: {:.0} {} to go", v.name, left.value, left.unit.label())
                }
                _ => v.name.clone(),
            };
            let title = format!("{} — {}", r.reminder.title, r.urgency.label());
            if let Err(e) = app
                .notification()
                .builder()
                .title(&title)
                .body(&body)
                .show()
            {
                // No notification daemon (e.g. a headless test display): the level is
                // still recorded below, so this is not retried on every check.
                tracing::warn!("could not show a notification: {e}");
            } else {
                tracing::info!(reminder = %r.reminder.id, urgency = code(r.urgency), "notified");
            }
        }
        for (id, level) in record {
            garage.set_local_setting(&meta_key(&id), level)?;
        }
    }
    Ok(())
}

/// Checks at start, after every change and every `RECHECK`, on a thread of its own so a
/// write never waits for D-Bus.
pub fn start(app: AppHandle, garage: Arc<Garage>) {
    let (tx, rx) = mpsc::channel::<()>();
    garage.subscribe(move |_| {
        let _ = tx.send(());
    });
    std::thread::Builder::new()
        .name("reminder-notifier".into())
        .spawn(move || loop {
            // Coalesce bursts (an import, the demo generator) into one check.
            std::thread::sleep(Duration::from_millis(500));
            while rx.try_recv().is_ok() {}
            if let Err(e) = check(&app, &garage) {
                tracing::warn!("reminder check failed: {e}");
            }
            match rx.recv_timeout(RECHECK) {
                Ok(()) | Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
        })
        .expect("spawn the notifier thread");
}

#[cfg(test)]
mod tests {
    use super::*;
    use glovebox_core::reminders::urgency::ResolvedThresholds;
    use glovebox_core::reminders::Reminder;
    use glovebox_core::units::DistanceUnit;
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
}
