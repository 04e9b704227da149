//! Sync wire types, protocol version 1. docs/SYNC.md is the prose form of this file.
//!
//! A row travels as `{table, id, hlc, deleted, data}`: `data` is a JSON object holding the
//! row's domain columns (everything but the sync columns). The server never interprets
//! `data`; it only compares HLCs, so new columns need no server change.

use serde::{Deserialize, Serialize};

use crate::Hlc;

/// The protocol version this build speaks.
pub const PROTOCOL_VERSION: u32 = 1;
/// HTTP header carrying the client's protocol version on every request.
pub const PROTOCOL_HEADER: &str = "glovebox-protocol";

/// Client-side batch limits (the server's may be larger; it says so in `/v1/status`).
pub const CLIENT_MAX_BATCH_ROWS: usize = 500;
pub const CLIENT_MAX_BATCH_BYTES: usize = 1024 * 1024;

/// The tables that sync. Anything else is refused, so a row can never name an arbitrary
/// table on either side.
pub const SYNCED_TABLES: [&str; 6] = [
    "vehicles",
    "fuel_records",
    "service_records",
    "odometer_records",
    "reminders",
    "reminder_completions",
];

pub fn is_synced_table(t: &str) -> bool {
    SYNCED_TABLES.contains(&t)
}

/// One version of one row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyncRow {
    pub table: String,
    pub id: String,
    pub hlc: Hlc,
    #[serde(default)]
    pub deleted: bool,
    /// Domain columns by name. Kept as a JSON object: the server stores it verbatim.
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
    pub max_body_bytes: usize,
    pub max_batch_rows: usize,
    pub max_pull_limit: usize,
    pub login_attempts_per_minute: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusResponse {
    /// Server wall clock, millis since the Unix epoch (clients warn on large drift).
    pub server_time_ms: u64,
    pub min_protocol: u32,
    pub max_protocol: u32,
    pub limits: Limits,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushRequest {
    pub rows: Vec<SyncRow>,
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
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowResult {
    pub table: String,
    pub id: String,
    pub result: RowOutcome,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushResponse {
    /// One result per pushed row, in the same order.
    pub results: Vec<RowResult>,
    /// The user's sequence after this push.
    pub seq: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PullResponse {
    /// Rows with sequence > `since`, in sequence order.
    pub rows: Vec<SyncRow>,
    /// Pass as `since` for the next page; equal to `since` when nothing was returned.
    pub cursor: u64,
    /// More rows are waiting past `cursor`.
    pub has_more: bool,
}

/// Every error response body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub code: String,
    pub message: String,
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
    fn outcome_is_snake_case() {
        assert_eq!(
            serde_json::to_string(&RowOutcome::Stale).unwrap(),
            "\"stale\""
        );
    }
}
