//! One sync round: push what is dirty, then pull what is new — always both: a push the
//! server refused (one bad row, a batch too large, a 400) never keeps a device from
//! receiving.
//!
//! 1. The database's sync generation moves on (see `instance`) and `/v1/status` gives the
//!    server's limits and clock (defaults when it does not answer).
//! 2. Housekeeping: rejected versions that may go again are released, quarantined rows
//!    that are due are retried.
//! 3. Push (`push`): batches sized from the server's limits, per-row outcomes.
//! 4. Pull pages until caught up, each page applied with its cursor and epoch.
//!
//! When the server says it forgot (409 `epoch_changed`/`cursor_ahead`, an epoch that
//! changed, a sequence that went backwards) the round resets (`cursor::reset`) and starts
//! over, at most twice.

use std::collections::BTreeSet;
use std::sync::Arc;

use glovebox_protocol::rows::MAX_ROW_BYTES;
use glovebox_protocol::sync::{ErrorCode, PROTOCOL_VERSION};
use tokio::sync::watch;
use tokio::time::Instant;

use super::apply::ApplyOutcome;
use super::client::Client;
use super::engine::{backoff, set_state, SyncReport};
use super::META_LAST_SYNCED;
use super::{
    cursor, instance, quarantine, rejected, SyncError, SyncOptions, SyncState, SyncStatus,
};
use crate::events::ChangeSource;
use crate::{time, Garage};

/// Stops a push loop that keeps finding dirty rows (someone typing faster than we push
/// is fine; an endless loop is not): the rest goes out in the next round.
pub(super) const MAX_PUSH_BATCHES_PER_ROUND: usize = 10_000;
/// Immediate retries of one request inside a round before the round fails.
const REQUEST_RETRIES: u32 = 2;
/// Resets one round may do: a server that keeps answering "forgot" is broken, not
/// restored.
const MAX_RESETS_PER_ROUND: u32 = 2;

pub(super) struct Round {
    pub(super) garage: Arc<Garage>,
    pub(super) client: Client,
    pub(super) opts: SyncOptions,
    status: watch::Sender<SyncStatus>,
}

/// What this round may send and ask for.
#[derive(Debug, Clone, Copy)]
pub(super) struct Limits {
    pub(super) batch_rows: usize,
    pub(super) batch_bytes: usize,
    pub(super) row_bytes: usize,
    pub(super) pull_limit: usize,
    /// The server's clock (ours when it did not say).
    pub(super) server_now_ms: u64,
    /// How far the server's clock is ahead of ours (0 when behind or unknown).
    pub(super) server_ahead_ms: u64,
}

/// The errors after which pulling makes no sense (or must not happen).
fn stops_round(e: &SyncError) -> bool {
    e.means_server_forgot()
        || matches!(
            e,
            SyncError::Unauthorized(_)
                | SyncError::ProtocolTooOld(_)
                | SyncError::Local(_)
                | SyncError::Stopped
                | SyncError::NotConfigured
        )
}

pub(super) fn forgot(code: ErrorCode, message: impl Into<String>) -> SyncError {
    SyncError::server_forgot(code, message)
}

impl Round {
    pub(super) fn new(
        garage: Arc<Garage>,
        client: Client,
        opts: SyncOptions,
        status: watch::Sender<SyncStatus>,
    ) -> Round {
        Round {
            garage,
            client,
            opts,
            status,
        }
    }

    pub(super) fn next_at(&self, r: &Result<SyncReport, SyncError>, failures: u32) -> Instant {
        match r {
            Ok(_) => Instant::now() + self.opts.interval,
            Err(_) => Instant::now() + backoff(&self.opts, failures),
        }
    }

    pub(super) async fn run_reported(&self, failures: &mut u32) -> Result<SyncReport, SyncError> {
        let (report, r) = self.run().await;
        let pending = self.blocking(super::pending_changes).await.unwrap_or(0);
        // Rows applied before a failure are applied all the same: tell the shell.
        if !report.vehicles.is_empty() {
            if let Some(hook) = &self.opts.on_applied {
                hook(&report.vehicles);
            }
        }

        match r {
            Ok(()) => {
                *failures = 0;
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
                Ok(report)
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
                Err(e)
            }
        }
    }

    pub(super) async fn blocking<T: Send + 'static>(
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
    pub(super) async fn retry<T, F, Fut>(&self, mut attempt: u32, f: F) -> Result<T, SyncError>
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

    pub(super) fn progress(&self, done: u64, total: u64) {
        set_state(
            &self.status,
            SyncState::Syncing {
                done,
                total: total.max(done),
            },
        );
    }

    /// The round, with resets; the report holds what was done even when it failed.
    async fn run(&self) -> (SyncReport, Result<(), SyncError>) {
        let mut report = SyncReport::default();
        let mut vehicles = BTreeSet::new();
        let mut resets = 0;
        loop {
            match self.run_once(&mut report, &mut vehicles).await {
                Err(e) if e.means_server_forgot() && resets < MAX_RESETS_PER_ROUND => {
                    resets += 1;
                    let reason = format!(
                        "the server does not know what this device synced ({e}); sending \
                         everything again"
                    );
                    let r = reason.clone();
                    let reset = self
                        .blocking(move |g| {
                            Ok(g.store().write("sync.reset", |tx| cursor::reset(tx, &r))?)
                        })
                        .await;
                    if let Err(e) = reset {
                        report.vehicles = vehicles.into_iter().collect();
                        return (report, Err(e));
                    }
                    report.reset = Some(reason);
                }
                r => {
                    report.vehicles = vehicles.into_iter().collect();
                    return (report, r);
                }
            }
        }
    }

    async fn run_once(
        &self,
        report: &mut SyncReport,
        vehicles: &mut BTreeSet<String>,
    ) -> Result<(), SyncError> {
        // Before anything goes out: a copy of the database taken before this point is
        // recognised as older when it is put back (see `instance`).
        self.blocking(|g| Ok(instance::advance(g.store())?)).await?;
        let limits = self.limits().await?;
        let retried = self
            .blocking(move |g| g.sync_housekeeping(limits.server_now_ms, limits.server_ahead_ms))
            .await?;
        report.released += retried.applied;
        vehicles.extend(retried.vehicles);

        // A push of an earlier round that no pull followed (the device was killed in
        // between, or the pull failed): is its sequence number still one this server
        // issued? This must be known before anything else goes out: a push now takes a
        // new number, and once that replaces the old one a server restored from a copy
        // taken before the old push can no longer be told (the 10,000-case chaos run found
        // this: a pull fault, then a restore, then a push; the first push was lost).
        let pos = self
            .blocking(|g| Ok(g.store().read("sync.position", cursor::load)?))
            .await?;
        // When the probe fails the round still pulls (whose end asks again), but does not
        // push.
        let probe_error = if pos.push_seq > 0 {
            match self.probe_push_seq(pos.push_seq, pos.epoch.clone()).await {
                Ok(()) => None,
                Err(e) if stops_round(&e) => return Err(e),
                Err(e) => Some(e),
            }
        } else {
            None
        };

        let mut total = self.blocking(super::pending_changes).await?;
        let mut done = 0u64;
        self.progress(0, total);
        let push_error = match probe_error {
            Some(e) => Some(e),
            None => match self.push(&limits, report, &mut done, total).await {
                Ok(()) => None,
                Err(e) if stops_round(&e) => return Err(e),
                Err(e) => {
                    tracing::warn!("push failed, pulling anyway: {e}");
                    Some(e)
                }
            },
        };
        let repushed = self
            .pull(&limits, report, vehicles, &mut done, &mut total)
            .await?;
        if repushed > 0 && push_error.is_none() {
            // Versions the server lost are dirty again: send them now, and pull what that
            // moved, so one round leaves the server whole.
            tracing::info!(
                repushed,
                "the server lost versions this device holds; sending them again"
            );
            self.push(&limits, report, &mut done, total).await?;
            self.pull(&limits, report, vehicles, &mut done, &mut total)
                .await?;
        }
        match push_error {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Asks the server whether it still issued `push_seq`, the sequence it gave this
    /// device's last push: a 409 means it forgot (restored from an older copy) and ends
    /// the round for a reset; the number is cleared once the server vouches for it. Any
    /// other failure keeps the number (for the next probe) and is returned too.
    async fn probe_push_seq(&self, push_seq: u64, epoch: Option<String>) -> Result<(), SyncError> {
        self.retry(0, || self.client.pull(push_seq, 1, epoch.clone()))
            .await
            .inspect_err(|e| tracing::info!("probe of an earlier push failed: {e}"))?;
        self.blocking(|g| {
            Ok(g.store()
                .write("sync.push_confirmed", |tx| cursor::clear_push_seq(tx))?)
        })
        .await
    }

    /// The pull reached its end. The push sequence is forgotten only once the server
    /// vouches for it (the probe). A pull that went past it proves nothing: a server
    /// restored from a copy taken before that push and started again numbers on from a
    /// new floor, so its end lies above the lost number, which sits in the gap it recorded
    /// (the 10,000-case chaos runs found this, and before it the clearing regardless).
    async fn caught_up(&self, epoch: Option<String>) -> Result<(), SyncError> {
        let pos = self
            .blocking(|g| Ok(g.store().read("sync.position", cursor::load)?))
            .await?;
        if pos.push_seq > 0 {
            match self.probe_push_seq(pos.push_seq, epoch).await {
                Err(e) if e.means_server_forgot() => return Err(e),
                // The pull itself went well; the next round probes again before it pushes.
                Err(_) | Ok(()) => {}
            }
        }
        Ok(())
    }

    /// The server's limits (and clock) for this round, the client's own where smaller.
    async fn limits(&self) -> Result<Limits, SyncError> {
        let o = &self.opts;
        let mut l = Limits {
            batch_rows: o.push_batch_rows.max(1),
            batch_bytes: o.push_batch_bytes.max(1),
            row_bytes: MAX_ROW_BYTES,
            pull_limit: o.pull_limit.max(1),
            server_now_ms: self.garage.clock().wall_millis(),
            server_ahead_ms: 0,
        };
        match self.retry(0, || self.client.status()).await {
            Ok(s) => {
                if s.min_protocol > PROTOCOL_VERSION {
                    return Err(SyncError::ProtocolTooOld(format!(
                        "the server needs protocol {} or later",
                        s.min_protocol
                    )));
                }
                // A zero means the server does not say (a limit of 0 would be nonsense).
                let min = |ours: usize, theirs: usize| {
                    if theirs == 0 {
                        ours
                    } else {
                        ours.min(theirs)
                    }
                };
                l.batch_rows = min(l.batch_rows, s.limits.max_batch_rows);
                l.batch_bytes = min(l.batch_bytes, s.limits.max_body_bytes);
                l.row_bytes = min(l.row_bytes, s.limits.max_row_bytes);
                l.pull_limit = min(l.pull_limit, s.limits.max_pull_limit);
                if s.server_time_ms > 0 {
                    l.server_now_ms = s.server_time_ms;
                    let ours = self.garage.clock().wall_millis();
                    l.server_ahead_ms = s.server_time_ms.saturating_sub(ours);
                }
            }
            // Push and pull will say what is wrong; the defaults do until then.
            Err(e) => tracing::info!("no status from the server ({e}); using default limits"),
        }
        Ok(l)
    }

    async fn pull(
        &self,
        limits: &Limits,
        report: &mut SyncReport,
        vehicles: &mut BTreeSet<String>,
        done: &mut u64,
        total: &mut u64,
    ) -> Result<usize, SyncError> {
        // Pull pages until caught up; each page and its cursor commit together.
        let pos = self
            .blocking(|g| Ok(g.store().read("sync.position", cursor::load)?))
            .await?;
        let mut repushed = 0usize;
        let (mut cursor, mut epoch) = (pos.cursor, pos.epoch);
        let (limit, server_ahead) = (limits.pull_limit, limits.server_ahead_ms);
        let mut page = self
            .retry(0, || self.client.pull(cursor, limit, epoch.clone()))
            .await?;
        loop {
            if page.cursor < cursor {
                return Err(forgot(
                    ErrorCode::CursorAhead,
                    format!(
                        "the server's sequence went backwards ({} after {cursor})",
                        page.cursor
                    ),
                ));
            }
            if let Some(e) = &epoch {
                if !page.epoch.is_empty() && page.epoch != *e {
                    return Err(forgot(
                        ErrorCode::EpochChanged,
                        format!("the account epoch changed from {e} to {}", page.epoch),
                    ));
                }
            }
            if !page.epoch.is_empty() {
                epoch = Some(page.epoch.clone());
            }
            let n = page.rows.len();
            *total += n as u64;
            // Fetch the next page while this one is applied, so the server and the local
            // database work at the same time. A failed prefetch is simply re-requested
            // below; it never skips anything because the cursor only moves on apply.
            let prefetch = (page.has_more && n > 0).then(|| {
                let (client, since, ep) = (self.client.clone(), page.cursor, epoch.clone());
                tokio::spawn(async move { client.pull(since, limit, ep).await })
            });
            let (rows, next, ep, has_more) = (page.rows, page.cursor, page.epoch, page.has_more);
            let applied: ApplyOutcome = self
                .blocking(move |g| g.apply_page(&rows, next, &ep, server_ahead))
                .await?;
            report.pulled += n;
            report.applied += applied.applied;
            repushed += applied.repushed;
            report.quarantined += applied.quarantined;
            vehicles.extend(applied.vehicles);
            cursor = next;
            *done += n as u64;
            self.progress(*done, *total);
            let Some(prefetch) = prefetch else {
                if !has_more {
                    self.caught_up(epoch.clone()).await?;
                }
                break;
            };
            page = match prefetch.await {
                Ok(Ok(p)) => p,
                // The prefetch was the first attempt; the retries continue from there.
                Ok(Err(e)) if !e.is_transient() => return Err(e),
                _ => {
                    self.retry(1, || self.client.pull(cursor, limit, epoch.clone()))
                        .await?
                }
            };
        }
        Ok(repushed)
    }
}

pub(super) async fn join<T>(
    h: tokio::task::JoinHandle<Result<T, SyncError>>,
) -> Result<T, SyncError> {
    h.await
        .map_err(|e| SyncError::Local(crate::Error::Other(format!("sync worker failed: {e}"))))?
}

impl Garage {
    /// Start-of-round upkeep: releases rejected versions that may go again, retries the
    /// quarantined rows that are due, drops entries a local version overtook.
    pub(crate) fn sync_housekeeping(
        &self,
        server_now_ms: u64,
        server_ahead_ms: u64,
    ) -> Result<ApplyOutcome, SyncError> {
        let now = self.now_for_sync(server_ahead_ms);
        let ctx = super::apply::ApplyCtx::sync_at(now);
        Ok(
            self.transaction("sync.housekeeping", ChangeSource::Sync, |w| {
                let tx = w.conn();
                rejected::release(tx, server_now_ms)?;
                let out = quarantine::retry(w, quarantine::Retry::Due { now_ms: now }, &ctx)?;
                self.fold_seen(&out);
                crate::store::quarantine::drop_all_obsolete(tx)?;
                Ok(out)
            })?,
        )
    }
}
