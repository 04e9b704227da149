// Reminder urgency levels and grouping for the Reminders tab and garage badges.

// The level itself is computed by the core (reminders::urgency); this only orders and labels.
export type { Urgency } from "./bindings/Urgency";
import type { Urgency } from "./bindings/Urgency";

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
