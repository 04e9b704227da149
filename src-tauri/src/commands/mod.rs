//! The commands the UI invokes, by domain. Each is one call into `glovebox_core` (the
//! `App`, its `Garage` or its `Reports`): the shell adds no rules of its own, so the
//! desktop app behaves exactly like every other front end. `async` runs them off the main
//! (UI) thread, so a slow query never freezes the window.

pub mod files;
pub mod import;
pub mod records;
pub mod reports;
pub mod sync;
pub mod vehicles;
