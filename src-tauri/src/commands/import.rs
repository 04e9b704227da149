//! The import wizard: pick a file (native dialog, or a file dropped on the window),
//! preview it with the user's choices until nothing is missing, then commit with progress
//! (the "import-progress" event) and cancel.

use std::path::PathBuf;

use glovebox_core::import::{ImportOptions, ImportReport};
use tauri::State;

use super::files::{ask_open, Ask};
use crate::error::CmdResult;
use crate::state::AppState;

/// The file to import, or `None` if the user cancelled the dialog.
#[tauri::command(async)]
pub fn pick_import_file(app: tauri::AppHandle) -> Option<String> {
    ask_open(
        &app,
        Ask {
            title: "Import from LubeLogger, Fuelly, Fuelio, Drivvo or Hammond",
            file_name: "",
            filter: ("Exports", &["csv", "zip", "db", "txt"]),
        },
    )
    .map(|p| p.display().to_string())
}

#[tauri::command(async)]
pub fn import_preview(
    st: State<'_, AppState>,
    path: String,
    options: ImportOptions,
) -> CmdResult<ImportReport> {
    Ok(st.app.import_preview(&PathBuf::from(path), &options)?)
}

#[tauri::command(async)]
pub fn import_commit(
    st: State<'_, AppState>,
    path: String,
    options: ImportOptions,
) -> CmdResult<ImportReport> {
    Ok(st.app.import_commit(&PathBuf::from(path), &options)?)
}

/// Stops the running import; it then fails with code "cancelled" and writes nothing.
#[tauri::command(async)]
pub fn cancel_import(st: State<'_, AppState>) -> bool {
    st.app.cancel_import()
}
