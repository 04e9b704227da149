//! The HTTP API, protocol version 2. The router is built from `Endpoint::ALL`, so every
//! path and method comes from glovebox-protocol. Every handler that touches rows first
//! resolves the bearer token to a user, and every storage call takes that user id:
//! there is no route from a request to another user's rows.

mod health;
mod login;
mod pull;
mod push;

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{on, MethodFilter, MethodRouter};
use axum::{Json, Router};
use glovebox_protocol::sync::{ErrorBody, ErrorCode, PROTOCOL_HEADER, PROTOCOL_VERSION};
use glovebox_protocol::{Endpoint, Method};

use crate::auth;
use crate::config::{HttpConfig, LimitsConfig};
use crate::limiter::{HashGate, IpNet, LoginLimiter};
use crate::stats::{Counters, QueryStats};
use crate::storage::{wall_micros, Principal, Storage, StorageError};

/// The oldest client protocol this server serves. Version 1 clients are refused with 426
/// `protocol_too_old`: they would treat per-row refusals as stored and know nothing of
/// epochs, so serving them could lose their edits silently.
pub const MIN_PROTOCOL_VERSION: u32 = 2;

/// Longest wait for a password-verification slot before answering 503.
const LOGIN_QUEUE_WAIT: Duration = Duration::from_secs(10);
/// Logins waiting for a slot beyond the running ones; more get 503 at once.
const LOGIN_QUEUE_LEN: usize = 64;

pub struct AppState {
    pub storage: Arc<dyn Storage>,
    pub limits: LimitsConfig,
    pub stats: Arc<QueryStats>,
    pub counters: Counters,
    pub started: Instant,
    /// Sequence numbers this process issues start at least here (docs/SYNC.md, "Server
    /// epoch and restored servers").
    pub seq_floor: u64,
    pub trusted_proxies: Vec<IpNet>,
    pub http: HttpConfig,
    pub limiter: LoginLimiter,
    gate: HashGate,
}

impl AppState {
    pub fn new(storage: Arc<dyn Storage>, limits: LimitsConfig, stats: Arc<QueryStats>) -> Self {
        // Hash the dummy password now, so the first login for an unknown name costs the
        // same as every later one.
        let _ = login::dummy_hash();
        AppState {
            storage,
            limiter: LoginLimiter::new(limits.login_attempts_per_minute),
            gate: HashGate::new(limits.concurrent_logins, LOGIN_QUEUE_LEN, LOGIN_QUEUE_WAIT),
            limits,
            stats,
            counters: Counters::default(),
            started: Instant::now(),
            seq_floor: wall_micros(),
            trusted_proxies: Vec::new(),
            http: HttpConfig::default(),
        }
    }

    pub fn with_http(mut self, http: HttpConfig) -> Self {
        self.http = http;
        self
    }

    pub fn with_trusted_proxies(mut self, proxies: Vec<IpNet>) -> Self {
        self.trusted_proxies = proxies;
        self
    }

    /// The epoch a device stores with its cursor: server and account epoch together, so
    /// it changes when either does.
    pub fn epoch_of(&self, who: &Principal) -> String {
        format!("{}.{}", self.storage.server_epoch(), who.account_epoch)
    }
}

type AppResult<T> = Result<T, ApiError>;

#[derive(Debug)]
pub struct ApiError {
    code: ErrorCode,
    message: String,
    retry_after: Option<Duration>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    fn retry_after(mut self, wait: Duration) -> Self {
        self.retry_after = Some(wait);
        self
    }

    fn internal(e: impl std::fmt::Display) -> Self {
        tracing::error!("internal error: {e}");
        Self::new(ErrorCode::Internal, "internal server error")
    }
}

impl From<StorageError> for ApiError {
    fn from(e: StorageError) -> Self {
        ApiError::internal(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = ErrorBody {
            code: self.code.as_str().to_owned(),
            message: self.message,
        };
        let mut resp = (status, Json(body)).into_response();
        if let Some(wait) = self.retry_after {
            // Whole seconds, rounded up: "0" would invite an immediate retry.
            let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            if let Ok(v) = HeaderValue::from_str(&secs.max(1).to_string()) {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        resp
    }
}

fn method_filter(m: Method) -> MethodFilter {
    match m {
        Method::Get => MethodFilter::GET,
        Method::Post => MethodFilter::POST,
    }
}

fn handler_of(e: Endpoint) -> MethodRouter<Arc<AppState>> {
    let f = method_filter(e.method());
    match e {
        Endpoint::Status => on(f, health::status),
        Endpoint::Login => on(f, login::login),
        Endpoint::Logout => on(f, login::logout),
        Endpoint::Push => on(f, push::push),
        Endpoint::Pull => on(f, pull::pull),
        Endpoint::Health => on(f, health::health),
        Endpoint::Metrics => on(f, health::metrics),
    }
}

/// The API. `with_metrics` is false when `/metrics` has a listener of its own.
pub fn router(state: Arc<AppState>, with_metrics: bool) -> Router {
    let mut router = Router::new();
    for e in Endpoint::ALL {
        if e == Endpoint::Metrics && !with_metrics {
            continue;
        }
        router = router.route(e.path(), handler_of(e));
    }
    router
        .fallback(not_found)
        .method_not_allowed_fallback(wrong_method)
        .layer(DefaultBodyLimit::max(state.limits.max_body_bytes))
        .layer(middleware::from_fn_with_state(state.clone(), time_limit))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            count_responses,
        ))
        .with_state(state)
}

/// `/metrics` alone, for `http.metrics_listen`.
pub fn metrics_router(state: Arc<AppState>) -> Router {
    let e = Endpoint::Metrics;
    Router::new()
        .route(e.path(), handler_of(e))
        .fallback(not_found)
        .with_state(state)
}

/// A whole request gets `http.request_timeout_secs`. A push cut off here may still
/// commit (its transaction runs on): the client retries and gets `duplicate`.
async fn time_limit(State(s): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let limit = s.http.request_timeout();
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(resp) => resp,
        Err(_) => ApiError::new(
            ErrorCode::Unavailable,
            format!("the request took longer than {} s", limit.as_secs()),
        )
        .retry_after(Duration::from_secs(5))
        .into_response(),
    }
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
    ApiError::new(ErrorCode::NotFound, "no such endpoint")
}

async fn wrong_method() -> ApiError {
    ApiError::new(
        ErrorCode::NotFound,
        "no such endpoint for this method (see docs/SYNC.md)",
    )
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
    let mut values = headers.get_all(PROTOCOL_HEADER).iter();
    let Some(v) = values.next() else {
        return Ok(());
    };
    if values.next().is_some() {
        return Err(ApiError::new(
            ErrorCode::BadProtocol,
            "more than one protocol version header",
        ));
    }
    let v: u32 = v
        .to_str()
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .ok_or_else(|| {
            ApiError::new(ErrorCode::BadProtocol, "malformed protocol version header")
        })?;
    if v < MIN_PROTOCOL_VERSION {
        return Err(ApiError::new(
            ErrorCode::ProtocolTooOld,
            format!(
                "protocol version {v} is no longer served (this server speaks \
                 {MIN_PROTOCOL_VERSION} to {PROTOCOL_VERSION}); update Glovebox on this device"
            ),
        ));
    }
    if v > PROTOCOL_VERSION {
        return Err(ApiError::new(
            ErrorCode::ProtocolTooNew,
            format!(
                "protocol version {v} is newer than this server's {PROTOCOL_VERSION}; \
                 update glovebox-server"
            ),
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
        .map(str::trim)
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::Unauthorized,
                "missing bearer token; log in first",
            )
        })?;
    let unknown = || {
        ApiError::new(
            ErrorCode::Unauthorized,
            "invalid or revoked token; log in again",
        )
    };
    // Tokens are 64 hex characters: anything else cannot match, so skip the lookup.
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(unknown());
    }
    let hash = auth::token_hash(token);
    let found = if s.storage.inline_reads() {
        s.storage.authenticate(&hash)?
    } else {
        s.storage.clone().authenticate_async(hash).await?
    };
    found.ok_or_else(unknown)
}

/// A request carrying another epoch than the account's is refused: the device synced
/// with another database (or account) than this one.
fn check_epoch(sent: Option<&str>, current: &str) -> AppResult<()> {
    match sent {
        Some(e) if e != current => Err(ApiError::new(
            ErrorCode::EpochChanged,
            "this account's data on the server is not the one this device synced with \
             (new server database or re-created account): reset the cursor, push every \
             row again, then pull",
        )),
        _ => Ok(()),
    }
}

/// How much of an over-long body is read and dropped before the 413 goes out, and for
/// how long: a client that is still writing when the server closes the connection sees a
/// broken pipe instead of the answer that tells it to split its batch.
const DRAIN_BYTES: usize = 8 * 1024 * 1024;
const DRAIN_TIME: Duration = Duration::from_secs(5);

/// Reads a request body of at most `limit` bytes within `http.body_timeout_secs`.
async fn read_body(
    s: &AppState,
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> AppResult<Bytes> {
    let wait = s.http.body_timeout();
    tokio::time::timeout(wait, read_body_now(headers, body, limit))
        .await
        .unwrap_or_else(|_| {
            Err(ApiError::new(
                ErrorCode::Unavailable,
                format!(
                    "the request body did not arrive within {} s",
                    wait.as_secs()
                ),
            ))
        })
}

async fn read_body_now(headers: &HeaderMap, body: Body, limit: usize) -> AppResult<Bytes> {
    use http_body_util::BodyExt;
    let too_large = || {
        ApiError::new(
            ErrorCode::BodyTooLarge,
            format!("request body exceeds {limit} bytes"),
        )
    };
    // A login body (4 KiB) drains at most 64 KiB; a push body at most 8 MiB.
    let drain = limit.clamp(64 * 1024, DRAIN_BYTES);
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > (limit + drain) as u64) {
        // Too large to be worth reading at all.
        return Err(too_large());
    }
    let mut body = body;
    let mut buf = bytes::BytesMut::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| {
            ApiError::new(ErrorCode::BadBody, format!("reading the request body: {e}"))
        })?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        if buf.len() + data.len() > limit {
            let mut seen = buf.len() + data.len();
            let _ = tokio::time::timeout(DRAIN_TIME, async {
                while seen <= limit + drain {
                    match body.frame().await {
                        Some(Ok(f)) => seen += f.data_ref().map_or(0, |d| d.len()),
                        _ => break,
                    }
                }
            })
            .await;
            return Err(too_large());
        }
        buf.extend_from_slice(&data);
    }
    Ok(buf.freeze())
}

fn bad_json(e: serde_json::Error) -> ApiError {
    ApiError::new(ErrorCode::BadJson, e.to_string())
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}
