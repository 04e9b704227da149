// Files in the real window: import a LubeLogger file through the wizard (choosing the
// units it does not carry), watch progress, cancel once (nothing written), import; the
// dashboard shows the hand-computed economy. Export a CSV and a backup through the
// dialog path override (GLOVEBOX_DIALOG_ANSWERS), restore the backup into an empty data
// directory, and everything is there. A CLI import into the same database while the app
// runs appears in the window.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startDriver, openApp, helpers, cli, answerDialog, lubeloggerFuelCsv } from "./driver.mjs";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "glovebox-files-e2e-"));
const answers = path.join(tmp, "dialog-answer");
const first = path.join(tmp, "first");
const second = path.join(tmp, "second");
const ROWS = 30000;
const csv = path.join(tmp, "Golf.csv");
let driver;
let d;
let h;

async function open(dataDir, port) {
  await d?.quit().catch(() => {});
  await driver?.stop();
  driver = await startDriver(dataDir, port, { GLOVEBOX_DIALOG_ANSWERS: answers });
  d = await openApp(driver.url);
  h = helpers(d);
}

before(async () => {
  fs.writeFileSync(csv, lubeloggerFuelCsv(ROWS));
  answerDialog(answers, null);
  await open(first, 4494);
});

after(async () => {
  await d?.quit().catch(() => {});
  await driver?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const W = "[data-testid=import-wizard]";

test("import through the wizard: choose units, cancel once, then import", async () => {
  answerDialog(answers, csv);
  await h.click("[data-testid=import-first]", 30000);
  await h.find(W);
  // LubeLogger files carry no units: the wizard asks, and Import waits for the answer.
  await h.waitText("[data-testid=import-needs]", /distance unit.*Golf/, 20000);
  assert.equal(await (await h.find("[data-testid=import-commit]")).isEnabled(), false);
  await h.waitText("[data-testid=import-format]", /lubelogger-fuel/);
  await h.waitText("[data-testid=import-first-rows]", /10\s000/);
  await h.select("[data-testid=import-distance-unit]", "km");
  await h.select("[data-testid=import-volume-unit]", "l");
  await h.select("[data-testid=import-currency]", "EUR");
  await h.waitGone("[data-testid=import-needs]", 20000);
  await h.waitText("[data-testid=import-counts]", /30\s?000 fill-ups/);
  await d.wait(async () => (await h.find("[data-testid=import-commit]")).isEnabled(), 10000, "Import stays disabled");

  await h.click("[data-testid=import-commit]");
  await h.waitText("[data-testid=import-progress-text]", /Writing/, 20000);
  await h.click("[data-testid=import-cancel]");
  await h.waitText("[data-testid=import-notice]", /cancelled; nothing was written/, 20000);
  assert.match(cli(["vehicle", "list", "--db", path.join(first, "glovebox.db")]), /No vehicles yet/);

  await d.wait(async () => (await h.find("[data-testid=import-commit]")).isEnabled(), 20000, "Import stays disabled");
  await h.click("[data-testid=import-commit]");
  await h.waitText("[data-testid=import-summary]", /Imported 1 vehicle, 30\s?000 fill-ups/, 60000);
  await h.click("[data-testid=import-vehicle-link]");
  await h.waitText("[data-testid=vehicle-title]", /Golf/);
  // Every segment: 200 km on 16 L.
  await h.waitText("[data-testid=dash-economy]", /^8\.00 L\/100km/, 20000);
});

test("export a CSV and a backup through the dialog; restore refuses a garage with data", async () => {
  const out = path.join(tmp, "golf-fuel.csv");
  answerDialog(answers, out);
  await h.click("[data-testid=export-menu]");
  await h.click("[data-testid=export-fuel]");
  await h.waitText("[data-testid=toast]", /Exported 30\s?000 rows/, 30000);
  const lines = fs.readFileSync(out, "utf8").trim().split("\n");
  assert.equal(lines.length, ROWS + 1);
  assert.match(lines[0], /^Date,Odometer,FuelConsumed/);
  // Dismissed as a person would: the toast sits over the bottom of the page, where the
  // Backup buttons are, and a click meant for them would land on it.
  await h.click("[data-testid=toast] [aria-label=Dismiss]");
  await h.waitGone("[data-testid=toast]");

  const backup = path.join(tmp, "backup.json");
  answerDialog(answers, backup);
  await h.click("[data-testid=nav-settings]");
  await h.click("[data-testid=backup]");
  await h.waitText("[data-testid=backup-result]", /Backed up 30\s?001 records/, 60000);
  assert.ok(fs.statSync(backup).size > 1000);

  await h.click("[data-testid=restore]");
  await h.waitText("[data-testid=backup-result]", /Restore failed: .*empty/, 20000);
});

test("restore the backup into an empty data directory: everything is there", async () => {
  await open(second, 4504);
  await h.find("[data-testid=first-run]", 30000);
  answerDialog(answers, path.join(tmp, "backup.json"));
  await h.click("[data-testid=nav-settings]");
  await h.click("[data-testid=restore]");
  await h.waitText("[data-testid=backup-result]", /Restored from .*1 vehicles, 30000 fill-ups/, 120000);
  await h.click("[data-testid=nav-garage]");
  await h.waitText("[data-testid=card-name]", /Golf/, 20000);
  await h.waitText("[data-testid=card-economy]", /^8\.00 L\/100km$/, 20000);
  await h.waitText("[data-testid=card-odometer]", /6\s*009\s*800 km/);
});

test("a CLI import into the same database while the app runs appears in the window", async () => {
  const van = path.join(tmp, "Van.csv");
  fs.writeFileSync(van, lubeloggerFuelCsv(3, 500));
  cli(["import", van, "--distance-unit", "km", "--volume-unit", "l", "--currency", "EUR", "--db", path.join(second, "glovebox.db")]);
  const t0 = Date.now();
  await h.waitText("[data-testid=card-name]", /^Van$/, 5000);
  const ms = Date.now() - t0;
  assert.ok(ms < 2000, `the window showed the CLI's import after ${ms} ms`);
  await h.waitText("[data-testid=nav-vehicle]", /^Van$/, 2000);
});
