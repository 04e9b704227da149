fn main() -> std::process::ExitCode {
    let mut stdout = std::io::stdout().lock();
    match glovebox_cli::run(std::env::args_os(), &mut stdout) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // clap renders its own help and usage errors.
            if let Some(clap_err) = e.downcast_ref::<clap::Error>() {
                let _ = clap_err.print();
                return std::process::ExitCode::from(clap_err.exit_code() as u8);
            }
            // `glovebox demo | head` closing the pipe early is not an error.
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            {
                return std::process::ExitCode::SUCCESS;
            }
            eprintln!("glovebox: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
