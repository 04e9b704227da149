//! Where this device stands with its server: the pull cursor and the account epoch it
//! belongs to, saved together (in the transaction that applies a pulled page), and the
//! reset that starts over when the server forgot (or this database was restored).
//!
//! A cursor means something only within one epoch: sequence number 57 of a re-created
//! account, or of a server restored from last week's copy, is not the 57 this device saw.
//! So the epoch is sent with every push and pull; the server answers 409
//! `epoch_changed` or `cursor_ahead` when they do not fit, and the device then resets:
//! cursor 0, no epoch, every row it holds dirty (push is idempotent: what the server
//! still has comes back `duplicate` or `stale`), then a full pull.

use rusqlite::Connection;

use super::{quarantine, rejected};
use crate::store::{meta_delete, meta_get, meta_set, sync_rows};
use crate::time;

pub(crate) const META_CURSOR: &str = "sync.cursor";
pub(crate) const META_EPOCH: &str = "sync.epoch";
/// The server's sequence after this device's last push, until a pull has caught up past
/// it. A push acknowledged and then forgotten by a restored server, with the device
/// killed before its pull, leaves the cursor from before the restore; probing this
/// number tells the device (the server answers 409 `cursor_ahead` for it).
pub(crate) const META_PUSH_SEQ: &str = "sync.push_seq";
/// Why and when the last reset happened ("<millis> <reason>"), for `sync status`.
pub(crate) const META_LAST_RESET: &str = "sync.last_reset";

/// The saved pull position.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Position {
    pub cursor: u64,
    /// `None` before the first exchange with the server and right after a reset.
    pub epoch: Option<String>,
    /// See [`META_PUSH_SEQ`]; 0 when none is outstanding.
    pub push_seq: u64,
}

pub(crate) fn load(conn: &Connection) -> crate::Result<Position> {
    Ok(Position {
        cursor: meta_get(conn, META_CURSOR)?
            .and_then(|s| s.parse().ok())
            .unwrap_or(0),
        epoch: meta_get(conn, META_EPOCH)?.filter(|e| !e.is_empty()),
        push_seq: meta_get(conn, META_PUSH_SEQ)?
            .and_then(|s| s.parse().ok())
            .unwrap_or(0),
    })
}

/// Notes the server's sequence after a push (see [`META_PUSH_SEQ`]).
pub(crate) fn note_push_seq(conn: &Connection, seq: u64) -> crate::Result<()> {
    let old: u64 = meta_get(conn, META_PUSH_SEQ)?
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    if seq > old {
        meta_set(conn, META_PUSH_SEQ, &seq.to_string())?;
    }
    Ok(())
}

/// A pull caught up: every pushed version came back with it.
pub(crate) fn clear_push_seq(conn: &Connection) -> crate::Result<()> {
    meta_delete(conn, META_PUSH_SEQ)
}

pub(crate) fn save_cursor(conn: &Connection, cursor: u64) -> crate::Result<()> {
    meta_set(conn, META_CURSOR, &cursor.to_string())
}

/// Saves the epoch a response carried. An empty epoch (a server that keeps none) is not
/// saved. Returns an error when it differs from the saved one: the caller resets.
pub(crate) fn adopt_epoch(conn: &Connection, epoch: &str) -> Result<(), EpochMismatch> {
    if epoch.is_empty() {
        return Ok(());
    }
    match meta_get(conn, META_EPOCH)?.filter(|e| !e.is_empty()) {
        Some(saved) if saved != epoch => Err(EpochMismatch::Changed {
            saved,
            now: epoch.to_owned(),
        }),
        Some(_) => Ok(()),
        None => Ok(meta_set(conn, META_EPOCH, epoch)?),
    }
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum EpochMismatch {
    #[error("the server's account epoch changed from {saved} to {now}")]
    Changed { saved: String, now: String },
    #[error(transparent)]
    Local(#[from] crate::Error),
}

/// Starts over with the server: cursor 0, no epoch, everything dirty, no version held back
/// as rejected (the server we now talk to may take it), an empty quarantine (it holds
/// versions of the server we knew; the pull from 0 brings back, and quarantines again,
/// those the server still has). One transaction: a crash leaves either the old position
/// or the reset.
pub(crate) fn start_over(conn: &Connection) -> crate::Result<()> {
    save_cursor(conn, 0)?;
    meta_delete(conn, META_EPOCH)?;
    clear_push_seq(conn)?;
    sync_rows::mark_all_dirty(conn)?;
    rejected::clear_all(conn)?;
    quarantine::clear_all(conn)
}

/// `start_over` because something went wrong (the server forgot, the database was
/// restored): recorded with its reason for `sync status`.
pub(crate) fn reset(conn: &Connection, reason: &str) -> crate::Result<()> {
    start_over(conn)?;
    meta_set(
        conn,
        META_LAST_RESET,
        &format!("{} {reason}", time::now_millis()),
    )?;
    tracing::warn!("sync reset: {reason}");
    Ok(())
}

/// The last reset: (millis since the Unix epoch, reason).
pub(crate) fn last_reset(conn: &Connection) -> crate::Result<Option<(i64, String)>> {
    Ok(meta_get(conn, META_LAST_RESET)?.and_then(|s| {
        let (ms, reason) = s.split_once(' ')?;
        Some((ms.parse().ok()?, reason.to_owned()))
    }))
}
