//! `GET /v1/status`, `/api/health` and `/metrics`: no user data.

use std::sync::Arc;

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap};
use axum::response::IntoResponse;
use axum::Json;
use glovebox_protocol::sync::{ErrorCode, StatusResponse, PROTOCOL_VERSION};

use super::{now_ms, ApiError, MIN_PROTOCOL_VERSION};
use crate::stats::prometheus;
use crate::AppState;

pub(super) async fn status(State(s): State<Arc<AppState>>) -> Json<StatusResponse> {
    Json(StatusResponse {
        server_time_ms: now_ms(),
        min_protocol: MIN_PROTOCOL_VERSION,
        max_protocol: PROTOCOL_VERSION,
        limits: s.limits.to_wire(),
        server_epoch: s.storage.server_epoch().to_owned(),
    })
}

/// The Health snapshot (uptime, queries with ratings and regressions; the server has no
/// report cache, so its cache part is empty) plus `status` and `version`.
pub(super) async fn health(State(s): State<Arc<AppState>>) -> Json<serde_json::Value> {
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

/// Prometheus text. With `http.metrics_token` set, only for `Authorization: Bearer
/// <token>`; without one, only for a caller on this machine that did not come through a
/// proxy (Prometheus scraping locally), or on `http.metrics_listen`'s own address.
pub(super) async fn metrics(
    State(s): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Result<impl IntoResponse, ApiError> {
    let allowed = match &s.http.metrics_token {
        Some(token) => headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .is_some_and(|t| constant_time_eq(t.trim().as_bytes(), token.as_bytes())),
        None => {
            s.http.metrics_listen.is_some()
                || (peer.ip().is_loopback() && !headers.contains_key("x-forwarded-for"))
        }
    };
    if !allowed {
        return Err(ApiError::new(
            ErrorCode::Unauthorized,
            "metrics need the metrics token (http.metrics_token), or a local caller",
        ));
    }
    Ok((
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        prometheus(&s.counters, &s.stats, s.started.elapsed()),
    ))
}

/// Compares without an early exit, so timing does not reveal a token's prefix.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
