//! Glovebox core: the domain model, the local database, the one write path, the fuel
//! economy engine and everything built on them. Knows nothing of any UI.

pub mod app;
pub mod catalog;
pub mod charts;
pub mod economy;
pub mod error;
pub mod events;
pub mod export;
pub mod fuel;
pub mod garage;
pub mod generator;
pub mod import;
pub mod notify;
pub mod odometer;
pub mod perf;
pub mod reminders;
pub mod reports;
pub mod service;
pub mod store;
pub mod sync;
pub mod time;
pub mod units;
pub mod validate;
pub mod vehicles;

use serde::{Deserialize, Serialize};

pub use error::{Error, ErrorPayload, Result};
pub use events::{ChangeEvent, ChangeSource, RecordKind};
pub use garage::{Garage, NewRecord, WriteOptions};
pub use glovebox_protocol::Hlc;

/// Sync metadata stamped on every write by the write path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncStamp {
    pub hlc: String,
    /// 1 for local writes (to be pushed), 0 for rows that came from the server.
    pub dirty: bool,
    /// Wall-clock millis.
    pub updated_at: i64,
}

/// A page of a list, newest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page {
    pub offset: u32,
    pub limit: u32,
}

impl Page {
    pub const fn first(limit: u32) -> Page {
        Page { offset: 0, limit }
    }
    pub const ALL: Page = Page {
        offset: 0,
        limit: u32::MAX,
    };
}

impl Default for Page {
    fn default() -> Self {
        Page::first(100)
    }
}
