//! Saving what the user exports (charts as SVG or PNG) into the Downloads directory. The
//! UI renders PNGs itself (the SVG drawn onto a canvas), so this only writes bytes.

use std::path::{Path, PathBuf};

use glovebox_core::{Error, ErrorPayload};
use tauri::Manager;

use crate::error::{CmdResult, CommandError};

/// Keeps a file name to letters, digits, '-', '_' and one known extension, so the UI can
/// never write outside the Downloads directory or create odd files.
pub fn safe_file_name(name: &str) -> Option<String> {
    let (stem, ext) = name.rsplit_once('.')?;
    if !matches!(ext, "svg" | "png") {
        return None;
    }
    let stem: String = stem
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
    (!stem.trim_matches('-').is_empty()).then(|| format!("{stem}.{ext}"))
}

/// A path in `dir` for `name` that does not overwrite an existing file.
fn unused_path(dir: &Path, name: &str) -> PathBuf {
    let first = dir.join(name);
    if !first.exists() {
        return first;
    }
    let (stem, ext) = name.rsplit_once('.').unwrap_or((name, ""));
    (2..)
        .map(|i| dir.join(format!("{stem}-{i}.{ext}")))
        .find(|p| !p.exists())
        .unwrap_or(first)
}

/// Writes `bytes` to the Downloads directory; returns the full path it wrote.
#[tauri::command(async)]
pub fn save_download(
    app: tauri::AppHandle,
    file_name: String,
    bytes: Vec<u8>,
) -> CmdResult<String> {
    let name = safe_file_name(&file_name).ok_or_else(|| {
        CommandError(ErrorPayload {
            code: "validation".into(),
            message: "a chart is saved as .svg or .png".into(),
            field: Some("file_name".into()),
        })
    })?;
    let dir = app
        .path()
        .download_dir()
        .or_else(|_| app.path().home_dir())
        .map_err(|e| CommandError::from(Error::Other(e.to_string())))?;
    std::fs::create_dir_all(&dir).map_err(|e| CommandError::from(Error::Io(e)))?;
    let path = unused_path(&dir, &name);
    std::fs::write(&path, bytes).map_err(|e| CommandError::from(Error::Io(e)))?;
    tracing::info!(path = %path.display(), "saved a chart");
    Ok(path.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_stay_inside_the_downloads_dir() {
        assert_eq!(
            safe_file_name("economy-Golf.svg").as_deref(),
            Some("economy-Golf.svg")
        );
        assert_eq!(
            safe_file_name("../../etc/passwd.png").as_deref(),
            Some("------etc-passwd.png")
        );
        assert_eq!(safe_file_name("chart.exe"), None);
        assert_eq!(safe_file_name("noext"), None);
        assert_eq!(safe_file_name("...svg"), None);
    }

    #[test]
    fn saving_twice_does_not_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.svg"), "x").unwrap();
        assert_eq!(unused_path(dir.path(), "a.svg"), dir.path().join("a-2.svg"));
        assert_eq!(unused_path(dir.path(), "b.svg"), dir.path().join("b.svg"));
    }
}
