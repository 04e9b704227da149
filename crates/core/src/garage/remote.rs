//! Row versions from elsewhere — a pulled page, a quarantined row retried, a restored
//! backup — through the write routine ([`Writer`]). Steps 1–3 of the routine are the
//! sync engine's here (sync/apply.rs checks the row with the domain rules and names its
//! vehicle; the id is the row's own); step 4, the odometer guard, is for typing and never
//! runs; step 5 writes with the row's own stamp instead of a new one, by last writer wins;
//! step 6 notes the (vehicle, kind) for the stats refresh and the change event after
//! commit, exactly as for a local write.

use glovebox_protocol::sync::SyncRow;
use glovebox_protocol::SyncTable;

use super::Writer;
use crate::store::sync_rows::{kind_of, VersionError, Versions};
use crate::SyncStamp;

impl Writer<'_> {
    /// Writes `row` of `table` (owned by `vehicle_id`) stamped `stamp` (the row's HLC) if
    /// it is newer than the stored version. Returns whether it was written.
    pub(crate) fn put_version(
        &mut self,
        versions: &mut Versions<'_>,
        table: SyncTable,
        vehicle_id: &str,
        row: &SyncRow,
        stamp: &SyncStamp,
    ) -> Result<bool, VersionError> {
        self.flush().map_err(VersionError::Db)?;
        if versions.upsert(table, row, stamp)? == 0 {
            return Ok(false);
        }
        self.touched.add(vehicle_id, kind_of(table));
        Ok(true)
    }
}
