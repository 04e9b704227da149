// Reminder urgency levels and grouping for the Reminders tab and garage badges.
import type { Reminder } from "./bindings/Reminder";

export type Urgency = "not_urgent" | "urgent" | "very_urgent" | "past_due";

/** Worst first: the order groups are shown in. */
export const URGENCY_ORDER: Urgency[] = ["past_due", "very_urgent", "urgent", "not_urgent"];

export const URGENCY_LABEL: Record<Urgency, string> = {
  past_due: "Past due",
  very_urgent: "Very urgent",
  urgent: "Urgent",
  not_urgent: "Not urgent",
};

const RANK: Record<Urgency, number> = { not_urgent: 0, urgent: 1, very_urgent: 2, past_due: 3 };

export const isDue = (u: Urgency) => RANK[u] >= RANK.urgent;
export const worse = (a: Urgency, b: Urgency): Urgency => (RANK[a] >= RANK[b] ? a : b);

export interface Group<T> {
  urgency: Urgency;
  items: T[];
}

/** Groups items by urgency, worst group first, keeping each group's input order; empty
 *  groups are left out. */
export function groupByUrgency<T>(items: T[], urgencyOf: (t: T) => Urgency): Group<T>[] {
  return URGENCY_ORDER.map((u) => ({ urgency: u, items: items.filter((i) => urgencyOf(i) === u) })).filter(
    (g) => g.items.length > 0,
  );
}

export function worstOf(levels: Urgency[]): Urgency {
  return levels.reduce<Urgency>((a, b) => worse(a, b), "not_urgent");
}

const DAY_MS = 86_400_000;
const KM_PER_MILE = 1.609344;

/**
 * A reminder's urgency by date and distance, the worse of the two, with the reminder's own
 * thresholds over the defaults (30/7 days, 1000/300 km). The same rules as the core's
 * `reminders::urgency`; used for reminders listed straight from `list_reminders`.
 */
export function urgencyOf(r: Reminder, currentOdometer: number | null, now: Date): Urgency {
  const t = r.thresholds;
  const unitKm = r.due_odometer?.unit === "mi" ? KM_PER_MILE : 1;
  const urgentDays = t.urgent_days ?? 30;
  const veryUrgentDays = Math.min(t.very_urgent_days ?? 7, urgentDays);
  const urgentDist = t.urgent_distance ?? 1000 / unitKm;
  const veryUrgentDist = Math.min(t.very_urgent_distance ?? 300 / unitKm, urgentDist);
  let level: Urgency = "not_urgent";
  if (r.due_at) {
    const days = (new Date(r.due_at).getTime() - now.getTime()) / DAY_MS;
    level = worse(level, days < 0 ? "past_due" : days <= veryUrgentDays ? "very_urgent" : days <= urgentDays ? "urgent" : "not_urgent");
  }
  if (r.due_odometer && currentOdometer !== null) {
    const left = r.due_odometer.value - currentOdometer;
    level = worse(level, left < 0 ? "past_due" : left <= veryUrgentDist ? "very_urgent" : left <= urgentDist ? "urgent" : "not_urgent");
  }
  return level;
}
