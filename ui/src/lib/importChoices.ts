// The wizard's choices as ImportOptions (pure, so vitest covers it).
import type { ImportOptions } from "./bindings/ImportOptions";
import type { VehicleChoice } from "./bindings/VehicleChoice";
import type { OdometerAction } from "./bindings/OdometerAction";

export function baseOptions(vehicle: string | null): ImportOptions {
  return {
    format: null, vehicle, date_format: null, skip_bad_rows: false, currency: null, distance_unit: null,
    volume_unit: null, economy_unit: null, vehicles: [], odometer: [], odometer_default: null,
    server_utc_offset_minutes: null, tank: null, preview_rows: 10,
  };
}

/** Sets one field of a file vehicle's choice, keeping the others. */
export function choose<K extends keyof VehicleChoice>(opts: ImportOptions, source: string, key: K, value: VehicleChoice[K]): ImportOptions {
  const others = opts.vehicles.filter((c) => c.source_name !== source);
  const mine: VehicleChoice = opts.vehicles.find((c) => c.source_name === source) ?? {
    source_name: source, existing_id: null, name: null, distance_unit: null, volume_unit: null, economy_unit: null, currency: null, skip: false,
  };
  const next = { ...mine, [key]: value };
  // New units: let the economy unit follow them unless chosen.
  if (key === "distance_unit" || key === "volume_unit") next.economy_unit = null;
  return { ...opts, vehicles: [...others, next] };
}

/** Sets the decision for one flagged odometer line (`null` clears it). */
export function decideOdometer(opts: ImportOptions, line: number, action: OdometerAction | null): ImportOptions {
  const others = opts.odometer.filter((d) => d.line !== line);
  return { ...opts, odometer: action ? [...others, { line, ...action }] : others };
}
