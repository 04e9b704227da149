import { describe, expect, it } from "vitest";
import { groupByUrgency, worstOf, isDue, type Urgency } from "./urgency";

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

