// How the sync status reads in the sidebar and in Settings (pure, so vitest covers it).
import type { SyncCounts } from "./bindings/SyncCounts";
import type { SyncProblem } from "./bindings/SyncProblem";
import type { SyncStatus } from "./bindings/SyncStatus";

export function ago(ms: number | null, now = Date.now()): string {
  if (ms === null) return "never";
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 45) return "just now";
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.round(m / 60);
  if (h < 24) return `${h} h ago`;
  return `${Math.round(h / 24)} d ago`;
}

export interface StatusLine {
  text: string;
  tone: "muted" | "ok" | "busy" | "warn" | "error";
  /** Offer "Retry" (offline or failed). */
  retry: boolean;
  detail: string | null;
}

export function statusLine(s: SyncStatus, now = Date.now()): StatusLine {
  const pending = s.pending > 0 ? ` · ${s.pending} pending` : "";
  switch (s.state) {
    case "local_only":
      // Nothing is waiting for a server that does not exist: no pending count here.
      return { text: "Local only", tone: "muted", retry: false, detail: "Sync is not set up on this device" };
    case "idle":
      return {
        text: s.last_synced_at_ms === null ? `Waiting to sync${pending}` : `Synced ${ago(s.last_synced_at_ms, now)}${pending}`,
        tone: "ok",
        retry: false,
        detail: null,
      };
    case "syncing":
      return { text: s.total > 0 ? `Syncing ${s.done} of ${s.total}` : "Syncing…", tone: "busy", retry: false, detail: null };
    case "offline":
      return { text: `Offline${pending}`, tone: "warn", retry: true, detail: s.reason };
    case "error":
      return { text: `Sync error${pending}`, tone: "error", retry: true, detail: s.reason };
  }
}

/** The sidebar badge: rows that need a person (quarantined on pull, rejected by the
 *  server), or null when there are none. */
export function problemsBadge(c: SyncCounts | null): { text: string; title: string } | null {
  if (!c) return null;
  const n = c.quarantined + c.rejected;
  if (n === 0) return null;
  const parts = [];
  if (c.quarantined > 0) parts.push(`${c.quarantined} not applied here`);
  if (c.rejected > 0) parts.push(`${c.rejected} refused by the server`);
  return { text: `${n} sync issue${n === 1 ? "" : "s"}`, title: parts.join(", ") };
}

/** "Fuel record · Golf · 2024-03-01" (what a person recognises), "deleted" for tombstones. */
export function problemSubject(p: SyncProblem): string {
  const kind = p.record.charAt(0).toUpperCase() + p.record.slice(1);
  const parts = [p.deleted ? `${kind} (deleted)` : kind];
  if (p.vehicle) parts.push(p.vehicle);
  if (p.date) parts.push(p.date);
  return parts.join(" · ");
}
