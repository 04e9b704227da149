//! `GET /v1/pull`: pages capped by rows and bytes (always at least one row), written from
//! the stored row text without re-encoding. Every version of the account is sent, the
//! caller's own included: a device restored from a file backup, or a copy of one
//! database on a second machine, needs them back.

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use glovebox_protocol::sync::{ErrorCode, PullQuery};

use super::{authenticate, blocking, check_epoch, ApiError, AppResult};
use crate::stats::Counters;
use crate::storage::{PageLimits, Pull, PullStep};
use crate::wire::pull_json;
use crate::AppState;

/// Rows per page when the client names no limit.
pub const DEFAULT_PULL_LIMIT: usize = 500;
/// Rows of a page read on the async worker (tens of microseconds for in-process storage)
/// before the rest goes to the blocking pool.
const INLINE_PULL_ROWS: usize = 100;

pub(super) async fn pull(
    State(s): State<Arc<AppState>>,
    headers: HeaderMap,
    params: Result<Query<PullQuery>, QueryRejection>,
) -> AppResult<Response> {
    let who = authenticate(&s, &headers).await?;
    let Query(p) = params.map_err(|e| ApiError::new(ErrorCode::BadQuery, e.body_text()))?;
    let epoch = s.epoch_of(&who);
    check_epoch(p.epoch.as_deref(), &epoch)?;
    let limits = PageLimits {
        rows: p
            .limit
            .unwrap_or(DEFAULT_PULL_LIMIT)
            .clamp(1, s.limits.max_pull_limit),
        bytes: s.limits.max_pull_bytes,
    };
    let render = move |pull: Pull| match pull {
        Pull::Page(page) => Ok((pull_json(&page, &epoch), page.rows.len())),
        Pull::CursorAhead { since, seq } => Err(ApiError::new(
            ErrorCode::CursorAhead,
            format!(
                "cursor {since} was never issued by this server's database (its \
                 sequence for this account is {seq}): it was restored from an older \
                 copy and forgot rows; reset the cursor, push every row again, then pull"
            ),
        )),
    };
    let (body, rows) = if s.storage.inline_reads() {
        // The usual page (a few dozen rows written since the last sync) is read here; a
        // longer one is finished in the blocking pool, in the same snapshot.
        match s
            .storage
            .pull_begin(who.user_id, p.since, limits, INLINE_PULL_ROWS)?
        {
            PullStep::Done(pull) => render(pull)?,
            PullStep::More(rest) => blocking(move || render(rest()?)).await?,
        }
    } else {
        let pull = s
            .storage
            .clone()
            .pull_async(who.user_id, p.since, limits)
            .await?;
        render(pull)?
    };
    Counters::add(&s.counters.rows_pulled, rows as u64);
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}
