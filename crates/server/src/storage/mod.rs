//! Storage behind a trait so that the HTTP layer knows nothing of SQL. SQLite is the
//! embedded default (`sqlite.rs`); every method takes the user id so that no query can
//! reach another user's rows — the row table's primary key starts with the user.

mod sqlite;

pub use sqlite::SqliteStorage;

use glovebox_protocol::sync::{RowResult, SyncRow};

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("database error: {0}")]
    Database(#[from] rusqlite::Error),
    #[error("user {0:?} already exists")]
    UserExists(String),
    #[error("no user {0:?}")]
    NoSuchUser(String),
    #[error("no device {0:?}")]
    NoSuchDevice(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

pub type StorageResult<T> = Result<T, StorageError>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub name: String,
    pub password_hash: String,
    pub devices: u64,
    pub rows: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    pub id: String,
    pub user_id: i64,
    pub user: String,
    pub name: String,
    pub revoked: bool,
    pub created_at_ms: i64,
}

/// The caller a valid token belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub user_id: i64,
    pub device_id: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PullPage {
    pub rows: Vec<SyncRow>,
    pub cursor: u64,
    pub has_more: bool,
}

pub trait Storage: Send + Sync + 'static {
    fn add_user(&self, name: &str, password_hash: &str) -> StorageResult<()>;
    fn set_password(&self, name: &str, password_hash: &str) -> StorageResult<()>;
    /// Removes the user with their devices and rows.
    fn remove_user(&self, name: &str) -> StorageResult<()>;
    fn user(&self, name: &str) -> StorageResult<Option<User>>;
    fn users(&self) -> StorageResult<Vec<User>>;

    /// Registers a device; `token_hash` is the SHA-256 (hex) of its bearer token.
    fn add_device(&self, user_id: i64, name: &str, token_hash: &str) -> StorageResult<String>;
    fn devices(&self, user: Option<&str>) -> StorageResult<Vec<Device>>;
    fn revoke_device(&self, device_id: &str) -> StorageResult<()>;
    /// The live (not revoked) device holding this token hash.
    fn authenticate(&self, token_hash: &str) -> StorageResult<Option<Principal>>;

    /// Applies a batch atomically. Per row: newer HLC than stored → applied (with the
    /// user's next sequence number), equal → duplicate, older → stale. Returns the results
    /// in order and the user's sequence afterwards.
    /// `device_id` is recorded as the origin of each applied version.
    fn push(
        &self,
        user_id: i64,
        device_id: &str,
        rows: &[SyncRow],
    ) -> StorageResult<(Vec<RowResult>, u64)>;
    /// Rows of this user with sequence > `since`, in sequence order, at most `limit`,
    /// leaving out versions `device_id` pushed itself. When no more rows follow, the
    /// cursor is the user's whole sequence (past any skipped own versions).
    fn pull(
        &self,
        user_id: i64,
        device_id: &str,
        since: u64,
        limit: usize,
    ) -> StorageResult<PullPage>;
}
