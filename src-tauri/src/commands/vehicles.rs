//! Vehicles: list, create, edit, archive; the demo garage.

use glovebox_core::units::Distance;
use glovebox_core::vehicles::{Vehicle, VehicleInput};
use tauri::State;

use crate::error::CmdResult;
use crate::state::AppState;

#[tauri::command(async)]
pub fn list_vehicles(st: State<'_, AppState>, include_archived: bool) -> CmdResult<Vec<Vehicle>> {
    Ok(st.garage().vehicles(include_archived)?)
}

#[tauri::command(async)]
pub fn get_vehicle(st: State<'_, AppState>, id: String) -> CmdResult<Vehicle> {
    Ok(st.garage().vehicle(&id)?)
}

#[tauri::command(async)]
pub fn create_vehicle(st: State<'_, AppState>, input: VehicleInput) -> CmdResult<Vehicle> {
    Ok(st.garage().create_vehicle(&input)?)
}

#[tauri::command(async)]
pub fn update_vehicle(
    st: State<'_, AppState>,
    id: String,
    input: VehicleInput,
) -> CmdResult<Vehicle> {
    Ok(st.garage().update_vehicle(&id, &input)?)
}

#[tauri::command(async)]
pub fn set_vehicle_archived(
    st: State<'_, AppState>,
    id: String,
    archived: bool,
) -> CmdResult<Vehicle> {
    Ok(st.garage().set_vehicle_archived(&id, archived)?)
}

#[tauri::command(async)]
pub fn current_odometer(
    st: State<'_, AppState>,
    vehicle_id: String,
) -> CmdResult<Option<Distance>> {
    Ok(st.garage().current_odometer(&vehicle_id)?)
}

/// Fills the garage with the generator's demo data set (three vehicles, three years).
#[tauri::command(async)]
pub fn load_demo(st: State<'_, AppState>) -> CmdResult<()> {
    st.app.load_demo()?;
    Ok(())
}
