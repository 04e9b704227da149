//! Files the user picks: CSV and .ics exports, charts (SVG/PNG), backup and restore — each
//! through the native save/open dialog (tauri-plugin-dialog), then one call into the core.
//!
//! **Test override.** Native dialogs cannot be driven by WebDriver. When the environment
//! variable `GLOVEBOX_DIALOG_ANSWERS` names a file, no dialog opens: its first line is
//! taken as the path the user chose (an empty file, or `cancel`, means the user
//! cancelled). The GUI tests write that file before clicking. The app itself always uses
//! the real plugin: the variable is unset outside the tests.

use std::path::PathBuf;

use glovebox_core::app::Restored;
use glovebox_core::export::CsvKind;
use glovebox_core::{Error, ErrorPayload};
use serde::{Deserialize, Serialize};
use tauri::State;
use tauri_plugin_dialog::DialogExt;

use crate::error::{CmdResult, CommandError};
use crate::state::AppState;

pub const DIALOG_ANSWERS_ENV: &str = "GLOVEBOX_DIALOG_ANSWERS";

/// What a file dialog is for: its title, suggested name and filter.
pub struct Ask<'a> {
    pub title: &'a str,
    pub file_name: &'a str,
    pub filter: (&'a str, &'a [&'a str]),
}

fn answer_override() -> Option<Option<PathBuf>> {
    let file = std::env::var_os(DIALOG_ANSWERS_ENV).filter(|v| !v.is_empty())?;
    let text = std::fs::read_to_string(&file).unwrap_or_default();
    let line = text.lines().next().unwrap_or("").trim();
    Some((!line.is_empty() && line != "cancel").then(|| PathBuf::from(line)))
}

/// The path the user chose to save to, or `None` if they cancelled.
pub fn ask_save(app: &tauri::AppHandle, ask: Ask<'_>) -> Option<PathBuf> {
    if let Some(answer) = answer_override() {
        return answer;
    }
    app.dialog()
        .file()
        .set_title(ask.title)
        .set_file_name(ask.file_name)
        .add_filter(ask.filter.0, ask.filter.1)
        .blocking_save_file()
        .and_then(|p| p.into_path().ok())
}

/// The file the user chose to open, or `None` if they cancelled.
pub fn ask_open(app: &tauri::AppHandle, ask: Ask<'_>) -> Option<PathBuf> {
    if let Some(answer) = answer_override() {
        return answer;
    }
    app.dialog()
        .file()
        .set_title(ask.title)
        .add_filter(ask.filter.0, ask.filter.1)
        .blocking_pick_file()
        .and_then(|p| p.into_path().ok())
}

/// A suggested file name: letters, digits, '-' and '_' only.
pub fn safe_stem(name: &str) -> String {
    let stem: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .take(80)
        .collect();
    let stem = stem.trim_matches('-');
    if stem.is_empty() {
        "glovebox".into()
    } else {
        stem.to_owned()
    }
}

/// A file written: where, and how many rows or records.
#[derive(Debug, Clone, Serialize)]
pub struct Saved {
    pub path: String,
    pub count: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportKind {
    Fuel,
    Service,
    Odometer,
    RemindersIcs,
}

/// Exports one vehicle's records (CSV) or reminders (.ics) to a file the user picks.
#[tauri::command(async)]
pub fn export_records(
    app: tauri::AppHandle,
    st: State<'_, AppState>,
    vehicle_id: String,
    kind: ExportKind,
) -> CmdResult<Option<Saved>> {
    let v = st.garage().vehicle(&vehicle_id)?;
    let (what, ext, filter) = match kind {
        ExportKind::Fuel => ("fuel", "csv", "CSV"),
        ExportKind::Service => ("service", "csv", "CSV"),
        ExportKind::Odometer => ("odometer", "csv", "CSV"),
        ExportKind::RemindersIcs => ("reminders", "ics", "iCalendar"),
    };
    let name = format!("{}-{what}.{ext}", safe_stem(&v.name));
    let Some(path) = ask_save(
        &app,
        Ask {
            title: "Export",
            file_name: &name,
            filter: (filter, &[ext]),
        },
    ) else {
        return Ok(None);
    };
    let count = match kind {
        ExportKind::Fuel => st.app.export_csv(&v.id, CsvKind::Fuel, &path)?,
        ExportKind::Service => st.app.export_csv(&v.id, CsvKind::Service, &path)?,
        ExportKind::Odometer => st.app.export_csv(&v.id, CsvKind::Odometer, &path)?,
        ExportKind::RemindersIcs => st.app.export_ics(Some(&v.id), &path)?,
    };
    tracing::info!(path = %path.display(), count, "exported");
    Ok(Some(Saved {
        path: path.display().to_string(),
        count,
    }))
}

/// Saves a chart the UI rendered (SVG as drawn by the core, or PNG rasterised from it).
#[tauri::command(async)]
pub fn save_chart(
    app: tauri::AppHandle,
    file_name: String,
    bytes: Vec<u8>,
) -> CmdResult<Option<String>> {
    let (stem, ext) = file_name.rsplit_once('.').unwrap_or((&file_name, ""));
    if !matches!(ext, "svg" | "png") {
        return Err(CommandError(ErrorPayload {
            code: "validation".into(),
            message: "a chart is saved as .svg or .png".into(),
            field: Some("file_name".into()),
        }));
    }
    let name = format!("{}.{ext}", safe_stem(stem));
    let filter = if ext == "svg" {
        "SVG image"
    } else {
        "PNG image"
    };
    let Some(path) = ask_save(
        &app,
        Ask {
            title: "Save chart",
            file_name: &name,
            filter: (filter, &[ext]),
        },
    ) else {
        return Ok(None);
    };
    std::fs::write(&path, bytes).map_err(|e| CommandError::from(Error::Io(e)))?;
    tracing::info!(path = %path.display(), "saved a chart");
    Ok(Some(path.display().to_string()))
}

/// Settings → Backup: the whole database to a file the user picks.
#[tauri::command(async)]
pub fn backup(app: tauri::AppHandle, st: State<'_, AppState>) -> CmdResult<Option<Saved>> {
    let name = format!(
        "glovebox-backup-{}.json",
        st.garage().now().format("%Y-%m-%d")
    );
    let Some(path) = ask_save(
        &app,
        Ask {
            title: "Back up Glovebox",
            file_name: &name,
            filter: ("Glovebox backup", &["json"]),
        },
    ) else {
        return Ok(None);
    };
    let count = st.app.backup_to(&path)?;
    tracing::info!(path = %path.display(), count, "backed up");
    Ok(Some(Saved {
        path: path.display().to_string(),
        count,
    }))
}

#[derive(Debug, Clone, Serialize)]
pub struct RestoredFrom {
    pub path: String,
    pub restored: Restored,
}

/// Settings → Backup: restore a backup into this (empty) garage, or refuse saying why.
#[tauri::command(async)]
pub fn restore(app: tauri::AppHandle, st: State<'_, AppState>) -> CmdResult<Option<RestoredFrom>> {
    let Some(path) = ask_open(
        &app,
        Ask {
            title: "Restore a Glovebox backup",
            file_name: "",
            filter: ("Glovebox backup", &["json"]),
        },
    ) else {
        return Ok(None);
    };
    let restored = st.app.restore_from(&path)?;
    tracing::info!(path = %path.display(), "restored");
    Ok(Some(RestoredFrom {
        path: path.display().to_string(),
        restored,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggested_names_are_plain() {
        assert_eq!(safe_stem("economy-Golf"), "economy-Golf");
        assert_eq!(safe_stem("../../etc/passwd"), "etc-passwd");
        assert_eq!(safe_stem("..."), "glovebox");
        assert_eq!(safe_stem("Family Golf"), "Family-Golf");
    }
}
