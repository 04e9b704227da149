//! Group commit for the SQLite writer: every write waiting while the connection is busy is
//! applied, when it frees, in one SQLite transaction — each inside its own savepoint — and
//! committed, and so fsynced, once for all of them.
//!
//! Leader and followers, no thread of its own: a caller queues its write, then takes the
//! connection; whoever gets it first runs everything queued (its own write and the others')
//! and answers each. A caller whose write a leader already ran finds its answer waiting.
//! Alone, a write runs at once on the caller's thread, as before.
//!
//! With `synchronous=FULL` a commit costs an fsync (milliseconds on an ordinary disk), and
//! with one commit per push the writer saturated at a few hundred pushes per second
//! (docs/BENCHMARKS.md, "fsync per commit"). Grouping keeps every acknowledged push durable
//! and pays the fsync once per group. Order is kept: jobs run in the order they were
//! queued, inside one transaction, so sequence numbers still commit in order. A job that
//! fails is rolled back to its savepoint alone; the others in its group commit.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use rusqlite::Connection;

use super::sqlite::run_cached;
use super::{StorageError, StorageResult};

/// Most writes in one group: bounds one transaction and the wait of its first write.
const MAX_GROUP: usize = 128;

/// One queued write: `run` executes it inside the group's transaction (true if it
/// succeeded); `finish` answers the caller with the group's commit result, whether or not
/// `run` got to execute.
struct Job {
    run: Box<dyn FnOnce(&Connection) -> bool + Send>,
    finish: Box<dyn FnOnce(Result<(), String>) + Send>,
}

pub struct GroupWriter {
    conn: Mutex<Connection>,
    queue: Mutex<Vec<Job>>,
}

impl GroupWriter {
    pub fn new(conn: Connection) -> Self {
        GroupWriter {
            conn: Mutex::new(conn),
            queue: Mutex::new(Vec::new()),
        }
    }

    /// Runs `f` in a write transaction and returns once that transaction is durable.
    pub fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> StorageResult<T> + Send + 'static,
    ) -> StorageResult<T> {
        let slot: Arc<Mutex<Option<StorageResult<T>>>> = Arc::default();
        let (reply, answer) = mpsc::sync_channel::<StorageResult<T>>(1);
        let out = slot.clone();
        let job = Job {
            run: Box::new(move |tx| {
                let r = f(tx);
                let ok = r.is_ok();
                *lock(&out) = Some(r);
                ok
            }),
            finish: Box::new(move |commit| {
                let result = match (lock(&slot).take(), commit) {
                    (Some(Err(e)), _) => Err(e),
                    (Some(Ok(v)), Ok(())) => Ok(v),
                    (_, Err(e)) => Err(StorageError::Unavailable(format!(
                        "the write was not committed: {e}"
                    ))),
                    (None, Ok(())) => {
                        Err(StorageError::Unavailable("the write did not run".into()))
                    }
                };
                let _ = reply.send(result);
            }),
        };
        lock(&self.queue).push(job);
        let mut conn = lock(&self.conn);
        if let Ok(done) = answer.try_recv() {
            // The previous leader ran this write with its group.
            return done;
        }
        loop {
            let group: Vec<Job> = {
                let mut q = lock(&self.queue);
                let n = q.len().min(MAX_GROUP);
                q.drain(..n).collect()
            };
            if group.is_empty() {
                break;
            }
            commit_group(&mut conn, group);
            if let Ok(done) = answer.try_recv() {
                return done;
            }
        }
        drop(conn);
        answer
            .recv()
            .map_err(|_| StorageError::Unavailable("the database writer lost this write".into()))?
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn commit_group(conn: &mut Connection, group: Vec<Job>) {
    // The transaction statements come from the statement cache: parsing them again for
    // every group (as `Connection::transaction` and `execute_batch` do) showed up in the
    // server's instruction counts.
    if let Err(e) = run_cached(conn, "BEGIN IMMEDIATE") {
        // Nothing ran: every job of the group learns why.
        let msg = e.to_string();
        for job in group {
            (job.finish)(Err(msg.clone()));
        }
        return;
    }
    let mut finishers = Vec::with_capacity(group.len());
    for job in group {
        if let Err(e) = run_cached(conn, "SAVEPOINT job") {
            (job.finish)(Err(e.to_string()));
            continue;
        }
        // A panicking job must not take the writer down with it: it counts as failed.
        let ok = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| (job.run)(conn)))
            .unwrap_or(false);
        let end = if ok {
            run_cached(conn, "RELEASE job")
        } else {
            run_cached(conn, "ROLLBACK TO job").and_then(|()| run_cached(conn, "RELEASE job"))
        };
        if let Err(e) = end {
            tracing::error!("ending a savepoint: {e}");
        }
        finishers.push(job.finish);
    }
    let commit = run_cached(conn, "COMMIT").map_err(|e| e.to_string());
    if commit.is_err() && !conn.is_autocommit() {
        // As a dropped rusqlite transaction would: leave no transaction open behind.
        if let Err(e) = run_cached(conn, "ROLLBACK") {
            tracing::error!("rolling back a failed commit: {e}");
        }
    }
    for finish in finishers {
        finish(commit.clone());
    }
}
