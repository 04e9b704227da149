// A new record's odometer field starts at the vehicle's current reading. The view's copy
// is refreshed by the change event that follows a save, which can arrive after the next
// form opened (a quick second fill-up would start from the reading before the last one):
// so each new-record form also asks the core once it opens, and takes the answer unless
// the user has typed meanwhile.
import { api } from "./api";

export function refreshOdometerPrefill(vehicleId: string, field: { odometer: string }) {
  const initial = field.odometer;
  api
    .currentOdometer(vehicleId)
    .then((d) => {
      if (d && field.odometer === initial) field.odometer = String(d.value);
    })
    .catch(() => {}); // a hint only: the field keeps the view's value
}
