import { describe, expect, it } from "vitest";
import { groupByUrgency, urgencyOf, worstOf, isDue, type Urgency } from "./urgency";
import type { Reminder } from "./bindings/Reminder";

const reminder = (over: Partial<Reminder>): Reminder => ({
  id: "r", vehicle_id: "v", title: "t", notes: "", due_at: null, due_odometer: null, recur_months: null,
  recur_distance: null, schedule: "from_completion",
  thresholds: { urgent_days: null, very_urgent_days: null, urgent_distance: null, very_urgent_distance: null },
  active: true, ...over,
});

describe("groupByUrgency", () => {
  it("orders groups worst first, keeps order inside a group, drops empty groups", () => {
    const items: [string, Urgency][] = [["a", "not_urgent"], ["b", "past_due"], ["c", "urgent"], ["d", "past_due"]];
    const groups = groupByUrgency(items, (i) => i[1]);
    expect(groups.map((g) => g.urgency)).toEqual(["past_due", "urgent", "not_urgent"]);
    expect(groups[0].items.map((i) => i[0])).toEqual(["b", "d"]);
  });
  it("knows which levels count as due", () => {
    expect(isDue("urgent")).toBe(true);
    expect(isDue("not_urgent")).toBe(false);
    expect(worstOf(["urgent", "past_due", "very_urgent"])).toBe("past_due");
    expect(worstOf([])).toBe("not_urgent");
  });
});

describe("urgencyOf", () => {
  const now = new Date("2026-06-01T12:00:00");
  it("rates by date with the default 30/7 days", () => {
    expect(urgencyOf(reminder({ due_at: "2026-08-01T00:00:00" }), null, now)).toBe("not_urgent");
    expect(urgencyOf(reminder({ due_at: "2026-06-20T00:00:00" }), null, now)).toBe("urgent");
    expect(urgencyOf(reminder({ due_at: "2026-06-05T00:00:00" }), null, now)).toBe("very_urgent");
    expect(urgencyOf(reminder({ due_at: "2026-05-01T00:00:00" }), null, now)).toBe("past_due");
  });
  it("rates by distance and takes the worse of the two", () => {
    const r = reminder({ due_at: "2026-12-01T00:00:00", due_odometer: { value: 50_500, unit: "km" } });
    expect(urgencyOf(r, 49_000, now)).toBe("not_urgent");
    expect(urgencyOf(r, 49_800, now)).toBe("urgent");
    expect(urgencyOf(r, 50_300, now)).toBe("very_urgent");
    expect(urgencyOf(r, 50_600, now)).toBe("past_due");
  });
  it("uses the reminder's own thresholds", () => {
    const r = reminder({ due_at: "2026-06-20T00:00:00", thresholds: { urgent_days: 10, very_urgent_days: 2, urgent_distance: null, very_urgent_distance: null } });
    expect(urgencyOf(r, null, now)).toBe("not_urgent");
  });
});
