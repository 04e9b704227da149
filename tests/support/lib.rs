//! Shared helpers for the cross-crate tests.

pub mod backend;
pub mod server;
pub mod sync;
