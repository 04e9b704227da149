//! The push half of a round: dirty rows in batches sized from the server's limits,
//! per-row outcomes, rows the server would refuse never sent, 413s halved, rejected
//! versions recorded (see `rejected`), acknowledged ones marked clean while the next batch
//! is read and pushed.

use glovebox_protocol::rows::check_row;
use glovebox_protocol::sync::{ErrorCode, RowOutcome, SyncRow};
use glovebox_protocol::{Hlc, SyncTable};

use super::decode::Problem;
use super::engine::SyncReport;
use super::round::{forgot, join, Limits, Round, MAX_PUSH_BATCHES_PER_ROUND};
use super::{cursor, rejected, SyncError};
use crate::store::sync_rows::{self, DirtyPosition};
use crate::Garage;

/// A batch ready to send.
struct Encoded {
    sent: Vec<SyncRow>,
    body: Vec<u8>,
    /// Rows this device will not send: the server would refuse them (and, too large,
    /// the whole request with them).
    refused: Vec<(SyncRow, Problem)>,
    /// The last row looked at (sent or refused): where the next read continues.
    last: Option<DirtyPosition>,
}

fn position_of(r: &SyncRow) -> Option<DirtyPosition> {
    Some((
        SyncTable::from_name(&r.table)?,
        r.hlc.to_string(),
        r.id.clone(),
    ))
}

/// Encodes the longest prefix of `rows` whose push body fits in `max_bytes` (at least one
/// row). Each row is serialised once, checked (`check_row` without the clock, which is
/// the server's to judge, and the server's row size limit) and the body assembled from
/// those bytes.
fn encode_batch(
    rows: Vec<SyncRow>,
    max_bytes: usize,
    max_row_bytes: usize,
    epoch: Option<&str>,
    known: u64,
) -> Result<Encoded, SyncError> {
    const HEAD: &[u8] = b"{\"rows\":[";
    let json = |e: serde_json::Error| SyncError::Local(crate::Error::Other(e.to_string()));
    let mut tail = b"]".to_vec();
    if let Some(e) = epoch {
        tail.extend_from_slice(b",\"epoch\":");
        tail.extend_from_slice(&serde_json::to_vec(e).map_err(json)?);
    }
    if known > 0 {
        tail.extend_from_slice(format!(",\"known\":{known}").as_bytes());
    }
    tail.push(b'}');
    let mut body = Vec::with_capacity(max_bytes.min(1 << 20));
    body.extend_from_slice(HEAD);
    let mut out = Encoded {
        sent: Vec::new(),
        body: Vec::new(),
        refused: Vec::new(),
        last: None,
    };
    for r in rows {
        let bytes = serde_json::to_vec(&r).map_err(json)?;
        let problem = match check_row(&r, bytes.len(), u64::MAX) {
            Err(p) => Some(Problem::from(p)),
            Ok(_) if bytes.len() > max_row_bytes => {
                Some(Problem::from(glovebox_protocol::RowProblem::TooLarge {
                    bytes: bytes.len(),
                    limit: max_row_bytes,
                }))
            }
            // Not even alone would it fit in a request the server takes.
            Ok(_) if HEAD.len() + bytes.len() + tail.len() > max_bytes => {
                Some(Problem::from(glovebox_protocol::RowProblem::TooLarge {
                    bytes: HEAD.len() + bytes.len() + tail.len(),
                    limit: max_bytes,
                }))
            }
            Ok(_) => None,
        };
        if let Some(p) = problem {
            out.last = position_of(&r);
            out.refused.push((r, p));
            continue;
        }
        let sep = usize::from(!out.sent.is_empty());
        if !out.sent.is_empty() && body.len() + sep + bytes.len() + tail.len() > max_bytes {
            break;
        }
        if sep == 1 {
            body.push(b',');
        }
        body.extend_from_slice(&bytes);
        out.last = position_of(&r);
        out.sent.push(r);
    }
    body.extend_from_slice(&tail);
    out.body = body;
    Ok(out)
}

impl Round {
    pub(super) async fn push(
        &self,
        limits: &Limits,
        report: &mut SyncReport,
        done: &mut u64,
        total: u64,
    ) -> Result<(), SyncError> {
        let pos = self
            .blocking(|g| Ok(g.store().read("sync.position", cursor::load)?))
            .await?;
        let mut epoch = pos.epoch;
        // The highest number the server gave this device, sent with each batch: a server
        // restored between two batches of this round did not issue the first one's, and
        // says so instead of storing the second (docs/SYNC.md, "Rounds").
        let mut known = pos.cursor.max(pos.push_seq);
        // Push: the acknowledgement of batch n is written while batch n+1 is read and
        // pushed, so the local database and the server work at the same time.
        let mut position: Option<DirtyPosition> = None;
        let mut cap = limits.batch_rows;
        let mut clearing: Option<tokio::task::JoinHandle<Result<(), SyncError>>> = None;
        let mut too_large = None;
        // The next batch, read while this one is pushed: (limit, after, read).
        let mut next: Option<(usize, Option<DirtyPosition>, ReadHandle)> = None;
        let result = async {
            for _ in 0..MAX_PUSH_BATCHES_PER_ROUND {
                let rows = match next.take() {
                    Some((limit, after, read)) if limit == cap && after == position => {
                        join(read).await?
                    }
                    // A halved batch sends the same rows again: the read ahead is moot.
                    _ => join(self.read_dirty(cap, position.clone())).await?,
                };
                if rows.is_empty() {
                    return Ok(());
                }
                let enc = encode_batch(
                    rows,
                    limits.batch_bytes,
                    limits.row_bytes,
                    epoch.as_deref(),
                    known,
                )?;
                next = Some((
                    cap,
                    enc.last.clone(),
                    self.read_dirty(cap, enc.last.clone()),
                ));
                if !enc.refused.is_empty() {
                    report.push_rejected += enc.refused.len();
                    let refused: Vec<_> = enc
                        .refused
                        .iter()
                        .map(|(r, p)| {
                            (
                                r.table.clone(),
                                r.id.clone(),
                                r.hlc.clone(),
                                p.code.to_owned(),
                                p.reason.clone(),
                            )
                        })
                        .collect();
                    self.blocking(move |g| Ok(record_rejected(g, &refused)?))
                        .await?;
                }
                if enc.sent.is_empty() {
                    position = enc.last;
                    continue;
                }
                let body = enc.body;
                let resp = match self.retry(0, || self.client.push(body.clone())).await {
                    Ok(r) => r,
                    Err(e) if e.is_too_large() => {
                        if enc.sent.len() > 1 {
                            // Halve and send the same rows again (nothing was stored).
                            cap = (enc.sent.len() / 2).max(1);
                            continue;
                        }
                        // One row within every limit the server announced, refused as
                        // too large: something on the way has a smaller limit. Not the
                        // row's fault, so it is not rejected: it stays pending, the rest
                        // goes on, and the round reports the error (retried next round).
                        tracing::warn!("{e}; skipping one row for this round");
                        too_large = Some(e);
                        position = enc.last;
                        continue;
                    }
                    Err(e) => return Err(e),
                };
                position = enc.last;
                let batch = enc.sent;
                if resp.results.len() != batch.len()
                    || resp
                        .results
                        .iter()
                        .zip(&batch)
                        .any(|(res, row)| res.table != row.table || res.id != row.id)
                {
                    return Err(SyncError::Protocol(format!(
                        "pushed {} rows, got {} results that do not match them",
                        batch.len(),
                        resp.results.len()
                    )));
                }
                if let Some(saved) = &epoch {
                    if !resp.epoch.is_empty() && resp.epoch != *saved {
                        return Err(forgot(
                            ErrorCode::EpochChanged,
                            format!("the account epoch changed from {saved} to {}", resp.epoch),
                        ));
                    }
                }
                if epoch.is_none() && !resp.epoch.is_empty() {
                    epoch = Some(resp.epoch.clone());
                }
                let mut acked: Vec<(SyncTable, String, Hlc)> = Vec::with_capacity(batch.len());
                let mut refused = Vec::new();
                for (row, res) in batch.into_iter().zip(resp.results) {
                    let Some(table) = SyncTable::from_name(&row.table) else {
                        continue;
                    };
                    match res.result {
                        RowOutcome::Applied => report.push_applied += 1,
                        RowOutcome::Duplicate => report.push_duplicate += 1,
                        // The server's newer version comes back in the pull below.
                        RowOutcome::Stale => report.push_stale += 1,
                        RowOutcome::Rejected => {
                            report.push_rejected += 1;
                            let reason = res.reason.unwrap_or_else(|| "no reason given".into());
                            tracing::warn!(
                                "the server rejected {} {}: {reason}",
                                row.table,
                                row.id
                            );
                            refused.push((
                                row.table,
                                row.id,
                                row.hlc,
                                res.code.unwrap_or_else(|| "rejected".into()),
                                reason,
                            ));
                            continue;
                        }
                    }
                    // Every other outcome means the server holds this version or a newer one.
                    acked.push((table, row.id, row.hlc));
                }
                report.pushed += acked.len();
                *done += (acked.len() + refused.len()) as u64;
                if let Some(previous) = clearing.take() {
                    join(previous).await?;
                }
                known = known.max(resp.seq);
                let g = self.garage.clone();
                let (resp_epoch, resp_seq) = (resp.epoch, resp.seq);
                clearing = Some(tokio::task::spawn_blocking(move || {
                    g.store().write("sync.clear_dirty", |tx| {
                        sync_rows::clear_dirty(tx, &acked)?;
                        cursor::note_push_seq(tx, resp_seq)?;
                        for (t, id, hlc, code, reason) in &refused {
                            rejected::record(tx, t, id, hlc, code, reason)?;
                        }
                        // The account these rows now live in (a first push, or a reset).
                        if cursor::adopt_epoch(tx, &resp_epoch).is_err() {
                            tracing::warn!("the account epoch changed during a push");
                        }
                        Ok(())
                    })?;
                    Ok(())
                }));
                self.progress(*done, total);
            }
            Ok(())
        }
        .await;
        if let Some(previous) = clearing.take() {
            join(previous).await?;
        }
        result?;
        too_large.map_or(Ok(()), Err)
    }
}

type ReadHandle = tokio::task::JoinHandle<Result<Vec<SyncRow>, SyncError>>;

impl Round {
    /// Reads up to `limit` dirty rows after `after` on a blocking thread.
    fn read_dirty(&self, limit: usize, after: Option<DirtyPosition>) -> ReadHandle {
        let g = self.garage.clone();
        tokio::task::spawn_blocking(move || {
            Ok(g.store().read("sync.read_dirty", |c| {
                sync_rows::read_dirty_after(c, limit, after.as_ref())
            })?)
        })
    }
}

type Refusal = (String, String, Hlc, String, String);

fn record_rejected(g: &Garage, refused: &[Refusal]) -> crate::Result<()> {
    g.store().write("sync.record_rejected", |tx| {
        for (t, id, hlc, code, reason) in refused {
            rejected::record(tx, t, id, hlc, code, reason)?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use glovebox_protocol::rows::MAX_ROW_BYTES;

    use super::*;

    const ID: &str = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";

    fn row(n: usize) -> SyncRow {
        let mut data = serde_json::Map::new();
        data.insert("notes".into(), "x".repeat(n).into());
        SyncRow {
            table: "fuel_records".into(),
            id: ID.into(),
            hlc: Hlc::new(1, 0, "ab"),
            deleted: false,
            data,
        }
    }

    #[test]
    fn batches_are_cut_by_bytes_but_never_empty() {
        let rows: Vec<_> = (0..10).map(|_| row(1000)).collect();
        let enc = encode_batch(rows.clone(), 3500, MAX_ROW_BYTES, Some("ep"), 1_234).unwrap();
        assert_eq!(enc.sent.len(), 3);
        assert!(enc.body.len() <= 3500);
        let parsed: glovebox_protocol::sync::PushRequest =
            serde_json::from_slice(&enc.body).unwrap();
        assert_eq!(parsed.rows, enc.sent);
        assert_eq!(parsed.epoch.as_deref(), Some("ep"));
        assert_eq!(parsed.known, 1_234);
        // At least one row, even when it alone nearly fills the body...
        let enc = encode_batch(rows.clone(), 1300, MAX_ROW_BYTES, None, 0).unwrap();
        assert_eq!((enc.sent.len(), enc.refused.len()), (1, 0));
        // ...and a row that cannot fit alone is refused here, not sent to fail.
        let enc = encode_batch(rows, 500, MAX_ROW_BYTES, None, 0).unwrap();
        assert!(enc.sent.is_empty());
        assert_eq!(enc.refused[0].1.code, "row_too_large");
    }

    #[test]
    fn rows_the_server_would_refuse_are_not_sent() {
        let mut bad = row(10);
        bad.id = "not-an-id".into();
        let big = row(5000);
        let rows = vec![row(10), bad, big, row(10)];
        let enc = encode_batch(rows, 1 << 20, 4096, None, 0).unwrap();
        assert_eq!(enc.sent.len(), 2);
        let codes: Vec<_> = enc.refused.iter().map(|(_, p)| p.code).collect();
        assert_eq!(codes, ["bad_id", "row_too_large"]);
        let parsed: glovebox_protocol::sync::PushRequest =
            serde_json::from_slice(&enc.body).unwrap();
        assert_eq!(parsed.rows.len(), 2);
        assert_eq!(parsed.epoch, None);
        assert_eq!(parsed.known, 0);
        assert!(!String::from_utf8_lossy(&enc.body).contains("known"));
    }
}
