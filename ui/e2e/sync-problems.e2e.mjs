// Rows sync could not take or send, seen in the real window against a real glovebox-server
// on loopback: another client pushes rows this Glovebox cannot apply (a vehicle with a
// fuel kind it does not know, a fill-up with a negative quantity) through a raw HTTP client;
// a record with an id an older Glovebox wrote is refused by the server. The sidebar
// badge counts them and Settings → Sync lists each with its vehicle, date, code and reason.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startDriver, openApp, helpers, cli, startServer, rawSyncClient, sqlite, legacyOdometerRow, unapplicableRows } from "./driver.mjs";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "glovebox-sync-problems-e2e-"));
const appDir = path.join(tmp, "app");
const db = path.join(appDir, "glovebox.db");
const PASSWORD = "correct horse battery";
let server;
let driver;
let d;
let h;

before(async () => {
  server = await startServer(tmp, "ann", PASSWORD);
  // A database an older Glovebox wrote: a vehicle, and an odometer reading whose id is
  // not a UUID (the server refuses such ids).
  fs.mkdirSync(appDir, { recursive: true });
  cli(["vehicle", "add", "Golf", "--distance-unit", "km", "--volume-unit", "l", "--currency", "EUR", "--db", db]);
  legacyOdometerRow(db, "Golf", Date.UTC(2024, 2, 1, 9));
  driver = await startDriver(appDir, 4534, { GLOVEBOX_SYNC_INTERVAL_SECS: "2", GLOVEBOX_TOKEN_STORE: "file" });
  d = await openApp(driver.url);
  h = helpers(d);
});

after(async () => {
  await d?.quit().catch(() => {});
  await driver?.stop();
  await server?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

test("the server refuses a row: the badge counts it and Settings lists it", async () => {
  await h.waitText("[data-testid=sync-status-text]", /Local only/, 30000);
  await h.click("[data-testid=nav-settings]");
  await h.type("[data-testid=sign-in-form] [name=server_url]", server.url);
  await h.type("[data-testid=sign-in-form] [name=user]", "ann");
  await h.type("[data-testid=sign-in-form] [name=password]", PASSWORD);
  await h.click("[data-testid=sign-in]");
  await h.waitText("[data-testid=sync-server]", /127\.0\.0\.1/, 20000);
  // Where the token is, by kind (this run asks for the file).
  const store = await h.find("[data-testid=sync-token-store]");
  assert.equal(await store.getAttribute("data-kind"), "file");
  await h.waitText("[data-testid=sync-token-store]", /^File — .*mode 0600.*glovebox\.db\.sync-token$/);

  await h.waitText("[data-testid=sync-problems-badge]", /^1 sync issue$/, 20000);
  const row = "[data-testid=sync-rejected] [data-testid=sync-problem-row]";
  await h.waitCount(row, 1, 20000);
  assert.equal(await h.text(`${row} [data-testid=sync-problem-subject]`), "Odometer record · Golf · 2024-03-01");
  assert.equal(await h.text(`${row} [data-testid=sync-problem-code]`), "bad_id");
  assert.match(await h.text(`${row} [data-testid=sync-problem-reason]`), /legacy-17.*UUID/);
});

test("rows another device sent that this Glovebox cannot apply are listed with their reasons", async () => {
  const raw = await rawSyncClient(server.url, "ann", PASSWORD);
  const golf = sqlite(db, "SELECT id FROM vehicles WHERE name = 'Golf'");
  assert.match(golf, /^[0-9a-f-]{36}$/);
  const out = await raw.push(unapplicableRows(golf, Date.UTC(2024, 4, 2, 9)));
  assert.deepEqual(out.results.map((r) => r.result), ["applied", "applied"], JSON.stringify(out));

  // The app pulls them on its next round (every 2 s here) and keeps them out of the garage.
  await h.waitText("[data-testid=sync-problems-badge]", /^3 sync issues$/, 30000);
  const rows = "[data-testid=sync-quarantined] [data-testid=sync-problem-row]";
  await h.waitCount(rows, 2, 20000);
  const seen = [];
  for (const el of await h.findAll(rows)) {
    const t = (css) => el.findElement({ css }).then((e) => d.executeScript("return arguments[0].textContent.trim()", e));
    seen.push([await t("[data-testid=sync-problem-subject]"), await t("[data-testid=sync-problem-code]"), await t("[data-testid=sync-problem-reason]")]);
  }
  seen.sort();
  assert.equal(seen.length, 2);
  assert.equal(seen[0][0], "Fuel record · Golf · 2024-05-02");
  assert.match(seen[0][2], /quantity/);
  assert.equal(seen[1][0], "Vehicle · Mirai");
  assert.match(seen[1][2], /hydrogen/);
  // The garage still lists only what it could take.
  await h.click("[data-testid=nav-garage]");
  await h.waitCount("[data-testid=vehicle-card]", 1);
  assert.equal(await h.text("[data-testid=card-name]"), "Golf");
  assert.equal(await h.count("[data-testid=nav-vehicle]"), 1);
});
