//! Types shared by the Glovebox sync client and server. No IO lives here.
//!
//! - [`hlc`]: the hybrid logical clock that orders writes across devices
//! - [`tables`]: the synced tables, named once
//! - [`endpoints`]: every HTTP endpoint, named once (path and method)
//! - [`sync`]: the wire messages and error codes
//! - [`rows`]: the structural checks every row passes on both sides

pub mod endpoints;
pub mod hlc;
pub mod rows;
pub mod sync;
pub mod tables;

pub use endpoints::{Endpoint, Method};
pub use hlc::{Hlc, HlcClock, HlcError, MAX_CLOCK_DRIFT_MS};
pub use rows::{check_row, RowProblem};
pub use tables::SyncTable;
