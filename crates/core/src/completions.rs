//! Reminder completions: "done on this date at this odometer". Written through the batch
//! write path (backup restore); a completed non-recurring reminder becomes inactive.

use chrono::NaiveDateTime;
use rusqlite::{params, Connection};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::reminders::Reminder;
use crate::{time, validate, SyncStamp};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompletionInput {
    pub reminder_id: String,
    pub completed_at: NaiveDateTime,
    #[serde(default)]
    pub odometer: Option<f64>,
    #[serde(default)]
    pub service_record_id: Option<String>,
    #[serde(default)]
    pub notes: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Completion {
    pub id: String,
    pub reminder_id: String,
    pub vehicle_id: String,
    pub completed_at: NaiveDateTime,
    pub odometer: Option<f64>,
    pub service_record_id: Option<String>,
    pub notes: String,
}

impl CompletionInput {
    pub fn validate(&self, reminder: &Reminder, now: NaiveDateTime) -> Result<Completion> {
        if reminder.id != self.reminder_id {
            return Err(Error::validation(
                "reminder_id",
                "does not match the reminder",
            ));
        }
        Ok(Completion {
            id: String::new(),
            reminder_id: reminder.id.clone(),
            vehicle_id: reminder.vehicle_id.clone(),
            completed_at: validate::record_date("completed_at", self.completed_at, now)?,
            odometer: self
                .odometer
                .map(|o| validate::odometer("odometer", o))
                .transpose()?,
            service_record_id: self.service_record_id.clone().filter(|s| !s.is_empty()),
            notes: validate::optional_text("notes", &self.notes, validate::MAX_NOTES)?,
        })
    }
}

pub(crate) fn insert(conn: &Connection, c: &Completion, s: &SyncStamp) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO reminder_completions (id, reminder_id, vehicle_id, completed_at, odometer, \
         service_record_id, notes, hlc, deleted, dirty, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 0, ?9, ?10)",
    )?
    .execute(params![
        c.id,
        c.reminder_id,
        c.vehicle_id,
        time::to_sql(c.completed_at),
        c.odometer,
        c.service_record_id,
        c.notes,
        s.hlc,
        s.dirty,
        s.updated_at
    ])?;
    Ok(())
}

/// Live completions of one vehicle, oldest first.
pub fn list(conn: &Connection, vehicle_id: &str) -> Result<Vec<Completion>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, reminder_id, vehicle_id, completed_at, odometer, service_record_id, notes \
         FROM reminder_completions WHERE vehicle_id = ?1 AND deleted = 0 \
         ORDER BY completed_at, id",
    )?;
    let rows = stmt.query_map([vehicle_id], |r| {
        Ok(Completion {
            id: r.get(0)?,
            reminder_id: r.get(1)?,
            vehicle_id: r.get(2)?,
            completed_at: time::from_sql(r.get(3)?),
            odometer: r.get(4)?,
            service_record_id: r.get(5)?,
            notes: r.get(6)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
