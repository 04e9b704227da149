//! Sync wire types, protocol version 2. docs/SYNC.md is the prose form of this file.
//!
//! A row travels as `{table, id, hlc, deleted, data}`: `data` is a flat JSON object
//! holding the row's domain columns (everything but the sync columns). The server checks
//! its shape ([`crate::rows::check_row`]) but never its meaning; it compares HLCs only,
//! so new columns need no server change.
//!
//! Version 2 (over 1): per-row `rejected` outcomes instead of whole-batch refusals; the
//! account epoch on push and pull (and the server epoch on status) so a device notices a
//! server that forgot; row and pull-page byte limits in `/v1/status`. Version 1 clients
//! are refused with 426 `protocol_too_old`.

use serde::{Deserialize, Serialize};

use crate::Hlc;

pub use crate::tables::{is_synced_table, SyncTable, SYNCED_TABLES};

/// The protocol version this build speaks.
pub const PROTOCOL_VERSION: u32 = 2;
/// HTTP header carrying the client's protocol version on every request.
pub const PROTOCOL_HEADER: &str = "glovebox-protocol";

/// Client-side batch limits (the server may allow less or more; it says so in
/// `/v1/status`, and the client takes the smaller). 1,000 rows of a typical ~400 bytes
/// are well under the byte limit; each batch costs the server one transaction and fsync,
/// so fewer, larger batches make a first sync faster.
pub const CLIENT_MAX_BATCH_ROWS: usize = 1000;
pub const CLIENT_MAX_BATCH_BYTES: usize = 1024 * 1024;

/// Login field caps, checked by the server before anything is stored or hashed.
pub const MAX_USER_NAME_BYTES: usize = 64;
pub const MAX_PASSWORD_BYTES: usize = 1024;
pub const MAX_DEVICE_NAME_BYTES: usize = 100;
/// Largest login request body.
pub const MAX_LOGIN_BODY_BYTES: usize = 4096;

/// One version of one row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyncRow {
    pub table: String,
    pub id: String,
    pub hlc: Hlc,
    #[serde(default)]
    pub deleted: bool,
    /// Domain columns by name: a flat object of scalars.
    pub data: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginRequest {
    pub user: String,
    pub password: String,
    pub device_name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginResponse {
    /// Bearer token for this device (64 hex characters). Shown once; the server keeps
    /// only its SHA-256.
    pub token: String,
    pub device_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// Largest request body.
    pub max_body_bytes: usize,
    /// Most rows in one push.
    pub max_batch_rows: usize,
    /// Most rows in one pull page.
    pub max_pull_limit: usize,
    /// A pull page stops growing past this many bytes of rows (it always holds at least
    /// one row).
    pub max_pull_bytes: usize,
    /// Largest encoded row (see [`crate::rows::MAX_ROW_BYTES`]).
    pub max_row_bytes: usize,
    pub login_attempts_per_minute: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusResponse {
    /// Server wall clock, millis since the Unix epoch (clients warn on large drift).
    pub server_time_ms: u64,
    pub min_protocol: u32,
    pub max_protocol: u32,
    pub limits: Limits,
    /// Random id of the server's database; a new database (or one the server knows was
    /// restored from an older copy) has a new one.
    pub server_epoch: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushRequest {
    pub rows: Vec<SyncRow>,
    /// The account epoch this device last synced with; `None` on a first sync (or right
    /// after a reset). A different epoch is refused with 409 `epoch_changed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epoch: Option<String>,
    /// The highest sequence number this device holds from the server in this epoch (its
    /// pull cursor, or what an earlier push of the round was answered); 0 or absent when
    /// none. The server checks it in the push's own transaction, as a pull checks
    /// `since`, and answers 409 `cursor_ahead` for a number it never issued: a server
    /// restored from an older copy between two batches of one round would otherwise
    /// store the later batch and leave the earlier one forgotten unnoticed.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub known: u64,
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}

/// Query of `GET /v1/pull`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullQuery {
    /// The cursor of the last page applied (0 at first).
    #[serde(default)]
    pub since: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<usize>,
    /// As in [`PushRequest::epoch`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epoch: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RowOutcome {
    /// Stored: newer than what the server had (or the first version it saw).
    Applied,
    /// The server already has this exact version (a re-sent batch): nothing changed.
    Duplicate,
    /// The server has a newer version; this one was not stored. The client will receive
    /// the newer one on its next pull.
    Stale,
    /// The row breaks a rule ([`crate::rows::RowProblem`]); `code` and `reason` say
    /// which. Nothing was stored; the rest of the batch was handled normally.
    Rejected,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowResult {
    pub table: String,
    pub id: String,
    pub result: RowOutcome,
    /// For `rejected`: the problem's stable code (`RowProblem::code`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// For `rejected`: a sentence for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl RowResult {
    pub fn new(table: impl Into<String>, id: impl Into<String>, result: RowOutcome) -> Self {
        RowResult {
            table: table.into(),
            id: id.into(),
            result,
            code: None,
            reason: None,
        }
    }

    pub fn rejected(
        table: impl Into<String>,
        id: impl Into<String>,
        problem: &crate::rows::RowProblem,
    ) -> Self {
        RowResult {
            code: Some(problem.code().to_owned()),
            reason: Some(problem.to_string()),
            ..RowResult::new(table, id, RowOutcome::Rejected)
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushResponse {
    /// One result per pushed row, in the same order.
    pub results: Vec<RowResult>,
    /// The user's sequence after this push.
    pub seq: u64,
    /// The account epoch: store it with the cursor and send it on every push and pull.
    pub epoch: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PullResponse {
    /// Rows with sequence > `since`, in sequence order.
    pub rows: Vec<SyncRow>,
    /// Pass as `since` for the next page; equal to `since` when nothing was returned.
    pub cursor: u64,
    /// More rows are waiting past `cursor`.
    pub has_more: bool,
    /// As in [`PushResponse::epoch`].
    pub epoch: String,
}

/// Every error response body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub code: String,
    pub message: String,
}

/// Every error code the server sends, named once. Clients match on these; an unknown
/// code from a newer server is handled by its HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    BadJson,
    BadBody,
    BadQuery,
    BadProtocol,
    ProtocolTooNew,
    ProtocolTooOld,
    BadLogin,
    Unauthorized,
    NotFound,
    BodyTooLarge,
    BatchTooLarge,
    /// The account's epoch differs from the one the request carries: the server's
    /// database is not the one this device synced with (new, re-created account, or known
    /// to be restored). Reset the cursor, re-push everything, then pull.
    EpochChanged,
    /// A pull's `since` or a push's `known` is a number this database never issued (ahead
    /// of the account's sequence, or in a recorded gap): the server forgot rows it had
    /// acknowledged (restored from an older copy). Same recovery as `EpochChanged`.
    CursorAhead,
    RateLimited,
    Unavailable,
    Internal,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 16] = [
        ErrorCode::BadJson,
        ErrorCode::BadBody,
        ErrorCode::BadQuery,
        ErrorCode::BadProtocol,
        ErrorCode::ProtocolTooNew,
        ErrorCode::ProtocolTooOld,
        ErrorCode::BadLogin,
        ErrorCode::Unauthorized,
        ErrorCode::NotFound,
        ErrorCode::BodyTooLarge,
        ErrorCode::BatchTooLarge,
        ErrorCode::EpochChanged,
        ErrorCode::CursorAhead,
        ErrorCode::RateLimited,
        ErrorCode::Unavailable,
        ErrorCode::Internal,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadJson => "bad_json",
            ErrorCode::BadBody => "bad_body",
            ErrorCode::BadQuery => "bad_query",
            ErrorCode::BadProtocol => "bad_protocol",
            ErrorCode::ProtocolTooNew => "protocol_too_new",
            ErrorCode::ProtocolTooOld => "protocol_too_old",
            ErrorCode::BadLogin => "bad_login",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::NotFound => "not_found",
            ErrorCode::BodyTooLarge => "body_too_large",
            ErrorCode::BatchTooLarge => "batch_too_large",
            ErrorCode::EpochChanged => "epoch_changed",
            ErrorCode::CursorAhead => "cursor_ahead",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::Internal => "internal",
        }
    }

    /// The HTTP status the server answers with.
    pub const fn status(self) -> u16 {
        match self {
            ErrorCode::BadJson
            | ErrorCode::BadBody
            | ErrorCode::BadQuery
            | ErrorCode::BadProtocol
            | ErrorCode::ProtocolTooNew
            | ErrorCode::BadLogin => 400,
            ErrorCode::Unauthorized => 401,
            ErrorCode::NotFound => 404,
            ErrorCode::EpochChanged | ErrorCode::CursorAhead => 409,
            ErrorCode::BodyTooLarge | ErrorCode::BatchTooLarge => 413,
            ErrorCode::ProtocolTooOld => 426,
            ErrorCode::RateLimited => 429,
            ErrorCode::Internal => 500,
            ErrorCode::Unavailable => 503,
        }
    }

    pub fn parse(code: &str) -> Option<ErrorCode> {
        ErrorCode::ALL.into_iter().find(|c| c.as_str() == code)
    }

    /// The device must reset its cursor, re-push everything it holds and pull again.
    pub const fn means_server_forgot(self) -> bool {
        matches!(self, ErrorCode::EpochChanged | ErrorCode::CursorAhead)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_json_shape_is_stable() {
        let mut data = serde_json::Map::new();
        data.insert("name".into(), "Golf".into());
        let row = SyncRow {
            table: "vehicles".into(),
            id: "0190".into(),
            hlc: Hlc::new(5, 1, "ab"),
            deleted: false,
            data,
        };
        let json = serde_json::to_string(&row).unwrap();
        assert_eq!(
            json,
            r#"{"table":"vehicles","id":"0190","hlc":"000000000000005-00000001-ab","deleted":false,"data":{"name":"Golf"}}"#
        );
        assert_eq!(serde_json::from_str::<SyncRow>(&json).unwrap(), row);
    }

    #[test]
    fn error_codes_round_trip() {
        for c in ErrorCode::ALL {
            assert_eq!(ErrorCode::parse(c.as_str()), Some(c));
        }
    }

    #[test]
    fn rejected_results_carry_code_and_reason() {
        let p = crate::rows::RowProblem::BadId("x".into());
        let json = serde_json::to_string(&RowResult::rejected("vehicles", "x", &p)).unwrap();
        assert_eq!(
            json,
            r#"{"table":"vehicles","id":"x","result":"rejected","code":"bad_id","reason":"id \"x\" is not a lower-case hyphenated UUID"}"#
        );
        let ok =
            serde_json::to_string(&RowResult::new("vehicles", "x", RowOutcome::Applied)).unwrap();
        assert_eq!(ok, r#"{"table":"vehicles","id":"x","result":"applied"}"#);
    }

    #[test]
    fn outcome_is_snake_case() {
        assert_eq!(
            serde_json::to_string(&RowOutcome::Stale).unwrap(),
            "\"stale\""
        );
    }
}
