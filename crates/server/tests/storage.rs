//! The storage suite: one set of checks every `Storage` backend must pass, run against
//! SQLite and against PostgreSQL. The PostgreSQL run needs `GLOVEBOX_TEST_PG_URL` (a role
//! that may create databases; scripts/test.d/40-postgres.sh starts a throwaway cluster and
//! sets it): each test gets a database of its own, dropped afterwards. Without the
//! variable the PostgreSQL variants say so and return.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use glovebox_protocol::sync::RowOutcome;
use glovebox_protocol::{Hlc, SyncTable};
use glovebox_server::stats::QueryStats;
use glovebox_server::storage::{
    PageLimits, PostgresOptions, PostgresStorage, Pull, PushRow, Pushed, SqliteStorage, Storage,
    StorageError,
};

const PG_URL_VAR: &str = "GLOVEBOX_TEST_PG_URL";

/// Where a test's storages live; `open` makes another instance over the same database
/// (another server process, as far as the database can tell).
enum Db {
    Sqlite(tempfile::TempDir),
    Postgres(PgDb),
}

impl Db {
    fn open(&self) -> Arc<dyn Storage> {
        let stats = Arc::new(QueryStats::new());
        match self {
            Db::Sqlite(dir) => {
                Arc::new(SqliteStorage::open(dir.path().join("s.db"), stats).expect("sqlite"))
            }
            Db::Postgres(pg) => {
                let mut o = PostgresOptions::new(&pg.url);
                o.pool_size = 8;
                Arc::new(PostgresStorage::open(&o, stats).expect("postgres"))
            }
        }
    }
}

/// A database of its own on the cluster behind `GLOVEBOX_TEST_PG_URL`.
struct PgDb {
    admin: String,
    name: String,
    url: String,
}

fn admin_sql(url: &str, sql: &str) -> Result<(), tokio_postgres::Error> {
    let (url, sql) = (url.to_owned(), sql.to_owned());
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async {
            let (c, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await?;
            tokio::spawn(conn);
            c.batch_execute(&sql).await
        })
    })
    .join()
    .expect("admin thread")
}

impl PgDb {
    fn create() -> Option<PgDb> {
        let admin = std::env::var(PG_URL_VAR)
            .ok()
            .filter(|u| !u.trim().is_empty())?;
        let name = format!("gbs_{}_{}", std::process::id(), rand::random::<u32>());
        admin_sql(&admin, &format!("CREATE DATABASE {name}")).expect("create test database");
        let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
        let url = format!("{base}/{name}");
        Some(PgDb { admin, name, url })
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        if let Err(e) = admin_sql(&self.admin, &sql) {
            eprintln!("dropping {}: {e}", self.name);
        }
    }
}

fn sqlite() -> Db {
    Db::Sqlite(tempfile::tempdir().expect("tempdir"))
}

fn postgres() -> Option<Db> {
    let db = PgDb::create().map(Db::Postgres);
    if db.is_none() {
        eprintln!("{PG_URL_VAR} is not set: skipping the PostgreSQL variant");
    }
    db
}

/// Defines `mod NAME { sqlite(), postgres() }` running `body(&Db)` on each backend.
macro_rules! on_both {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[test]
            fn sqlite() {
                super::$name(&super::sqlite());
            }
            #[test]
            fn postgres() {
                if let Some(db) = super::postgres() {
                    super::$name(&db);
                }
            }
        }
    )*};
}

on_both!(
    accounts_and_devices,
    push_outcomes_follow_the_hlc_and_number_in_order,
    pulls_page_by_rows_and_bytes_and_keep_the_text,
    a_pull_begun_inline_and_finished_later_is_the_same_page,
    cursors_never_issued_are_ahead,
    a_push_knowing_a_number_never_issued_stores_nothing,
    accounts_are_isolated_and_removal_cascades,
    concurrent_pushes_from_several_instances_are_never_skipped_by_a_puller,
);

fn row(n: u64, hlc: Hlc, data: &str) -> PushRow {
    PushRow {
        table: SyncTable::FuelRecords,
        id: format!("0190aaaa-0000-7000-8000-{n:012x}"),
        hlc,
        deleted: false,
        data: data.to_owned(),
    }
}

const ALL: PageLimits = PageLimits {
    rows: 10_000,
    bytes: 64 << 20,
};

fn page(
    s: &dyn Storage,
    user: i64,
    since: u64,
    limits: PageLimits,
) -> glovebox_server::storage::PullPage {
    match s.pull(user, since, limits).expect("pull") {
        Pull::Page(p) => p,
        other => panic!("expected a page after {since}: {other:?}"),
    }
}

fn user_id(s: &dyn Storage, name: &str) -> i64 {
    s.login_user(name).expect("lookup").expect("user").id
}

fn accounts_and_devices(db: &Db) {
    let s = db.open();
    s.add_user("ann", "hash-1").unwrap();
    assert!(matches!(
        s.add_user("ann", "x"),
        Err(StorageError::UserExists(_))
    ));
    let ann = s.login_user("ann").unwrap().unwrap();
    assert_eq!(ann.password_hash, "hash-1");
    assert!(s.login_user("nobody").unwrap().is_none());
    s.set_password("ann", "hash-2").unwrap();
    assert_eq!(
        s.login_user("ann").unwrap().unwrap().password_hash,
        "hash-2"
    );
    assert!(matches!(
        s.set_password("nobody", "x"),
        Err(StorageError::NoSuchUser(_))
    ));

    let dev = s.add_device(ann.id, "laptop", "th-1").unwrap();
    let who = s.authenticate("th-1").unwrap().expect("token works");
    assert_eq!(
        (who.user_id, who.device_id.as_str()),
        (ann.id, dev.as_str())
    );
    assert_eq!(who.account_epoch.len(), 32);
    assert!(s.authenticate("th-2").unwrap().is_none());
    let listed = s.devices(Some("ann")).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0].name.as_str(), listed[0].user.as_str()),
        ("laptop", "ann")
    );
    assert_eq!(s.devices(None).unwrap().len(), 1);
    s.revoke_device(&dev).unwrap();
    assert!(s.authenticate("th-1").unwrap().is_none(), "revoked");
    assert!(matches!(
        s.revoke_device("nope"),
        Err(StorageError::NoSuchDevice(_))
    ));
    let u = s.user("ann").unwrap().unwrap();
    assert_eq!((u.devices, u.rows), (0, 0));
    assert_eq!(s.users().unwrap().len(), 1);
    assert_eq!(s.server_epoch().len(), 32);
    // Another instance over the same database sees the same epoch and the same data.
    let again = db.open();
    assert_eq!(again.server_epoch(), s.server_epoch());
    assert!(again.login_user("ann").unwrap().is_some());
}

fn push_outcomes_follow_the_hlc_and_number_in_order(db: &Db) {
    let s = db.open();
    s.add_user("ann", "h").unwrap();
    let ann = user_id(s.as_ref(), "ann");
    let (old, new) = (Hlc::new(1_000, 0, "aa"), Hlc::new(1_000, 1, "aa"));
    // Within one batch: a newer version after an older one is applied again; the
    // stored one is the newest, numbered last.
    let (out, seq) = push(
        s.as_ref(),
        ann,
        vec![
            row(1, old.clone(), "{\"n\":\"old\"}"),
            row(1, new.clone(), "{\"n\":\"new\"}"),
            row(1, old.clone(), "{\"n\":\"old\"}"),
            row(1, new.clone(), "{\"n\":\"new\"}"),
            row(2, old.clone(), "{}"),
        ],
        5_000,
    );
    use RowOutcome::*;
    assert_eq!(out, [Applied, Applied, Stale, Duplicate, Applied]);
    assert_eq!(seq, 5_002, "jumps to the floor, then one per applied row");
    let p = page(s.as_ref(), ann, 0, ALL);
    let got: Vec<_> = p
        .rows
        .iter()
        .map(|r| (r.id.clone(), r.data.clone(), r.seq))
        .collect();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].1, "{\"n\":\"new\"}");
    assert_eq!(p.cursor, 5_002);
    // Later pushes count on from the sequence, not the floor; a lower floor changes
    // nothing; an empty push reports the sequence.
    let (out, seq) = push(s.as_ref(), ann, vec![row(3, new.clone(), "{}")], 10);
    assert_eq!((out, seq), (vec![Applied], 5_003));
    assert_eq!(push(s.as_ref(), ann, Vec::new(), 99_999), (vec![], 5_003));
    // Ties on time are broken by node; a tombstone is a version like any other.
    let mut tomb = row(3, Hlc::new(1_000, 1, "ab"), "{}");
    tomb.deleted = true;
    assert_eq!(push(s.as_ref(), ann, vec![tomb], 0).0, [Applied]);
    let p = page(s.as_ref(), ann, 5_003, ALL);
    assert!(p.rows[0].deleted);
}

fn pulls_page_by_rows_and_bytes_and_keep_the_text(db: &Db) {
    let s = db.open();
    s.add_user("ann", "h").unwrap();
    let ann = user_id(s.as_ref(), "ann");
    let text = r#"{ "notes" : "x\"y\u0000é",  "odometer": 1.50e3 }"#;
    let rows: Vec<_> = (0..10)
        .map(|n| row(n, Hlc::new(1_000, n as u32, "aa"), text))
        .collect();
    push(s.as_ref(), ann, rows, 0);
    let p = page(
        s.as_ref(),
        ann,
        0,
        PageLimits {
            rows: 4,
            bytes: 1 << 20,
        },
    );
    assert_eq!((p.rows.len(), p.has_more), (4, true));
    assert!(
        p.rows.iter().all(|r| r.data == text),
        "stored text sent back exactly"
    );
    let p2 = page(
        s.as_ref(),
        ann,
        p.cursor,
        PageLimits {
            rows: 100,
            bytes: 1 << 20,
        },
    );
    assert_eq!((p2.rows.len(), p2.has_more), (6, false));
    assert!(p2.rows[0].seq > p.cursor);
    // A byte limit smaller than one row still yields one row per page.
    let mut cursor = 0;
    let mut pages = 0;
    loop {
        let p = page(
            s.as_ref(),
            ann,
            cursor,
            PageLimits {
                rows: 100,
                bytes: 10,
            },
        );
        assert_eq!(p.rows.len(), 1);
        pages += 1;
        cursor = p.cursor;
        if !p.has_more {
            break;
        }
    }
    assert_eq!(pages, 10);
    let one = page(s.as_ref(), ann, 0, ALL).rows[0].json_len();
    let p = page(
        s.as_ref(),
        ann,
        0,
        PageLimits {
            rows: 100,
            bytes: 3 * (one + 1),
        },
    );
    assert_eq!((p.rows.len(), p.has_more), (3, true));
    // Caught up: no rows, same cursor.
    let end = page(s.as_ref(), ann, cursor, ALL);
    assert_eq!(
        (end.rows.len(), end.cursor, end.has_more),
        (0, cursor, false)
    );
}

/// `pull_begin` (the HTTP handler's path: part of the page on the async worker, the rest
/// as a continuation) returns exactly the page `pull` does, for every split and limit,
/// and a continuation never run leaves the storage usable.
fn a_pull_begun_inline_and_finished_later_is_the_same_page(db: &Db) {
    use glovebox_server::storage::PullStep;
    let s = db.open();
    s.add_user("ann", "h").unwrap();
    let ann = user_id(s.as_ref(), "ann");
    let rows: Vec<_> = (0..30)
        .map(|n| {
            row(
                n,
                Hlc::new(1_000, n as u32, "aa"),
                r#"{"notes":"some text"}"#,
            )
        })
        .collect();
    push(s.as_ref(), ann, rows, 0);
    let one = page(s.as_ref(), ann, 0, ALL).rows[0].json_len() + 1;
    for limits in [
        ALL,
        PageLimits {
            rows: 7,
            bytes: 1 << 20,
        },
        PageLimits {
            rows: 100,
            bytes: 5 * one,
        },
        PageLimits {
            rows: 100,
            bytes: 10,
        },
    ] {
        for since in [0, 3, 29, 30] {
            let want = s.pull(ann, since, limits).unwrap();
            for inline in [1, 2, 5, 7, 100] {
                let got = match s.pull_begin(ann, since, limits, inline).unwrap() {
                    PullStep::Done(p) => p,
                    PullStep::More(rest) => rest().unwrap(),
                };
                assert_eq!(got, want, "since {since}, inline {inline}, {limits:?}");
            }
        }
    }
    assert!(matches!(
        s.pull_begin(ann, 31, ALL, 1).unwrap(),
        PullStep::Done(Pull::CursorAhead { .. })
    ));
    for _ in 0..3 {
        // Dropped unfinished: its read transaction ends, writes still go through.
        drop(s.pull_begin(ann, 0, ALL, 1).unwrap());
    }
    push(
        s.as_ref(),
        ann,
        vec![row(99, Hlc::new(2_000, 0, "aa"), "{}")],
        0,
    );
    assert_eq!(page(s.as_ref(), ann, 0, ALL).rows.len(), 31);
}

/// A push that must be stored (`known` 0: the device holds no number).
fn push(s: &dyn Storage, user: i64, rows: Vec<PushRow>, floor: u64) -> (Vec<RowOutcome>, u64) {
    s.push(user, rows, floor, 0)
        .expect("push")
        .stored()
        .expect("stored")
}

fn cursors_never_issued_are_ahead(db: &Db) {
    let s = db.open();
    s.add_user("ann", "h").unwrap();
    let ann = user_id(s.as_ref(), "ann");
    push(s.as_ref(), ann, vec![row(1, Hlc::new(1, 0, "aa"), "{}")], 0);
    // A "restart" with a floor far above: the jump is recorded as a gap.
    let (_, seq) = push(
        s.as_ref(),
        ann,
        vec![row(2, Hlc::new(2, 0, "aa"), "{}")],
        1_000,
    );
    assert_eq!(seq, 1_000);
    for since in [2, 500, 999, 1_001, u64::MAX] {
        assert!(
            matches!(s.pull(ann, since, ALL).unwrap(), Pull::CursorAhead { .. }),
            "since {since}"
        );
    }
    for since in [0, 1, 1_000] {
        page(s.as_ref(), ann, since, ALL);
    }
    // The gaps belong to the database: another instance sees them.
    let other = db.open();
    assert!(matches!(
        other.pull(ann, 500, ALL).unwrap(),
        Pull::CursorAhead { .. }
    ));
}

fn a_push_knowing_a_number_never_issued_stores_nothing(db: &Db) {
    let s = db.open();
    s.add_user("ann", "h").unwrap();
    let ann = user_id(s.as_ref(), "ann");
    push(s.as_ref(), ann, vec![row(1, Hlc::new(1, 0, "aa"), "{}")], 0);
    // A restart with a floor far above records the gap (1, 1000).
    push(
        s.as_ref(),
        ann,
        vec![row(2, Hlc::new(2, 0, "aa"), "{}")],
        1_000,
    );
    let late = || vec![row(3, Hlc::new(3, 0, "aa"), "{}")];
    for known in [2, 500, 999, 1_001, u64::MAX] {
        assert_eq!(
            s.push(ann, late(), 0, known).unwrap(),
            Pushed::CursorAhead { known, seq: 1_000 },
            "known {known}"
        );
    }
    // Nothing of the refused batches was stored or numbered.
    let p = page(s.as_ref(), ann, 0, ALL);
    assert_eq!((p.rows.len(), p.cursor), (2, 1_000));
    // Numbers this database did issue (and none at all) let the batch through.
    for known in [0, 1, 1_000] {
        assert!(s.push(ann, late(), 0, known).unwrap().stored().is_some());
    }
    assert_eq!(page(s.as_ref(), ann, 0, ALL).cursor, 1_001);
    // Another instance (another server process) applies the same test.
    let other = db.open();
    assert!(matches!(
        other.push(ann, late(), 0, 1_500).unwrap(),
        Pushed::CursorAhead { .. }
    ));
}

fn accounts_are_isolated_and_removal_cascades(db: &Db) {
    let s = db.open();
    s.add_user("ann", "h").unwrap();
    s.add_user("bob", "h").unwrap();
    let (ann, bob) = (user_id(s.as_ref(), "ann"), user_id(s.as_ref(), "bob"));
    let same = row(1, Hlc::new(1, 0, "aa"), "{\"who\":\"ann\"}");
    push(s.as_ref(), ann, vec![same.clone()], 0);
    let mut bobs = same.clone();
    bobs.hlc = Hlc::new(2, 0, "bb");
    bobs.data = "{\"who\":\"bob\"}".into();
    assert_eq!(
        push(s.as_ref(), bob, vec![bobs], 0).0,
        [RowOutcome::Applied]
    );
    assert_eq!(
        page(s.as_ref(), ann, 0, ALL).rows[0].data,
        "{\"who\":\"ann\"}"
    );
    assert_eq!(
        page(s.as_ref(), bob, 0, ALL).rows[0].data,
        "{\"who\":\"bob\"}"
    );
    s.add_device(ann, "d", "tok-ann").unwrap();
    let epoch = s.authenticate("tok-ann").unwrap().unwrap().account_epoch;
    assert_eq!(s.user("ann").unwrap().unwrap().rows, 1);
    s.remove_user("ann").unwrap();
    assert!(s.authenticate("tok-ann").unwrap().is_none());
    assert!(matches!(
        s.remove_user("ann"),
        Err(StorageError::NoSuchUser(_))
    ));
    s.add_user("ann", "h").unwrap();
    let ann2 = user_id(s.as_ref(), "ann");
    assert!(
        page(s.as_ref(), ann2, 0, ALL).rows.is_empty(),
        "rows went with the account"
    );
    s.add_device(ann2, "d", "tok-ann-2").unwrap();
    let epoch2 = s.authenticate("tok-ann-2").unwrap().unwrap().account_epoch;
    assert_ne!(epoch, epoch2, "a re-created account has a new epoch");
    assert_eq!(page(s.as_ref(), bob, 0, ALL).rows.len(), 1);
}

/// Pushes of one user from several instances (processes, for PostgreSQL) race and commit
/// in whatever order the database lets them — batches of different sizes, started in one
/// order, finishing in another — while pullers follow the cursor. Every puller must end
/// with every row exactly once: a row committed with a lower number after a puller moved
/// past it would be skipped for good.
fn concurrent_pushes_from_several_instances_are_never_skipped_by_a_puller(db: &Db) {
    let instances: Vec<Arc<dyn Storage>> = match db {
        Db::Sqlite(_) => vec![db.open()],
        Db::Postgres(_) => (0..3).map(|_| db.open()).collect(),
    };
    instances[0].add_user("ann", "h").unwrap();
    let ann = user_id(instances[0].as_ref(), "ann");
    let writers = 6u64;
    let batches = 15u64;
    let done = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut threads = Vec::new();
    for w in 0..writers {
        let s = instances[w as usize % instances.len()].clone();
        let done = done.clone();
        threads.push(std::thread::spawn(move || {
            let mut n = 0u64;
            for b in 0..batches {
                let size = 1 + (w * 7 + b * 3) % 12;
                let rows: Vec<_> = (0..size)
                    .map(|_| {
                        n += 1;
                        row(w * 10_000 + n, Hlc::new(1_000 + n, 0, "aa"), "{}")
                    })
                    .collect();
                push(s.as_ref(), ann, rows, 0);
            }
            done.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            n
        }));
    }
    let mut pullers = Vec::new();
    for p in 0..2 {
        let s = instances[p % instances.len()].clone();
        let done = done.clone();
        pullers.push(std::thread::spawn(move || {
            let mut seen: BTreeMap<String, u64> = BTreeMap::new();
            let mut cursor = 0;
            loop {
                let finished = done.load(std::sync::atomic::Ordering::SeqCst) == writers as usize;
                let limits = PageLimits {
                    rows: 7,
                    bytes: 1 << 20,
                };
                let Pull::Page(page) = s.pull(ann, cursor, limits).expect("pull") else {
                    panic!("cursor {cursor} refused");
                };
                for r in &page.rows {
                    assert!(r.seq > cursor, "sequence order");
                    *seen.entry(r.id.clone()).or_default() += 1;
                }
                cursor = page.cursor;
                if finished && !page.has_more {
                    return seen;
                }
            }
        }));
    }
    let total: u64 = threads.into_iter().map(|t| t.join().expect("writer")).sum();
    for p in pullers {
        let seen = p.join().expect("puller");
        assert_eq!(seen.len() as u64, total, "every row reached every puller");
        assert!(seen.values().all(|c| *c == 1), "each exactly once");
    }
    let all = page(instances[0].as_ref(), ann, 0, ALL);
    let seqs: BTreeSet<u64> = all.rows.iter().map(|r| r.seq).collect();
    assert_eq!(seqs.len() as u64, total, "numbers are unique");
}
