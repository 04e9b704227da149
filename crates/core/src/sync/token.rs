//! Where a device token is kept: the OS keychain (the freedesktop Secret Service, through
//! the `keyring` crate) where one answers, else a file beside the database readable by its
//! owner only (`<database>.sync-token`, mode 0600). `local_meta` records which one holds
//! the token, so loading never probes a keychain that was not used, and local-only mode
//! never talks to one at all.
//!
//! `GLOVEBOX_TOKEN_STORE=file|keychain|auto` (default auto) picks one; `keychain` fails
//! instead of falling back. Keychain calls run on a helper thread with a deadline: a
//! session bus without a Secret Service (or one waiting for an unlock prompt) must not
//! hang a login or an app start.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::instance::write_atomic;
use crate::store::Store;

/// Which store holds this database's token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum TokenStore {
    /// The OS keychain (Secret Service).
    Keychain,
    /// `<database>.sync-token`, mode 0600.
    File,
}

impl TokenStore {
    pub fn label(self) -> &'static str {
        match self {
            TokenStore::Keychain => "the system keychain",
            TokenStore::File => "a private file beside the database",
        }
    }

    fn code(self) -> &'static str {
        match self {
            TokenStore::Keychain => "keychain",
            TokenStore::File => "file",
        }
    }
}

pub(crate) const META_TOKEN_STORE: &str = "sync.token_store";
#[cfg_attr(not(feature = "keychain"), allow(dead_code))]
const KEYCHAIN_SERVICE: &str = "glovebox-sync";
/// Long enough for a Secret Service to answer, short enough not to stall a login.
const KEYCHAIN_DEADLINE: Duration = Duration::from_secs(3);

/// The token file of the database at `db`.
pub(crate) fn file_path(db: &Path) -> PathBuf {
    let mut p = db.as_os_str().to_owned();
    p.push(".sync-token");
    PathBuf::from(p)
}

/// The keychain entry's account: the database's absolute path, so that two databases
/// (and a copy of one at another path) never share a token.
fn account(db: &Path) -> String {
    std::fs::canonicalize(db)
        .unwrap_or_else(|_| db.to_path_buf())
        .to_string_lossy()
        .into_owned()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Preference {
    Auto,
    File,
    Keychain,
}

fn preference() -> Preference {
    match std::env::var("GLOVEBOX_TOKEN_STORE").as_deref() {
        Ok("file") => Preference::File,
        Ok("keychain") => Preference::Keychain,
        _ => Preference::Auto,
    }
}

/// Which store holds the token of the database in `store`, if it is logged in.
pub(crate) fn kind(store: &Store) -> crate::Result<Option<TokenStore>> {
    Ok(match store.meta_get(META_TOKEN_STORE)?.as_deref() {
        Some("keychain") => Some(TokenStore::Keychain),
        Some("file") => Some(TokenStore::File),
        // Logged in before the store was recorded: the file.
        _ => file_path(store.path()).exists().then_some(TokenStore::File),
    })
}

/// Saves `token`, in the keychain when one answers; returns where.
pub(crate) fn save(store: &Store, token: &str) -> crate::Result<TokenStore> {
    let db = store.path();
    let pref = preference();
    let mut keychain_error = None;
    if pref != Preference::File {
        match keychain::set(&account(db), token) {
            Ok(()) => {
                remove_file(&file_path(db))?;
                store.meta_set(META_TOKEN_STORE, TokenStore::Keychain.code())?;
                return Ok(TokenStore::Keychain);
            }
            Err(e) => keychain_error = Some(e),
        }
    }
    if pref == Preference::Keychain {
        return Err(crate::Error::Other(format!(
            "GLOVEBOX_TOKEN_STORE=keychain, but the keychain did not take the token: {}",
            keychain_error.unwrap_or_default()
        )));
    }
    if let Some(e) = keychain_error {
        tracing::info!("no keychain ({e}); keeping the sync token in a private file");
    }
    write_atomic(&file_path(db), token.as_bytes(), true)?;
    store.meta_set(META_TOKEN_STORE, TokenStore::File.code())?;
    Ok(TokenStore::File)
}

/// The saved token, or `None` when there is none.
pub(crate) fn load(store: &Store) -> crate::Result<Option<String>> {
    match kind(store)? {
        None => Ok(None),
        Some(TokenStore::File) => match std::fs::read_to_string(file_path(store.path())) {
            Ok(t) => Ok(Some(t.trim().to_owned()).filter(|t| !t.is_empty())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        },
        Some(TokenStore::Keychain) => keychain::get(&account(store.path())).map_err(|e| {
            crate::Error::Other(format!("the keychain did not give the sync token: {e}"))
        }),
    }
}

/// Forgets the token wherever it is.
pub(crate) fn delete(store: &Store) -> crate::Result<()> {
    if kind(store)? == Some(TokenStore::Keychain) {
        if let Err(e) = keychain::delete(&account(store.path())) {
            tracing::warn!("could not remove the sync token from the keychain: {e}");
        }
    }
    remove_file(&file_path(store.path()))?;
    store.write("sync.token_forget", |tx| {
        tx.prepare_cached("DELETE FROM local_meta WHERE key = ?1")?
            .execute([META_TOKEN_STORE])?;
        Ok(())
    })
}

fn remove_file(p: &Path) -> crate::Result<()> {
    match std::fs::remove_file(p) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Runs a keychain call on its own thread and gives up after the deadline.
#[cfg_attr(not(feature = "keychain"), allow(dead_code))]
fn with_deadline<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, String> + Send + 'static,
) -> Result<T, String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("glovebox-keychain".into())
        .spawn(move || {
            let _ = tx.send(f());
        })
        .map_err(|e| e.to_string())?;
    rx.recv_timeout(KEYCHAIN_DEADLINE)
        .map_err(|_| format!("no answer within {} s", KEYCHAIN_DEADLINE.as_secs()))?
}

#[cfg(feature = "keychain")]
mod keychain {
    use super::{with_deadline, KEYCHAIN_SERVICE};

    fn entry(account: &str) -> Result<keyring::Entry, String> {
        keyring::Entry::new(KEYCHAIN_SERVICE, account).map_err(|e| e.to_string())
    }

    pub(super) fn set(account: &str, token: &str) -> Result<(), String> {
        let (account, token) = (account.to_owned(), token.to_owned());
        with_deadline(move || {
            let e = entry(&account)?;
            e.set_password(&token).map_err(|e| e.to_string())?;
            // Read it back: some keychains accept a write they do not keep.
            match e.get_password() {
                Ok(t) if t == token => Ok(()),
                Ok(_) => Err("the keychain gave back another token".into()),
                Err(e) => Err(e.to_string()),
            }
        })
    }

    pub(super) fn get(account: &str) -> Result<Option<String>, String> {
        let account = account.to_owned();
        with_deadline(move || match entry(&account)?.get_password() {
            Ok(t) => Ok(Some(t)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(e.to_string()),
        })
    }

    pub(super) fn delete(account: &str) -> Result<(), String> {
        let account = account.to_owned();
        with_deadline(move || match entry(&account)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(e.to_string()),
        })
    }
}

#[cfg(not(feature = "keychain"))]
mod keychain {
    const NONE: &str = "this build has no keychain support";

    pub(super) fn set(_account: &str, _token: &str) -> Result<(), String> {
        Err(NONE.into())
    }

    pub(super) fn get(_account: &str) -> Result<Option<String>, String> {
        Err(NONE.into())
    }

    pub(super) fn delete(_account: &str) -> Result<(), String> {
        Ok(())
    }
}
