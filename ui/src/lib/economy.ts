// Per-fill economy for the Fuel tab, from the cached fuel report, keyed by record id.
import type { FuelReport } from "./bindings/FuelReport";

export type FillEconomyMap = Map<string, number | null>;

/** The segment's figure is shown on the full fill that closes it; every other fill
 *  (anchor, partials inside, voided, open) shows none of its own. */
export function fillEconomyMap(report: FuelReport): FillEconomyMap {
  return new Map(report.rows.map((r) => [r.id, r.role.kind === "closes" ? (r.economy?.value ?? null) : null]));
}
