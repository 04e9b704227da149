//! Reports from the cache: garage overview, dashboard, the Fuel tab's log, charts, and the
//! Health snapshot behind Diagnostics.

use glovebox_core::app::FuelLog;
use glovebox_core::charts;
use glovebox_core::perf::Health;
use glovebox_core::reports::dashboard::Dashboard;
use glovebox_core::reports::overview::GarageOverview;
use tauri::State;

use crate::error::CmdResult;
use crate::state::AppState;

/// Every vehicle's headline numbers, from the report cache.
#[tauri::command(async)]
pub fn garage_overview(st: State<'_, AppState>) -> CmdResult<GarageOverview> {
    Ok(GarageOverview::clone(&*st.app.reports().garage_overview()?))
}

/// A vehicle's dashboard, from the report cache.
#[tauri::command(async)]
pub fn dashboard(st: State<'_, AppState>, vehicle_id: String) -> CmdResult<Dashboard> {
    Ok(Dashboard::clone(&*st.app.reports().dashboard(&vehicle_id)?))
}

/// The newest `limit` fill-ups with the economy each row shows, in one call.
#[tauri::command(async)]
pub fn fuel_log(st: State<'_, AppState>, vehicle_id: String, limit: u32) -> CmdResult<FuelLog> {
    Ok(st.app.fuel_log(&vehicle_id, limit)?)
}

#[tauri::command(async)]
pub fn vehicle_chart(
    st: State<'_, AppState>,
    vehicle_id: String,
    kind: charts::ChartKind,
    theme: charts::ChartTheme,
) -> CmdResult<String> {
    Ok(charts::vehicle_chart(
        st.garage(),
        &vehicle_id,
        kind,
        theme,
    )?)
}

/// The Health snapshot: per-query timings and the report cache's counters.
#[tauri::command(async)]
pub fn health(st: State<'_, AppState>) -> CmdResult<Health> {
    Ok(st.app.reports().health())
}
