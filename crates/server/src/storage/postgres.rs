//! The PostgreSQL backend, for several `glovebox-server` processes over one database.
//!
//! tokio-postgres with a deadpool pool (not sqlx: sqlx's SQLite driver would link a second
//! libsqlite3 beside rusqlite's, and its compile-time checked queries need a database or
//! an offline cache at build time; here SQL stays plain text next to the code, like the
//! SQLite backend's, and the driver pipelines independent statements on one connection).
//!
//! The `Storage` trait is blocking, like rusqlite. This backend runs its async driver on
//! a small runtime of its own and hands each call's future to it, so a call is safe from
//! any thread — tokio's blocking pool (the HTTP handlers), a test's async body, or the
//! CLI — and the connections' I/O tasks never depend on the caller's runtime.
//!
//! Commit order is sequence order per user: a push locks the user's row (`SELECT … FOR
//! UPDATE`) before reading its sequence and holds the lock until commit, so two pushes of
//! one user, from any processes, number and commit one after the other. A pull is one
//! statement, so it sees a prefix of the user's sequence: never row n+1 without row n.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use futures_util::{pin_mut, TryStreamExt};
use glovebox_protocol::sync::RowOutcome;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;
use tokio_postgres::NoTls;

use super::migrate::{self, MigrationError};
use super::{
    never_issued, new_epoch, next_seq, now_ms, to_i64, AccountRecord, Device, DeviceRecord,
    GapRecord, Inventory, LoginUser, PageLimits, Principal, Pull, PullPage, PushRow, Pushed,
    Storage, StorageError, StorageResult, StoredRow, User,
};
use crate::stats::QueryStats;

/// How the PostgreSQL backend connects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostgresOptions {
    /// `postgres://user:password@host:port/database` (or key=value form).
    pub url: String,
    /// Connections this process keeps at most.
    pub pool_size: usize,
    /// Statements running longer are cancelled by the database (0 = no limit).
    pub statement_timeout: Duration,
    /// Longest wait for a free pooled connection.
    pub pool_wait: Duration,
}

impl PostgresOptions {
    pub fn new(url: impl Into<String>) -> Self {
        PostgresOptions {
            url: url.into(),
            pool_size: 16,
            statement_timeout: Duration::from_secs(30),
            pool_wait: Duration::from_secs(10),
        }
    }
}

const ADD_USER: &str =
    "INSERT INTO users (name, password_hash, created_at, epoch) VALUES ($1, $2, $3, $4)";
const SET_PASSWORD: &str = "UPDATE users SET password_hash = $2 WHERE name = $1";
const REMOVE_USER: &str = "DELETE FROM users WHERE name = $1";
const USER_COLUMNS: &str = "SELECT u.id, u.name, u.password_hash, \
     (SELECT count(*) FROM devices d WHERE d.user_id = u.id AND NOT d.revoked), \
     (SELECT count(*) FROM rows r WHERE r.user_id = u.id) FROM users u";
const LOGIN_USER: &str = "SELECT id, password_hash FROM users WHERE name = $1";
const ADD_DEVICE: &str =
    "INSERT INTO devices (id, user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4, $5)";
const DEVICES: &str = "SELECT d.id, d.user_id, u.name, d.name, d.revoked, d.created_at \
     FROM devices d JOIN users u ON u.id = d.user_id \
     WHERE $1::text IS NULL OR u.name = $1 ORDER BY u.name, d.created_at";
const REVOKE_DEVICE: &str = "UPDATE devices SET revoked = TRUE WHERE id = $1";
const AUTHENTICATE: &str = "SELECT d.user_id, d.id, u.epoch FROM devices d \
     JOIN users u ON u.id = d.user_id WHERE d.token_hash = $1 AND NOT d.revoked";
/// The account's sequence, locked for the push, and whether `$2` (the push's `known`)
/// lies in one of its gaps: one round trip.
const LOCK_USER: &str = "SELECT u.seq, EXISTS (SELECT 1 FROM seq_gaps g \
     WHERE g.user_id = u.id AND g.lo < $2 AND g.hi > $2) FROM users u WHERE u.id = $1 \
     FOR UPDATE OF u";
const STORED_HLCS: &str = "SELECT r.tbl, r.id, r.hlc FROM rows r \
     JOIN unnest($2::text[], $3::text[]) AS k (tbl, id) ON r.tbl = k.tbl AND r.id = k.id \
     WHERE r.user_id = $1";
const UPSERT_ROWS: &str = "INSERT INTO rows (user_id, tbl, id, hlc, deleted, data, seq) \
     SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::bool[], $6::text[], \
     $7::int8[]) \
     ON CONFLICT (user_id, tbl, id) DO UPDATE SET hlc = excluded.hlc, \
     deleted = excluded.deleted, data = excluded.data, seq = excluded.seq";
const ADD_GAP: &str = "INSERT INTO seq_gaps (user_id, lo, hi) VALUES ($1, $2, $3)";
const SET_USER_SEQ: &str = "UPDATE users SET seq = $2 WHERE id = $1";
const PULL_CHECK: &str = "SELECT u.seq, EXISTS (SELECT 1 FROM seq_gaps g \
     WHERE g.user_id = u.id AND g.lo < $2 AND g.hi > $2) FROM users u WHERE u.id = $1";
const PULL: &str = "SELECT tbl, id, hlc, deleted, data, seq FROM rows \
     WHERE user_id = $1 AND seq > $2 ORDER BY seq LIMIT $3";
const SERVER_EPOCH: &str = "SELECT epoch FROM server_state WHERE id = 1";
const EXPORT_ACCOUNTS: &str =
    "SELECT id, name, password_hash, seq, epoch, created_at FROM users ORDER BY id";
const EXPORT_DEVICES: &str =
    "SELECT id, user_id, name, token_hash, created_at, revoked FROM devices ORDER BY id";
const EXPORT_GAPS: &str = "SELECT user_id, lo, hi FROM seq_gaps ORDER BY user_id, lo";
const EXPORT_ROWS: &str = "SELECT user_id, tbl, id, hlc, deleted, data, seq FROM rows \
     WHERE (user_id, seq) > ($1, $2) ORDER BY user_id, seq LIMIT $3";
const IMPORT_ACCOUNT: &str = "INSERT INTO users (id, name, password_hash, seq, epoch, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6)";
const IMPORT_DEVICE: &str =
    "INSERT INTO devices (id, user_id, name, token_hash, created_at, revoked) \
     VALUES ($1, $2, $3, $4, $5, $6)";
const IMPORT_ROWS: &str = "INSERT INTO rows (user_id, tbl, id, hlc, deleted, data, seq) \
     SELECT * FROM unnest($1::int8[], $2::text[], $3::text[], $4::text[], $5::bool[], \
     $6::text[], $7::int8[])";
/// Explicit ids were inserted: move the id sequence past them.
const BUMP_USER_IDS: &str = "SELECT setval(pg_get_serial_sequence('users', 'id'), \
     GREATEST((SELECT max(id) FROM users), 1))";
const SET_SERVER_EPOCH: &str = "UPDATE server_state SET epoch = $1 WHERE id = 1";
/// Serialises schema migrations between processes starting at the same time.
const MIGRATION_LOCK: i64 = 0x676c_6f76_6562_6f78; // "glovebox"

pub struct PostgresStorage {
    /// Runs the driver; `None` only while dropping.
    rt: Option<tokio::runtime::Runtime>,
    pool: Pool,
    stats: Arc<QueryStats>,
    server_epoch: String,
}

impl Drop for PostgresStorage {
    fn drop(&mut self) {
        // Dropping a runtime blocks, which tokio forbids inside async code (where a test
        // or a server may drop its storage); shut it down without waiting instead.
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

fn pg(e: tokio_postgres::Error) -> StorageError {
    StorageError::Postgres(e.to_string())
}

fn pool_err(e: deadpool_postgres::PoolError) -> StorageError {
    StorageError::Unavailable(format!("no database connection: {e}"))
}

type Params<'a> = Vec<&'a (dyn ToSql + Sync)>;

impl PostgresStorage {
    pub fn open(options: &PostgresOptions, stats: Arc<QueryStats>) -> StorageResult<Self> {
        let mut config: tokio_postgres::Config = options
            .url
            .parse()
            .map_err(|e| StorageError::Config(format!("storage.url: {e}")))?;
        config.options(format!(
            "-c statement_timeout={}",
            options.statement_timeout.as_millis()
        ));
        if config.get_application_name().is_none() {
            config.application_name("glovebox-server");
        }
        config.connect_timeout(options.pool_wait);
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("glovebox-postgres")
            .enable_all()
            .build()?;
        let pool = {
            let _inside = rt.enter();
            Pool::builder(manager)
                .max_size(options.pool_size)
                .wait_timeout(Some(options.pool_wait))
                .create_timeout(Some(options.pool_wait))
                .runtime(deadpool_postgres::Runtime::Tokio1)
                .build()
                .map_err(|e| StorageError::Config(format!("storage: {e}")))?
        };
        let mut storage = PostgresStorage {
            rt: Some(rt),
            pool,
            stats,
            server_epoch: String::new(),
        };
        // Not timed: a one-off at start would read as a slow query in /api/health.
        storage.call(|pool| async move {
            let mut client = pool.get().await.map_err(pool_err)?;
            migrate_pg(&mut client).await
        })?;
        storage.server_epoch = storage.call(|pool| async move {
            let client = pool.get().await.map_err(pool_err)?;
            let row = client.query_one(SERVER_EPOCH, &[]).await.map_err(pg)?;
            Ok(row.get::<_, String>(0))
        })?;
        Ok(storage)
    }

    /// Runs `f` on the driver's runtime and waits for it, timing it as `name`.
    fn run<T, F, Fut>(&self, name: &'static str, f: F) -> StorageResult<T>
    where
        T: Send + 'static,
        F: FnOnce(Pool) -> Fut + Send + 'static,
        Fut: Future<Output = StorageResult<T>> + Send + 'static,
    {
        let started = Instant::now();
        let out = self.call(f);
        self.stats.record(name, started.elapsed());
        out
    }

    /// Runs `f` on the driver's runtime and waits for it.
    fn call<T, F, Fut>(&self, f: F) -> StorageResult<T>
    where
        T: Send + 'static,
        F: FnOnce(Pool) -> Fut + Send + 'static,
        Fut: Future<Output = StorageResult<T>> + Send + 'static,
    {
        let rt = self
            .rt
            .as_ref()
            .ok_or_else(|| StorageError::Unavailable("the database driver has stopped".into()))?;
        let pool = self.pool.clone();
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        rt.spawn(async move {
            let _ = tx.send(f(pool).await);
        });
        rx.recv().map_err(|_| {
            StorageError::Unavailable("the database driver stopped during a call".into())
        })?
    }
}

async fn migrate_pg(client: &mut deadpool_postgres::Client) -> StorageResult<()> {
    for m in migrate::POSTGRES {
        let tx = client.transaction().await.map_err(pg)?;
        tx.batch_execute(&format!(
            "SET LOCAL statement_timeout = 0; SELECT pg_advisory_xact_lock({MIGRATION_LOCK}); \
             CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, \
             name TEXT NOT NULL, applied_at BIGINT NOT NULL);"
        ))
        .await
        .map_err(pg)?;
        let current: i64 = tx
            .query_one(
                "SELECT coalesce(max(version), 0)::int8 FROM schema_migrations",
                &[],
            )
            .await
            .map_err(pg)?
            .get(0);
        if !migrate::pending(migrate::POSTGRES, current)?.contains(m) {
            continue;
        }
        tracing::info!(
            version = m.version,
            name = m.name,
            "applying server migration"
        );
        let failed = |e: tokio_postgres::Error| MigrationError::Failed {
            name: m.name,
            message: e.to_string(),
        };
        tx.batch_execute(m.sql).await.map_err(failed)?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
            &[&m.version, &m.name, &now_ms()],
        )
        .await
        .map_err(failed)?;
        tx.commit().await.map_err(pg)?;
    }
    Ok(())
}

fn user_from_row(r: &tokio_postgres::Row) -> User {
    User {
        id: r.get(0),
        name: r.get(1),
        password_hash: r.get(2),
        devices: r.get::<_, i64>(3) as u64,
        rows: r.get::<_, i64>(4) as u64,
    }
}

fn device_from_row(r: &tokio_postgres::Row) -> Device {
    Device {
        id: r.get(0),
        user_id: r.get(1),
        user: r.get(2),
        name: r.get(3),
        revoked: r.get(4),
        created_at_ms: r.get(5),
    }
}

/// Outcomes of a batch against the stored HLCs, numbering applied rows in order. Of two
/// applied versions of one row in a batch only the later is written (one statement may
/// not touch a row twice); the earlier one's number is simply never seen.
struct Plan {
    outcomes: Vec<RowOutcome>,
    writes: HashMap<(String, String), (usize, u64)>,
    gap: Option<(u64, u64)>,
    seq: u64,
}

fn plan(
    rows: &[PushRow],
    mut stored: HashMap<(String, String), String>,
    seq: u64,
    floor: u64,
) -> Plan {
    let mut p = Plan {
        outcomes: Vec::with_capacity(rows.len()),
        writes: HashMap::new(),
        gap: None,
        seq,
    };
    for (i, row) in rows.iter().enumerate() {
        let key = (row.table.name().to_owned(), row.id.clone());
        let hlc = row.hlc.to_string();
        let outcome = match stored.get(&key).map(|s| s.as_str().cmp(hlc.as_str())) {
            Some(std::cmp::Ordering::Equal) => RowOutcome::Duplicate,
            Some(std::cmp::Ordering::Greater) => RowOutcome::Stale,
            _ => {
                let (next, gap) = next_seq(p.seq, floor);
                p.gap = p.gap.or(gap);
                p.seq = next;
                stored.insert(key.clone(), hlc);
                p.writes.insert(key, (i, next));
                RowOutcome::Applied
            }
        };
        p.outcomes.push(outcome);
    }
    p
}

impl Storage for PostgresStorage {
    fn server_epoch(&self) -> &str {
        &self.server_epoch
    }

    fn export_inventory(&self) -> StorageResult<Inventory> {
        self.run("export.inventory", |pool| async move {
            let mut c = pool.get().await.map_err(pool_err)?;
            let tx = c
                .build_transaction()
                .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
                .read_only(true)
                .start()
                .await
                .map_err(pg)?;
            let server_epoch: String = tx.query_one(SERVER_EPOCH, &[]).await.map_err(pg)?.get(0);
            let accounts = tx
                .query(EXPORT_ACCOUNTS, &[])
                .await
                .map_err(pg)?
                .iter()
                .map(|r| AccountRecord {
                    id: r.get(0),
                    name: r.get(1),
                    password_hash: r.get(2),
                    seq: r.get::<_, i64>(3) as u64,
                    epoch: r.get(4),
                    created_at_ms: r.get(5),
                })
                .collect();
            let devices = tx
                .query(EXPORT_DEVICES, &[])
                .await
                .map_err(pg)?
                .iter()
                .map(|r| DeviceRecord {
                    id: r.get(0),
                    user_id: r.get(1),
                    name: r.get(2),
                    token_hash: r.get(3),
                    created_at_ms: r.get(4),
                    revoked: r.get(5),
                })
                .collect();
            let gaps = tx
                .query(EXPORT_GAPS, &[])
                .await
                .map_err(pg)?
                .iter()
                .map(|r| GapRecord {
                    user_id: r.get(0),
                    lo: r.get::<_, i64>(1) as u64,
                    hi: r.get::<_, i64>(2) as u64,
                })
                .collect();
            tx.commit().await.map_err(pg)?;
            Ok(Inventory {
                server_epoch,
                accounts,
                devices,
                gaps,
            })
        })
    }

    fn export_rows(&self, after: (i64, u64), limit: usize) -> StorageResult<Vec<(i64, StoredRow)>> {
        self.run("export.rows", move |pool| async move {
            let c = pool.get().await.map_err(pool_err)?;
            let rows = c
                .query(EXPORT_ROWS, &[&after.0, &to_i64(after.1), &(limit as i64)])
                .await
                .map_err(pg)?;
            Ok(rows
                .iter()
                .map(|r| {
                    (
                        r.get(0),
                        StoredRow {
                            table: r.get(1),
                            id: r.get(2),
                            hlc: r.get(3),
                            deleted: r.get(4),
                            data: r.get(5),
                            seq: r.get::<_, i64>(6) as u64,
                        },
                    )
                })
                .collect())
        })
    }

    fn import_inventory(&self, inv: &Inventory) -> StorageResult<()> {
        let inv = inv.clone();
        self.run("import.inventory", move |pool| async move {
            let mut c = pool.get().await.map_err(pool_err)?;
            let tx = c.transaction().await.map_err(pg)?;
            // Two imports at once must not both find the database empty.
            tx.batch_execute("LOCK TABLE users IN EXCLUSIVE MODE")
                .await
                .map_err(pg)?;
            let existing: i64 = tx
                .query_one("SELECT count(*) FROM users", &[])
                .await
                .map_err(pg)?
                .get(0);
            if existing > 0 {
                return Err(StorageError::NotEmpty(existing as u64));
            }
            for a in &inv.accounts {
                tx.execute(
                    IMPORT_ACCOUNT,
                    &[
                        &a.id,
                        &a.name,
                        &a.password_hash,
                        &to_i64(a.seq),
                        &a.epoch,
                        &a.created_at_ms,
                    ],
                )
                .await
                .map_err(pg)?;
            }
            tx.query(BUMP_USER_IDS, &[]).await.map_err(pg)?;
            for d in &inv.devices {
                tx.execute(
                    IMPORT_DEVICE,
                    &[
                        &d.id,
                        &d.user_id,
                        &d.name,
                        &d.token_hash,
                        &d.created_at_ms,
                        &d.revoked,
                    ],
                )
                .await
                .map_err(pg)?;
            }
            for g in &inv.gaps {
                tx.execute(ADD_GAP, &[&g.user_id, &to_i64(g.lo), &to_i64(g.hi)])
                    .await
                    .map_err(pg)?;
            }
            tx.commit().await.map_err(pg)?;
            Ok(())
        })
    }

    fn import_rows(&self, rows: Vec<(i64, StoredRow)>) -> StorageResult<()> {
        self.run("import.rows", move |pool| async move {
            let c = pool.get().await.map_err(pool_err)?;
            let users: Vec<i64> = rows.iter().map(|(u, _)| *u).collect();
            let tbl: Vec<&str> = rows.iter().map(|(_, r)| r.table.as_str()).collect();
            let id: Vec<&str> = rows.iter().map(|(_, r)| r.id.as_str()).collect();
            let hlc: Vec<&str> = rows.iter().map(|(_, r)| r.hlc.as_str()).collect();
            let deleted: Vec<bool> = rows.iter().map(|(_, r)| r.deleted).collect();
            let data: Vec<&str> = rows.iter().map(|(_, r)| r.data.as_str()).collect();
            let seq: Vec<i64> = rows.iter().map(|(_, r)| to_i64(r.seq)).collect();
            let params: Params<'_> = vec![&users, &tbl, &id, &hlc, &deleted, &data, &seq];
            c.execute(IMPORT_ROWS, &params).await.map_err(pg)?;
            Ok(())
        })
    }

    fn set_server_epoch(&self, epoch: &str) -> StorageResult<()> {
        let epoch = epoch.to_owned();
        self.run("server.set_epoch", move |pool| async move {
            let c = pool.get().await.map_err(pool_err)?;
            c.execute(SET_SERVER_EPOCH, &[&epoch]).await.map_err(pg)?;
            Ok(())
        })
    }

    fn add_user(&self, name: &str, password_hash: &str) -> StorageResult<()> {
        let (name, hash) = (name.to_owned(), password_hash.to_owned());
        self.run("user.add", move |pool| async move {
            let c = pool.get().await.map_err(pool_err)?;
            let stmt = c.prepare_cached(ADD_USER).await.map_err(pg)?;
            match c
                .execute(&stmt, &[&name, &hash, &now_ms(), &new_epoch()])
                .await
            {
                Ok(_) => Ok(()),
                Err(e) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => {
                    Err(StorageError::UserExists(name))
                }
                Err(e) => Err(pg(e)),
            }
        })
    }

    fn set_password(&self, name: &str, password_hash: &str) -> StorageResult<()> {
        let (name, hash) = (name.to_owned(), password_hash.to_owned());
        self.run("user.passwd", move |pool| async move {
            let c = pool.get().await.map_err(pool_err)?;
            if c.execute(SET_PASSWORD, &[&name, &hash]).await.map_err(pg)? == 0 {
                return Err(StorageError::NoSuchUser(name));
            }
            Ok(())
        })
    }

    fn remove_user(&self, name: &str) -> StorageResult<()> {
        let name = name.to_owned();
        self.run("user.remove", move |pool| async move {
            let c = pool.get().await.map_err(pool_err)?;
            if c.execute(REMOVE_USER, &[&name]).await.map_err(pg)? == 0 {
                return Err(StorageError::NoSuchUser(name));
            }
            Ok(())
        })
    }

    fn user(&self, name: &str) -> StorageResult<Option<User>> {
        let name = name.to_owned();
        self.run("user.get", move |pool| async move {
            let c = pool.get().await.map_err(pool_err)?;
            let sql = format!("{USER_COLUMNS} WHERE u.name = $1");
            let row = c.query_opt(&sql, &[&name]).await.map_err(pg)?;
            Ok(row.as_ref().map(user_from_row))
        })
    }

    fn users(&self) -> StorageResult<Vec<User>> {
        self.run("user.list", |pool| async move {
            let c = pool.get().await.map_err(pool_err)?;
            let sql = format!("{USER_COLUMNS} ORDER BY u.name");
            let rows = c.query(&sql, &[]).await.map_err(pg)?;
            Ok(rows.iter().map(user_from_row).collect())
        })
    }

    fn login_user(&self, name: &str) -> StorageResult<Option<LoginUser>> {
        let name = name.to_owned();
        self.run("user.login", move |pool| async move {
            let c = pool.get().await.map_err(pool_err)?;
            let stmt = c.prepare_cached(LOGIN_USER).await.map_err(pg)?;
            let row = c.query_opt(&stmt, &[&name]).await.map_err(pg)?;
            Ok(row.map(|r| LoginUser {
                id: r.get(0),
                password_hash: r.get(1),
            }))
        })
    }

    fn add_device(&self, user_id: i64, name: &str, token_hash: &str) -> StorageResult<String> {
        let id = uuid::Uuid::now_v7().simple().to_string();
        let (name, hash) = (name.to_owned(), token_hash.to_owned());
        self.run("device.add", move |pool| async move {
            let c = pool.get().await.map_err(pool_err)?;
            let stmt = c.prepare_cached(ADD_DEVICE).await.map_err(pg)?;
            c.execute(&stmt, &[&id, &user_id, &name, &hash, &now_ms()])
                .await
                .map_err(pg)?;
            Ok(id)
        })
    }

    fn devices(&self, user: Option<&str>) -> StorageResult<Vec<Device>> {
        let user = user.map(str::to_owned);
        self.run("device.list", move |pool| async move {
            let c = pool.get().await.map_err(pool_err)?;
            let rows = c.query(DEVICES, &[&user]).await.map_err(pg)?;
            Ok(rows.iter().map(device_from_row).collect())
        })
    }

    fn revoke_device(&self, device_id: &str) -> StorageResult<()> {
        let id = device_id.to_owned();
        self.run("device.revoke", move |pool| async move {
            let c = pool.get().await.map_err(pool_err)?;
            if c.execute(REVOKE_DEVICE, &[&id]).await.map_err(pg)? == 0 {
                return Err(StorageError::NoSuchDevice(id));
            }
            Ok(())
        })
    }

    fn authenticate(&self, token_hash: &str) -> StorageResult<Option<Principal>> {
        let hash = token_hash.to_owned();
        self.run("device.authenticate", move |pool| authenticate(pool, hash))
    }

    fn push(
        &self,
        user_id: i64,
        rows: Vec<PushRow>,
        floor: u64,
        known: u64,
    ) -> StorageResult<Pushed> {
        self.run("rows.push", move |pool| {
            push(pool, user_id, rows, floor, known)
        })
    }

    fn pull(&self, user_id: i64, since: u64, limits: PageLimits) -> StorageResult<Pull> {
        self.run("rows.pull", move |pool| pull(pool, user_id, since, limits))
    }
}

// The hot calls, shared by the blocking and the async entry points.

async fn authenticate(pool: Pool, hash: String) -> StorageResult<Option<Principal>> {
    let c = pool.get().await.map_err(pool_err)?;
    let stmt = c.prepare_cached(AUTHENTICATE).await.map_err(pg)?;
    let row = c.query_opt(&stmt, &[&hash]).await.map_err(pg)?;
    Ok(row.map(|r| Principal {
        user_id: r.get(0),
        device_id: r.get(1),
        account_epoch: r.get(2),
    }))
}

async fn push(
    pool: Pool,
    user_id: i64,
    rows: Vec<PushRow>,
    floor: u64,
    known: u64,
) -> StorageResult<Pushed> {
    let mut c = pool.get().await.map_err(pool_err)?;
    let tx = c.transaction().await.map_err(pg)?;
    let lock = tx.prepare_cached(LOCK_USER).await.map_err(pg)?;
    let (seq, known_in_gap) = tx
        .query_opt(&lock, &[&user_id, &to_i64(known)])
        .await
        .map_err(pg)?
        .map_or((0, false), |r| {
            (r.get::<_, i64>(0) as u64, r.get::<_, bool>(1))
        });
    if never_issued(known, seq, known_in_gap) {
        // Nothing written; the rollback only ends the lock.
        return Ok(Pushed::CursorAhead { known, seq });
    }
    let (tbls, ids): (Vec<&str>, Vec<&str>) =
        rows.iter().map(|r| (r.table.name(), r.id.as_str())).unzip();
    let mut stored = HashMap::new();
    if !rows.is_empty() {
        let q = tx.prepare_cached(STORED_HLCS).await.map_err(pg)?;
        for r in tx.query(&q, &[&user_id, &tbls, &ids]).await.map_err(pg)? {
            stored.insert((r.get::<_, String>(0), r.get::<_, String>(1)), r.get(2));
        }
    }
    let p = plan(&rows, stored, seq, floor);
    if !p.writes.is_empty() {
        let mut w: Vec<(usize, u64)> = p.writes.values().copied().collect();
        w.sort_unstable();
        let pick = |f: &dyn Fn(&PushRow) -> String| -> Vec<String> {
            w.iter().map(|(i, _)| f(&rows[*i])).collect()
        };
        let tbl = pick(&|r| r.table.name().to_owned());
        let id = pick(&|r| r.id.clone());
        let hlc = pick(&|r| r.hlc.to_string());
        let data = pick(&|r| r.data.clone());
        let deleted: Vec<bool> = w.iter().map(|(i, _)| rows[*i].deleted).collect();
        let seqs: Vec<i64> = w.iter().map(|(_, s)| to_i64(*s)).collect();
        let up = tx.prepare_cached(UPSERT_ROWS).await.map_err(pg)?;
        let params: Params<'_> = vec![&user_id, &tbl, &id, &hlc, &deleted, &data, &seqs];
        tx.execute(&up, &params).await.map_err(pg)?;
        if let Some((lo, hi)) = p.gap {
            tx.execute(ADD_GAP, &[&user_id, &to_i64(lo), &to_i64(hi)])
                .await
                .map_err(pg)?;
        }
        let set = tx.prepare_cached(SET_USER_SEQ).await.map_err(pg)?;
        tx.execute(&set, &[&user_id, &to_i64(p.seq)])
            .await
            .map_err(pg)?;
    }
    tx.commit().await.map_err(pg)?;
    Ok(Pushed::Stored(p.outcomes, p.seq))
}

async fn pull(pool: Pool, user_id: i64, since: u64, limits: PageLimits) -> StorageResult<Pull> {
    let c = pool.get().await.map_err(pool_err)?;
    let (check, pull) =
        tokio::try_join!(c.prepare_cached(PULL_CHECK), c.prepare_cached(PULL)).map_err(pg)?;
    let since_sql = to_i64(since);
    let (seq, in_gap) = match c
        .query_opt(&check, &[&user_id, &since_sql])
        .await
        .map_err(pg)?
    {
        Some(r) => (r.get::<_, i64>(0) as u64, r.get::<_, bool>(1)),
        None => (0, false),
    };
    if never_issued(since, seq, in_gap) {
        return Ok(Pull::CursorAhead { since, seq });
    }
    let limit = limits.rows as i64 + 1;
    let params: Params<'_> = vec![&user_id, &since_sql, &limit];
    // Streamed, so a page stops at its byte limit without holding the rest.
    let stream = c.query_raw(&pull, params).await.map_err(pg)?;
    pin_mut!(stream);
    let mut page = PullPage {
        rows: Vec::new(),
        cursor: since,
        has_more: false,
    };
    let mut bytes = 0usize;
    while let Some(r) = stream.try_next().await.map_err(pg)? {
        let row = StoredRow {
            table: r.get(0),
            id: r.get(1),
            hlc: r.get(2),
            deleted: r.get(3),
            data: r.get(4),
            seq: r.get::<_, i64>(5) as u64,
        };
        let len = row.json_len() + 1;
        if page.rows.len() == limits.rows || (!page.rows.is_empty() && bytes + len > limits.bytes) {
            page.has_more = true;
            break;
        }
        bytes += len;
        page.cursor = row.seq;
        page.rows.push(row);
    }
    Ok(Pull::Page(page))
}
