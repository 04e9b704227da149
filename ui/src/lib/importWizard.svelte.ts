// Opening the import wizard: from "Import…" (the native file dialog first), or with a
// file dropped on the window. `vehicle` sends a one-vehicle file's rows to that vehicle.
import { api } from "./api";
import { showToast } from "./toast.svelte";

export const wizard = $state<{ path: string | null; vehicle: string | null }>({ path: null, vehicle: null });

export function openImport(path: string, vehicle: string | null = null) {
  wizard.vehicle = vehicle;
  wizard.path = path;
}

export async function startImport(vehicle: string | null = null) {
  try {
    const path = await api.pickImportFile();
    if (path) openImport(path, vehicle);
  } catch (e) {
    showToast({ text: `Could not open the file dialog: ${(e as Error).message}` });
  }
}

export function closeImport() {
  wizard.path = null;
  wizard.vehicle = null;
}
