//! `POST /v1/login` and `POST /v1/logout`.
//!
//! A login is checked in order of cost, so that nothing a stranger sends is stored or
//! hashed before it passed the cheap checks: the address's budget (before the body is
//! read), the body size, the field sizes, the (name, address) backoff, then a slot for
//! argon2 (bounded, with a bounded queue), then one unique-index lookup and the
//! verification — against a dummy hash for unknown names, so both cost the same.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use glovebox_protocol::sync::{
    ErrorCode, LoginRequest, LoginResponse, MAX_DEVICE_NAME_BYTES, MAX_LOGIN_BODY_BYTES,
    MAX_PASSWORD_BYTES, MAX_USER_NAME_BYTES,
};

use super::{authenticate, bad_json, blocking, check_protocol, read_body, ApiError, AppResult};
use crate::auth;
use crate::limiter::{client_ip, Refusal};
use crate::stats::Counters;
use crate::AppState;

/// Verifying against this when the user does not exist keeps the response time the same,
/// so timing does not reveal which user names exist.
pub(super) fn dummy_hash() -> &'static str {
    static H: OnceLock<String> = OnceLock::new();
    H.get_or_init(|| auth::hash_password("glovebox-dummy").unwrap_or_default())
}

fn bad_field(field: &str, rule: String) -> ApiError {
    ApiError::new(ErrorCode::BadLogin, format!("{field}: {rule}"))
}

/// Field caps, checked before the name is looked up or the password hashed.
fn check_fields(req: &LoginRequest) -> Result<String, ApiError> {
    let printable = |s: &str| !s.chars().any(char::is_control);
    if req.user.is_empty() || req.user.len() > MAX_USER_NAME_BYTES || !printable(&req.user) {
        return Err(bad_field(
            "user",
            format!("1 to {MAX_USER_NAME_BYTES} bytes without control characters"),
        ));
    }
    if req.password.is_empty() || req.password.len() > MAX_PASSWORD_BYTES {
        return Err(bad_field(
            "password",
            format!("1 to {MAX_PASSWORD_BYTES} bytes"),
        ));
    }
    let device = req.device_name.trim();
    if device.is_empty() || device.len() > MAX_DEVICE_NAME_BYTES || !printable(device) {
        return Err(bad_field(
            "device_name",
            format!("1 to {MAX_DEVICE_NAME_BYTES} bytes without control characters"),
        ));
    }
    Ok(device.to_owned())
}

fn limited(s: &AppState, r: Refusal) -> ApiError {
    Counters::add(&s.counters.logins_limited, 1);
    let message = match r {
        Refusal::AddressBudget { .. } => "too many login attempts from this address; wait a minute",
        Refusal::Backoff { .. } => {
            "too many failed logins for this user from this address; wait before trying again"
        }
    };
    ApiError::new(ErrorCode::RateLimited, message).retry_after(r.retry_after())
}

pub(super) async fn login(
    State(s): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> AppResult<Json<LoginResponse>> {
    check_protocol(&headers)?;
    let ip = client_ip(peer, &headers, &s.trusted_proxies);
    s.limiter
        .charge_address(ip, Instant::now())
        .map_err(|r| limited(&s, r))?;
    let bytes = read_body(&s, &headers, body, MAX_LOGIN_BODY_BYTES).await?;
    let req: LoginRequest = serde_json::from_slice(&bytes).map_err(bad_json)?;
    let device_name = check_fields(&req)?;
    s.limiter
        .check_backoff(&req.user, ip, Instant::now())
        .map_err(|r| limited(&s, r))?;
    let permit = s.gate.enter().await.map_err(|_| {
        ApiError::new(
            ErrorCode::Unavailable,
            "the server is busy checking other logins; try again shortly",
        )
        .retry_after(std::time::Duration::from_secs(5))
    })?;
    let st = s.clone();
    let user = req.user.clone();
    let found = blocking(move || {
        let _permit = permit;
        let found = st.storage.login_user(&req.user)?;
        let hash = found
            .as_ref()
            .map_or(dummy_hash(), |u| u.password_hash.as_str());
        let ok = auth::verify_password(&req.password, hash);
        Ok(found.filter(|_| ok))
    })
    .await?;
    let Some(found) = found else {
        s.limiter.record_failure(&user, ip, Instant::now());
        Counters::add(&s.counters.logins_failed, 1);
        return Err(ApiError::new(
            ErrorCode::Unauthorized,
            "wrong user name or password",
        ));
    };
    s.limiter.record_success(&user, ip);
    let st = s.clone();
    let resp = blocking(move || {
        let token = auth::new_token();
        let device_id = st
            .storage
            .add_device(found.id, &device_name, &auth::token_hash(&token))?;
        Ok(LoginResponse { token, device_id })
    })
    .await?;
    Counters::add(&s.counters.logins_ok, 1);
    Ok(Json(resp))
}

pub(super) async fn logout(
    State(s): State<Arc<AppState>>,
    headers: HeaderMap,
) -> AppResult<StatusCode> {
    let who = authenticate(&s, &headers).await?;
    blocking(move || Ok(s.storage.revoke_device(&who.device_id)?)).await?;
    Ok(StatusCode::NO_CONTENT)
}
