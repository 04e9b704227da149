// The sync status shared by the sidebar indicator and Settings → Sync: loaded once, then
// kept current by the shell's "sync-status" events and refreshed after writes (pending).
import { api, onSyncStatus } from "./api";
import type { SyncStatus } from "./bindings/SyncStatus";

export const sync = $state<{ status: SyncStatus | null; error: string | null }>({ status: null, error: null });

let seq = 0;
export async function refreshSyncStatus() {
  const mine = ++seq;
  try {
    const s = await api.syncStatus();
    if (mine === seq) {
      sync.status = s;
      sync.error = null;
    }
  } catch (e) {
    if (mine === seq) sync.error = (e as Error).message;
  }
}

export function watchSyncStatus() {
  refreshSyncStatus();
  return onSyncStatus((s) => {
    seq++; // an event is newer than any request in flight
    sync.status = s;
  });
}

export async function retrySync(): Promise<string | null> {
  try {
    await api.syncNow();
    return null;
  } catch (e) {
    return (e as Error).message;
  } finally {
    refreshSyncStatus();
  }
}
