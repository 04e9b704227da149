//! The background task: one per open database. It syncs at start, every `interval`,
//! `debounce` after local writes, and on `sync_now`; after a failure it backs off
//! exponentially with jitter. Status goes out on a watch channel for the UI.

use std::sync::{Arc, Weak};
use std::time::Duration;

use glovebox_protocol::sync::{RowOutcome, SyncRow};
use glovebox_protocol::Hlc;
use tokio::sync::{mpsc, oneshot, watch, Notify};
use tokio::time::Instant;

use super::client::Client;
use super::rows::{self, META_LAST_SYNCED};
use super::{SyncConfig, SyncError, SyncOptions, SyncState, SyncStatus};
use crate::events::ChangeSource;
use crate::{time, Garage};

/// Stops a push loop that keeps finding dirty rows (someone typing faster than we push
/// is fine; an endless loop is not): the rest goes out in the next round.
const MAX_PUSH_BATCHES_PER_ROUND: usize = 10_000;
/// Immediate retries of one request inside a round before the round fails.
const REQUEST_RETRIES: u32 = 2;
/// Local writes postpone a sync by `debounce` each, but by no more than this many
/// debounce periods in total, so a steady trickle of edits still syncs.
const MAX_DEBOUNCE_PERIODS: u32 = 5;

/// What one round did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SyncReport {
    /// Rows sent (each is applied, duplicate or stale on the server).
    pub pushed: usize,
    pub push_applied: usize,
    pub push_duplicate: usize,
    pub push_stale: usize,
    /// Rows the server refused (they stay dirty).
    pub push_rejected: usize,
    /// Rows received.
    pub pulled: usize,
    /// Received rows that were newer than ours and were written.
    pub applied: usize,
    /// Vehicles whose data changed through `applied` rows.
    pub vehicles: Vec<String>,
}

enum Command {
    SyncNow(oneshot::Sender<Result<SyncReport, SyncError>>),
}

pub struct SyncEngine;

/// Controls a running engine. Dropping it stops the engine too (the task ends when the
/// command channel closes), but `stop` also waits for a round in flight to finish.
pub struct SyncHandle {
    status: watch::Receiver<SyncStatus>,
    commands: Option<mpsc::UnboundedSender<Command>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl SyncEngine {
    /// Starts the engine for `garage` on the current tokio runtime. With `config` `None`
    /// (local-only mode) nothing is spawned and nothing touches the network.
    pub fn start(garage: Arc<Garage>, config: Option<SyncConfig>) -> SyncHandle {
        let pending = super::pending_changes(&garage).unwrap_or(0);
        let last = super::last_synced_at(&garage).unwrap_or(None);
        let Some(config) = config else {
            let (_tx, rx) = watch::channel(SyncStatus {
                state: SyncState::LocalOnly,
                last_synced_at_ms: last,
                pending,
            });
            return SyncHandle {
                status: rx,
                commands: None,
                task: None,
            };
        };
        let (status_tx, status_rx) = watch::channel(SyncStatus {
            state: SyncState::Idle,
            last_synced_at_ms: last,
            pending,
        });
        let wake = Arc::new(Notify::new());
        let weak: Weak<Notify> = Arc::downgrade(&wake);
        garage.subscribe(move |e| {
            // Rows we applied from the server are not news for the server.
            if e.source != ChangeSource::Sync {
                if let Some(w) = weak.upgrade() {
                    w.notify_one();
                }
            }
        });
        let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(run(garage, config, status_tx, cmd_rx, wake));
        SyncHandle {
            status: status_rx,
            commands: Some(cmd_tx),
            task: Some(task),
        }
    }
}

impl SyncHandle {
    pub fn status(&self) -> SyncStatus {
        self.status.borrow().clone()
    }

    /// A receiver that sees every status change (for the UI).
    pub fn subscribe(&self) -> watch::Receiver<SyncStatus> {
        self.status.clone()
    }

    /// Runs a full round now (after any round in flight) and returns what it did.
    pub async fn sync_now(&self) -> Result<SyncReport, SyncError> {
        let commands = self.commands.as_ref().ok_or(SyncError::NotConfigured)?;
        let (tx, rx) = oneshot::channel();
        commands
            .send(Command::SyncNow(tx))
            .map_err(|_| SyncError::Stopped)?;
        rx.await.map_err(|_| SyncError::Stopped)?
    }

    /// Stops the engine, waiting for a round in flight to finish.
    pub async fn stop(mut self) {
        self.commands = None;
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

fn backoff(opts: &SyncOptions, failures: u32) -> Duration {
    let exp = opts
        .backoff_base
        .saturating_mul(1u32 << failures.saturating_sub(1).min(16));
    let capped = exp.min(opts.backoff_max);
    // Full jitter on the upper half: devices that failed together do not retry together.
    capped.mul_f64(0.5 + rand::random::<f64>() * 0.5)
}

async fn run(
    garage: Arc<Garage>,
    config: SyncConfig,
    status: watch::Sender<SyncStatus>,
    mut commands: mpsc::UnboundedReceiver<Command>,
    wake: Arc<Notify>,
) {
    let opts = config.options.clone();
    let client = match Client::new(
        &config.credentials.server_url,
        Some(config.credentials.token.clone()),
    ) {
        Ok(c) => c,
        Err(e) => {
            set_state(
                &status,
                SyncState::Error {
                    reason: e.to_string(),
                },
            );
            return;
        }
    };
    let round = Round {
        garage,
        client,
        opts: opts.clone(),
        status,
    };
    let mut failures = 0u32;
    let mut next_at = Instant::now();
    let mut debounce_started: Option<Instant> = None;
    loop {
        // Commands first: a sync_now that is already waiting serves as the start-up or
        // timer round too (it resets the timer), so callers always get a full report.
        tokio::select! {
            biased;
            cmd = commands.recv() => match cmd {
                None => break,
                Some(Command::SyncNow(reply)) => {
                    let r = round.run_reported(&mut failures).await;
                    next_at = round.next_at(&r, failures);
                    debounce_started = None;
                    let _ = reply.send(r);
                }
            },
            _ = wake.notified() => {
                let now = Instant::now();
                let started = *debounce_started.get_or_insert(now);
                let latest = started + opts.debounce * MAX_DEBOUNCE_PERIODS;
                let mut at = (now + opts.debounce).min(latest);
                if failures > 0 {
                    // Do not let a burst of edits defeat the backoff.
                    at = at.max(next_at);
                }
                next_at = at;
            }
            _ = tokio::time::sleep_until(next_at) => {
                let r = round.run_reported(&mut failures).await;
                next_at = round.next_at(&r, failures);
                debounce_started = None;
            }
        }
    }
}

fn set_state(status: &watch::Sender<SyncStatus>, state: SyncState) {
    status.send_modify(|s| s.state = state);
}

struct Round {
    garage: Arc<Garage>,
    client: Client,
    opts: SyncOptions,
    status: watch::Sender<SyncStatus>,
}

impl Round {
    fn next_at(&self, r: &Result<SyncReport, SyncError>, failures: u32) -> Instant {
        match r {
            Ok(_) => Instant::now() + self.opts.interval,
            Err(_) => Instant::now() + backoff(&self.opts, failures),
        }
    }

    async fn run_reported(&self, failures: &mut u32) -> Result<SyncReport, SyncError> {
        let r = self.run().await;
        let pending = self.blocking(super::pending_changes).await.unwrap_or(0);
        match &r {
            Ok(report) => {
                *failures = 0;
                if !report.vehicles.is_empty() {
                    if let Some(hook) = &self.opts.on_applied {
                        hook(&report.vehicles);
                    }
                }
                let now = time::now_millis();
                let _ = self
                    .blocking(move |g| {
                        Ok(g.store().meta_set(META_LAST_SYNCED, &now.to_string())?)
                    })
                    .await;
                self.status.send_modify(|s| {
                    s.state = SyncState::Idle;
                    s.last_synced_at_ms = Some(now);
                    s.pending = pending;
                });
            }
            Err(e) => {
                *failures = failures.saturating_add(1);
                tracing::warn!("sync failed (attempt {failures}): {e}");
                let reason = e.to_string();
                let state = match e {
                    SyncError::Network(_) => SyncState::Offline { reason },
                    _ => SyncState::Error { reason },
                };
                self.status.send_modify(|s| {
                    s.state = state;
                    s.pending = pending;
                });
            }
        }
        r
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Garage) -> Result<T, SyncError> + Send + 'static,
    ) -> Result<T, SyncError> {
        let g = self.garage.clone();
        tokio::task::spawn_blocking(move || f(&g))
            .await
            .map_err(|e| {
                SyncError::Local(crate::Error::Other(format!("sync worker failed: {e}")))
            })?
    }

    /// Retries transient failures of one idempotent request a couple of times.
    /// `attempt` is how many attempts already failed (a failed prefetch counts as one).
    async fn retry<T, F, Fut>(&self, mut attempt: u32, f: F) -> Result<T, SyncError>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<T, SyncError>>,
    {
        if attempt > 0 {
            tokio::time::sleep(self.opts.request_retry_delay * (1 << attempt)).await;
        }
        loop {
            match f().await {
                Err(e) if e.is_transient() && attempt < REQUEST_RETRIES => {
                    attempt += 1;
                    let d = self.opts.request_retry_delay * (1 << attempt);
                    tokio::time::sleep(d.mul_f64(0.5 + rand::random::<f64>() * 0.5)).await;
                }
                r => return r,
            }
        }
    }

    fn progress(&self, done: u64, total: u64) {
        set_state(
            &self.status,
            SyncState::Syncing {
                done,
                total: total.max(done),
            },
        );
    }

    async fn run(&self) -> Result<SyncReport, SyncError> {
        let mut report = SyncReport::default();
        let mut total = self.blocking(super::pending_changes).await?;
        let mut done = 0u64;
        self.progress(0, total);

        // Push: batches of at most push_batch_rows rows and push_batch_bytes bytes. The
        // acknowledgement of batch n is written while batch n+1 is read and pushed, so
        // the local database and the server work at the same time.
        let mut position: Option<rows::DirtyPosition> = None;
        let mut clearing: Option<tokio::task::JoinHandle<Result<(), SyncError>>> = None;
        for _ in 0..MAX_PUSH_BATCHES_PER_ROUND {
            let (limit, after) = (self.opts.push_batch_rows, position.clone());
            let rows = self
                .blocking(move |g| {
                    Ok(g.store().read("sync.read_dirty", |c| {
                        rows::read_dirty_after(c, limit, after.as_ref())
                    })?)
                })
                .await?;
            if rows.is_empty() {
                break;
            }
            let (batch, body) = encode_batch(rows, self.opts.push_batch_bytes)?;
            position = batch
                .last()
                .map(|r| (r.table.clone(), r.hlc.to_string(), r.id.clone()));
            let resp = self.retry(0, || self.client.push(body.clone())).await?;
            if resp.results.len() != batch.len() {
                return Err(SyncError::Protocol(format!(
                    "pushed {} rows, got {} results",
                    batch.len(),
                    resp.results.len()
                )));
            }
            for r in &resp.results {
                match r.result {
                    RowOutcome::Applied => report.push_applied += 1,
                    RowOutcome::Duplicate => report.push_duplicate += 1,
                    // The server's newer version comes back in the pull below.
                    RowOutcome::Stale => report.push_stale += 1,
                    RowOutcome::Rejected => {
                        report.push_rejected += 1;
                        tracing::warn!(
                            "the server rejected {} {}: {}",
                            r.table,
                            r.id,
                            r.reason.as_deref().unwrap_or("no reason given")
                        );
                    }
                }
            }
            // Every other outcome means the server holds this version or a newer one.
            let acked: Vec<(String, String, Hlc)> = batch
                .into_iter()
                .zip(&resp.results)
                .filter(|(_, res)| res.result != RowOutcome::Rejected)
                .map(|(r, _)| (r.table, r.id, r.hlc))
                .collect();
            report.pushed += acked.len();
            done += acked.len() as u64;
            if let Some(previous) = clearing.take() {
                join_clear(previous).await?;
            }
            let g = self.garage.clone();
            clearing = Some(tokio::task::spawn_blocking(move || {
                Ok(g.store()
                    .write("sync.clear_dirty", |tx| rows::clear_dirty(tx, &acked))?)
            }));
            self.progress(done, total);
        }
        if let Some(previous) = clearing.take() {
            join_clear(previous).await?;
        }

        // Pull pages until caught up; each page and its cursor commit together.
        let mut cursor = self
            .blocking(|g| Ok(g.store().read("sync.cursor", rows::cursor)?))
            .await?;
        let mut vehicles = std::collections::BTreeSet::new();
        let limit = self.opts.pull_limit;
        let mut page = self.retry(0, || self.client.pull(cursor, limit)).await?;
        loop {
            if page.cursor < cursor {
                return Err(SyncError::Protocol(format!(
                    "the server's sequence went backwards ({} after {cursor}); was its database replaced?",
                    page.cursor
                )));
            }
            let n = page.rows.len();
            total += n as u64;
            // Fetch the next page while this one is applied, so the server and the local
            // database work at the same time. A failed prefetch is simply re-requested
            // below; it never skips anything because the cursor only moves on apply.
            let prefetch = (page.has_more && n > 0).then(|| {
                let (client, since) = (self.client.clone(), page.cursor);
                tokio::spawn(async move { client.pull(since, limit).await })
            });
            let (rows, next) = (page.rows, page.cursor);
            let applied = self.blocking(move |g| g.apply_remote(&rows, next)).await?;
            report.pulled += n;
            report.applied += applied.applied;
            vehicles.extend(applied.vehicles);
            cursor = next;
            done += n as u64;
            self.progress(done, total);
            let Some(prefetch) = prefetch else { break };
            page = match prefetch.await {
                Ok(Ok(p)) => p,
                // The prefetch was the first attempt; the retries continue from there.
                Ok(Err(e)) if !e.is_transient() => return Err(e),
                _ => self.retry(1, || self.client.pull(cursor, limit)).await?,
            };
        }
        report.vehicles = vehicles.into_iter().collect();
        Ok(report)
    }
}

async fn join_clear(h: tokio::task::JoinHandle<Result<(), SyncError>>) -> Result<(), SyncError> {
    h.await
        .map_err(|e| SyncError::Local(crate::Error::Other(format!("sync worker failed: {e}"))))?
}

/// Encodes the longest prefix of `rows` whose push body fits in `max_bytes` (at least
/// one row: a single row larger than the limit is the server's to refuse, with a clear
/// 413). Each row is serialised once; the body is assembled from those bytes.
fn encode_batch(
    mut rows: Vec<SyncRow>,
    max_bytes: usize,
) -> Result<(Vec<SyncRow>, Vec<u8>), SyncError> {
    const HEAD: &[u8] = b"{\"rows\":[";
    const TAIL: &[u8] = b"]}";
    let mut body = Vec::with_capacity(max_bytes.min(1 << 20));
    body.extend_from_slice(HEAD);
    let mut keep = 0;
    for r in &rows {
        let bytes = serde_json::to_vec(r)
            .map_err(|e| SyncError::Local(crate::Error::Other(e.to_string())))?;
        let sep = usize::from(keep > 0);
        if keep > 0 && body.len() + sep + bytes.len() + TAIL.len() > max_bytes {
            break;
        }
        if sep == 1 {
            body.push(b',');
        }
        body.extend_from_slice(&bytes);
        keep += 1;
    }
    body.extend_from_slice(TAIL);
    rows.truncate(keep);
    Ok((rows, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(n: usize) -> SyncRow {
        let mut data = serde_json::Map::new();
        data.insert("notes".into(), "x".repeat(n).into());
        SyncRow {
            table: "fuel_records".into(),
            id: "a".into(),
            hlc: Hlc::new(1, 0, "ab"),
            deleted: false,
            data,
        }
    }

    #[test]
    fn batches_are_cut_by_bytes_but_never_empty() {
        let rows: Vec<_> = (0..10).map(|_| row(1000)).collect();
        let (cut, body) = encode_batch(rows.clone(), 3500).unwrap();
        assert_eq!(cut.len(), 3);
        assert!(body.len() <= 3500);
        let parsed: glovebox_protocol::sync::PushRequest = serde_json::from_slice(&body).unwrap();
        assert_eq!(parsed.rows, cut);
        assert_eq!(encode_batch(rows, 10).unwrap().0.len(), 1);
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let opts = SyncOptions {
            backoff_base: Duration::from_millis(100),
            backoff_max: Duration::from_millis(1000),
            ..SyncOptions::default()
        };
        let b1 = backoff(&opts, 1);
        assert!(b1 >= Duration::from_millis(50) && b1 <= Duration::from_millis(100));
        let b3 = backoff(&opts, 3);
        assert!(b3 >= Duration::from_millis(200) && b3 <= Duration::from_millis(400));
        assert!(backoff(&opts, 30) <= Duration::from_millis(1000));
    }
}
