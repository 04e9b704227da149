//! `glovebox-server`: run the sync server, manage accounts and devices.

use std::io::BufRead;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};
use glovebox_server::{auth, open_sqlite, AppState, Config, Storage};

#[derive(Debug, Parser)]
#[command(name = "glovebox-server", version, about = "Glovebox sync server")]
struct Cli {
    /// TOML config file (listen, database, [limits]); default $GLOVEBOX_CONFIG.
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

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let path = cli
        .config
        .or_else(|| std::env::var_os("GLOVEBOX_CONFIG").map(PathBuf::from));
    let config = Config::load(path.as_deref(), |k| std::env::var(k).ok())?;
    let (storage, stats) = open_sqlite(&config.database)
        .with_context(|| format!("opening {}", config.database.display()))?;
    match cli.command {
        Command::Serve => {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            rt.block_on(async move {
                let state = Arc::new(
                    AppState::new(storage, config.limits.clone(), stats)
                        .with_trusted_proxies(config.trusted_proxies()?),
                );
                let listener = tokio::net::TcpListener::bind(config.listen)
                    .await
                    .with_context(|| format!("binding {}", config.listen))?;
                eprintln!(
                    "glovebox-server listening on http://{}",
                    listener.local_addr()?
                );
                let server = glovebox_server::start(listener, state)?;
                tokio::signal::ctrl_c().await?;
                eprintln!("shutting down");
                server.stop().await?;
                anyhow::Ok(())
            })?;
        }
        Command::User(UserCommand::Add { name }) => {
            let name = name.trim().to_owned();
            if name.is_empty() {
                bail!("the user name must not be empty");
            }
            storage.add_user(&name, &auth::hash_password(&read_password()?)?)?;
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
