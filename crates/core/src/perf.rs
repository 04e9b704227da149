//! The performance tracker, from glovebox-perf (shared with the sync server, which does not
//! depend on the core): re-exported here so `glovebox_core::perf::…` names the same types.

pub use glovebox_perf::*;
