//! The HTTP side: one small reqwest client per engine, speaking the protocol version of
//! `glovebox_protocol::sync`. Paths and methods come from `Endpoint`, error codes from
//! `ErrorCode`; nothing here is spelled twice.

use std::time::Duration;

use glovebox_protocol::sync::{
    ErrorBody, LoginRequest, LoginResponse, PullQuery, PullResponse, PushResponse, StatusResponse,
    PROTOCOL_HEADER, PROTOCOL_VERSION,
};
use glovebox_protocol::{Endpoint, Method};
use reqwest::StatusCode;

use super::SyncError;

/// Generous for a 1 MiB batch on a slow link, short enough to notice a dead server.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone)]
pub(crate) struct Client {
    http: reqwest::Client,
    base: String,
    token: Option<String>,
}

impl Client {
    pub(crate) fn new(base: &str, token: Option<String>) -> Result<Client, SyncError> {
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .build()
            .map_err(|e| SyncError::Network(e.to_string()))?;
        Ok(Client {
            http,
            base: base.trim_end_matches('/').to_owned(),
            token,
        })
    }

    fn request(&self, endpoint: Endpoint) -> reqwest::RequestBuilder {
        let method = match endpoint.method() {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
        };
        let mut r = self
            .http
            .request(method, format!("{}{}", self.base, endpoint.path()))
            .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string());
        if let (Some(t), true) = (&self.token, endpoint.needs_device_token()) {
            r = r.bearer_auth(t);
        }
        r
    }

    async fn send<T: serde::de::DeserializeOwned>(
        &self,
        req: reqwest::RequestBuilder,
    ) -> Result<T, SyncError> {
        let resp = req.send().await.map_err(network)?;
        let status = resp.status();
        if status.is_success() {
            return resp.json().await.map_err(network);
        }
        let body: Option<ErrorBody> = resp.json().await.ok();
        Err(error_for(status, body))
    }

    pub(crate) async fn status(&self) -> Result<StatusResponse, SyncError> {
        self.send(self.request(Endpoint::Status)).await
    }

    pub(crate) async fn login(&self, req: &LoginRequest) -> Result<LoginResponse, SyncError> {
        self.send(self.request(Endpoint::Login).json(req)).await
    }

    pub(crate) async fn logout(&self) -> Result<(), SyncError> {
        let resp = self
            .request(Endpoint::Logout)
            .send()
            .await
            .map_err(network)?;
        match resp.status() {
            // Already revoked counts as logged out.
            s if s.is_success() || s == StatusCode::UNAUTHORIZED => Ok(()),
            s => Err(SyncError::Server {
                status: s.as_u16(),
                message: "logout failed".into(),
            }),
        }
    }

    /// The body is serialised once by the caller (it measured its size already).
    pub(crate) async fn push(&self, body: Vec<u8>) -> Result<PushResponse, SyncError> {
        self.send(
            self.request(Endpoint::Push)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body),
        )
        .await
    }

    pub(crate) async fn pull(
        &self,
        since: u64,
        limit: usize,
        epoch: Option<String>,
    ) -> Result<PullResponse, SyncError> {
        let query = PullQuery {
            since,
            limit: Some(limit),
            epoch,
        };
        self.send(self.request(Endpoint::Pull).query(&query)).await
    }
}

/// The error for a non-success answer, by its HTTP status (the code travels along).
fn error_for(status: StatusCode, body: Option<ErrorBody>) -> SyncError {
    let message = body
        .as_ref()
        .map(|b| b.message.clone())
        .unwrap_or_else(|| status.to_string());
    let code = body.map(|b| b.code).unwrap_or_default();
    match status {
        StatusCode::UNAUTHORIZED => SyncError::Unauthorized(message),
        StatusCode::UPGRADE_REQUIRED => SyncError::ProtocolTooOld(message),
        StatusCode::TOO_MANY_REQUESTS => SyncError::RateLimited(message),
        s if s.is_server_error() => SyncError::Server {
            status: s.as_u16(),
            message,
        },
        // 409 (`epoch_changed`, `cursor_ahead`: the server forgot) and 413 (too large)
        // among them: `SyncError::means_server_forgot`, `is_too_large`.
        s => SyncError::Rejected {
            status: s.as_u16(),
            code,
            message,
        },
    }
}

fn network(e: reqwest::Error) -> SyncError {
    if e.is_decode() {
        SyncError::Protocol(format!("unexpected reply from the server: {e}"))
    } else {
        // Include the source chain: "error sending request" alone says nothing useful.
        let mut msg = e.to_string();
        let mut src = std::error::Error::source(&e);
        while let Some(s) = src {
            msg.push_str(": ");
            msg.push_str(&s.to_string());
            src = s.source();
        }
        SyncError::Network(msg)
    }
}
