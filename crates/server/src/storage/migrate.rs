//! Versioned schema migrations, embedded at build time from
//! crates/server/migrations/{sqlite,postgres}/NNNN_name.sql and applied at start, each in
//! one transaction with its version bump. A database with a newer version than this
//! build knows is refused: an older server must not write into a newer schema.

/// One numbered migration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

macro_rules! migrations {
    ($dir:literal: $($version:literal $name:literal),* $(,)?) => {
        &[$(Migration {
            version: $version,
            name: $name,
            sql: include_str!(concat!("../../migrations/", $dir, "/", $name)),
        }),*]
    };
}

pub const SQLITE: &[Migration] = migrations!("sqlite":
    1 "0001_initial.sql",
    2 "0002_epochs_and_gaps.sql",
);

pub const POSTGRES: &[Migration] = migrations!("postgres":
    1 "0001_initial.sql",
);

#[derive(Debug, thiserror::Error)]
pub enum MigrationError {
    #[error(
        "the server database has schema version {found}, newer than this glovebox-server \
         knows ({supported}); run the newer glovebox-server that wrote it"
    )]
    TooNew { found: i64, supported: i64 },
    #[error("schema migration {name} failed: {message}")]
    Failed { name: &'static str, message: String },
}

/// The newest version in `list`.
pub fn latest(list: &[Migration]) -> i64 {
    list.last().map_or(0, |m| m.version)
}

/// The migrations still to apply to a database at `current`, or `TooNew`.
pub fn pending(
    list: &'static [Migration],
    current: i64,
) -> Result<&'static [Migration], MigrationError> {
    let supported = latest(list);
    if current > supported {
        return Err(MigrationError::TooNew {
            found: current,
            supported,
        });
    }
    let from = list.partition_point(|m| m.version <= current);
    Ok(&list[from..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_list(dir: &str, list: &[Migration]) {
        for (i, m) in list.iter().enumerate() {
            assert_eq!(m.version, i as i64 + 1, "{}", m.name);
            assert!(
                m.name.starts_with(&format!("{:04}_", m.version)),
                "{}",
                m.name
            );
        }
        // Every file in the directory is listed (a forgotten file would never run).
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("migrations")
            .join(dir);
        let mut files: Vec<String> = std::fs::read_dir(path)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".sql"))
            .collect();
        files.sort();
        let listed: Vec<&str> = list.iter().map(|m| m.name).collect();
        assert_eq!(files, listed);
    }

    #[test]
    fn migrations_are_numbered_and_all_listed() {
        check_list("sqlite", SQLITE);
        check_list("postgres", POSTGRES);
    }

    #[test]
    fn pending_refuses_newer_databases() {
        assert_eq!(pending(SQLITE, 0).unwrap().len(), SQLITE.len());
        assert!(pending(SQLITE, latest(SQLITE)).unwrap().is_empty());
        assert!(matches!(
            pending(SQLITE, latest(SQLITE) + 1),
            Err(MigrationError::TooNew { .. })
        ));
    }
}
