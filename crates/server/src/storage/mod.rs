//! Storage behind a trait so that the HTTP layer knows nothing of SQL. SQLite is the
//! embedded default (`sqlite.rs`); every method takes the user id so that no query can
//! reach another user's rows — the row table's primary key starts with the user.
//!
//! The trait is blocking (like rusqlite): handlers call it from tokio's blocking pool.
//! Sequence numbers, gaps and epochs are explained in docs/SYNC.md ("Server epoch and
//! restored servers").

mod group_commit;
mod migrate;
mod postgres;
mod sqlite;

pub use migrate::{Migration, MigrationError};
pub use postgres::{PostgresOptions, PostgresStorage};
pub use sqlite::{SqliteOptions, SqliteStorage};

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use glovebox_protocol::sync::RowOutcome;
use glovebox_protocol::{Hlc, SyncTable};

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("database error: {0}")]
    Database(#[from] rusqlite::Error),
    #[error("PostgreSQL error: {0}")]
    Postgres(String),
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    #[error("storage configuration: {0}")]
    Config(String),
    #[error("the destination database is not empty: it already has {0} accounts")]
    NotEmpty(u64),
    #[error(transparent)]
    Migration(#[from] MigrationError),
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

impl StorageError {
    /// Stable code for logs and the CLI.
    pub fn code(&self) -> &'static str {
        match self {
            StorageError::Database(_) | StorageError::Postgres(_) => "database",
            StorageError::Unavailable(_) => "unavailable",
            StorageError::Config(_) => "config",
            StorageError::NotEmpty(_) => "not_empty",
            StorageError::Migration(_) => "migration",
            StorageError::UserExists(_) => "user_exists",
            StorageError::NoSuchUser(_) => "no_such_user",
            StorageError::NoSuchDevice(_) => "no_such_device",
            StorageError::Corrupt(_) => "corrupt",
            StorageError::Io(_) => "io",
        }
    }
}

pub type StorageResult<T> = Result<T, StorageError>;

/// An account as the admin sees it (`glovebox-server user list`), with counts. Never
/// used on the login path: counting costs with the account's size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub name: String,
    pub password_hash: String,
    pub devices: u64,
    pub rows: u64,
}

/// What a login needs of an account: one unique-index lookup, the same cost for every
/// name, so timing does not tell which names exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginUser {
    pub id: i64,
    pub password_hash: String,
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
    /// The account's own random epoch (new when the account is re-created).
    pub account_epoch: String,
}

/// One pushed row that passed the structural checks.
#[derive(Debug, Clone, PartialEq)]
pub struct PushRow {
    pub table: SyncTable,
    pub id: String,
    pub hlc: Hlc,
    pub deleted: bool,
    /// The `data` object exactly as the device sent it (checked flat, no duplicate keys);
    /// pulls send these bytes back unchanged.
    pub data: String,
}

/// One stored row version, as a pull sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRow {
    pub table: String,
    pub id: String,
    /// Canonical HLC text (it sorts like the value).
    pub hlc: String,
    pub deleted: bool,
    /// A JSON object: as the device sent it (protocol 2), or as a version 1 server
    /// encoded it.
    pub data: String,
    pub seq: u64,
}

impl StoredRow {
    /// The row's wire JSON, without re-encoding `data`.
    pub fn write_json(&self, out: &mut String) {
        out.push_str("{\"table\":");
        push_json_str(out, &self.table);
        out.push_str(",\"id\":");
        push_json_str(out, &self.id);
        out.push_str(",\"hlc\":");
        push_json_str(out, &self.hlc);
        out.push_str(",\"deleted\":");
        out.push_str(if self.deleted { "true" } else { "false" });
        out.push_str(",\"data\":");
        out.push_str(&self.data);
        out.push('}');
    }

    /// Length of [`StoredRow::write_json`]'s output.
    pub fn json_len(&self) -> usize {
        // {"table":,"id":,"hlc":,"deleted":,"data":}
        42 + json_str_len(&self.table)
            + json_str_len(&self.id)
            + json_str_len(&self.hlc)
            + if self.deleted { 4 } else { 5 }
            + self.data.len()
    }
}

fn needs_escape(s: &str) -> bool {
    // No early exit, so the loop vectorises: it runs three times per row of every pull page.
    s.bytes().fold(false, |esc, b| {
        esc | (b == b'"') | (b == b'\\') | (b < 0x20)
    })
}

/// Writes `s` as a JSON string. Tables, ids and HLCs are plain ASCII (checked when
/// pushed), so the escaping path only serves rows a version 1 server stored.
fn push_json_str(out: &mut String, s: &str) {
    if needs_escape(s) {
        out.push_str(&serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into()));
    } else {
        out.push('"');
        out.push_str(s);
        out.push('"');
    }
}

fn json_str_len(s: &str) -> usize {
    if needs_escape(s) {
        serde_json::to_string(s).map_or(2, |e| e.len())
    } else {
        s.len() + 2
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct PullPage {
    pub rows: Vec<StoredRow>,
    /// The sequence of the last row returned; `since` when none was.
    pub cursor: u64,
    pub has_more: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Pull {
    Page(PullPage),
    /// `since` is a sequence number this database never issued: above the account's
    /// sequence, or inside a recorded gap. The server forgot rows (restored from an
    /// older copy); the device must reset and re-push.
    CursorAhead {
        since: u64,
        seq: u64,
    },
}

/// What a push did.
#[derive(Debug, Clone, PartialEq)]
pub enum Pushed {
    /// The outcomes in the batch's order and the user's sequence after.
    Stored(Vec<RowOutcome>, u64),
    /// The push's `known` is a number this database never issued: nothing was stored.
    CursorAhead { known: u64, seq: u64 },
}

impl Pushed {
    /// The outcomes and sequence of a stored batch; `None` for a refused one.
    pub fn stored(self) -> Option<(Vec<RowOutcome>, u64)> {
        match self {
            Pushed::Stored(outcomes, seq) => Some((outcomes, seq)),
            Pushed::CursorAhead { .. } => None,
        }
    }
}

/// Whether `n` is a number this database never issued to the account: above its
/// sequence, or strictly inside a recorded gap (docs/SYNC.md, "Server epoch and
/// restored servers"). Pulls test `since` with it, pushes `known`.
pub(crate) fn never_issued(n: u64, seq: u64, in_gap: bool) -> bool {
    n > seq || in_gap
}

/// A sequence number as SQL's signed 64-bit integer (numbers are wall-clock microseconds,
/// far below the limit; a larger one from a peer is clamped, and then never issued).
pub(crate) fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// What the `*_async` storage calls return.
pub type StorageFuture<T> = Pin<Box<dyn Future<Output = StorageResult<T>> + Send>>;

/// Runs blocking storage work in tokio's blocking pool.
async fn off_worker<T: Send + 'static>(
    f: impl FnOnce() -> StorageResult<T> + Send + 'static,
) -> StorageResult<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| StorageError::Unavailable(format!("storage task failed: {e}")))?
}

/// What [`Storage::pull_begin`] got done on the caller's thread.
pub enum PullStep {
    Done(Pull),
    /// The rest of a long page, for the blocking pool.
    More(Box<dyn FnOnce() -> StorageResult<Pull> + Send>),
}

/// A pull's page bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageLimits {
    pub rows: usize,
    /// The page stops growing once the rows' JSON passes this many bytes; it always
    /// holds at least one row.
    pub bytes: usize,
}

pub trait Storage: Send + Sync + 'static {
    /// The random id of this server database, created with it.
    fn server_epoch(&self) -> &str;

    fn add_user(&self, name: &str, password_hash: &str) -> StorageResult<()>;
    fn set_password(&self, name: &str, password_hash: &str) -> StorageResult<()>;
    /// Removes the user with their devices and rows.
    fn remove_user(&self, name: &str) -> StorageResult<()>;
    /// Admin view with counts (not for the login path: see [`Storage::login_user`]).
    fn user(&self, name: &str) -> StorageResult<Option<User>>;
    fn users(&self) -> StorageResult<Vec<User>>;
    /// The account a login names: a single unique-index lookup.
    fn login_user(&self, name: &str) -> StorageResult<Option<LoginUser>>;

    /// Registers a device; `token_hash` is the SHA-256 (hex) of its bearer token.
    fn add_device(&self, user_id: i64, name: &str, token_hash: &str) -> StorageResult<String>;
    fn devices(&self, user: Option<&str>) -> StorageResult<Vec<Device>>;
    fn revoke_device(&self, device_id: &str) -> StorageResult<()>;
    /// The live (not revoked) device holding this token hash.
    fn authenticate(&self, token_hash: &str) -> StorageResult<Option<Principal>>;

    /// Applies a batch in one durable transaction. First, in that transaction: when
    /// `known` (the highest number the device holds, 0 for none) was never issued by
    /// this database — the same test as a pull's `since` — nothing is stored and the
    /// answer is [`Pushed::CursorAhead`]. Per row: newer HLC than stored → applied, with
    /// the next sequence number `max(seq + 1, floor)`; equal → duplicate; older → stale.
    /// When the first number jumps to `floor`, the skipped range is recorded as a gap.
    fn push(
        &self,
        user_id: i64,
        rows: Vec<PushRow>,
        floor: u64,
        known: u64,
    ) -> StorageResult<Pushed>;
    /// Rows of this user with sequence > `since`, in sequence order, within `limits`;
    /// or [`Pull::CursorAhead`] when `since` was never issued by this database.
    fn pull(&self, user_id: i64, since: u64, limits: PageLimits) -> StorageResult<Pull>;

    /// [`Storage::authenticate`] for async callers. The default runs it in tokio's
    /// blocking pool; a backend with an async driver answers without that hop.
    fn authenticate_async(self: Arc<Self>, token_hash: String) -> StorageFuture<Option<Principal>> {
        Box::pin(off_worker(move || self.authenticate(&token_hash)))
    }

    /// [`Storage::pull`] for async callers (see [`Storage::authenticate_async`]).
    fn pull_async(
        self: Arc<Self>,
        user_id: i64,
        since: u64,
        limits: PageLimits,
    ) -> StorageFuture<Pull> {
        Box::pin(off_worker(move || self.pull(user_id, since, limits)))
    }

    /// [`Storage::push`] for async callers (see [`Storage::authenticate_async`]).
    fn push_async(
        self: Arc<Self>,
        user_id: i64,
        rows: Vec<PushRow>,
        floor: u64,
        known: u64,
    ) -> StorageFuture<Pushed> {
        Box::pin(off_worker(move || self.push(user_id, rows, floor, known)))
    }

    /// True when a token check or the start of a pull is cheap enough to run on an async
    /// worker (an in-process index lookup); false when it is a network round trip.
    fn inline_reads(&self) -> bool {
        false
    }

    /// [`Storage::pull`] for the caller's thread when [`Storage::inline_reads`] is true:
    /// reads at most `inline_rows` rows of the page here and, when the page is longer,
    /// returns the rest as a continuation to run off the async workers, in the same
    /// snapshot, so the page is exactly what [`Storage::pull`] would have returned.
    fn pull_begin(
        &self,
        user_id: i64,
        since: u64,
        limits: PageLimits,
        inline_rows: usize,
    ) -> StorageResult<PullStep> {
        let _ = inline_rows;
        Ok(PullStep::Done(self.pull(user_id, since, limits)?))
    }

    // Moving a server (`glovebox-server migrate-storage`): everything but the rows in one
    // call, the rows in pages by (user, sequence), and the server epoch last.

    /// Accounts (with sequences and epochs), devices (with token hashes) and gaps.
    fn export_inventory(&self) -> StorageResult<Inventory>;
    /// Rows after `(user_id, seq)` in that order, at most `limit`.
    fn export_rows(&self, after: (i64, u64), limit: usize) -> StorageResult<Vec<(i64, StoredRow)>>;
    /// Writes `inv` into an empty database, keeping every id; refuses a database that
    /// already has accounts. The server epoch is set apart, last.
    fn import_inventory(&self, inv: &Inventory) -> StorageResult<()>;
    fn import_rows(&self, rows: Vec<(i64, StoredRow)>) -> StorageResult<()>;
    /// Replaces the server epoch (for instances opened afterwards).
    fn set_server_epoch(&self, epoch: &str) -> StorageResult<()>;
}

/// An account as `migrate-storage` copies it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRecord {
    pub id: i64,
    pub name: String,
    pub password_hash: String,
    pub seq: u64,
    pub epoch: String,
    pub created_at_ms: i64,
}

/// A device as `migrate-storage` copies it: the token hash travels, so tokens keep working.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRecord {
    pub id: String,
    pub user_id: i64,
    pub name: String,
    pub token_hash: String,
    pub created_at_ms: i64,
    pub revoked: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GapRecord {
    pub user_id: i64,
    pub lo: u64,
    pub hi: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inventory {
    pub server_epoch: String,
    pub accounts: Vec<AccountRecord>,
    pub devices: Vec<DeviceRecord>,
    pub gaps: Vec<GapRecord>,
}

/// A storage to open: from the config, or from `migrate-storage`'s `--from`/`--to`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageSpec {
    Sqlite {
        path: std::path::PathBuf,
        options: SqliteOptions,
    },
    Postgres(PostgresOptions),
}

impl StorageSpec {
    /// `sqlite:PATH`, `postgres:URL`, or a bare `postgres://…` / `postgresql://…` URL.
    pub fn parse(s: &str) -> Result<StorageSpec, String> {
        let s = s.trim();
        if let Some(path) = s.strip_prefix("sqlite:") {
            if path.is_empty() {
                return Err(
                    "sqlite: needs a file path (sqlite:/var/lib/glovebox/server.db)".into(),
                );
            }
            return Ok(StorageSpec::Sqlite {
                path: path.into(),
                options: SqliteOptions::default(),
            });
        }
        let url = if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            s
        } else if let Some(rest) = s.strip_prefix("postgres:") {
            rest
        } else {
            return Err(format!(
                "{:?}: use sqlite:PATH or postgres:URL",
                s.split(':').next().unwrap_or("")
            ));
        };
        url.parse::<tokio_postgres::Config>()
            .map_err(|e| format!("postgres URL: {e}"))?;
        Ok(StorageSpec::Postgres(PostgresOptions::new(url)))
    }

    /// A name for messages, without any password.
    pub fn describe(&self) -> String {
        match self {
            StorageSpec::Sqlite { path, .. } => format!("sqlite:{}", path.display()),
            StorageSpec::Postgres(o) => match o.url.parse::<tokio_postgres::Config>() {
                Ok(c) => {
                    let host = c
                        .get_hosts()
                        .first()
                        .map(|h| match h {
                            tokio_postgres::config::Host::Tcp(h) => h.clone(),
                            #[cfg(unix)]
                            tokio_postgres::config::Host::Unix(p) => p.display().to_string(),
                        })
                        .unwrap_or_default();
                    format!(
                        "postgres:{}@{host}/{}",
                        c.get_user().unwrap_or(""),
                        c.get_dbname().unwrap_or("")
                    )
                }
                Err(_) => "postgres".into(),
            },
        }
    }

    /// Opens (creating and migrating as needed) the storage.
    pub fn open(
        &self,
        stats: std::sync::Arc<crate::stats::QueryStats>,
    ) -> StorageResult<std::sync::Arc<dyn Storage>> {
        Ok(match self {
            StorageSpec::Sqlite { path, options } => {
                std::sync::Arc::new(SqliteStorage::open_with(path, stats, *options)?)
            }
            StorageSpec::Postgres(o) => std::sync::Arc::new(PostgresStorage::open(o, stats)?),
        })
    }
}

/// A fresh random id (128 bits, lower-case hex) for server and account epochs.
pub fn new_epoch() -> String {
    use rand::RngCore;
    let mut b = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut b);
    hex::encode(b)
}

/// Wall-clock microseconds since the Unix epoch: the sequence floor a server process
/// takes at start (docs/SYNC.md, "Server epoch and restored servers").
pub fn wall_micros() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// The next sequence number for an applied row, and the gap the first one skips.
pub(crate) fn next_seq(current: u64, floor: u64) -> (u64, Option<(u64, u64)>) {
    let next = current + 1;
    if floor > next {
        (floor, Some((current, floor)))
    } else {
        (next, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse_and_never_show_a_password() {
        assert!(matches!(
            StorageSpec::parse("sqlite:/tmp/x.db"),
            Ok(StorageSpec::Sqlite { .. })
        ));
        for s in [
            "postgres:postgres://ann:pw@db.example:5432/glovebox",
            "postgres://ann:pw@db.example:5432/glovebox",
            "postgresql://ann:pw@db.example/glovebox",
        ] {
            let spec = StorageSpec::parse(s).unwrap();
            let d = spec.describe();
            assert!(d.contains("db.example") && !d.contains("pw"), "{d}");
        }
        for bad in ["mysql://x", "sqlite:", "postgres:nope://", ""] {
            assert!(StorageSpec::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_first_number_after_a_start_jumps_to_the_floor_and_records_the_gap() {
        assert_eq!(next_seq(5, 1_000), (1_000, Some((5, 1_000))));
        assert_eq!(next_seq(1_000, 1_000), (1_001, None));
        assert_eq!(next_seq(999, 1_000), (1_000, None));
        assert_eq!(next_seq(0, 0), (1, None));
    }

    #[test]
    fn stored_row_json_is_valid_and_its_length_is_exact() {
        for deleted in [false, true] {
            let r = StoredRow {
                table: "fuel_records".into(),
                id: "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b".into(),
                hlc: Hlc::new(5, 1, "ab").to_string(),
                deleted,
                data: r#"{ "notes" : "x\"y" }"#.into(),
                seq: 9,
            };
            let mut s = String::new();
            r.write_json(&mut s);
            assert_eq!(s.len(), r.json_len());
            let row: glovebox_protocol::sync::SyncRow = serde_json::from_str(&s).unwrap();
            assert_eq!(row.data["notes"], "x\"y");
            assert_eq!(row.deleted, deleted);
        }
        // A version 1 id with characters JSON must escape still makes valid JSON.
        let r = StoredRow {
            table: "vehicles".into(),
            id: "a\"b\\c\u{1}".into(),
            hlc: Hlc::new(5, 1, "ab").to_string(),
            deleted: false,
            data: "{}".into(),
            seq: 1,
        };
        let mut s = String::new();
        r.write_json(&mut s);
        assert_eq!(s.len(), r.json_len());
        let v: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(v["id"], "a\"b\\c\u{1}");
    }
}
