import { describe, expect, it } from "vitest";
import { sortHeadlines } from "./garage";
import type { VehicleHeadline } from "./bindings/VehicleHeadline";

const h = (name: string, economy: number | null, unit = "l_per_100km", odo: number | null = null): VehicleHeadline => ({
  vehicle_id: name, name, make: "", model: "", odometer: odo === null ? null : { value: odo, unit: "km" },
  economy_recent: null, economy_lifetime: economy === null ? null : { value: economy, unit: unit as never },
  currency: "EUR", cost_this_year_minor: 0, cost_lifetime_minor: 0, cost_per_distance_minor: null,
  due_reminders: 0, past_due_reminders: 0, next_reminder: null,
});

describe("garage table sort", () => {
  it("sorts names naturally", () => {
    const names = sortHeadlines([h("Van #10", 1), h("Van #9", 1), h("Van #0742", 1)], "name", false).map((x) => x.name);
    expect(names).toEqual(["Van #9", "Van #10", "Van #0742"]);
  });
  it("sorts economy best first within each unit, missing last", () => {
    const lines = [h("a", 8.0), h("b", null), h("c", 5.5), h("d", 40, "mpg_us")];
    expect(sortHeadlines(lines, "economy", false).map((x) => x.name)).toEqual(["c", "a", "d", "b"]);
    expect(sortHeadlines(lines, "economy", true).map((x) => x.name)).toEqual(["a", "c", "d", "b"]);
  });
  it("sorts by odometer", () => {
    const lines = [h("a", 1, "l_per_100km", 500), h("b", 1, "l_per_100km", 90000)];
    expect(sortHeadlines(lines, "odometer", true).map((x) => x.name)).toEqual(["b", "a"]);
  });
});
