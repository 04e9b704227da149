//! Types shared by the Glovebox sync client and server. No IO lives here.

pub mod hlc;
pub mod sync;

pub use hlc::{Hlc, HlcClock, HlcError, MAX_CLOCK_DRIFT_MS};
