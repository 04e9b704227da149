//! Shared helpers for the cross-crate tests.

pub mod server;
pub mod sync;
