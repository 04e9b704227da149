//! Glovebox desktop shell: opens the garage in the app-data directory, exposes the core
//! through one-line commands, forwards change events to the UI, and logs to a file.

mod commands;
mod error;
mod files;
mod notify;
mod state;

use std::sync::{Arc, Mutex};
use std::time::Instant;

use glovebox_core::Garage;
use tauri::{Emitter, Manager};

pub use error::{CmdResult, CommandError};
pub use state::AppState;

/// The UI listens for this to refresh what it shows after any write.
pub const RECORDS_CHANGED: &str = "records-changed";

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
    std::fs::create_dir_all(&data_dir)?;
    let db = data_dir.join("glovebox.db");
    tracing::info!(db = %db.display(), "opening garage");
    let garage = Arc::new(Garage::open(&db).map_err(|e| e.to_string())?);

    // Subscribes the report cache to change events and warms the overview and every
    // dashboard in the background, so the first screen is a cache hit.
    let reports = glovebox_core::reports::Reports::start(garage.clone(), Default::default())?;

    let handle = app.handle().clone();
    garage.subscribe(move |ev| {
        if let Err(e) = handle.emit(RECORDS_CHANGED, ev) {
            tracing::warn!("could not notify the UI of a change: {e}");
        }
    });
    notify::start(app.handle().clone(), garage.clone());
    app.manage(AppState { garage, reports });
    Ok(())
}

pub fn run() {
    let launch = Launch(Instant::now());
    tauri::Builder::default()
        .plugin(tauri_plugin_notification::init())
        .manage(launch)
        .setup(setup)
        .invoke_handler(tauri::generate_handler![
            garage_shown,
            commands::list_vehicles,
            commands::get_vehicle,
            commands::create_vehicle,
            commands::update_vehicle,
            commands::set_vehicle_archived,
            commands::current_odometer,
            commands::load_demo,
            commands::list_fuel,
            commands::add_fuel,
            commands::update_fuel,
            commands::list_service,
            commands::add_service,
            commands::update_service,
            commands::list_odometer,
            commands::add_odometer,
            commands::update_odometer,
            commands::garage_overview,
            commands::dashboard,
            commands::fuel_report,
            commands::list_reminders,
            commands::complete_reminder,
            commands::health,
            commands::add_reminder,
            commands::update_reminder,
            commands::delete_record,
            commands::restore_record,
            commands::vehicle_chart,
            files::save_download,
        ])
        .run(tauri::generate_context!("../tauri.conf.json"))
        .expect("error while running Glovebox");
}
