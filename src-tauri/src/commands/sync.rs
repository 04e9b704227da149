//! Settings → Sync and the sidebar's status: sign in, sign out (revokes the token), sync now,
//! the rows sync quarantined or the server rejected.

use glovebox_core::app::{SignIn, SignedOut, SyncSettings, SyncSummary};
use glovebox_core::sync::{Counts, SyncProblems, SyncStatus};
use tauri::State;

use crate::error::CmdResult;
use crate::state::AppState;

#[tauri::command(async)]
pub fn sync_settings(st: State<'_, AppState>) -> CmdResult<SyncSettings> {
    Ok(st.app.sync_settings()?)
}

#[tauri::command(async)]
pub fn sync_status(st: State<'_, AppState>) -> CmdResult<SyncStatus> {
    Ok(st.app.sync_status())
}

/// Quarantined and rejected rows, told by kind, vehicle and date.
#[tauri::command(async)]
pub fn sync_problems(st: State<'_, AppState>) -> CmdResult<SyncProblems> {
    Ok(st.app.sync_problems()?)
}

/// Pending, quarantined and rejected counts (the sidebar's badge).
#[tauri::command(async)]
pub fn sync_counts(st: State<'_, AppState>) -> CmdResult<Counts> {
    Ok(st.app.sync_counts()?)
}

/// Plain http to another machine warns (`{code: "sync_insecure_server"}`) unless
/// `allow_insecure` says the user saw it.
#[tauri::command]
pub async fn sign_in(st: State<'_, AppState>, input: SignIn) -> CmdResult<SyncSettings> {
    Ok(st.app.sign_in(input).await?)
}

#[tauri::command]
pub async fn sign_out(st: State<'_, AppState>) -> CmdResult<SignedOut> {
    Ok(st.app.sign_out().await?)
}

#[tauri::command]
pub async fn sync_now(st: State<'_, AppState>) -> CmdResult<SyncSummary> {
    Ok(st.app.sync_now().await?)
}
