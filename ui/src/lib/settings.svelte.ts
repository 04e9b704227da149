// App-wide display preferences, kept in localStorage (they belong to this device, not to
// the synced data). Units and currency are per vehicle and live in the core instead.
import type { DateFormat } from "./format";

export type Theme = "light" | "dark" | "system";

const KEY = "glovebox.settings";

interface Stored {
  theme: Theme;
  dateFormat: DateFormat;
}

function load(): Stored {
  try {
    const s = JSON.parse(localStorage.getItem(KEY) ?? "{}");
    return {
      theme: ["light", "dark", "system"].includes(s.theme) ? s.theme : "system",
      dateFormat: ["iso", "dmy", "mdy"].includes(s.dateFormat) ? s.dateFormat : "iso",
    };
  } catch {
    return { theme: "system", dateFormat: "iso" };
  }
}

export const settings = $state<Stored>(load());

export function saveSettings() {
  localStorage.setItem(KEY, JSON.stringify(settings));
  applyTheme();
}

/** The theme actually in force ("system" resolved through the OS preference). */
export function effectiveTheme(): "light" | "dark" {
  if (settings.theme !== "system") return settings.theme;
  return window.matchMedia?.("(prefers-color-scheme: dark)").matches ? "dark" : "light";
}

export function applyTheme() {
  document.documentElement.dataset.theme = effectiveTheme();
}
