import { describe, expect, it } from "vitest";
import { baseOptions, choose, decideOdometer } from "./importChoices";

describe("import choices", () => {
  it("keeps one choice per file vehicle and resets economy with the units", () => {
    let o = baseOptions(null);
    o = choose(o, "Golf", "economy_unit", "mpg_us");
    o = choose(o, "Golf", "currency", "USD");
    expect(o.vehicles).toHaveLength(1);
    expect(o.vehicles[0].economy_unit).toBe("mpg_us");
    o = choose(o, "Golf", "distance_unit", "mi");
    expect(o.vehicles[0]).toMatchObject({ distance_unit: "mi", currency: "USD", economy_unit: null });
    o = choose(o, "Van", "skip", true);
    expect(o.vehicles.map((c) => c.source_name).sort()).toEqual(["Golf", "Van"]);
  });
  it("records one odometer decision per line", () => {
    let o = decideOdometer(baseOptions(null), 7, { action: "skip" });
    o = decideOdometer(o, 7, { action: "fix", odometer: 12345 });
    expect(o.odometer).toEqual([{ line: 7, action: "fix", odometer: 12345 }]);
    expect(decideOdometer(o, 7, null).odometer).toEqual([]);
  });
});
