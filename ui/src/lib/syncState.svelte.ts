// The sync status shared by the sidebar indicator and Settings → Sync: loaded once, then
// kept current by the shell's "sync-status" events and refreshed after writes (pending).
// Beside it, the counts of rows sync could not take (quarantined) or send (rejected),
// re-read whenever the status changes: a round is what adds or clears them.
import { api, onSyncStatus } from "./api";
import type { SyncCounts } from "./bindings/SyncCounts";
import type { SyncStatus } from "./bindings/SyncStatus";

export const sync = $state<{ status: SyncStatus | null; error: string | null; counts: SyncCounts | null; countsError: string | null }>({
  status: null,
  error: null,
  counts: null,
  countsError: null,
});

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
  refreshSyncCounts();
}

let countsSeq = 0;
export async function refreshSyncCounts() {
  const mine = ++countsSeq;
  try {
    const c = await api.syncCounts();
    if (mine === countsSeq) {
      sync.counts = c;
      sync.countsError = null;
    }
  } catch (e) {
    if (mine === countsSeq) sync.countsError = (e as Error).message;
  }
}

export function watchSyncStatus() {
  refreshSyncStatus();
  return onSyncStatus((s) => {
    seq++; // an event is newer than any request in flight
    sync.status = s;
    // Progress events come many per round; the counts change when it ends.
    if (s.state !== "syncing") refreshSyncCounts();
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
