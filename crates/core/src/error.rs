//! The core's error type. Every error has a stable machine code, a message for people and,
//! for validation errors, the field it concerns — the desktop shell sends exactly these
//! three across IPC as `{code, message, field}`.

use serde::Serialize;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A value the user entered breaks a rule. Nothing was written.
    #[error("{field}: {reason}")]
    Validation { field: String, reason: String },

    /// The odometer reading looks like a typo. Nothing was written; the caller may retry
    /// with `confirm_odometer` set if the reading is really right.
    #[error("odometer: {reason} (confirm to save it anyway)")]
    OdometerNeedsConfirmation { reason: String },

    #[error("{what} {id} does not exist")]
    NotFound { what: &'static str, id: String },

    #[error(
        "this database was written by a newer Glovebox (schema version {found}, this build \
         knows up to {supported}); update Glovebox to open it"
    )]
    SchemaTooNew { found: i64, supported: i64 },

    #[error("database migration {version} failed: {source}")]
    Migration {
        version: i64,
        #[source]
        source: rusqlite::Error,
    },

    #[error("database error: {0}")]
    Database(#[from] rusqlite::Error),

    #[error("stored data is corrupt: {0}")]
    Corrupt(String),

    #[error("{0}")]
    Io(#[from] std::io::Error),

    #[error("operation cancelled; nothing was written")]
    Cancelled,

    /// A file could not be imported (or restored): where and why, with line and column.
    #[error("{0}")]
    Import(#[from] crate::import::ImportError),

    #[error("{0}")]
    Other(String),
}

impl Error {
    pub fn validation(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::Validation {
            field: field.into(),
            reason: reason.into(),
        }
    }

    pub fn not_found(what: &'static str, id: impl Into<String>) -> Self {
        Error::NotFound {
            what,
            id: id.into(),
        }
    }

    /// Stable, machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Validation { .. } => "validation",
            Error::OdometerNeedsConfirmation { .. } => "odometer_needs_confirmation",
            Error::NotFound { .. } => "not_found",
            Error::SchemaTooNew { .. } => "schema_too_new",
            Error::Migration { .. } => "migration_failed",
            Error::Database(_) => "database",
            Error::Corrupt(_) => "corrupt",
            Error::Io(_) => "io",
            Error::Cancelled => "cancelled",
            Error::Import(e) => e.code(),
            Error::Other(_) => "error",
        }
    }

    /// The input field this error concerns, when there is one.
    pub fn field(&self) -> Option<&str> {
        match self {
            Error::Validation { field, .. } => Some(field),
            Error::OdometerNeedsConfirmation { .. } => Some("odometer"),
            _ => None,
        }
    }

    /// The message without the field prefix, for showing next to the field itself.
    pub fn reason(&self) -> String {
        match self {
            Error::Validation { reason, .. } => reason.clone(),
            other => other.to_string(),
        }
    }

    pub fn to_payload(&self) -> ErrorPayload {
        ErrorPayload {
            code: self.code().to_owned(),
            message: self.reason(),
            field: self.field().map(str::to_owned),
        }
    }
}

/// The serialisable form of an error, as the UI receives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ErrorPayload {
    pub code: String,
    pub message: String,
    pub field: Option<String>,
}

impl From<&Error> for ErrorPayload {
    fn from(e: &Error) -> Self {
        e.to_payload()
    }
}
