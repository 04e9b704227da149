// Sync in the real window against a real glovebox-server on loopback: sign in from
// Settings; a fill-up added in the app reaches a CLI device through the server; the CLI
// device's fill-up shows in the open app without a restart; sign out revokes the token
// (the server refuses it afterwards).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startDriver, openApp, helpers, daysAgo, cli, startServer } from "./driver.mjs";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "glovebox-sync-e2e-"));
const appDir = path.join(tmp, "app");
const cliDb = path.join(tmp, "cli.db");
const PASSWORD = "correct horse battery";
let server;
let driver;
let d;
let h;

before(async () => {
  server = await startServer(tmp, "ann", PASSWORD);
  // The engine syncs every 2 s here (every minute by default) so the test needs no clicks.
  driver = await startDriver(appDir, 4484, { GLOVEBOX_SYNC_INTERVAL_SECS: "2" });
  d = await openApp(driver.url);
  h = helpers(d);
});

after(async () => {
  await d?.quit().catch(() => {});
  await driver?.stop();
  await server?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const FUEL = "[data-testid=fuel-form]";

test("sign in from Settings", async () => {
  await h.click("[data-testid=add-first-vehicle]", 30000);
  await h.type("[data-testid=vehicle-form] [name=name]", "Shared Golf");
  await h.click("[data-testid=vehicle-form] [data-testid=save]");
  await h.waitText("[data-testid=vehicle-title]", /Shared Golf/);
  await h.waitText("[data-testid=sync-status-text]", /Local only/);

  await h.click("[data-testid=nav-settings]");
  await h.type("[data-testid=sign-in-form] [name=server_url]", server.url);
  await h.type("[data-testid=sign-in-form] [name=user]", "ann");
  await h.type("[data-testid=sign-in-form] [name=password]", "wrong password");
  await h.type("[data-testid=sign-in-form] [name=device_name]", "laptop");
  await h.click("[data-testid=sign-in]");
  await h.find("[data-testid=sign-in-form] [data-testid=error-password]", 20000);
  await h.type("[data-testid=sign-in-form] [name=password]", PASSWORD);
  await h.click("[data-testid=sign-in]");
  await h.waitText("[data-testid=sync-server]", new RegExp(server.url.replace(/[.]/g, "\\.")), 20000);
  await h.waitText("[data-testid=sync-token-store]", /(file|keyring|keychain)/i);
  await h.waitText("[data-testid=sync-status-text]", /Synced/, 20000);
});

test("a fill-up added in the app reaches a CLI device through the server", async () => {
  await h.click("[data-testid=nav-vehicle]");
  await h.click("[data-tab=fuel]");
  await h.click("[data-testid=add-fuel]");
  await h.setValue(`${FUEL} [name=occurred_at]`, daysAgo(3));
  await h.type(`${FUEL} [name=odometer]`, "10000");
  await h.type(`${FUEL} [name=quantity]`, "40");
  await h.type(`${FUEL} [name=total_cost]`, "60.00");
  await h.click(`${FUEL} [data-testid=save]`);
  await h.waitGone(FUEL);
  // Pushed by the engine by itself (debounced after the write): nothing pending.
  await d.wait(async () => !/pending/.test(await h.text("[data-testid=sync-status-text]")), 20000, "still pending");
  await h.waitText("[data-testid=sync-status-text]", /Synced/, 20000);

  cli(["sync", "login", "--server", server.url, "--user", "ann", "--password-stdin", "--device", "cli", "--db", cliDb], `${PASSWORD}\n`);
  cli(["sync", "now", "--db", cliDb]);
  const report = cli(["report", "--vehicle", "Shared Golf", "--db", cliDb]);
  assert.match(report, /Odometer\s+10000 km/);
});

test("the CLI device's fill-up shows in the open app without a restart", async () => {
  const d1 = new Date(Date.now() - 86_400_000);
  const p = (x) => String(x).padStart(2, "0");
  const csv = path.join(tmp, "one.csv");
  fs.writeFileSync(
    csv,
    "Date,Odometer,FuelConsumed,Cost,FuelEconomy,IsFillToFull,MissedFuelUp,Notes,Tags\n" +
      `${d1.getFullYear()}-${p(d1.getMonth() + 1)}-${p(d1.getDate())},10500,30.00,45.00,0,True,False,from the cli,\n`,
  );
  cli(["import", csv, "--vehicle", "Shared Golf", "--db", cliDb]);
  cli(["sync", "now", "--db", cliDb]);
  // The app's engine pulls it on its next round; the open Fuel tab refreshes by itself.
  await h.waitCount("[data-testid=fuel-row]", 2, 20000);
  // 500 km on 30 L.
  await h.waitText("[data-testid=fill-economy]", /^6\.00 L\/100km$/);
});

test("sign out revokes the token: the server refuses it", async () => {
  const token = fs.readFileSync(path.join(appDir, "glovebox.db.sync-token"), "utf8").trim();
  const pull = () => fetch(`${server.url}/v1/pull?since=0`, { headers: { Authorization: `Bearer ${token}` } });
  assert.equal((await pull()).status, 200);
  await h.click("[data-testid=nav-settings]");
  await h.click("[data-testid=sign-out]");
  await h.waitText("[data-testid=sync-message]", /revoked/, 20000);
  await h.waitText("[data-testid=sync-status-text]", /Local only/);
  await h.find("[data-testid=sign-in-form]");
  assert.equal((await pull()).status, 401);
});
