import { describe, expect, it } from "vitest";
import { fillEconomyMap } from "./economy";
import type { FuelReport } from "./bindings/FuelReport";
import type { FuelRow } from "./bindings/FuelRow";

const row = (id: string, role: FuelRow["role"], value: number | null): FuelRow => ({
  id, occurred_at: "2026-01-01T00:00:00", odometer: 0, quantity: 1, cost_minor: 1, unit_price_minor: 1,
  is_full: true, missed_previous: false, role, economy: value === null ? null : { value, unit: "l_per_100km" },
});

describe("fillEconomyMap", () => {
  it("shows a segment's figure only on the fill that closes it", () => {
    const report = {
      rows: [
        row("a", { kind: "anchor" }, null),
        row("p", { kind: "in_segment", segment: 0 }, 4.5),
        row("c", { kind: "closes", segment: 0 }, 4.5),
        row("o", { kind: "open" }, null),
      ],
    } as unknown as FuelReport;
    const m = fillEconomyMap(report);
    expect(m.get("c")).toBe(4.5);
    expect(m.get("p")).toBe(null);
    expect(m.get("a")).toBe(null);
    expect(m.get("o")).toBe(null);
  });
});
