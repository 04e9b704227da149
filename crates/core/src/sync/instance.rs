//! Noticing a local database that was restored from an older copy, or copied to another
//! place, while it synced.
//!
//! A synced database carries an instance id and a sync generation in `local_meta`; a
//! small state file beside it (`<database>.sync-state`, next to the token) carries the
//! same pair. The generation goes up at the start of every sync round, in the database
//! first and then in the file, so the file is never ahead of a database that is really
//! the latest. At open:
//! - the file is missing (the database was copied or moved here), or names another
//!   instance (another database was put in this one's place), or
//! - the database's generation is below the file's (it was restored from an older copy),
//!
//! and then the database recovers as from a server that forgot: it takes a new HLC node
//! id (two databases must never stamp with one: a tie of equal HLCs with different
//! content would be taken for a duplicate), resets its cursor, marks everything it holds
//! dirty and re-pushes it (idempotent), then pulls everything.
//!
//! Not detectable this way: a copy of the database together with its state file and
//! token; both copies are then one device for the server.

use std::path::{Path, PathBuf};

use rusqlite::Connection;
use serde::{Deserialize, Serialize};

use super::cursor;
use crate::store::{meta_delete, meta_get, meta_set, Store};

pub(crate) const META_INSTANCE: &str = "sync.instance";
pub(crate) const META_GENERATION: &str = "sync.generation";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct StateFile {
    instance: String,
    generation: u64,
}

pub(crate) fn state_path(db: &Path) -> PathBuf {
    let mut p = db.as_os_str().to_owned();
    p.push(".sync-state");
    PathBuf::from(p)
}

fn read_state(path: &Path) -> crate::Result<Option<StateFile>> {
    match std::fs::read(path) {
        // A file that does not parse (cannot happen with the atomic write below, but a
        // person may edit it) counts as missing: the recovery is always safe.
        Ok(bytes) => Ok(serde_json::from_slice(&bytes).ok()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Writes `bytes` to `path` atomically: a temporary file beside it, fsync, rename, fsync
/// of the directory. A crash leaves the old file or the new one, never a torn one.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8], private: bool) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".tmp-{}", std::process::id()));
    let tmp = PathBuf::from(tmp);
    {
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        if private {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        #[cfg(not(unix))]
        let _ = private;
        let mut f = opts.open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    #[cfg(unix)]
    std::fs::File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

fn write_state(path: &Path, s: &StateFile) -> crate::Result<()> {
    let bytes = serde_json::to_vec(s).map_err(|e| crate::Error::Other(e.to_string()))?;
    Ok(write_atomic(path, &bytes, false)?)
}

fn generation(conn: &Connection) -> crate::Result<u64> {
    Ok(meta_get(conn, META_GENERATION)?
        .and_then(|s| s.parse().ok())
        .unwrap_or(0))
}

/// Gives the database a new HLC node id (written to `local_meta`; the caller updates a
/// running clock). Returns it.
pub(crate) fn new_node_id(conn: &Connection) -> crate::Result<String> {
    let id = uuid::Uuid::new_v4().simple().to_string();
    meta_set(conn, crate::garage::DEVICE_ID_KEY, &id)?;
    Ok(id)
}

/// Starts (or continues) tracking this database as synced: an instance id if it has none,
/// the generation raised past both the database's and the file's, the file written.
pub(crate) fn adopt(store: &Store) -> crate::Result<()> {
    let path = state_path(store.path());
    let file = read_state(&path)?;
    let state = store.write("sync.instance_adopt", |tx| {
        let instance = match meta_get(tx, META_INSTANCE)? {
            Some(i) => i,
            None => {
                let i = uuid::Uuid::new_v4().simple().to_string();
                meta_set(tx, META_INSTANCE, &i)?;
                i
            }
        };
        let generation = generation(tx)?.max(file.as_ref().map_or(0, |f| f.generation)) + 1;
        meta_set(tx, META_GENERATION, &generation.to_string())?;
        Ok(StateFile {
            instance,
            generation,
        })
    })?;
    write_state(&path, &state)
}

/// Raises the generation (start of a sync round): database first, then the file.
pub(crate) fn advance(store: &Store) -> crate::Result<()> {
    let state = store.write("sync.instance_advance", |tx| {
        let Some(instance) = meta_get(tx, META_INSTANCE)? else {
            return Ok(None);
        };
        let generation = generation(tx)? + 1;
        meta_set(tx, META_GENERATION, &generation.to_string())?;
        Ok(Some(StateFile {
            instance,
            generation,
        }))
    })?;
    match state {
        Some(s) => write_state(&state_path(store.path()), &s),
        None => Ok(()),
    }
}

/// Stops tracking (logout): the database is local only again.
pub(crate) fn forget(store: &Store) -> crate::Result<()> {
    store.write("sync.instance_forget", |tx| {
        for key in [META_INSTANCE, META_GENERATION] {
            meta_delete(tx, key)?;
        }
        Ok(())
    })?;
    match std::fs::remove_file(state_path(store.path())) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// The open-time check (see the module docs). Runs before the garage's clock is made, so
/// a new node id is used from the first write on. Returns the reason when it recovered.
pub(crate) fn check_at_open(store: &Store) -> crate::Result<Option<String>> {
    let Some(instance) = store.meta_get(META_INSTANCE)? else {
        return Ok(None); // not synced: copies are harmless until one logs in
    };
    let path = state_path(store.path());
    let file = read_state(&path)?;
    let db_generation = store.read("sync.generation", generation)?;
    let reason = match &file {
        None => "this database was copied or moved here (its sync state file is missing)",
        Some(f) if f.instance != instance => {
            "another database was put in this one's place (its sync state file names another)"
        }
        Some(f) if db_generation < f.generation => "this database was restored from an older copy",
        Some(_) => return Ok(None),
    };
    let state = store.write("sync.instance_recover", |tx| {
        new_node_id(tx)?;
        cursor::reset(tx, reason)?;
        let generation = db_generation.max(file.as_ref().map_or(0, |f| f.generation)) + 1;
        meta_set(tx, META_GENERATION, &generation.to_string())?;
        Ok(StateFile {
            instance: instance.clone(),
            generation,
        })
    })?;
    write_state(&path, &state)?;
    Ok(Some(reason.to_owned()))
}
