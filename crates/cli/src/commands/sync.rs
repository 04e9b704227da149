//! `glovebox sync login|now|status|retry|logout`: the sync client from the terminal.

use std::io::{BufRead, Write};
use std::path::PathBuf;

use anyhow::{bail, Context};
use glovebox_core::sync::{self, SyncEngine};
use glovebox_core::Garage;

#[derive(Debug, clap::Args)]
pub struct SyncArgs {
    /// Database file (default: $GLOVEBOX_DB or ./glovebox.db).
    #[arg(long, global = true)]
    pub db: Option<PathBuf>,
    #[command(subcommand)]
    pub command: SyncCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum SyncCommand {
    /// Log in to a sync server and register this database as a device.
    Login {
        #[arg(long)]
        server: String,
        #[arg(long)]
        user: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
        /// Read the password from the first line of this file.
        #[arg(long, conflicts_with = "password_stdin")]
        password_file: Option<PathBuf>,
        /// How this device appears in `glovebox-server device list`.
        #[arg(long)]
        device: Option<String>,
    },
    /// Push local changes and pull everyone else's, once.
    Now,
    /// Show the server, this device, what is waiting to be pushed, and every row that
    /// could not be applied or pushed, with its reason (no network).
    Status,
    /// Retry every quarantined row now (they are retried by themselves after an upgrade).
    Retry,
    /// Revoke this device's token on the server and forget it here.
    Logout,
}

fn first_line(r: impl BufRead) -> anyhow::Result<String> {
    let line = r.lines().next().transpose()?.unwrap_or_default();
    if line.is_empty() {
        bail!("the password is empty");
    }
    Ok(line)
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

fn status(garage: &Garage, out: &mut dyn Write) -> anyhow::Result<()> {
    match sync::load_credentials(garage)? {
        None => writeln!(out, "Local only: no sync server configured.")?,
        Some(c) => {
            writeln!(out, "Server:      {}", c.server_url)?;
            writeln!(out, "User:        {}", c.user)?;
            writeln!(out, "Device:      {} ({})", c.device_name, c.device_id)?;
            if let Some(store) = sync::token_store(garage)? {
                writeln!(out, "Token:       kept in {}", store.label())?;
            }
            writeln!(
                out,
                "Pending:     {} local changes",
                sync::pending_changes(garage)?
            )?;
            writeln!(out, "Last synced: {}", when(sync::last_synced_at(garage)?))?;
            if let Some(r) = sync::last_reset(garage)? {
                writeln!(out, "Last reset:  {} ({})", when(Some(r.at_ms)), r.reason)?;
            }
        }
    }
    let rejected: Vec<_> = sync::rejected_rows(garage)?
        .into_iter()
        .map(|r| (r.table, r.id, r.rejected_at_ms, r.code, r.reason))
        .collect();
    list(
        out,
        "Rejected by the server",
        "not on the server; sent again once edited",
        &rejected,
    )?;
    let quarantined: Vec<_> = sync::quarantined_rows(garage)?
        .into_iter()
        .map(|q| (q.table, q.id, q.received_at_ms, q.code, q.reason))
        .collect();
    list(
        out,
        "Quarantined",
        "received but not applied; retried after an upgrade",
        &quarantined,
    )?;
    Ok(())
}

/// Rows listed per kind of problem (a newer Glovebox syncing a table this one lacks can
/// quarantine thousands).
const MAX_LISTED: usize = 100;

/// Rows with a problem: (table, id, when, code, reason).
fn list(
    out: &mut dyn Write,
    title: &str,
    meaning: &str,
    rows: &[(String, String, i64, String, String)],
) -> anyhow::Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    writeln!(out, "\n{title} ({}): {meaning}.", rows.len())?;
    for (table, id, at, code, reason) in rows.iter().take(MAX_LISTED) {
        writeln!(
            out,
            "  {table} {id}  {}  [{code}] {reason}",
            when(Some(*at))
        )?;
    }
    if rows.len() > MAX_LISTED {
        writeln!(out, "  … and {} more", rows.len() - MAX_LISTED)?;
    }
    Ok(())
}

fn when(ms: Option<i64>) -> String {
    ms.and_then(chrono::DateTime::from_timestamp_millis)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_else(|| "never".into())
}

pub fn run(args: SyncArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let app = crate::open_app(args.db)?;
    let garage = app.garage().clone();
    match args.command {
        SyncCommand::Login {
            server,
            user,
            password_stdin,
            password_file,
            device,
        } => {
            let password = match (password_stdin, password_file) {
                (true, _) => first_line(std::io::stdin().lock())?,
                (false, Some(f)) => first_line(std::io::BufReader::new(
                    std::fs::File::open(&f).with_context(|| format!("opening {}", f.display()))?,
                ))?,
                (false, None) => {
                    bail!("give the password with --password-stdin or --password-file")
                }
            };
            let device = device
                .or_else(|| std::env::var("HOSTNAME").ok())
                .unwrap_or_else(|| "glovebox-cli".into());
            let creds = runtime()?.block_on(sync::login(&server, &user, &password, &device))?;
            sync::save_credentials(&garage, &creds)?;
            writeln!(
                out,
                "Logged in to {} as {} (device {} \"{}\"). Run `glovebox sync now` to sync.",
                creds.server_url, creds.user, creds.device_id, creds.device_name
            )?;
        }
        SyncCommand::Now => {
            let Some(config) = sync::load_config(&garage)? else {
                bail!("not logged in: run `glovebox sync login --server URL --user NAME` first");
            };
            let report = runtime()?.block_on(async move {
                let handle = SyncEngine::start(garage, Some(config));
                let r = handle.sync_now().await;
                handle.stop().await;
                r
            })?;
            if let Some(reason) = &report.reset {
                writeln!(out, "Started over with the server: {reason}.")?;
            }
            writeln!(
                out,
                "Pushed {} changes ({} new on the server, {} already there, {} superseded, \
                 {} rejected); pulled {} ({} applied, {} quarantined, {} vehicles affected).",
                report.pushed,
                report.push_applied,
                report.push_duplicate,
                report.push_stale,
                report.push_rejected,
                report.pulled,
                report.applied,
                report.quarantined,
                report.vehicles.len()
            )?;
            if report.push_rejected + report.quarantined > 0 {
                writeln!(out, "See `glovebox sync status` for the rows and reasons.")?;
            }
        }
        SyncCommand::Status => status(&garage, out)?,
        SyncCommand::Retry => {
            let r = sync::retry_quarantined(&garage)?;
            writeln!(
                out,
                "Retried quarantined rows: {} applied, {} already superseded, {} still quarantined.",
                r.applied, r.skipped, r.quarantined
            )?;
        }
        SyncCommand::Logout => {
            let r = runtime()?.block_on(sync::logout(&garage));
            writeln!(out, "Logged out; this database is local only now.")?;
            if let Err(e) = r {
                writeln!(
                    out,
                    "Warning: the server could not revoke this device ({e}); an admin can \
                     run `glovebox-server device revoke`."
                )?;
            }
        }
    }
    Ok(())
}
