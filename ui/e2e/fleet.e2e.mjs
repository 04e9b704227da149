// A 1,000-vehicle garage (the generator's fleet, over one year to keep the suite quick):
// the garage paints as a compact table, the sidebar search finds vehicle #0742, and the
// table sorts by economy (best first, checked against the core's own overview).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startDriver, openApp, helpers, cli } from "./driver.mjs";

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "glovebox-fleet-e2e-"));
const db = path.join(dataDir, "glovebox.db");
let driver;
let d;
let h;

before(async () => {
  cli(["generate", "--size", "fleet", "--years", "1", "--db", db]);
  driver = await startDriver(dataDir, 4514);
  d = await openApp(driver.url);
  h = helpers(d);
});

after(async () => {
  await d?.quit().catch(() => {});
  await driver?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

test("the fleet garage paints as a virtualised table", async () => {
  await h.find("[data-testid=garage-table]", 30000);
  await h.waitText(".toolbar .count", /1000 vehicles/);
  const rows = await h.count("[data-testid=garage-row]");
  assert.ok(rows > 5 && rows < 80, `${rows} rows in the DOM for 1000 vehicles`);
  const navRows = await h.count("[data-testid=nav-vehicle]");
  assert.ok(navRows > 5 && navRows < 80, `${navRows} sidebar rows in the DOM`);
  // The numbers fill in once the overview is there.
  await h.waitText("[data-testid=row-economy]", /L\/100km|mpg|kWh/, 60000);
  const log = fs.readFileSync(path.join(dataDir, "logs/glovebox.log"), "utf8");
  const shown = [...log.matchAll(/garage shown ms=([\d.]+)/g)].map((m) => Number(m[1]));
  assert.ok(shown.length >= 1, "launch-to-garage time logged");
  console.log(`PERF fleet_launch_to_garage_ms=${Math.round(shown.at(-1))}`);
});

test("the sidebar search finds vehicle #0742", async () => {
  await h.type("[data-testid=vehicle-search]", "#0742");
  await h.waitCount("[data-testid=nav-vehicle]", 1);
  await h.waitText("[data-testid=nav-vehicle]", /#0742$/);
  await h.click("[data-testid=nav-vehicle]");
  await h.waitText("[data-testid=vehicle-title]", /#0742$/);
  await h.find("[data-testid=dashboard]", 30000);
  await h.type("[data-testid=vehicle-search]", "");
  await h.click("[data-testid=nav-garage]");
});

test("the compact table sorts by economy, best first", async () => {
  const overview = JSON.parse(cli(["report", "--json", "--db", db]));
  const litres = overview.vehicles.filter((v) => v.economy_lifetime?.unit === "l_per_100km");
  const best = litres.reduce((a, b) => (b.economy_lifetime.value < a.economy_lifetime.value ? b : a));
  await h.find("[data-testid=garage-table]", 30000);
  await h.click("[data-testid=sort-economy]");
  await h.waitText("[data-testid=garage-row]:first-child [data-testid=row-name]", new RegExp(`^${best.name.replace(/[#]/g, "\\#")}`));
  const firstEconomy = await h.text("[data-testid=garage-row]:first-child [data-testid=row-economy]");
  assert.equal(firstEconomy, `${best.economy_lifetime.value.toFixed(2)} L/100km`);
  // Visible rows are in order.
  const values = await d.executeScript(
    "return [...document.querySelectorAll('[data-testid=row-economy]')].map(e => e.textContent.trim()).filter(t => t.endsWith('L/100km')).map(t => parseFloat(t))",
  );
  assert.deepEqual(values, [...values].sort((a, b) => a - b));
  // And the cards view is one click away.
  await h.click("[data-testid=view-cards]");
  await h.find("[data-testid=vehicle-card]");
  await h.click("[data-testid=view-table]");
});
