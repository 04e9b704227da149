//! The clock's high-water mark: the highest HLC this database has issued or stored, kept
//! in `local_meta` and read and raised inside every write transaction.
//!
//! Why in the transaction: the in-memory clock of one process knows nothing of another
//! process writing the same file (the desktop app and a CLI import), and starts from the
//! wall clock at every open. A write that seeds the clock from the mark under the write
//! lock, ticks, and raises the mark before commit is stamped strictly above everything the
//! database holds — rows pulled from a peer whose clock runs minutes ahead included — so a
//! local edit made after a restart always wins over the version it replaces.

use glovebox_protocol::{Hlc, HlcClock};
use rusqlite::Connection;

use crate::store::{meta_get, meta_set};

pub(crate) const META_HIGH_WATER: &str = "hlc.high_water";
/// The node part of the stored mark: only (millis, counter) matter.
const MARK_NODE: &str = "0";

/// The stored mark as (millis, counter), if any. A mark that does not parse (written by
/// hand?) counts as none: the rows' own HLCs are still folded in at open by the migration.
pub(crate) fn high_water(conn: &Connection) -> crate::Result<Option<(u64, u32)>> {
    Ok(meta_get(conn, META_HIGH_WATER)?
        .and_then(|s| s.parse::<Hlc>().ok())
        .map(|h| (h.millis, h.counter)))
}

/// Seeds `clock` from the stored mark; returns the mark so `raise` can skip an unchanged
/// one.
pub(crate) fn seed(conn: &Connection, clock: &HlcClock) -> crate::Result<Option<(u64, u32)>> {
    let mark = high_water(conn)?;
    if let Some((millis, counter)) = mark {
        clock.seed(&Hlc::new(millis, counter, MARK_NODE));
    }
    Ok(mark)
}

/// Raises the stored mark to what `clock` has issued or seen, if that is higher.
pub(crate) fn raise(
    conn: &Connection,
    clock: &HlcClock,
    stored: Option<(u64, u32)>,
) -> crate::Result<()> {
    raise_to(conn, clock.last(), stored)
}

fn raise_to(conn: &Connection, to: (u64, u32), stored: Option<(u64, u32)>) -> crate::Result<()> {
    if stored.is_some_and(|s| s >= to) || to == (0, 0) {
        return Ok(());
    }
    meta_set(
        conn,
        META_HIGH_WATER,
        &Hlc::new(to.0, to.1, MARK_NODE).to_string(),
    )
}
