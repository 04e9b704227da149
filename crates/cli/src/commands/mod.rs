//! One module per subcommand.
pub mod backup;
pub mod demo;
pub mod export;
pub mod generate;
pub mod import;
pub mod stats;
