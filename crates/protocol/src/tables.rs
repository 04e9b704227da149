//! The tables that sync, named once. Table names only ever come from this enum, never
//! from the wire, so either side may build SQL text from `SyncTable::name`.

use std::fmt;

/// A synced table. The wire carries its `name()`; anything else is refused per row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SyncTable {
    Vehicles,
    FuelRecords,
    ServiceRecords,
    OdometerRecords,
    Reminders,
    ReminderCompletions,
}

impl SyncTable {
    /// Every synced table, vehicles first: a device pushing in this order tends to send a
    /// vehicle before its records.
    pub const ALL: [SyncTable; 6] = [
        SyncTable::Vehicles,
        SyncTable::FuelRecords,
        SyncTable::ServiceRecords,
        SyncTable::OdometerRecords,
        SyncTable::Reminders,
        SyncTable::ReminderCompletions,
    ];

    /// The table's name on the wire and in both databases.
    pub const fn name(self) -> &'static str {
        match self {
            SyncTable::Vehicles => "vehicles",
            SyncTable::FuelRecords => "fuel_records",
            SyncTable::ServiceRecords => "service_records",
            SyncTable::OdometerRecords => "odometer_records",
            SyncTable::Reminders => "reminders",
            SyncTable::ReminderCompletions => "reminder_completions",
        }
    }

    pub fn from_name(name: &str) -> Option<SyncTable> {
        SyncTable::ALL.into_iter().find(|t| t.name() == name)
    }
}

impl fmt::Display for SyncTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The names of [`SyncTable::ALL`], in the same order.
pub const SYNCED_TABLES: [&str; 6] = [
    SyncTable::Vehicles.name(),
    SyncTable::FuelRecords.name(),
    SyncTable::ServiceRecords.name(),
    SyncTable::OdometerRecords.name(),
    SyncTable::Reminders.name(),
    SyncTable::ReminderCompletions.name(),
];

pub fn is_synced_table(t: &str) -> bool {
    SyncTable::from_name(t).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_match_the_list() {
        for (t, name) in SyncTable::ALL.into_iter().zip(SYNCED_TABLES) {
            assert_eq!(t.name(), name);
            assert_eq!(SyncTable::from_name(name), Some(t));
        }
        assert_eq!(SyncTable::from_name("users"), None);
        assert_eq!(SyncTable::from_name("Vehicles"), None);
    }
}
