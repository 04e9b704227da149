// Deletes are tombstones in the core, so "undo" is a real restore, not a re-create.
import { api } from "./api";
import type { RecordKind } from "./bindings/RecordKind";
import { showToast } from "./toast.svelte";

export async function deleteWithUndo(kind: RecordKind, id: string, what: string) {
  await api.deleteRecord(kind, id);
  showToast({
    text: `Deleted ${what}.`,
    action: { label: "Undo", run: () => api.restoreRecord(kind, id) },
  });
}
