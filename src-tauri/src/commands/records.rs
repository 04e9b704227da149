//! Records: fill-ups, service/repair/upgrade, odometer readings, reminders; delete and
//! undo. Each command is one call into the `Garage` (the one write path).

use glovebox_core::app::{OdometerLog, ServiceLog};
use glovebox_core::fuel::{FuelInput, FuelRecord};
use glovebox_core::odometer::{OdometerInput, OdometerRecord};
use glovebox_core::reminders::completion::CompletionInput;
use glovebox_core::reminders::urgency::ReminderStatus;
use glovebox_core::reminders::{Reminder, ReminderInput};
use glovebox_core::service::{ServiceInput, ServiceKind, ServiceRecord};
use glovebox_core::{RecordKind, WriteOptions};
use tauri::State;

use crate::error::CmdResult;
use crate::state::AppState;

// ----- fuel ---------------------------------------------------------------------------

#[tauri::command(async)]
pub fn add_fuel(
    st: State<'_, AppState>,
    input: FuelInput,
    opts: WriteOptions,
) -> CmdResult<FuelRecord> {
    Ok(st.garage().add_fuel(&input, opts)?)
}

#[tauri::command(async)]
pub fn update_fuel(
    st: State<'_, AppState>,
    id: String,
    input: FuelInput,
    opts: WriteOptions,
) -> CmdResult<FuelRecord> {
    Ok(st.garage().update_fuel(&id, &input, opts)?)
}

// ----- service, repair, upgrade --------------------------------------------------------

/// The newest `limit` records of `kind` with `tag`, with the totals over all of them.
#[tauri::command(async)]
pub fn service_log(
    st: State<'_, AppState>,
    vehicle_id: String,
    kind: Option<ServiceKind>,
    tag: Option<String>,
    limit: u32,
) -> CmdResult<ServiceLog> {
    Ok(st
        .app
        .service_log(&vehicle_id, kind, tag.as_deref(), limit)?)
}

#[tauri::command(async)]
pub fn add_service(
    st: State<'_, AppState>,
    input: ServiceInput,
    opts: WriteOptions,
) -> CmdResult<ServiceRecord> {
    Ok(st.garage().add_service(&input, opts)?)
}

#[tauri::command(async)]
pub fn update_service(
    st: State<'_, AppState>,
    id: String,
    input: ServiceInput,
    opts: WriteOptions,
) -> CmdResult<ServiceRecord> {
    Ok(st.garage().update_service(&id, &input, opts)?)
}

// ----- odometer -----------------------------------------------------------------------

/// The newest `limit` separate readings and how many there are.
#[tauri::command(async)]
pub fn odometer_log(
    st: State<'_, AppState>,
    vehicle_id: String,
    limit: u32,
) -> CmdResult<OdometerLog> {
    Ok(st.app.odometer_log(&vehicle_id, limit)?)
}

#[tauri::command(async)]
pub fn add_odometer(
    st: State<'_, AppState>,
    input: OdometerInput,
    opts: WriteOptions,
) -> CmdResult<OdometerRecord> {
    Ok(st.garage().add_odometer(&input, opts)?)
}

#[tauri::command(async)]
pub fn update_odometer(
    st: State<'_, AppState>,
    id: String,
    input: OdometerInput,
    opts: WriteOptions,
) -> CmdResult<OdometerRecord> {
    Ok(st.garage().update_odometer(&id, &input, opts)?)
}

// ----- reminders ----------------------------------------------------------------------

/// Active reminders with their urgency, most pressing first.
#[tauri::command(async)]
pub fn list_reminders(
    st: State<'_, AppState>,
    vehicle_id: String,
) -> CmdResult<Vec<ReminderStatus>> {
    Ok(st.garage().reminder_statuses(&vehicle_id)?)
}

/// Marks a reminder done: records the completion and its service record, and re-arms a
/// recurring reminder for its next due point (all in one transaction, in the core).
#[tauri::command(async)]
pub fn complete_reminder(
    st: State<'_, AppState>,
    id: String,
    input: CompletionInput,
    opts: WriteOptions,
) -> CmdResult<()> {
    st.garage().complete_reminder(&id, &input, opts)?;
    Ok(())
}

#[tauri::command(async)]
pub fn add_reminder(st: State<'_, AppState>, input: ReminderInput) -> CmdResult<Reminder> {
    Ok(st.garage().add_reminder(&input)?)
}

#[tauri::command(async)]
pub fn update_reminder(
    st: State<'_, AppState>,
    id: String,
    input: ReminderInput,
) -> CmdResult<Reminder> {
    Ok(st.garage().update_reminder(&id, &input)?)
}

// ----- delete and undo ------------------------------------------------------------------

#[tauri::command(async)]
pub fn delete_record(st: State<'_, AppState>, kind: RecordKind, id: String) -> CmdResult<()> {
    Ok(st.garage().delete(kind, &id)?)
}

#[tauri::command(async)]
pub fn restore_record(st: State<'_, AppState>, kind: RecordKind, id: String) -> CmdResult<()> {
    Ok(st.garage().restore(kind, &id)?)
}
