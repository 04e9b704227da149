import { describe, expect, it } from "vitest";
import { ago, statusLine } from "./sync";

const now = 1_800_000_000_000;

describe("sync status line", () => {
  it("says when the last sync was", () => {
    expect(ago(now - 10_000, now)).toBe("just now");
    expect(ago(now - 120_000, now)).toBe("2 min ago");
    expect(ago(null, now)).toBe("never");
    expect(statusLine({ state: "idle", last_synced_at_ms: now - 120_000, pending: 0 }, now).text).toBe("Synced 2 min ago");
  });
  it("shows progress, pending changes, and offers retry on failure", () => {
    expect(statusLine({ state: "syncing", done: 3, total: 40, last_synced_at_ms: null, pending: 40 }, now).text).toBe("Syncing 3 of 40");
    expect(statusLine({ state: "local_only", last_synced_at_ms: null, pending: 2 }, now).text).toBe("Local only");
    const off = statusLine({ state: "offline", reason: "connection refused", last_synced_at_ms: null, pending: 1 }, now);
    expect([off.text, off.retry, off.detail]).toEqual(["Offline · 1 pending", true, "connection refused"]);
    expect(statusLine({ state: "error", reason: "token revoked", last_synced_at_ms: null, pending: 0 }, now).retry).toBe(true);
  });
});
