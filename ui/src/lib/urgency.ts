// Reminder urgency levels and grouping for the Reminders tab and garage badges.

// The level itself is computed by the core (reminders::urgency); this only orders and labels.
export type { Urgency } from "./bindings/Urgency";
import type { Urgency } from "./bindings/Urgency";

import { CATALOG } from "./bindings/catalog";

/** Worst first: the order groups are shown in (from the core's catalog). */
export const URGENCY_ORDER: Urgency[] = CATALOG.urgency.map((u) => u.code as Urgency);

export const URGENCY_LABEL = Object.fromEntries(CATALOG.urgency.map((u) => [u.code, u.label])) as Record<Urgency, string>;

/** Calm = 0 … past due = highest. */
const RANK = Object.fromEntries(URGENCY_ORDER.map((u, i) => [u, URGENCY_ORDER.length - 1 - i])) as Record<Urgency, number>;

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
