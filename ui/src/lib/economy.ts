// Per-fill economy for the Fuel tab, keyed by fuel record id.
export type FillEconomyMap = Map<string, number | null>;

export async function loadFillEconomy(_vehicleId: string): Promise<FillEconomyMap> {
  return new Map();
}
