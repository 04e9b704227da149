//! Hammond's SQLite database (`hammond.db`).

use super::api::FormatId;
use super::common::{ParseCtx, Sink};
use super::format::{Format, Head};
use super::{ImportError, Source};

pub struct Hammond;

impl Format for Hammond {
    const NAME: FormatId = FormatId::Hammond;
    const BINARY: bool = true;
    fn detect(head: &Head<'_>) -> u8 {
        if head.is_sqlite() {
            60
        } else {
            0
        }
    }
    fn parse(_src: &dyn Source, _ctx: &ParseCtx, _sink: &mut Sink<'_>) -> Result<(), ImportError> {
        Err(ImportError::Refused {
            reason: "reading Hammond databases is not available in this build yet".into(),
        })
    }
}
