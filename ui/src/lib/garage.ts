// Sorting the garage's compact table (pure, so vitest covers it).
import type { VehicleHeadline } from "./bindings/VehicleHeadline";
import { ECONOMY_LOWER_IS_BETTER, ECONOMY_UNITS } from "./units";

const ECONOMY_ORDER: string[] = ECONOMY_UNITS.map(([code]) => code);

export type SortKey = "name" | "odometer" | "economy" | "due";

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });

/** Economy sorts best first when ascending: lower is better for L/100km and kWh/100km,
 *  higher for mpg and km/L. Figures in different units are not comparable, so vehicles
 *  are grouped by unit (in the catalog's order) and sorted inside each group. Missing
 *  figures always sort last. */
export function sortHeadlines(lines: VehicleHeadline[], key: SortKey, desc: boolean): VehicleHeadline[] {
  const dir = desc ? -1 : 1;
  const value = (h: VehicleHeadline): number | null => {
    switch (key) {
      case "odometer":
        return h.odometer?.value ?? null;
      case "economy": {
        const e = h.economy_lifetime;
        if (!e) return null;
        return ECONOMY_LOWER_IS_BETTER.has(e.unit) ? e.value : -e.value;
      }
      case "due":
        return h.due_reminders * 1000 + h.past_due_reminders;
      default:
        return null;
    }
  };
  const unitRank = (h: VehicleHeadline) => (h.economy_lifetime ? ECONOMY_ORDER.indexOf(h.economy_lifetime.unit) : 99);
  return [...lines].sort((a, b) => {
    if (key === "name") return dir * collator.compare(a.name, b.name);
    if (key === "economy" && a.economy_lifetime && b.economy_lifetime && unitRank(a) !== unitRank(b)) return unitRank(a) - unitRank(b);
    const va = value(a);
    const vb = value(b);
    if (va === null || vb === null) return va === vb ? collator.compare(a.name, b.name) : va === null ? 1 : -1;
    return dir * (va - vb) || collator.compare(a.name, b.name);
  });
}
