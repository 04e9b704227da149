//! Schema migrations: numbered .sql files in migrations/, embedded at build time, each
//! applied in one IMMEDIATE transaction together with its PRAGMA user_version bump.

use rusqlite::{Connection, TransactionBehavior};

use crate::error::{Error, Result};

include!(concat!(env!("OUT_DIR"), "/migrations.rs"));

/// The newest schema this build knows: the last migration's number.
pub const SUPPORTED_SCHEMA_VERSION: i64 = latest(MIGRATIONS);

const fn latest(migrations: &[(i64, &str, &str)]) -> i64 {
    match migrations.last() {
        Some(m) => m.0,
        None => 0,
    }
}

pub fn schema_version(conn: &Connection) -> Result<i64> {
    Ok(conn.pragma_query_value(None, "user_version", |r| r.get(0))?)
}

pub(super) fn refuse_newer(conn: &Connection) -> Result<()> {
    let found = schema_version(conn)?;
    if found > SUPPORTED_SCHEMA_VERSION {
        return Err(Error::SchemaTooNew {
            found,
            supported: SUPPORTED_SCHEMA_VERSION,
        });
    }
    Ok(())
}

pub(super) fn migrate(conn: &mut Connection) -> Result<()> {
    apply(conn, MIGRATIONS)
}

fn apply(conn: &mut Connection, migrations: &[(i64, &str, &str)]) -> Result<()> {
    for &(version, name, sql) in migrations {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        // Re-read inside the transaction: another process may have migrated meanwhile.
        let current = schema_version(&tx)?;
        if current > latest(migrations) {
            return Err(Error::SchemaTooNew {
                found: current,
                supported: latest(migrations),
            });
        }
        if current >= version {
            continue;
        }
        tracing::info!(version, name, "applying migration");
        tx.execute_batch(sql)
            .map_err(|source| Error::Migration { version, source })?;
        tx.pragma_update(None, "user_version", version)
            .map_err(|source| Error::Migration { version, source })?;
        tx.commit()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_numbered_in_order_each_once() {
        assert_eq!(MIGRATIONS[0].0, 1);
        for w in MIGRATIONS.windows(2) {
            assert!(w[1].0 > w[0].0, "{} after {}", w[1].1, w[0].1);
        }
        assert_eq!(SUPPORTED_SCHEMA_VERSION, MIGRATIONS.last().unwrap().0);
    }

    #[test]
    fn an_older_database_is_upgraded_in_place_keeping_its_data() {
        let mut conn = Connection::open_in_memory().unwrap();
        let v1: &[(i64, &str, &str)] = &[(1, "0001_a.sql", "CREATE TABLE a (x INTEGER);")];
        apply(&mut conn, v1).unwrap();
        conn.execute("INSERT INTO a VALUES (42)", []).unwrap();
        let v2: &[(i64, &str, &str)] = &[
            v1[0],
            (
                2,
                "0002_b.sql",
                "ALTER TABLE a ADD COLUMN y TEXT NOT NULL DEFAULT 'new';",
            ),
        ];
        apply(&mut conn, v2).unwrap();
        assert_eq!(schema_version(&conn).unwrap(), 2);
        let row: (i64, String) = conn
            .query_row("SELECT x, y FROM a", [], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap();
        assert_eq!(row, (42, "new".to_owned()));
        // Re-applying is a no-op.
        apply(&mut conn, v2).unwrap();
        assert_eq!(schema_version(&conn).unwrap(), 2);
    }

    #[test]
    fn a_failing_migration_leaves_the_previous_version_intact() {
        let mut conn = Connection::open_in_memory().unwrap();
        let steps: &[(i64, &str, &str)] = &[
            (1, "0001_a.sql", "CREATE TABLE a (x INTEGER);"),
            (
                2,
                "0002_b.sql",
                "CREATE TABLE b (x INTEGER); INSERT INTO nowhere VALUES (1);",
            ),
        ];
        let err = apply(&mut conn, steps).unwrap_err();
        assert!(matches!(err, Error::Migration { version: 2, .. }), "{err}");
        assert_eq!(schema_version(&conn).unwrap(), 1);
        let b_exists: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name = 'b'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(b_exists, 0, "the failed migration's table was rolled back");
    }
}
