//! How errors cross IPC: exactly the core's `ErrorPayload` — `{code, message, field}` — so
//! the UI can put a validation message next to the field it concerns.

use glovebox_core::app::AppError;
use glovebox_core::{Error, ErrorPayload};
use serde::{Serialize, Serializer};

/// The error type of every command. Serialises as the core's `ErrorPayload`.
#[derive(Debug)]
pub struct CommandError(pub ErrorPayload);

impl From<Error> for CommandError {
    fn from(e: Error) -> Self {
        // Validation and typo-guard errors are expected user mistakes; anything else is
        // worth a line in the log file.
        if !matches!(
            e,
            Error::Validation { .. } | Error::OdometerNeedsConfirmation { .. }
        ) {
            tracing::warn!(code = e.code(), "command failed: {e}");
        }
        CommandError(e.to_payload())
    }
}

impl From<AppError> for CommandError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Core(e) => e.into(),
            other => {
                tracing::warn!(code = other.code(), "command failed: {other}");
                CommandError(other.to_payload())
            }
        }
    }
}

impl Serialize for CommandError {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

pub type CmdResult<T> = Result<T, CommandError>;

#[cfg(test)]
mod tests {
    use super::*;

    // The UI's error handling (ui/src/lib/api.ts) depends on this exact shape.
    #[test]
    fn validation_error_crosses_ipc_as_code_message_field() {
        let e = CommandError::from(Error::validation("quantity", "must be greater than 0"));
        assert_eq!(
            serde_json::to_string(&e).unwrap(),
            r#"{"code":"validation","message":"must be greater than 0","field":"quantity"}"#
        );
    }

    #[test]
    fn odometer_guard_names_the_odometer_field() {
        let e = CommandError::from(Error::OdometerNeedsConfirmation {
            reason: "lower than an earlier reading".into(),
        });
        let v: serde_json::Value = serde_json::to_value(&e).unwrap();
        assert_eq!(v["code"], "odometer_needs_confirmation");
        assert_eq!(v["field"], "odometer");
    }

    #[test]
    fn errors_without_a_field_send_null() {
        let e = CommandError::from(Error::not_found("vehicle", "x"));
        assert_eq!(
            serde_json::to_string(&e).unwrap(),
            r#"{"code":"not_found","message":"vehicle x does not exist","field":null}"#
        );
    }
}
