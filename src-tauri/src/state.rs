//! What the shell keeps between commands, and where it lives on disk.

use std::path::PathBuf;
use std::sync::Arc;

use glovebox_core::app::App;
use glovebox_core::Garage;

pub struct AppState {
    /// The running Glovebox: garage, report cache, sync engine, notifier, watcher.
    pub app: Arc<App>,
}

impl AppState {
    pub fn garage(&self) -> &Garage {
        self.app.garage()
    }
}

/// The data directory: `GLOVEBOX_DATA_DIR` when set (tests, portable installs), otherwise
/// the OS app-data directory Tauri resolves from the bundle identifier.
pub fn data_dir(os_default: Option<PathBuf>) -> Result<PathBuf, String> {
    match std::env::var_os("GLOVEBOX_DATA_DIR").filter(|v| !v.is_empty()) {
        Some(dir) => Ok(PathBuf::from(dir)),
        None => os_default.ok_or_else(|| "no app-data directory on this system".to_owned()),
    }
}
