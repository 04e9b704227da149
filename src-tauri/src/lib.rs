//! Glovebox desktop shell: opens the `App` (garage, report cache, sync engine, reminder
//! notifier, watcher of other processes' writes) in the app-data directory, exposes it
//! through one-line commands, forwards its events to the UI, shows the notifications the
//! core decides on, and logs to a file.

mod commands;
mod error;
mod state;

use std::sync::Mutex;
use std::time::Instant;

use glovebox_core::app::{App, AppEvent, AppOptions};
use tauri::{Emitter, Manager};
use tauri_plugin_notification::NotificationExt;

pub use error::{CmdResult, CommandError};
pub use state::AppState;

/// The UI listens for this to refresh what it shows after any write (payload: `Changed`).
pub const RECORDS_CHANGED: &str = "records-changed";
/// The sync engine's status changed (payload: `SyncStatus`).
pub const SYNC_STATUS: &str = "sync-status";
/// An import's progress (payload: `Progress`).
pub const IMPORT_PROGRESS: &str = "import-progress";

/// When the process started, to measure launch-to-garage time (docs/BENCHMARKS.md).
struct Launch(Instant);

/// The UI calls this once the garage is on screen; the shell logs and returns the time
/// since launch in milliseconds. Not a core call: it measures the shell itself.
#[tauri::command]
fn garage_shown(launch: tauri::State<'_, Launch>) -> f64 {
    let ms = launch.0.elapsed().as_secs_f64() * 1000.0;
    tracing::info!(ms, "garage shown");
    ms
}

/// Logs go to `glovebox.log` in the app's log directory (or `<data dir>/logs` when the data
/// directory is overridden, so a test run keeps everything in its temp dir).
fn init_logging(dir: &std::path::Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("glovebox.log"))?;
    let filter = tracing_subscriber::EnvFilter::try_from_env("GLOVEBOX_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // try_init: a second init (tests) keeps the first subscriber instead of panicking.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(Mutex::new(file))
        .try_init();
    Ok(())
}

fn setup(app: &mut tauri::App) -> Result<(), Box<dyn std::error::Error>> {
    let overridden = std::env::var_os("GLOVEBOX_DATA_DIR").is_some();
    let data_dir = state::data_dir(app.path().app_data_dir().ok())?;
    let log_dir = if overridden {
        data_dir.join("logs")
    } else {
        app.path().app_log_dir()?
    };
    init_logging(&log_dir)?;
    tracing::info!(dir = %data_dir.display(), "opening Glovebox");
    let mut options = AppOptions::desktop();
    // For the GUI tests: sync this often (seconds) instead of every minute.
    if let Some(secs) = std::env::var("GLOVEBOX_SYNC_INTERVAL_SECS")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
    {
        options.sync_options.interval = std::time::Duration::from_secs(secs.max(1));
    }
    let glovebox = App::open_dir(&data_dir, options).map_err(|e| e.to_string())?;

    let handle = app.handle().clone();
    glovebox.subscribe(move |ev| {
        let sent = match ev {
            AppEvent::Changed(c) => handle.emit(RECORDS_CHANGED, c),
            AppEvent::Sync(s) => handle.emit(SYNC_STATUS, s),
            AppEvent::Import(p) => handle.emit(IMPORT_PROGRESS, p),
            AppEvent::Notify(n) => {
                if let Err(e) = handle
                    .notification()
                    .builder()
                    .title(&n.title)
                    .body(&n.body)
                    .show()
                {
                    // No notification daemon (e.g. a headless test display): the core has
                    // recorded the level already, so this is not retried on every check.
                    tracing::warn!("could not show a notification: {e}");
                }
                Ok(())
            }
        };
        if let Err(e) = sent {
            tracing::warn!("could not notify the UI: {e}");
        }
    });
    app.manage(AppState { app: glovebox });
    Ok(())
}

/// Without a GPU render node WebKitGTK's GPU painting runs on Mesa's software rasteriser
/// (llvmpipe), which paints a tab switch about 1.4× slower than WebKit's own CPU painter
/// (docs/BENCHMARKS.md, Desktop): a VM, a remote desktop, a machine without GPU drivers.
/// A value the user set is kept either way.
#[cfg(target_os = "linux")]
fn prefer_cpu_painting_without_gpu() {
    const VAR: &str = "WEBKIT_SKIA_ENABLE_CPU_RENDERING";
    let has_render_node = std::fs::read_dir("/dev/dri")
        .map(|dir| {
            dir.flatten()
                .any(|e| e.file_name().to_string_lossy().starts_with("renderD"))
        })
        .unwrap_or(false);
    if std::env::var_os(VAR).is_none() && !has_render_node {
        // Set before Tauri starts WebKit or any other thread (set_var is not thread-safe).
        std::env::set_var(VAR, "1");
    }
}

pub fn run() {
    let launch = Launch(Instant::now());
    #[cfg(target_os = "linux")]
    prefer_cpu_painting_without_gpu();
    tauri::Builder::default()
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_dialog::init())
        .manage(launch)
        .setup(setup)
        .invoke_handler(tauri::generate_handler![
            garage_shown,
            commands::vehicles::list_vehicles,
            commands::vehicles::get_vehicle,
            commands::vehicles::create_vehicle,
            commands::vehicles::update_vehicle,
            commands::vehicles::set_vehicle_archived,
            commands::vehicles::current_odometer,
            commands::vehicles::load_demo,
            commands::records::add_fuel,
            commands::records::update_fuel,
            commands::records::service_log,
            commands::records::add_service,
            commands::records::update_service,
            commands::records::odometer_log,
            commands::records::add_odometer,
            commands::records::update_odometer,
            commands::records::list_reminders,
            commands::records::complete_reminder,
            commands::records::add_reminder,
            commands::records::update_reminder,
            commands::records::delete_record,
            commands::records::restore_record,
            commands::reports::garage_overview,
            commands::reports::dashboard,
            commands::reports::fuel_log,
            commands::reports::vehicle_chart,
            commands::reports::health,
            commands::sync::sync_settings,
            commands::sync::sync_status,
            commands::sync::sync_problems,
            commands::sync::sync_counts,
            commands::sync::sign_in,
            commands::sync::sign_out,
            commands::sync::sync_now,
            commands::files::export_records,
            commands::files::save_chart,
            commands::files::backup,
            commands::files::restore,
            commands::import::pick_import_file,
            commands::import::import_preview,
            commands::import::import_commit,
            commands::import::cancel_import,
        ])
        .run(tauri::generate_context!("../tauri.conf.json"))
        .expect("error while running Glovebox");
}
