//! One module per subcommand.
pub mod backup;
pub mod demo;
pub mod export;
pub mod generate;
pub mod import;
pub mod report;
pub mod stats;
pub mod sync;
pub mod vehicle;
