// The unit choices the core accepts (codes from glovebox-core's units.rs).
import type { FuelKind } from "./bindings/FuelKind";
import type { DistanceUnit } from "./bindings/DistanceUnit";
import type { VolumeUnit } from "./bindings/VolumeUnit";
import type { EconomyUnit } from "./bindings/EconomyUnit";

export const FUEL_KINDS: [FuelKind, string][] = [
  ["petrol", "Petrol"], ["diesel", "Diesel"], ["electric", "Electric"], ["hybrid", "Hybrid"], ["lpg", "LPG"], ["other", "Other"],
];
export const DISTANCE_UNITS: [DistanceUnit, string][] = [["km", "Kilometres"], ["mi", "Miles"]];
export const VOLUME_UNITS: [VolumeUnit, string][] = [
  ["l", "Litres"], ["us_gal", "US gallons"], ["imp_gal", "Imperial gallons"], ["kwh", "kWh"],
];
export const ECONOMY_UNITS: [EconomyUnit, string][] = [
  ["l_per_100km", "L/100km"], ["km_per_l", "km/L"], ["mpg_us", "mpg (US)"], ["mpg_uk", "mpg (UK)"],
  ["kwh_per_100km", "kWh/100km"], ["mi_per_kwh", "mi/kWh"], ["km_per_kwh", "km/kWh"],
];

/** The core's default economy unit for a distance/volume pair (EconomyUnit::default_for). */
export function defaultEconomyUnit(d: DistanceUnit, v: VolumeUnit): EconomyUnit {
  if (v === "kwh") return d === "km" ? "kwh_per_100km" : "mi_per_kwh";
  if (d === "km") return "l_per_100km";
  return v === "imp_gal" ? "mpg_uk" : "mpg_us";
}
