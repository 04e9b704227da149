// The unit choices the core accepts, with their labels: all from the generated catalog
// (glovebox-core's catalog.rs), never copied by hand.
import { CATALOG } from "./bindings/catalog";
import type { FuelKind } from "./bindings/FuelKind";
import type { DistanceUnit } from "./bindings/DistanceUnit";
import type { VolumeUnit } from "./bindings/VolumeUnit";
import type { EconomyUnit } from "./bindings/EconomyUnit";

type Entry = { readonly code: string; readonly label: string; readonly name: string };
const choices = <T extends string>(list: readonly Entry[]): [T, string][] => list.map((e) => [e.code as T, e.name]);

export const FUEL_KINDS = choices<FuelKind>(CATALOG.fuel_kinds);
export const DISTANCE_UNITS = choices<DistanceUnit>(CATALOG.distance_units);
export const VOLUME_UNITS = choices<VolumeUnit>(CATALOG.volume_units);
export const ECONOMY_UNITS = choices<EconomyUnit>(CATALOG.economy_units);

const labels = (list: readonly Entry[]) => new Map<string, string>(list.map((e) => [e.code, e.label]));
export const DISTANCE_LABEL = labels(CATALOG.distance_units);
export const VOLUME_LABEL = labels(CATALOG.volume_units);
export const ECONOMY_LABEL = labels(CATALOG.economy_units);

/** The core's default economy unit for a distance/volume pair (EconomyUnit::default_for). */
export function defaultEconomyUnit(d: DistanceUnit, v: VolumeUnit): EconomyUnit {
  const hit = CATALOG.default_economy.find((x) => x.distance === d && x.volume === v);
  return (hit?.economy ?? "l_per_100km") as EconomyUnit;
}

/** Economy units where a smaller figure is better (L/100km, kWh/100km). */
export const ECONOMY_LOWER_IS_BETTER = new Set<string>(CATALOG.economy_lower_is_better);
