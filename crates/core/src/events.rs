//! The change event: emitted once per committed write, after the commit. The report cache
//! and the sync engine subscribe here; nothing else invalidates or marks dirty.

use std::sync::{Arc, RwLock};

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum RecordKind {
    Vehicle,
    Fuel,
    Service,
    Odometer,
    Reminder,
    ReminderCompletion,
}

impl RecordKind {
    pub const ALL: [RecordKind; 6] = [
        RecordKind::Vehicle,
        RecordKind::Fuel,
        RecordKind::Service,
        RecordKind::Odometer,
        RecordKind::Reminder,
        RecordKind::ReminderCompletion,
    ];

    /// The table that stores this kind.
    pub fn table(self) -> &'static str {
        match self {
            RecordKind::Vehicle => "vehicles",
            RecordKind::Fuel => "fuel_records",
            RecordKind::Service => "service_records",
            RecordKind::Odometer => "odometer_records",
            RecordKind::Reminder => "reminders",
            RecordKind::ReminderCompletion => "reminder_completions",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            RecordKind::Vehicle => "vehicle",
            RecordKind::Fuel => "fuel record",
            RecordKind::Service => "service record",
            RecordKind::Odometer => "odometer record",
            RecordKind::Reminder => "reminder",
            RecordKind::ReminderCompletion => "reminder completion",
        }
    }
}

/// Where a change came from. Sync-applied rows invalidate caches but are not pushed back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeSource {
    Local,
    Sync,
    Import,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ChangeEvent {
    pub vehicle_id: String,
    pub kind: RecordKind,
    pub source: ChangeSource,
}

pub type Listener = Arc<dyn Fn(&ChangeEvent) + Send + Sync>;

/// Synchronous fan-out: listeners run on the writing thread right after the commit, so a
/// read that follows a write never sees a stale cache. Listeners must be quick (invalidate,
/// notify a channel), never block on IO.
#[derive(Default)]
pub struct ChangeBus {
    listeners: RwLock<Vec<Listener>>,
}

impl ChangeBus {
    pub fn subscribe(&self, listener: Listener) {
        self.listeners
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .push(listener);
    }

    pub fn emit(&self, event: &ChangeEvent) {
        let listeners = self
            .listeners
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        for l in listeners {
            l(event);
        }
    }
}
