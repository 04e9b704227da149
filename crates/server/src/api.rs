//! The HTTP API (protocol version 1). Every handler that touches rows first resolves the
//! bearer token to a user, and every storage call takes that user id: there is no route
//! from a request to another user's rows.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{ConnectInfo, DefaultBodyLimit, Query, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use glovebox_protocol::sync::{
    is_synced_table, ErrorBody, LoginRequest, LoginResponse, PullResponse, PushRequest,
    PushResponse, RowOutcome, StatusResponse, PROTOCOL_HEADER, PROTOCOL_VERSION,
};
use glovebox_protocol::MAX_CLOCK_DRIFT_MS;
use serde::Deserialize;

use crate::auth::{self, LoginLimiter};
use crate::config::LimitsConfig;
use crate::stats::{prometheus, Counters, QueryStats};
use crate::storage::{Principal, Storage, StorageError};

/// The oldest client protocol this server still serves; older ones get 426.
pub const MIN_PROTOCOL_VERSION: u32 = 1;

pub struct AppState {
    pub storage: Arc<dyn Storage>,
    pub limits: LimitsConfig,
    pub stats: Arc<QueryStats>,
    pub counters: Counters,
    pub started: Instant,
    limiter: LoginLimiter,
}

impl AppState {
    pub fn new(storage: Arc<dyn Storage>, limits: LimitsConfig, stats: Arc<QueryStats>) -> Self {
        AppState {
            storage,
            limiter: LoginLimiter::new(limits.login_attempts_per_minute),
            limits,
            stats,
            counters: Counters::default(),
            started: Instant::now(),
        }
    }
}

type AppResult<T> = Result<T, ApiError>;

#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }
    fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }
    fn unauthorized(message: &str) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }
    fn internal(e: impl std::fmt::Display) -> Self {
        tracing::error!("internal error: {e}");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal server error",
        )
    }
}

impl From<StorageError> for ApiError {
    fn from(e: StorageError) -> Self {
        ApiError::internal(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            code: self.code.to_owned(),
            message: self.message,
        };
        (self.status, Json(body)).into_response()
    }
}

pub fn router(state: Arc<AppState>) -> Router {
    let body_limit = state.limits.max_body_bytes;
    Router::new()
        .route("/v1/status", get(status))
        .route("/v1/login", post(login))
        .route("/v1/logout", post(logout))
        .route("/v1/push", post(push))
        .route("/v1/pull", get(pull))
        .route("/api/health", get(health))
        .route("/metrics", get(metrics))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            count_responses,
        ))
        .with_state(state)
}

async fn count_responses(State(s): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let resp = next.run(req).await;
    Counters::add(&s.counters.requests, 1);
    if resp.status().is_client_error() {
        Counters::add(&s.counters.errors_4xx, 1);
    } else if resp.status().is_server_error() {
        Counters::add(&s.counters.errors_5xx, 1);
    }
    resp
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint")
}

/// Runs blocking storage work off the async workers.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> AppResult<T> + Send + 'static,
) -> AppResult<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(ApiError::internal)?
}

fn check_protocol(headers: &HeaderMap) -> AppResult<()> {
    // A missing header means "current": handy with curl, and every Glovebox client sends it.
    let Some(v) = headers.get(PROTOCOL_HEADER) else {
        return Ok(());
    };
    let v: u32 = v
        .to_str()
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .ok_or_else(|| {
            ApiError::bad_request("bad_protocol", "malformed protocol version header")
        })?;
    if v < MIN_PROTOCOL_VERSION {
        return Err(ApiError::new(
            StatusCode::UPGRADE_REQUIRED,
            "protocol_too_old",
            format!(
                "protocol version {v} is no longer supported (this server needs {MIN_PROTOCOL_VERSION} to {PROTOCOL_VERSION}); update Glovebox"
            ),
        ));
    }
    if v > PROTOCOL_VERSION {
        return Err(ApiError::bad_request(
            "protocol_too_new",
            format!("protocol version {v} is newer than this server's {PROTOCOL_VERSION}; update the server"),
        ));
    }
    Ok(())
}

async fn authenticate(s: &Arc<AppState>, headers: &HeaderMap) -> AppResult<Principal> {
    check_protocol(headers)?;
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(|| ApiError::unauthorized("missing bearer token; log in first"))?;
    let hash = auth::token_hash(token.trim());
    // A primary-key lookup of tens of microseconds: cheaper inline on the async worker
    // than a hand-off to the blocking pool and back (context switches showed up under
    // load). Pushes and pulls, which take longer, do go to the blocking pool.
    s.storage
        .authenticate(&hash)?
        .ok_or_else(|| ApiError::unauthorized("invalid or revoked token; log in again"))
}

fn json_body<T: serde::de::DeserializeOwned>(body: Result<Bytes, BytesRejection>) -> AppResult<T> {
    let bytes = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                e.status(),
                "body_too_large",
                "request body exceeds max_body_bytes",
            )
        } else {
            ApiError::bad_request("bad_body", e.body_text())
        }
    })?;
    serde_json::from_slice(&bytes).map_err(|e| ApiError::bad_request("bad_json", e.to_string()))
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

async fn status(State(s): State<Arc<AppState>>) -> Json<StatusResponse> {
    Json(StatusResponse {
        server_time_ms: now_ms(),
        min_protocol: MIN_PROTOCOL_VERSION,
        max_protocol: PROTOCOL_VERSION,
        limits: s.limits.to_wire(),
        server_epoch: String::new(),
    })
}

/// Verifying against this when the user does not exist keeps the response time the same,
/// so timing does not reveal which user names exist.
fn dummy_hash() -> &'static str {
    static H: OnceLock<String> = OnceLock::new();
    H.get_or_init(|| auth::hash_password("glovebox-dummy").unwrap_or_default())
}

async fn login(
    State(s): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> AppResult<Json<LoginResponse>> {
    check_protocol(&headers)?;
    let req: LoginRequest = json_body(body)?;
    // Limit per user name (guessing one account) and per address (spraying many).
    let by_user = s.limiter.allow(&format!("user:{}", req.user));
    let by_peer = s.limiter.allow(&format!("peer:{}", peer.ip()));
    if !(by_user && by_peer) {
        Counters::add(&s.counters.logins_limited, 1);
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "too many login attempts; wait a minute",
        ));
    }
    let device_name = req.device_name.trim().to_owned();
    if device_name.is_empty() || device_name.len() > 100 {
        return Err(ApiError::bad_request(
            "bad_device_name",
            "device name must be 1 to 100 characters",
        ));
    }
    let st = s.clone();
    let resp = blocking(move || {
        let user = st.storage.user(&req.user)?;
        let hash = user
            .as_ref()
            .map_or(dummy_hash(), |u| u.password_hash.as_str());
        let ok = auth::verify_password(&req.password, hash);
        let Some(user) = user.filter(|_| ok) else {
            Counters::add(&st.counters.logins_failed, 1);
            return Err(ApiError::unauthorized("wrong user name or password"));
        };
        let token = auth::new_token();
        let device_id = st
            .storage
            .add_device(user.id, &device_name, &auth::token_hash(&token))?;
        Counters::add(&st.counters.logins_ok, 1);
        Ok(LoginResponse { token, device_id })
    })
    .await?;
    Ok(Json(resp))
}

async fn logout(State(s): State<Arc<AppState>>, headers: HeaderMap) -> AppResult<StatusCode> {
    let who = authenticate(&s, &headers).await?;
    blocking(move || Ok(s.storage.revoke_device(&who.device_id)?)).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

async fn push(
    State(s): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> AppResult<Json<PushResponse>> {
    let who = authenticate(&s, &headers).await?;
    let req: PushRequest = json_body(body)?;
    if req.rows.len() > s.limits.max_batch_rows {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "batch_too_large",
            format!(
                "{} rows in one batch; the limit is {}",
                req.rows.len(),
                s.limits.max_batch_rows
            ),
        ));
    }
    let horizon = now_ms() + MAX_CLOCK_DRIFT_MS;
    for row in &req.rows {
        if !is_synced_table(&row.table) {
            return Err(ApiError::bad_request(
                "unknown_table",
                format!("{:?} is not a synced table", row.table),
            ));
        }
        if !valid_id(&row.id) {
            return Err(ApiError::bad_request(
                "bad_id",
                format!("malformed row id {:?}", row.id),
            ));
        }
        // A device whose clock runs far ahead would win every conflict: refuse its rows.
        if row.hlc.millis > horizon {
            return Err(ApiError::bad_request(
                "clock_drift",
                format!("row {} is stamped more than 5 minutes in the server's future; check the device's clock", row.id),
            ));
        }
    }
    let st = s.clone();
    let (results, seq) =
        blocking(move || Ok(st.storage.push(who.user_id, &who.device_id, &req.rows)?)).await?;
    for r in &results {
        let c = match r.result {
            RowOutcome::Applied => &s.counters.rows_applied,
            RowOutcome::Duplicate => &s.counters.rows_duplicate,
            RowOutcome::Stale => &s.counters.rows_stale,
            // Not produced by this server yet: it refuses whole batches (in progress).
            RowOutcome::Rejected => continue,
        };
        Counters::add(c, 1);
    }
    Ok(Json(PushResponse {
        results,
        seq,
        epoch: String::new(),
    }))
}

#[derive(Debug, Deserialize)]
struct PullParams {
    #[serde(default)]
    since: u64,
    limit: Option<usize>,
}

async fn pull(
    State(s): State<Arc<AppState>>,
    headers: HeaderMap,
    params: Result<Query<PullParams>, QueryRejection>,
) -> AppResult<Json<PullResponse>> {
    let who = authenticate(&s, &headers).await?;
    let Query(p) = params.map_err(|e| ApiError::bad_request("bad_query", e.body_text()))?;
    let limit = p.limit.unwrap_or(500).clamp(1, s.limits.max_pull_limit);
    let st = s.clone();
    let page = blocking(move || {
        Ok(st
            .storage
            .pull(who.user_id, &who.device_id, p.since, limit)?)
    })
    .await?;
    Counters::add(&s.counters.rows_pulled, page.rows.len() as u64);
    Ok(Json(PullResponse {
        rows: page.rows,
        cursor: page.cursor,
        has_more: page.has_more,
        // Epochs are not kept by this server yet (protocol 2 work in progress).
        epoch: String::new(),
    }))
}

/// The core's Health snapshot (uptime, queries with ratings and regressions; the server
/// has no report cache, so its cache part is empty) plus `status` and `version`.
async fn health(State(s): State<Arc<AppState>>) -> Json<serde_json::Value> {
    let health = s.stats.health(glovebox_perf::CacheStats::default());
    let status = if health.problems().next().is_some() {
        "degraded"
    } else {
        "ok"
    };
    let mut v = serde_json::to_value(&health).unwrap_or_default();
    if let Some(obj) = v.as_object_mut() {
        obj.insert("status".into(), status.into());
        obj.insert("version".into(), env!("CARGO_PKG_VERSION").into());
    }
    Json(v)
}

async fn metrics(State(s): State<Arc<AppState>>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        prometheus(&s.counters, &s.stats, s.started.elapsed()),
    )
}
