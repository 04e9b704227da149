// A tiny hash router: the app has five places, and the hash keeps the current one across
// a reload of the web view (and makes views addressable from the e2e tests).
export type Tab = "dashboard" | "fuel" | "service" | "odometer" | "reminders";
export type Route =
  | { name: "garage" }
  | { name: "vehicle"; id: string; tab: Tab }
  | { name: "settings" }
  | { name: "diagnostics" };

const TABS: Tab[] = ["dashboard", "fuel", "service", "odometer", "reminders"];

export function parseHash(hash: string): Route {
  const parts = hash.replace(/^#\/?/, "").split("/").filter(Boolean);
  if (parts[0] === "vehicle" && parts[1]) {
    const tab = TABS.includes(parts[2] as Tab) ? (parts[2] as Tab) : "dashboard";
    return { name: "vehicle", id: decodeURIComponent(parts[1]), tab };
  }
  if (parts[0] === "settings") return { name: "settings" };
  if (parts[0] === "diagnostics") return { name: "diagnostics" };
  return { name: "garage" };
}

export function toHash(r: Route): string {
  switch (r.name) {
    case "vehicle":
      return `#/vehicle/${encodeURIComponent(r.id)}/${r.tab}`;
    case "garage":
      return "#/";
    default:
      return `#/${r.name}`;
  }
}

export const router = $state<{ route: Route }>({ route: parseHash(location.hash) });

export function go(r: Route) {
  router.route = r;
  const h = toHash(r);
  if (location.hash !== h) history.pushState(null, "", h);
}

window.addEventListener("popstate", () => {
  router.route = parseHash(location.hash);
});
