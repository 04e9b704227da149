//! `glovebox-server`: run the sync server, manage accounts and devices.

use std::io::BufRead;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};
use glovebox_server::stats::QueryStats;
use glovebox_server::{auth, migrate_storage, AppState, Config, Storage, StorageSpec};

#[derive(Debug, Parser)]
#[command(name = "glovebox-server", version, about = "Glovebox sync server")]
struct Cli {
    /// TOML config file (listen, database, [storage], [limits], [http]); default
    /// $GLOVEBOX_CONFIG.
    /// GLOVEBOX_* variables override its values.
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the sync API.
    Serve,
    /// Manage accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// List or revoke devices (each login is one device with its own token).
    #[command(subcommand)]
    Device(DeviceCommand),
    /// Copy every account, device (token hashes included), sequence gap and row version
    /// from one storage to another, empty one. Stop the server first; devices then go on
    /// syncing against the new storage without logging in again or re-pushing.
    MigrateStorage {
        /// sqlite:PATH or postgres:URL
        #[arg(long)]
        from: String,
        /// sqlite:PATH or postgres:URL (must have no accounts yet)
        #[arg(long)]
        to: String,
    },
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create an account; the password is read from standard input (first line).
    Add {
        name: String,
    },
    List,
    /// Delete an account with all of its devices and synced rows.
    Remove {
        name: String,
    },
    /// Change a password (read from standard input).
    Passwd {
        name: String,
    },
}

#[derive(Debug, Subcommand)]
enum DeviceCommand {
    List { user: Option<String> },
    Revoke { device_id: String },
}

fn read_password() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the password from standard input")?;
    let pw = line.trim_end_matches(['\r', '\n']).to_owned();
    if pw.len() < 8 {
        bail!("the password must have at least 8 characters");
    }
    Ok(pw)
}

/// Resolves on SIGINT or SIGTERM (what systemd sends on stop).
async fn stop_signal() -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => r?,
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    tokio::signal::ctrl_c().await?;
    Ok(())
}

fn serve(config: Config, storage: Arc<dyn Storage>, stats: Arc<QueryStats>) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let state = Arc::new(
            AppState::new(storage, config.limits.clone(), stats)
                .with_trusted_proxies(config.trusted_proxies()?)
                .with_http(config.http.clone()),
        );
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("binding {} (listen)", config.listen))?;
        let metrics = match config.http.metrics_listen {
            Some(a) => Some(
                tokio::net::TcpListener::bind(a)
                    .await
                    .with_context(|| format!("binding {a} (http.metrics_listen)"))?,
            ),
            None => None,
        };
        let server = glovebox_server::start_with_metrics(listener, metrics, state)?;
        eprintln!("glovebox-server listening on http://{}", server.addr);
        if let Some(m) = server.metrics_addr {
            eprintln!("metrics on http://{m}/metrics");
        }
        stop_signal().await?;
        eprintln!("shutting down: finishing requests in flight");
        server.stop().await?;
        anyhow::Ok(())
    })
}

fn migrate(from: &str, to: &str) -> anyhow::Result<()> {
    let parse =
        |flag: &str, s: &str| StorageSpec::parse(s).map_err(|e| anyhow::anyhow!("--{flag}: {e}"));
    let (from, to) = (parse("from", from)?, parse("to", to)?);
    if from == to {
        bail!("--from and --to name the same storage");
    }
    let src = from
        .open(Arc::new(QueryStats::new()))
        .with_context(|| format!("opening {}", from.describe()))?;
    let dst = to
        .open(Arc::new(QueryStats::new()))
        .with_context(|| format!("opening {}", to.describe()))?;
    eprintln!("copying {} to {}", from.describe(), to.describe());
    let mut last = 0;
    let report = migrate_storage::copy(src.as_ref(), dst.as_ref(), |rows| {
        if rows >= last + 100_000 {
            eprintln!("  {rows} rows");
            last = rows;
        }
    })
    .with_context(|| format!("copying into {}", to.describe()))?;
    println!(
        "copied {} accounts, {} devices, {} sequence gaps and {} rows to {}",
        report.accounts,
        report.devices,
        report.gaps,
        report.rows,
        to.describe()
    );
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if let Command::MigrateStorage { from, to } = &cli.command {
        return migrate(from, to);
    }
    let path = cli
        .config
        .or_else(|| std::env::var_os("GLOVEBOX_CONFIG").map(PathBuf::from));
    let config = Config::load(path.as_deref(), |k| std::env::var(k).ok())?;
    let spec = config.storage_spec();
    let stats = Arc::new(QueryStats::new());
    let storage = spec
        .open(stats.clone())
        .with_context(|| format!("opening {}", spec.describe()))?;
    match cli.command {
        Command::Serve => serve(config, storage, stats)?,
        Command::MigrateStorage { .. } => unreachable!("handled above"),
        Command::User(UserCommand::Add { name }) => {
            let name = name.trim().to_owned();
            if name.is_empty() || name.len() > glovebox_protocol::sync::MAX_USER_NAME_BYTES {
                bail!(
                    "the user name must have 1 to {} bytes",
                    glovebox_protocol::sync::MAX_USER_NAME_BYTES
                );
            }
            if name.chars().any(char::is_control) {
                bail!("the user name must not contain control characters");
            }
            let pw = read_password()?;
            if pw.len() > glovebox_protocol::sync::MAX_PASSWORD_BYTES {
                bail!(
                    "the password must have at most {} bytes",
                    glovebox_protocol::sync::MAX_PASSWORD_BYTES
                );
            }
            storage.add_user(&name, &auth::hash_password(&pw)?)?;
            println!("added user {name}");
        }
        Command::User(UserCommand::List) => {
            for u in storage.users()? {
                println!("{}\t{} devices\t{} rows", u.name, u.devices, u.rows);
            }
        }
        Command::User(UserCommand::Remove { name }) => {
            storage.remove_user(&name)?;
            println!("removed user {name} with their devices and rows");
        }
        Command::User(UserCommand::Passwd { name }) => {
            storage.set_password(&name, &auth::hash_password(&read_password()?)?)?;
            println!("changed the password of {name}");
        }
        Command::Device(DeviceCommand::List { user }) => {
            for d in storage.devices(user.as_deref())? {
                let state = if d.revoked { "revoked" } else { "active" };
                println!("{}\t{}\t{}\t{state}", d.id, d.user, d.name);
            }
        }
        Command::Device(DeviceCommand::Revoke { device_id }) => {
            storage.revoke_device(&device_id)?;
            println!("revoked device {device_id}");
        }
    }
    Ok(())
}
