// Display formatting. Values arrive in the vehicle's own units (the core stores them so);
// these helpers only decide how they look.
import { minorDigits } from "./currency";
import { DISTANCE_LABEL, VOLUME_LABEL, ECONOMY_LABEL } from "./units";

export type DateFormat = "iso" | "dmy" | "mdy";

export function formatDate(iso: string | null | undefined, fmt: DateFormat): string {
  if (!iso) return "—";
  const [y, m, d] = iso.slice(0, 10).split("-");
  if (!d) return iso;
  switch (fmt) {
    case "dmy":
      return `${d}/${m}/${y}`;
    case "mdy":
      return `${m}/${d}/${y}`;
    default:
      return `${y}-${m}-${d}`;
  }
}

export function formatNumber(v: number | null | undefined, decimals = 0): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "—";
  return v.toLocaleString("en-US", {
    minimumFractionDigits: decimals,
    maximumFractionDigits: decimals,
  }).replace(/,/g, "\u202f");
}

export function formatMoney(minor: number | null | undefined, currency: string): string {
  if (minor === null || minor === undefined) return "—";
  const digits = minorDigits(currency);
  return `${formatNumber(minor / 10 ** digits, digits)} ${currency}`;
}

export const distanceLabel = (u: string) => DISTANCE_LABEL.get(u) ?? u;
export const volumeLabel = (u: string) => VOLUME_LABEL.get(u) ?? u;
export const economyLabel = (u: string) => ECONOMY_LABEL.get(u) ?? u;

export function formatDistance(value: number | null | undefined, unit: string): string {
  if (value === null || value === undefined) return "—";
  return `${formatNumber(value, 0)} ${distanceLabel(unit)}`;
}

export function formatEconomy(value: number | null | undefined, unit: string): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "—";
  return `${formatNumber(value, 2)} ${economyLabel(unit)}`;
}

/** "2026-11-23T08:15" — the value of a datetime-local input for a core timestamp. */
export function toInputDateTime(iso: string): string {
  return iso.slice(0, 16);
}

/** The local time now, as a datetime-local value (the default date of new records). */
export function nowInputDateTime(now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${now.getFullYear()}-${p(now.getMonth() + 1)}-${p(now.getDate())}T${p(now.getHours())}:${p(now.getMinutes())}`;
}

/** A datetime-local value (or a bare date) to the core's NaiveDateTime text. */
export function fromInputDateTime(v: string): string | null {
  if (/^\d{4}-\d{2}-\d{2}$/.test(v)) return `${v}T00:00:00`;
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(v)) return `${v}:00`;
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/.test(v)) return v;
  return null;
}
