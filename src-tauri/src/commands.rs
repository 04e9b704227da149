//! The commands the UI invokes. Each is one call into `glovebox_core::Garage`: the shell
//! adds no rules of its own, so the desktop app behaves exactly like every other front end.
//! `async` runs them off the main (UI) thread, so a slow query never freezes the window.

use chrono::NaiveDateTime;
use glovebox_core::fuel::{FuelInput, FuelRecord};
use glovebox_core::odometer::{OdometerInput, OdometerRecord};
use glovebox_core::perf::Health;
use glovebox_core::reminders::completion::CompletionInput;
use glovebox_core::reminders::urgency::ReminderStatus;
use glovebox_core::reminders::{Reminder, ReminderInput};
use glovebox_core::reports::dashboard::Dashboard;
use glovebox_core::reports::fuel_report::FuelReport;
use glovebox_core::reports::overview::GarageOverview;
use glovebox_core::service::{ServiceInput, ServiceKind, ServiceRecord};
use glovebox_core::units::Distance;
use glovebox_core::vehicles::{Vehicle, VehicleInput};
use glovebox_core::{charts, generator, Page, RecordKind, WriteOptions};
use tauri::State;

use crate::error::CmdResult;
use crate::state::AppState;

// ----- vehicles -----------------------------------------------------------------------

#[tauri::command(async)]
pub fn list_vehicles(st: State<'_, AppState>, include_archived: bool) -> CmdResult<Vec<Vehicle>> {
    Ok(st.garage.vehicles(include_archived)?)
}

#[tauri::command(async)]
pub fn get_vehicle(st: State<'_, AppState>, id: String) -> CmdResult<Vehicle> {
    Ok(st.garage.vehicle(&id)?)
}

#[tauri::command(async)]
pub fn create_vehicle(st: State<'_, AppState>, input: VehicleInput) -> CmdResult<Vehicle> {
    Ok(st.garage.create_vehicle(&input)?)
}

#[tauri::command(async)]
pub fn update_vehicle(
    st: State<'_, AppState>,
    id: String,
    input: VehicleInput,
) -> CmdResult<Vehicle> {
    Ok(st.garage.update_vehicle(&id, &input)?)
}

#[tauri::command(async)]
pub fn set_vehicle_archived(
    st: State<'_, AppState>,
    id: String,
    archived: bool,
) -> CmdResult<Vehicle> {
    Ok(st.garage.set_vehicle_archived(&id, archived)?)
}

#[tauri::command(async)]
pub fn current_odometer(
    st: State<'_, AppState>,
    vehicle_id: String,
) -> CmdResult<Option<Distance>> {
    Ok(st.garage.current_odometer(&vehicle_id)?)
}

/// Fills the garage with the generator's demo data set (three vehicles, three years).
#[tauri::command(async)]
pub fn load_demo(st: State<'_, AppState>) -> CmdResult<()> {
    let today = st.garage.now().date();
    let cfg = generator::GeneratorConfig::new(generator::DatasetSize::Demo, 42, today);
    generator::generate(&st.garage, &cfg)?;
    Ok(())
}

/// Every vehicle's headline numbers, from the report cache.
#[tauri::command(async)]
pub fn garage_overview(st: State<'_, AppState>) -> CmdResult<GarageOverview> {
    Ok(GarageOverview::clone(&*st.reports.garage_overview()?))
}

/// A vehicle's dashboard, from the report cache.
#[tauri::command(async)]
pub fn dashboard(st: State<'_, AppState>, vehicle_id: String) -> CmdResult<Dashboard> {
    Ok(Dashboard::clone(&*st.reports.dashboard(&vehicle_id)?))
}

// ----- fuel ---------------------------------------------------------------------------

#[tauri::command(async)]
pub fn list_fuel(st: State<'_, AppState>, vehicle_id: String) -> CmdResult<Vec<FuelRecord>> {
    Ok(st.garage.fuel_records(&vehicle_id, Page::ALL)?)
}

#[tauri::command(async)]
pub fn add_fuel(
    st: State<'_, AppState>,
    input: FuelInput,
    opts: WriteOptions,
) -> CmdResult<FuelRecord> {
    Ok(st.garage.add_fuel(&input, opts)?)
}

#[tauri::command(async)]
pub fn update_fuel(
    st: State<'_, AppState>,
    id: String,
    input: FuelInput,
    opts: WriteOptions,
) -> CmdResult<FuelRecord> {
    Ok(st.garage.update_fuel(&id, &input, opts)?)
}

/// The whole history's window: fixed bounds, so the Fuel tab always hits one cache key.
fn lifetime() -> (NaiveDateTime, NaiveDateTime) {
    let at = |y| {
        chrono::NaiveDate::from_ymd_opt(y, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .unwrap_or_default()
    };
    (at(1900), at(2200))
}

/// Per-fill economy (full-to-full segments), monthly figures and totals over the whole
/// history, from the report cache.
#[tauri::command(async)]
pub fn fuel_report(st: State<'_, AppState>, vehicle_id: String) -> CmdResult<FuelReport> {
    let (from, to) = lifetime();
    Ok(FuelReport::clone(&*st.reports.fuel_report(
        &vehicle_id,
        from,
        to,
    )?))
}

// ----- service, repair, upgrade --------------------------------------------------------

#[tauri::command(async)]
pub fn list_service(
    st: State<'_, AppState>,
    vehicle_id: String,
    kind: Option<ServiceKind>,
) -> CmdResult<Vec<ServiceRecord>> {
    Ok(st.garage.service_records(&vehicle_id, kind, Page::ALL)?)
}

#[tauri::command(async)]
pub fn add_service(
    st: State<'_, AppState>,
    input: ServiceInput,
    opts: WriteOptions,
) -> CmdResult<ServiceRecord> {
    Ok(st.garage.add_service(&input, opts)?)
}

#[tauri::command(async)]
pub fn update_service(
    st: State<'_, AppState>,
    id: String,
    input: ServiceInput,
    opts: WriteOptions,
) -> CmdResult<ServiceRecord> {
    Ok(st.garage.update_service(&id, &input, opts)?)
}

// ----- odometer -----------------------------------------------------------------------

#[tauri::command(async)]
pub fn list_odometer(
    st: State<'_, AppState>,
    vehicle_id: String,
) -> CmdResult<Vec<OdometerRecord>> {
    Ok(st.garage.odometer_records(&vehicle_id, Page::ALL)?)
}

#[tauri::command(async)]
pub fn add_odometer(
    st: State<'_, AppState>,
    input: OdometerInput,
    opts: WriteOptions,
) -> CmdResult<OdometerRecord> {
    Ok(st.garage.add_odometer(&input, opts)?)
}

#[tauri::command(async)]
pub fn update_odometer(
    st: State<'_, AppState>,
    id: String,
    input: OdometerInput,
    opts: WriteOptions,
) -> CmdResult<OdometerRecord> {
    Ok(st.garage.update_odometer(&id, &input, opts)?)
}

// ----- reminders ----------------------------------------------------------------------

/// Active reminders with their urgency, most pressing first.
#[tauri::command(async)]
pub fn list_reminders(
    st: State<'_, AppState>,
    vehicle_id: String,
) -> CmdResult<Vec<ReminderStatus>> {
    Ok(st.garage.reminder_statuses(&vehicle_id)?)
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
    st.garage.complete_reminder(&id, &input, opts)?;
    Ok(())
}

#[tauri::command(async)]
pub fn add_reminder(st: State<'_, AppState>, input: ReminderInput) -> CmdResult<Reminder> {
    Ok(st.garage.add_reminder(&input)?)
}

#[tauri::command(async)]
pub fn update_reminder(
    st: State<'_, AppState>,
    id: String,
    input: ReminderInput,
) -> CmdResult<Reminder> {
    Ok(st.garage.update_reminder(&id, &input)?)
}

// ----- delete and undo ------------------------------------------------------------------

#[tauri::command(async)]
pub fn delete_record(st: State<'_, AppState>, kind: RecordKind, id: String) -> CmdResult<()> {
    Ok(st.garage.delete(kind, &id)?)
}

#[tauri::command(async)]
pub fn restore_record(st: State<'_, AppState>, kind: RecordKind, id: String) -> CmdResult<()> {
    Ok(st.garage.restore(kind, &id)?)
}

// ----- charts ---------------------------------------------------------------------------

#[tauri::command(async)]
pub fn vehicle_chart(
    st: State<'_, AppState>,
    vehicle_id: String,
    kind: charts::ChartKind,
    theme: charts::ChartTheme,
) -> CmdResult<String> {
    Ok(charts::vehicle_chart(&st.garage, &vehicle_id, kind, theme)?)
}

// ----- diagnostics ------------------------------------------------------------------------

/// The Health snapshot: per-query timings and the report cache's counters.
#[tauri::command(async)]
pub fn health(st: State<'_, AppState>) -> CmdResult<Health> {
    Ok(st.reports.health())
}
