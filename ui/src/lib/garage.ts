// The garage cards: each vehicle's headline numbers.
import { api } from "./api";
import type { Vehicle } from "./bindings/Vehicle";
import type { Reminder } from "./bindings/Reminder";
import { isDue, urgencyOf, worstOf, type Urgency } from "./urgency";

export interface GarageCard {
  vehicle: Vehicle;
  odometer: number | null;
  economy: number | null;
  next: Reminder | null;
  dueCount: number;
  worst: Urgency;
}

export async function loadGarageCards(): Promise<GarageCard[]> {
  const vehicles = await api.listVehicles(false);
  const now = new Date();
  return Promise.all(
    vehicles.map(async (vehicle) => {
      const [odo, reminders] = await Promise.all([api.currentOdometer(vehicle.id), api.listReminders(vehicle.id)]);
      const odometer = odo?.value ?? null;
      const levels = reminders.map((r) => urgencyOf(r, odometer, now));
      const due = levels.filter(isDue);
      return {
        vehicle,
        odometer,
        economy: null,
        next: reminders[0] ?? null,
        dueCount: due.length,
        worst: worstOf(due),
      };
    }),
  );
}
