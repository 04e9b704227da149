//! The background task: one per open database. It syncs at start, every `interval`,
//! `debounce` after local writes, and on `sync_now`; after a failure it backs off
//! exponentially with jitter. Status goes out on a watch channel for the UI. What one
//! round does is in `round`.

use std::sync::{Arc, Weak};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot, watch, Notify};
use tokio::time::Instant;

use super::client::Client;
use super::round::Round;
use super::{SyncConfig, SyncError, SyncOptions, SyncState, SyncStatus};
use crate::events::ChangeSource;
use crate::Garage;

/// Local writes postpone a sync by `debounce` each, but by no more than this many
/// debounce periods in total, so a steady trickle of edits still syncs.
const MAX_DEBOUNCE_PERIODS: u32 = 5;

/// What one round did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SyncReport {
    /// Rows sent and acknowledged (each applied, duplicate or stale on the server).
    pub pushed: usize,
    pub push_applied: usize,
    pub push_duplicate: usize,
    pub push_stale: usize,
    /// Rows the server refused (they stay dirty and are listed by `rejected_rows`; the
    /// same version is not sent again until it is edited, see `sync::rejected`).
    pub push_rejected: usize,
    /// Rows received.
    pub pulled: usize,
    /// Received rows that were newer than ours and were written.
    pub applied: usize,
    /// Received rows that could not be applied and went to quarantine.
    pub quarantined: usize,
    /// Quarantined rows applied on a retry this round.
    pub released: usize,
    /// Vehicles whose data changed through `applied` or `released` rows.
    pub vehicles: Vec<String>,
    /// Set when this round started over with the server (it forgot rows it had
    /// acknowledged, or its account is new): the reason.
    pub reset: Option<String>,
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

pub(super) fn backoff(opts: &SyncOptions, failures: u32) -> Duration {
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
    let round = Round::new(garage, client, opts.clone(), status);
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

pub(super) fn set_state(status: &watch::Sender<SyncStatus>, state: SyncState) {
    status.send_modify(|s| s.state = state);
}

#[cfg(test)]
mod tests {
    use super::*;

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
