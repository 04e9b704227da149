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
import type { FuelLog } from "./bindings/FuelLog";
import type { ServiceLog } from "./bindings/ServiceLog";
import type { OdometerLog } from "./bindings/OdometerLog";
import type { Changed } from "./bindings/Changed";
import type { SyncSettings } from "./bindings/SyncSettings";
import type { SyncStatus } from "./bindings/SyncStatus";
import type { SignIn } from "./bindings/SignIn";
import type { SignedOut } from "./bindings/SignedOut";
import type { SyncSummary } from "./bindings/SyncSummary";
import type { SyncProblems } from "./bindings/SyncProblems";
import type { SyncCounts } from "./bindings/SyncCounts";
import type { Restored } from "./bindings/Restored";
import type { ImportOptions } from "./bindings/ImportOptions";
import type { ImportReport } from "./bindings/ImportReport";
import type { Progress } from "./bindings/Progress";
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

  /** The newest `limit` fill-ups with the economy each row shows: one call for the Fuel tab. */
  fuelLog: (vehicleId: string, limit: number) => call<FuelLog>("fuel_log", { vehicleId, limit }),
  addFuel: (input: FuelInput, confirm = false) => call<FuelRecord>("add_fuel", { input, opts: opts(confirm) }),
  updateFuel: (id: string, input: FuelInput, confirm = false) =>
    call<FuelRecord>("update_fuel", { id, input, opts: opts(confirm) }),

  /** The newest `limit` records of `kind` with `tag`, with totals and tags over all of them. */
  serviceLog: (vehicleId: string, kind: ServiceKind | null, tag: string | null, limit: number) =>
    call<ServiceLog>("service_log", { vehicleId, kind, tag, limit }),
  addService: (input: ServiceInput, confirm = false) =>
    call<ServiceRecord>("add_service", { input, opts: opts(confirm) }),
  updateService: (id: string, input: ServiceInput, confirm = false) =>
    call<ServiceRecord>("update_service", { id, input, opts: opts(confirm) }),

  /** The newest `limit` separate readings and how many there are. */
  odometerLog: (vehicleId: string, limit: number) => call<OdometerLog>("odometer_log", { vehicleId, limit }),
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

  // Files: each opens the native dialog in the shell; `null` means the user cancelled.
  saveChart: (fileName: string, bytes: Uint8Array) =>
    call<string | null>("save_chart", { fileName, bytes: Array.from(bytes) }),
  exportRecords: (vehicleId: string, kind: ExportKind) => call<Saved | null>("export_records", { vehicleId, kind }),
  backup: () => call<Saved | null>("backup"),
  restore: () => call<{ path: string; restored: Restored } | null>("restore"),

  // Import: a file from the dialog (or dropped), previewed until nothing is missing.
  pickImportFile: () => call<string | null>("pick_import_file"),
  importPreview: (path: string, options: ImportOptions) => call<ImportReport>("import_preview", { path, options }),
  importCommit: (path: string, options: ImportOptions) => call<ImportReport>("import_commit", { path, options }),
  cancelImport: () => call<boolean>("cancel_import"),

  // Sync.
  syncSettings: () => call<SyncSettings>("sync_settings"),
  syncStatus: () => call<SyncStatus>("sync_status"),
  /** Rows quarantined on pull and rows the server rejected, by vehicle and date. */
  syncProblems: () => call<SyncProblems>("sync_problems"),
  /** Pending, quarantined and rejected counts (the sidebar's badge). */
  syncCounts: () => call<SyncCounts>("sync_counts"),
  signIn: (input: SignIn) => call<SyncSettings>("sign_in", { input }),
  signOut: () => call<SignedOut>("sign_out"),
  syncNow: () => call<SyncSummary>("sync_now"),

  health: () => call<Health>("health"),

  garageShown: () => call<number>("garage_shown"),
};

export type ExportKind = "fuel" | "service" | "odometer" | "reminders_ics";
export interface Saved {
  path: string;
  count: number;
}

/** Calls `fn` after committed writes (local, sync, import, or another process: `all`),
 *  coalesced by the core into one event per burst. */
export function onRecordsChanged(fn: (c: Changed) => void): Promise<UnlistenFn> {
  return listen<Changed>("records-changed", (e) => fn(e.payload));
}

/** Calls `fn` whenever the sync engine's status changes. */
export function onSyncStatus(fn: (s: SyncStatus) => void): Promise<UnlistenFn> {
  return listen<SyncStatus>("sync-status", (e) => fn(e.payload));
}

/** Calls `fn` with an import's progress while it runs. */
export function onImportProgress(fn: (p: Progress) => void): Promise<UnlistenFn> {
  return listen<Progress>("import-progress", (e) => fn(e.payload));
}
