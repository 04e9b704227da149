//! `glovebox-server migrate-storage --from SPEC --to SPEC`: copies a server's whole state
//! — accounts with their sequences and epochs, devices with their token hashes, sequence
//! gaps, every row version with its sequence number — from one backend to another.
//!
//! Because tokens, epochs and sequence numbers travel unchanged, devices keep syncing
//! against the new storage as if nothing happened: no re-login, no reset, no re-push.
//! The server epoch is written last: a copy cut short has the destination's own fresh
//! epoch, so a server started on it anyway makes every device reset and re-push (nothing
//! is lost, it only costs an upload). Stop the server before copying; run it on the new
//! storage after.

use crate::storage::{Storage, StorageError, StorageResult};

/// Rows per transaction on the destination.
const CHUNK: usize = 2_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CopyReport {
    pub accounts: u64,
    pub devices: u64,
    pub gaps: u64,
    pub rows: u64,
}

/// Copies `from` into the empty `to`, calling `progress` with the rows copied so far.
pub fn copy(
    from: &dyn Storage,
    to: &dyn Storage,
    mut progress: impl FnMut(u64),
) -> StorageResult<CopyReport> {
    let inv = from.export_inventory()?;
    to.import_inventory(&inv)?;
    let mut after = (i64::MIN, 0u64);
    let mut rows = 0u64;
    loop {
        let chunk = from.export_rows(after, CHUNK)?;
        let Some((user, last)) = chunk.last() else {
            break;
        };
        after = (*user, last.seq);
        rows += chunk.len() as u64;
        to.import_rows(chunk)?;
        progress(rows);
    }
    // Check before the epoch makes the copy the one devices accept.
    let (src, dst) = (from.users()?, to.users()?);
    let count = |u: &[crate::storage::User]| u.iter().map(|u| u.rows).sum::<u64>();
    if src.len() != dst.len() || count(&src) != count(&dst) || count(&dst) != rows {
        return Err(StorageError::Corrupt(format!(
            "the copy does not match: {} accounts and {} rows in the source, {} and {} in \
             the destination (was the source server still running?)",
            src.len(),
            count(&src),
            dst.len(),
            count(&dst)
        )));
    }
    to.set_server_epoch(&inv.server_epoch)?;
    Ok(CopyReport {
        accounts: inv.accounts.len() as u64,
        devices: inv.devices.len() as u64,
        gaps: inv.gaps.len() as u64,
        rows,
    })
}
