// Typed wrappers over the shell's commands. Payload types come from ./bindings, generated
// from the Rust types (see src-tauri/tests/bindings.rs), so the UI cannot drift from the core.
import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type { ErrorPayload } from "./bindings/ErrorPayload";
import type { Vehicle } from "./bindings/Vehicle";
import type { VehicleInput } from "./bindings/VehicleInput";
import type { FuelInput } from "./bindings/FuelInput";
import type { FuelRecord } from "./bindings/FuelRecord";
import type { ServiceInput } from "./bindings/ServiceInput";
import type { ServiceKind } from "./bindings/ServiceKind";
import type { ServiceRecord } from "./bindings/ServiceRecord";
import type { OdometerInput } from "./bindings/OdometerInput";
import type { OdometerRecord } from "./bindings/OdometerRecord";
import type { Reminder } from "./bindings/Reminder";
import type { ReminderStatus } from "./bindings/ReminderStatus";
import type { GarageOverview } from "./bindings/GarageOverview";
import type { Dashboard } from "./bindings/Dashboard";
import type { FuelReport } from "./bindings/FuelReport";
import type { CompletionInput } from "./bindings/CompletionInput";
import type { Health } from "./bindings/Health";
import type { ReminderInput } from "./bindings/ReminderInput";
import type { RecordKind } from "./bindings/RecordKind";
import type { WriteOptions } from "./bindings/WriteOptions";
import type { Distance } from "./bindings/Distance";
import type { ChartKind } from "./bindings/ChartKind";
import type { ChartTheme } from "./bindings/ChartTheme";

/** An error from a command: the core's `{code, message, field}`. */
export class ApiError extends Error implements ErrorPayload {
  code: string;
  field: string | null;
  constructor(p: ErrorPayload) {
    super(p.message);
    this.code = p.code;
    this.field = p.field;
  }
  static from(e: unknown): ApiError {
    if (e instanceof ApiError) return e;
    if (e && typeof e === "object" && "code" in e && "message" in e) {
      const p = e as ErrorPayload;
      return new ApiError({ code: String(p.code), message: String(p.message), field: p.field ?? null });
    }
    return new ApiError({ code: "error", message: String(e), field: null });
  }
}

async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    throw ApiError.from(e);
  }
}

const opts = (confirm: boolean): WriteOptions => ({ confirm_odometer: confirm });

export const api = {
  listVehicles: (includeArchived = false) => call<Vehicle[]>("list_vehicles", { includeArchived }),
  getVehicle: (id: string) => call<Vehicle>("get_vehicle", { id }),
  createVehicle: (input: VehicleInput) => call<Vehicle>("create_vehicle", { input }),
  updateVehicle: (id: string, input: VehicleInput) => call<Vehicle>("update_vehicle", { id, input }),
  setVehicleArchived: (id: string, archived: boolean) => call<Vehicle>("set_vehicle_archived", { id, archived }),
  currentOdometer: (vehicleId: string) => call<Distance | null>("current_odometer", { vehicleId }),
  loadDemo: () => call<void>("load_demo"),
  // Cached reports (invalidated by the core on every change).
  garageOverview: () => call<GarageOverview>("garage_overview"),
  dashboard: (vehicleId: string) => call<Dashboard>("dashboard", { vehicleId }),

  listFuel: (vehicleId: string) => call<FuelRecord[]>("list_fuel", { vehicleId }),
  addFuel: (input: FuelInput, confirm = false) => call<FuelRecord>("add_fuel", { input, opts: opts(confirm) }),
  updateFuel: (id: string, input: FuelInput, confirm = false) =>
    call<FuelRecord>("update_fuel", { id, input, opts: opts(confirm) }),

  fuelReport: (vehicleId: string) => call<FuelReport>("fuel_report", { vehicleId }),

  listService: (vehicleId: string, kind: ServiceKind | null = null) =>
    call<ServiceRecord[]>("list_service", { vehicleId, kind }),
  addService: (input: ServiceInput, confirm = false) =>
    call<ServiceRecord>("add_service", { input, opts: opts(confirm) }),
  updateService: (id: string, input: ServiceInput, confirm = false) =>
    call<ServiceRecord>("update_service", { id, input, opts: opts(confirm) }),

  listOdometer: (vehicleId: string) => call<OdometerRecord[]>("list_odometer", { vehicleId }),
  addOdometer: (input: OdometerInput, confirm = false) =>
    call<OdometerRecord>("add_odometer", { input, opts: opts(confirm) }),
  updateOdometer: (id: string, input: OdometerInput, confirm = false) =>
    call<OdometerRecord>("update_odometer", { id, input, opts: opts(confirm) }),

  listReminders: (vehicleId: string) => call<ReminderStatus[]>("list_reminders", { vehicleId }),
  completeReminder: (id: string, input: CompletionInput, confirm = false) =>
    call<void>("complete_reminder", { id, input, opts: opts(confirm) }),
  addReminder: (input: ReminderInput) => call<Reminder>("add_reminder", { input }),
  updateReminder: (id: string, input: ReminderInput) => call<Reminder>("update_reminder", { id, input }),

  deleteRecord: (kind: RecordKind, id: string) => call<void>("delete_record", { kind, id }),
  restoreRecord: (kind: RecordKind, id: string) => call<void>("restore_record", { kind, id }),

  vehicleChart: (vehicleId: string, kind: ChartKind, theme: ChartTheme) =>
    call<string>("vehicle_chart", { vehicleId, kind, theme }),
  saveDownload: (fileName: string, bytes: Uint8Array) =>
    call<string>("save_download", { fileName, bytes: Array.from(bytes) }),

  health: () => call<Health>("health"),

  garageShown: () => call<number>("garage_shown"),
};

/** Calls `fn` after every committed write (local, sync or import). */
export function onRecordsChanged(fn: (vehicleId: string) => void): Promise<UnlistenFn> {
  return listen<{ vehicle_id: string }>("records-changed", (e) => fn(e.payload.vehicle_id));
}
