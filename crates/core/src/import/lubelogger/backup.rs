//! LubeLogger's backup zip (`data/cartracker.db`, a LiteDB v5 file, and
//! `config/userConfig.json`).

use super::super::api::FormatId;
use super::super::common::{ParseCtx, Sink};
use super::super::format::{Format, Head};
use super::super::{ImportError, Source};

pub struct Backup;

impl Format for Backup {
    const NAME: FormatId = FormatId::LubeloggerBackup;
    const BINARY: bool = true;
    fn detect(head: &Head<'_>) -> u8 {
        if head.is_zip() {
            60
        } else {
            0
        }
    }
    fn parse(_src: &dyn Source, _ctx: &ParseCtx, _sink: &mut Sink<'_>) -> Result<(), ImportError> {
        Err(ImportError::Refused {
            reason: "reading LubeLogger backups is not available in this build yet".into(),
        })
    }
}
