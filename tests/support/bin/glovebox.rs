//! The `glovebox` command as its own binary inside the test package, so tests can run it
//! as a real process (and kill it: tests/sync_kill.rs). It is the CLI's `run`, nothing
//! else.

fn main() -> std::process::ExitCode {
    match glovebox_cli::run(std::env::args_os(), &mut std::io::stdout().lock()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("glovebox: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
