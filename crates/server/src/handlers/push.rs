//! `POST /v1/push`: one outcome per row. Whole-request refusals are kept for what the
//! client can fix by splitting or resetting (413 over `max_body_bytes` or
//! `max_batch_rows`, 409 `epoch_changed` and `cursor_ahead`); a row that breaks a rule is `rejected` on its
//! own and the rest of the batch applies.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use glovebox_protocol::sync::{ErrorCode, PushResponse, RowOutcome, RowResult};

use super::{
    authenticate, bad_json, blocking, check_epoch, now_ms, read_body, ApiError, AppResult,
};
use crate::stats::Counters;
use crate::storage::{PushRow, Pushed};
use crate::wire::{parse_row, PushBody};
use crate::AppState;

pub(super) async fn push(
    State(s): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Body,
) -> AppResult<Json<PushResponse>> {
    let who = authenticate(&s, &headers).await?;
    let bytes = read_body(&s, &headers, body, s.limits.max_body_bytes).await?;
    let epoch = s.epoch_of(&who);
    let max = s.limits.max_batch_rows;
    let check_epoch_of = epoch.clone();
    let parse = move || parse_batch(&bytes, &check_epoch_of, max);
    // A usual batch (a few rows, a few KiB) is parsed here; parsing a 1 MiB batch takes
    // milliseconds, so a large one is parsed off the async workers.
    let Parsed {
        mut results,
        accepted,
        at,
        names,
        known,
    } = if body_len_small(&s, &headers) {
        parse()?
    } else {
        blocking(parse).await?
    };
    let (outcomes, seq) = match s
        .storage
        .clone()
        .push_async(who.user_id, accepted, s.seq_floor, known)
        .await?
    {
        Pushed::Stored(outcomes, seq) => (outcomes, seq),
        Pushed::CursorAhead { known, seq } => {
            return Err(ApiError::new(
                ErrorCode::CursorAhead,
                format!(
                    "sequence {known}, which this device was given earlier, was never issued \
                     by this server's database (its sequence for this account is {seq}): it \
                     was restored from an older copy and forgot rows; nothing of this batch \
                     was stored; reset the cursor, push every row again, then pull"
                ),
            ))
        }
    };
    for (((table, id), outcome), i) in names.into_iter().zip(outcomes).zip(at) {
        results[i] = Some(RowResult::new(table, id, outcome));
    }
    let results = results
        .into_iter()
        .collect::<Option<Vec<RowResult>>>()
        .ok_or_else(|| ApiError::internal("storage answered fewer rows than it was given"))?;
    let resp = PushResponse {
        results,
        seq,
        epoch,
    };
    for r in &resp.results {
        let c = match r.result {
            RowOutcome::Applied => &s.counters.rows_applied,
            RowOutcome::Duplicate => &s.counters.rows_duplicate,
            RowOutcome::Stale => &s.counters.rows_stale,
            RowOutcome::Rejected => &s.counters.rows_rejected,
        };
        Counters::add(c, 1);
    }
    Ok(Json(resp))
}

/// Bodies up to this size are parsed on the async worker (well under a millisecond).
const INLINE_PARSE_BYTES: usize = 16 * 1024;

fn body_len_small(_s: &AppState, headers: &HeaderMap) -> bool {
    headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
        .is_some_and(|n| n <= INLINE_PARSE_BYTES)
}

/// A push body, parsed and checked row by row: the rows to store (with their positions
/// in the batch and names) and the refusals already decided.
struct Parsed {
    results: Vec<Option<RowResult>>,
    accepted: Vec<PushRow>,
    at: Vec<usize>,
    names: Vec<(&'static str, String)>,
    /// The request's `known`.
    known: u64,
}

fn parse_batch(bytes: &[u8], epoch: &str, max: usize) -> AppResult<Parsed> {
    let req: PushBody<'_> = serde_json::from_slice(bytes).map_err(bad_json)?;
    check_epoch(req.epoch.as_deref(), epoch)?;
    if req.rows.len() > max {
        return Err(ApiError::new(
            ErrorCode::BatchTooLarge,
            format!("{} rows in one batch; the limit is {max}", req.rows.len()),
        ));
    }
    let now = now_ms();
    let mut results: Vec<Option<RowResult>> = vec![None; req.rows.len()];
    let mut accepted = Vec::with_capacity(req.rows.len());
    let mut at = Vec::with_capacity(req.rows.len());
    for (i, raw) in req.rows.iter().enumerate() {
        match parse_row(raw, now) {
            Ok(row) => {
                accepted.push(row);
                at.push(i);
            }
            Err(refused) => {
                results[i] = Some(RowResult::rejected(
                    refused.table,
                    refused.id,
                    &refused.problem,
                ));
            }
        }
    }
    let names = accepted
        .iter()
        .map(|r| (r.table.name(), r.id.clone()))
        .collect();
    Ok(Parsed {
        results,
        accepted,
        at,
        names,
        known: req.known,
    })
}
