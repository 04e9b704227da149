// Per-fill economy for the Fuel tab, keyed by fuel record id.
import { api } from "./api";
import type { FuelEconomyView } from "./bindings/FuelEconomyView";

export type FillEconomyMap = Map<string, number | null>;

export function fillEconomyMap(view: FuelEconomyView): FillEconomyMap {
  return new Map(view.fills.map((f) => [f.id, f.economy]));
}

export async function loadFillEconomy(vehicleId: string): Promise<FillEconomyMap> {
  return fillEconomyMap(await api.fuelEconomy(vehicleId));
}
