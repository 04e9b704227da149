//! `GET /v1/status`, `/api/health` and `/metrics`: no user data.

use std::sync::Arc;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::Json;
use glovebox_protocol::sync::{StatusResponse, PROTOCOL_VERSION};

use super::{now_ms, MIN_PROTOCOL_VERSION};
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

pub(super) async fn metrics(State(s): State<Arc<AppState>>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        prometheus(&s.counters, &s.stats, s.started.elapsed()),
    )
}
