//! The `glovebox` command line. `run` is the whole program, so the cross-crate tests call
//! it directly with arguments and a buffer for its output.

mod commands;

use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "glovebox",
    version,
    about = "Glovebox: your vehicles' records, offline"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Fill a database with the demo garage and print a summary of each vehicle.
    Demo(commands::demo::DemoArgs),
    /// Generate a deterministic dataset (demo, small, medium or fleet) for benchmarks.
    Generate(commands::generate::GenerateArgs),
    /// Run every report cold and warm, then print cache and query health.
    Stats(commands::stats::StatsArgs),
    /// Import a LubeLogger, Fuelly, Fuelio or Drivvo export (preview with --dry-run).
    Import(commands::import::ImportArgs),
    /// Export one vehicle's records as LubeLogger-compatible CSV, or reminders as .ics.
    Export(commands::export::ExportArgs),
    /// Write a full JSON backup of the database.
    Backup(commands::backup::BackupArgs),
    /// Restore a JSON backup into an empty database.
    Restore(commands::backup::BackupArgs),
    /// Sync with a Glovebox server: login, now, status, logout.
    Sync(commands::sync::SyncArgs),
    /// A vehicle's dashboard (--vehicle NAME) or the garage overview.
    Report(commands::report::ReportArgs),
    /// Add, list or change vehicles (with their units and currency).
    Vehicle(commands::vehicle::VehicleArgs),
}

/// Opens the database the way every front end does (`App`), with nothing running in the
/// background: one command, then exit.
pub fn open_app(db: Option<PathBuf>) -> anyhow::Result<std::sync::Arc<glovebox_core::app::App>> {
    use anyhow::Context;
    let path = db.unwrap_or_else(default_db_path);
    glovebox_core::app::App::open_db(&path, glovebox_core::app::AppOptions::command_line())
        .with_context(|| format!("opening {}", path.display()))
}

/// Where the database lives unless `--db` says otherwise.
pub fn default_db_path() -> PathBuf {
    std::env::var_os("GLOVEBOX_DB")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("glovebox.db"))
}

/// Parses `args` (including the program name) and runs the command, writing to `out`.
pub fn run<I, T>(args: I, out: &mut dyn Write) -> anyhow::Result<()>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = Cli::try_parse_from(args)?;
    match cli.command {
        Command::Demo(a) => commands::demo::run(a, out),
        Command::Generate(a) => commands::generate::run(a, out),
        Command::Stats(a) => commands::stats::run(a, out),
        Command::Import(a) => commands::import::run(a, out),
        Command::Export(a) => commands::export::run(a, out),
        Command::Backup(a) => commands::backup::run_backup(a, out),
        Command::Restore(a) => commands::backup::run_restore(a, out),
        Command::Sync(a) => commands::sync::run(a, out),
        Command::Report(a) => commands::report::run(a, out),
        Command::Vehicle(a) => commands::vehicle::run(a, out),
    }
}
