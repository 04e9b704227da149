//! `POST /v1/push`: one outcome per row. Whole-request refusals are kept for what the
//! client can fix by splitting or resetting (413 over `max_body_bytes` or
//! `max_batch_rows`, 409 `epoch_changed`); a row that breaks a rule is `rejected` on its
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
    let st = s.clone();
    // Parsing a 1 MiB batch takes milliseconds: do it off the async workers too.
    let resp = blocking(move || {
        let req: PushBody<'_> = serde_json::from_slice(&bytes).map_err(bad_json)?;
        check_epoch(req.epoch.as_deref(), &epoch)?;
        let max = st.limits.max_batch_rows;
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
        let names: Vec<(&'static str, String)> = accepted
            .iter()
            .map(|r| (r.table.name(), r.id.clone()))
            .collect();
        let (outcomes, seq) = st.storage.push(who.user_id, accepted, st.seq_floor)?;
        for (((table, id), outcome), i) in names.into_iter().zip(outcomes).zip(at) {
            results[i] = Some(RowResult::new(table, id, outcome));
        }
        let results = results
            .into_iter()
            .collect::<Option<Vec<RowResult>>>()
            .ok_or_else(|| ApiError::internal("storage answered fewer rows than it was given"))?;
        Ok(PushResponse {
            results,
            seq,
            epoch,
        })
    })
    .await?;
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
