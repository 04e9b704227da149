//! Completing a reminder through the one write path: the completion row, the optional
//! service record and the re-armed (or deactivated) reminder commit together or not at all.

use super::write::Target;
use super::{new_id, Garage, WriteOptions};
use crate::error::{Error, Result};
use crate::events::{ChangeSource, RecordKind};
use crate::reminders::completion::{self, Completion, CompletionInput, CompletionOutcome};
use crate::reminders::urgency::{self, ReminderStatus};
use crate::reminders::Reminder;
use crate::service::ServiceInput;
use crate::store::{self, records};
use crate::units::Distance;
use crate::{validate, Page};

impl Garage {
    /// Marks reminder `id` done: records the completion, creates the service record when
    /// `input.service` asks for one, and re-arms a recurring reminder (or deactivates a
    /// one-off) — in one transaction, emitting one event per kind touched.
    pub fn complete_reminder(
        &self,
        id: &str,
        input: &CompletionInput,
        opts: WriteOptions,
    ) -> Result<CompletionOutcome> {
        let now = self.now();
        let completed_at = validate::record_date("completed_at", input.completed_at, now)?;
        let (odometer_value, notes) = completion::validate_input(input)?;
        self.transaction("reminder.complete", ChangeSource::Local, |w| {
            let vehicle_id = records::vehicle_of(w.conn(), RecordKind::Reminder, id, false)?;
            let v = w.live_vehicle(&vehicle_id)?;
            let reminder = store::get::<Reminder>(w.conn(), &v, id)?;
            if !reminder.active {
                return Err(Error::validation(
                    "reminder",
                    "this reminder is already done and does not recur",
                ));
            }
            let service = match &input.service {
                Some(s) => {
                    let title = if s.title.trim().is_empty() {
                        reminder.title.clone()
                    } else {
                        s.title.clone()
                    };
                    let service = ServiceInput {
                        vehicle_id: v.id.clone(),
                        kind: s.kind,
                        occurred_at: completed_at,
                        odometer: odometer_value,
                        title,
                        category: s.category.clone(),
                        cost_minor: s.cost_minor,
                        notes: notes.clone(),
                        tags: s.tags.clone(),
                    };
                    Some(w.put(Target::New(None), &service, !opts.confirm_odometer)?)
                }
                None => {
                    // No service record checks the reading, so check it here: a typo would
                    // re-arm the reminder thousands of km away.
                    if let (Some(o), false) = (odometer_value, opts.confirm_odometer) {
                        w.check_odometer(&v, completed_at, o, "")?;
                    }
                    None
                }
            };
            // Without a reading on the completion, the vehicle's current one is the best
            // estimate of where the work was done.
            let done_odometer = match odometer_value {
                Some(o) => Some(o),
                None => store::readings::highest(w.conn(), &v.id)?,
            };
            let c = Completion {
                id: new_id(),
                reminder_id: reminder.id.clone(),
                vehicle_id: v.id.clone(),
                completed_at,
                odometer: odometer_value.map(|o| Distance::new(o, v.distance_unit)),
                service_record_id: service.as_ref().map(|s| s.id.clone()),
                notes,
            };
            w.insert_completion(&c)?;
            let next = completion::rearm(&reminder, completed_at, done_odometer);
            w.update_reminder(&next)?;
            Ok(CompletionOutcome {
                completion: c,
                service,
                reminder: next,
            })
        })
    }

    /// Every active reminder of a vehicle with its urgency now, most pressing first (the
    /// reminders tab; the dashboard shows the first five).
    pub fn reminder_statuses(&self, vehicle_id: &str) -> Result<Vec<ReminderStatus>> {
        let now = self.now();
        self.read_for("reminder.statuses", vehicle_id, |c, v| {
            let current = store::readings::highest(c, &v.id)?;
            let mut out: Vec<ReminderStatus> = store::reminders::list_active(c, v)?
                .iter()
                .map(|r| urgency::status(r, now, current))
                .collect();
            urgency::sort_most_pressing(&mut out);
            Ok(out)
        })
    }

    /// Completions of a vehicle's reminder (or of all its reminders), newest first.
    pub fn reminder_completions(
        &self,
        vehicle_id: &str,
        reminder_id: Option<&str>,
        page: Page,
    ) -> Result<Vec<Completion>> {
        self.read_for("reminder.completions", vehicle_id, |c, v| {
            store::completions::list(c, v, reminder_id, page)
        })
    }
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, NaiveDateTime};

    use crate::events::{ChangeEvent, RecordKind};
    use crate::reminders::completion::{CompletionInput, CompletionService};
    use crate::reminders::urgency::{self, Urgency};
    use crate::reminders::{ReminderInput, Schedule, Thresholds};
    use crate::service::ServiceKind;
    use crate::vehicles::VehicleInput;
    use crate::{Error, Garage, Page, WriteOptions};

    fn now() -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 6, 1)
            .unwrap()
            .and_hms_opt(12, 0, 0)
            .unwrap()
    }

    fn day(y: i32, m: u32, d: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(9, 0, 0)
            .unwrap()
    }

    fn garage() -> (tempfile::TempDir, Garage) {
        let dir = tempfile::tempdir().unwrap();
        let g = Garage::open(dir.path().join("g.db")).unwrap().with_now(now);
        (dir, g)
    }

    fn oil(vehicle_id: &str, thresholds: Thresholds) -> ReminderInput {
        ReminderInput {
            vehicle_id: vehicle_id.into(),
            title: "Oil change".into(),
            notes: String::new(),
            due_at: Some(day(2026, 6, 20)),
            due_odometer: Some(20_000.0),
            recur_months: Some(12),
            recur_distance: Some(15_000.0),
            schedule: Schedule::FromCompletion,
            thresholds,
        }
    }

    fn done(at: NaiveDateTime, odo: Option<f64>, with_service: bool) -> CompletionInput {
        CompletionInput {
            completed_at: at,
            odometer: odo,
            notes: "done at the dealer".into(),
            service: with_service.then(|| CompletionService {
                kind: ServiceKind::Service,
                title: String::new(),
                category: "Oil".into(),
                cost_minor: 8_900,
                tags: vec![],
            }),
        }
    }

    #[test]
    fn completing_records_creates_the_service_and_rearms_in_one_go() {
        let (_d, g) = garage();
        let v = g.create_vehicle(&VehicleInput::new("Golf")).unwrap();
        let r = g.add_reminder(&oil(&v.id, Thresholds::default())).unwrap();
        let events = std::sync::Arc::new(std::sync::Mutex::new(Vec::<ChangeEvent>::new()));
        let sink = events.clone();
        g.subscribe(move |e| sink.lock().unwrap().push(e.clone()));

        let out = g
            .complete_reminder(
                &r.id,
                &done(day(2026, 5, 30), Some(19_500.0), true),
                WriteOptions::default(),
            )
            .unwrap();
        let svc = out.service.clone().unwrap();
        assert_eq!(svc.title, "Oil change");
        assert_eq!(svc.cost.minor, 8_900);
        assert_eq!(
            out.completion.service_record_id.as_deref(),
            Some(svc.id.as_str())
        );
        assert_eq!(out.reminder.due_at, Some(day(2027, 5, 30)));
        assert_eq!(out.reminder.due_odometer.unwrap().value, 34_500.0);

        // Everything is stored, and readable back.
        assert_eq!(g.reminder(&v.id, &r.id).unwrap(), out.reminder);
        assert_eq!(
            g.service_records(&v.id, None, Page::ALL).unwrap(),
            vec![svc]
        );
        let list = g
            .reminder_completions(&v.id, Some(&r.id), Page::ALL)
            .unwrap();
        assert_eq!(list, vec![out.completion.clone()]);
        assert_eq!(
            g.reminder_completions(&v.id, None, Page::ALL)
                .unwrap()
                .len(),
            1
        );

        let kinds: Vec<RecordKind> = events.lock().unwrap().iter().map(|e| e.kind).collect();
        assert_eq!(
            kinds,
            vec![
                RecordKind::Service,
                RecordKind::Reminder,
                RecordKind::ReminderCompletion
            ]
        );
    }

    #[test]
    fn a_failure_part_way_writes_nothing() {
        let (_d, g) = garage();
        let v = g.create_vehicle(&VehicleInput::new("Golf")).unwrap();
        let r = g.add_reminder(&oil(&v.id, Thresholds::default())).unwrap();
        let mut input = done(day(2026, 5, 30), Some(19_500.0), true);
        // The service record is invalid (title too long): the whole completion is refused.
        input.service.as_mut().unwrap().title = "x".repeat(500);
        let err = g
            .complete_reminder(&r.id, &input, WriteOptions::default())
            .unwrap_err();
        assert!(
            matches!(err, Error::Validation { ref field, .. } if field == "title"),
            "{err}"
        );
        assert_eq!(g.reminder(&v.id, &r.id).unwrap(), r);
        assert!(g
            .reminder_completions(&v.id, None, Page::ALL)
            .unwrap()
            .is_empty());
        assert!(g
            .service_records(&v.id, None, Page::ALL)
            .unwrap()
            .is_empty());
    }

    #[test]
    fn a_one_off_is_deactivated_and_cannot_be_completed_twice() {
        let (_d, g) = garage();
        let v = g.create_vehicle(&VehicleInput::new("Golf")).unwrap();
        let mut input = oil(&v.id, Thresholds::default());
        input.recur_months = None;
        input.recur_distance = None;
        let r = g.add_reminder(&input).unwrap();
        let out = g
            .complete_reminder(
                &r.id,
                &done(day(2026, 5, 1), None, false),
                WriteOptions::default(),
            )
            .unwrap();
        assert!(!out.reminder.active);
        assert!(out.service.is_none());
        assert!(
            g.reminders(&v.id).unwrap().is_empty(),
            "no longer listed as active"
        );
        let err = g
            .complete_reminder(
                &r.id,
                &done(day(2026, 5, 2), None, false),
                WriteOptions::default(),
            )
            .unwrap_err();
        assert!(matches!(err, Error::Validation { .. }), "{err}");
    }

    #[test]
    fn rearming_keeps_custom_thresholds_on_their_reminder_only() {
        let (_d, g) = garage();
        let v = g.create_vehicle(&VehicleInput::new("Golf")).unwrap();
        let custom_t = Thresholds {
            urgent_days: Some(400),
            very_urgent_days: Some(380),
            urgent_distance: Some(20_000.0),
            very_urgent_distance: Some(16_000.0),
        };
        let custom = g.add_reminder(&oil(&v.id, custom_t)).unwrap();
        let plain = g.add_reminder(&oil(&v.id, Thresholds::default())).unwrap();
        g.complete_reminder(
            &custom.id,
            &done(day(2026, 5, 30), Some(19_500.0), true),
            WriteOptions::default(),
        )
        .unwrap();
        g.complete_reminder(
            &plain.id,
            &done(day(2026, 5, 30), Some(19_500.0), false),
            WriteOptions::default(),
        )
        .unwrap();
        let custom = g.reminder(&v.id, &custom.id).unwrap();
        let plain = g.reminder(&v.id, &plain.id).unwrap();
        assert_eq!(custom.thresholds, custom_t);
        assert_eq!(
            plain.thresholds,
            Thresholds::default(),
            "nothing leaked into it"
        );
        // Both re-armed to the same due point; only the custom one is already pressing.
        assert_eq!(custom.due_at, plain.due_at);
        let current = g.current_odometer(&v.id).unwrap().map(|d| d.value);
        assert_eq!(
            urgency::status(&custom, now(), current).urgency,
            Urgency::VeryUrgent
        );
        assert_eq!(
            urgency::status(&plain, now(), current).urgency,
            Urgency::NotUrgent
        );
    }

    #[test]
    fn an_implausible_completion_odometer_needs_confirmation() {
        let (_d, g) = garage();
        let v = g.create_vehicle(&VehicleInput::new("Golf")).unwrap();
        g.add_odometer(
            &crate::odometer::OdometerInput {
                vehicle_id: v.id.clone(),
                occurred_at: day(2026, 5, 1),
                odometer: 19_000.0,
                notes: String::new(),
            },
            WriteOptions::default(),
        )
        .unwrap();
        let r = g.add_reminder(&oil(&v.id, Thresholds::default())).unwrap();
        let input = done(day(2026, 5, 30), Some(1_900.0), false);
        let err = g
            .complete_reminder(&r.id, &input, WriteOptions::default())
            .unwrap_err();
        assert!(
            matches!(err, Error::OdometerNeedsConfirmation { .. }),
            "{err}"
        );
        let out = g
            .complete_reminder(&r.id, &input, WriteOptions::CONFIRMED)
            .unwrap();
        assert_eq!(out.reminder.due_odometer.unwrap().value, 16_900.0);
        // Without a reading the vehicle's current odometer is the base.
        let r2 = g.add_reminder(&oil(&v.id, Thresholds::default())).unwrap();
        let out = g
            .complete_reminder(
                &r2.id,
                &done(day(2026, 5, 30), None, false),
                WriteOptions::default(),
            )
            .unwrap();
        assert_eq!(out.reminder.due_odometer.unwrap().value, 34_000.0);
    }
}
