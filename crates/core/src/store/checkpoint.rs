//! Checkpoints off the writer's path. SQLite folds the WAL back into the database file
//! after any commit that leaves 1,000 pages or more in it, in the committing thread: after
//! a bulk import of a million rows that is ~1 GB to copy, 0.8 s of a 4.1 s commit
//! (docs/BENCHMARKS.md, "Import"), and an edit made right after a sync pays the same for
//! the sync's pages. The writer's automatic checkpoint is replaced by a WAL hook that
//! hands the work to a thread of its own, with its own connection, which runs a PASSIVE
//! checkpoint: it never waits for (or blocks) readers or the writer, and a commit landing
//! meanwhile is simply copied by the next one. What is committed is as durable as before:
//! it is in the WAL, which every connection reads, and a crash mid-checkpoint is recovered
//! by SQLite at the next open.

use std::os::raw::c_int;
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;

use rusqlite::hooks::Wal;
use rusqlite::Connection;

use super::BUSY_TIMEOUT;
use crate::error::Result;

/// SQLite's own threshold for its automatic checkpoint.
const CHECKPOINT_PAGES: c_int = 1000;

#[derive(Default)]
struct State {
    /// A commit left at least [`CHECKPOINT_PAGES`] in the WAL since the last checkpoint
    /// began.
    due: bool,
    /// Checkpoints started, for tests and the bench.
    started: u64,
    /// Checkpoints finished (with or without success).
    finished: u64,
    stop: bool,
}

type Shared = Arc<(Mutex<State>, Condvar)>;

pub(crate) struct Checkpointer {
    shared: Shared,
    thread: Option<JoinHandle<()>>,
}

fn lock(shared: &Shared) -> std::sync::MutexGuard<'_, State> {
    shared.0.lock().unwrap_or_else(|p| p.into_inner())
}

impl Checkpointer {
    /// Starts the checkpoint thread for the database at `path` and hooks `writer`'s
    /// commits to it (which turns the writer's automatic checkpoint off).
    pub(crate) fn start(path: &Path, writer: &mut Connection) -> Result<Checkpointer> {
        let shared: Shared = Arc::default();
        let conn = Connection::open(path)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        let worker = shared.clone();
        let thread = std::thread::Builder::new()
            .name("glovebox-checkpoint".into())
            .spawn(move || run(&conn, &worker))?;
        let hook = shared.clone();
        writer.wal_hook(Some(move |_: &mut Wal, pages: c_int| {
            if pages >= CHECKPOINT_PAGES {
                lock(&hook).due = true;
                hook.1.notify_all();
            }
            Ok(())
        }))?;
        Ok(Checkpointer {
            shared,
            thread: Some(thread),
        })
    }

    /// Waits until no checkpoint is due or running: the WAL then holds only what was
    /// committed after the last one began.
    #[cfg(any(test, feature = "testing"))]
    pub(crate) fn wait_idle(&self) {
        let mut s = lock(&self.shared);
        while (s.due || s.started > s.finished) && !s.stop {
            s = self.shared.1.wait(s).unwrap_or_else(|p| p.into_inner());
        }
    }
}

fn run(conn: &Connection, shared: &Shared) {
    loop {
        {
            let mut s = lock(shared);
            while !s.due && !s.stop {
                s = shared.1.wait(s).unwrap_or_else(|p| p.into_inner());
            }
            if s.stop {
                return;
            }
            s.due = false;
            s.started += 1;
        }
        if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            tracing::warn!("background checkpoint failed: {e}");
        }
        lock(shared).finished += 1;
        shared.1.notify_all();
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        lock(&self.shared).stop = true;
        self.shared.1.notify_all();
        if let Some(t) = self.thread.take() {
            // Its connection closes with it, before the writer's (see `Store`'s fields).
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_large_commit_reaches_the_database_file_without_the_committer_copying_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("g.db");
        let store = super::super::Store::open(&path).unwrap();
        store
            .write("test.fill", |tx| {
                tx.execute_batch("CREATE TABLE scratch (v BLOB)")?;
                let mut insert = tx.prepare("INSERT INTO scratch VALUES (zeroblob(4000))")?;
                // ~32 MB: over the 1,000 pages (16 MiB) that make a checkpoint due.
                for _ in 0..8000 {
                    insert.execute([])?;
                }
                Ok(())
            })
            .unwrap();
        store.wait_for_checkpoint();
        // The .db file alone (a copy without its -wal) holds the rows: the checkpoint ran.
        let copy = dir.path().join("copy.db");
        std::fs::copy(&path, &copy).unwrap();
        let c = rusqlite::Connection::open(&copy).unwrap();
        let n: i64 = c
            .query_row("SELECT count(*) FROM scratch", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 8000);
    }
}
