import { describe, expect, it } from "vitest";
import { ago, problemsBadge, problemSubject, statusLine } from "./sync";

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

describe("sync issues", () => {
  it("counts quarantined and rejected rows in the badge", () => {
    expect(problemsBadge({ pending: 4, quarantined: 0, rejected: 0 })).toBeNull();
    expect(problemsBadge(null)).toBeNull();
    expect(problemsBadge({ pending: 0, quarantined: 2, rejected: 1 })).toEqual({
      text: "3 sync issues",
      title: "2 not applied here, 1 refused by the server",
    });
    expect(problemsBadge({ pending: 0, quarantined: 0, rejected: 1 })?.text).toBe("1 sync issue");
  });
  it("tells a row by its kind, vehicle and date", () => {
    const p = { table: "fuel_records", id: "x", record: "fuel record", vehicle: "Golf", date: "2024-03-01", deleted: false, code: "clock_ahead", reason: "", at_ms: 0 };
    expect(problemSubject(p)).toBe("Fuel record · Golf · 2024-03-01");
    expect(problemSubject({ ...p, record: "trips", vehicle: null, date: null, deleted: true })).toBe("Trips (deleted)");
  });
});
