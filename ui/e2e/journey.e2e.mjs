// End to end in the real app window: first run -> vehicle -> fill-ups (one partial) ->
// economy -> service and reminder -> urgency -> edit, delete and undo -> invalid input ->
// odometer typo guard -> restart on the same data.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startDriver, openApp, helpers, daysAgo, dateIn } from "./driver.mjs";

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "glovebox-e2e-"));
let driver;
let d;
let h;

before(async () => {
  driver = await startDriver(dataDir, 4444);
  d = await openApp(driver.url);
  h = helpers(d);
});

after(async () => {
  // Close the WebDriver session before stopping tauri-driver, always.
  await d?.quit().catch(() => {});
  await driver?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const FUEL = "[data-testid=fuel-form]";

async function addFill({ when, odometer, quantity, cost, full = true, expectPrefill }) {
  await h.click("[data-testid=add-fuel]");
  await h.find(FUEL);
  if (expectPrefill !== undefined) {
    // The form asks the core for the current reading as it opens (the view's copy may
    // predate the fill-up just saved).
    const field = await h.find(`${FUEL} [name=odometer]`);
    let seen;
    await d
      .wait(async () => (seen = await field.getAttribute("value")) === expectPrefill, 5000)
      .catch(() => assert.equal(seen, expectPrefill, "the odometer field's prefill"));
  }
  await h.setValue(`${FUEL} [name=occurred_at]`, when);
  await h.type(`${FUEL} [name=odometer]`, odometer);
  await h.type(`${FUEL} [name=quantity]`, quantity);
  await h.type(`${FUEL} [name=total_cost]`, cost);
  const box = await h.find(`${FUEL} [name=is_full]`);
  if ((await box.isSelected()) !== full) await box.click();
  await h.click(`${FUEL} [data-testid=save]`);
  await h.waitGone(FUEL);
}

test("first run offers a vehicle or demo data", async () => {
  await h.find("[data-testid=first-run]", 30000);
  await h.find("[data-testid=explore-demo]");
  await h.click("[data-testid=add-first-vehicle]");
  await h.type("[data-testid=vehicle-form] [name=name]", "Test Golf");
  await h.type("[data-testid=vehicle-form] [name=make]", "VW");
  await h.click("[data-testid=vehicle-form] [data-testid=save]");
  await h.waitText("[data-testid=vehicle-title]", /Test Golf/);
});

test("fill-ups with a partial one give the hand-computed economy", async () => {
  await h.click("[data-tab=fuel]");
  await addFill({ when: daysAgo(20), odometer: "10000", quantity: "40", cost: "60.00" });
  // The next form starts at the current reading.
  await addFill({ when: daysAgo(10), odometer: "10500", quantity: "20", cost: "30,50", full: false, expectPrefill: "10000" });
  await addFill({ when: daysAgo(1), odometer: "11000", quantity: "25,0", cost: "38.10" });
  await h.waitCount("[data-testid=fuel-row]", 3);
  // Segment 10000 -> 11000 km took 20 + 25 L (the partial counts): 45 L / 1000 km.
  await h.waitText("[data-testid=fill-economy]", /^4\.50 L\/100km$/);
  await h.click("[data-tab=dashboard]");
  await h.waitText("[data-testid=dash-economy]", /4\.50 L\/100km/);
  await h.waitText("[data-testid=dash-odometer]", /11\s000 km/);
});

test("a service and a reminder due soon, shown as urgent", async () => {
  await h.click("[data-tab=service]");
  await h.click("[data-testid=add-service]");
  const F = "[data-testid=service-form]";
  await h.type(`${F} [name=title]`, "Oil change");
  await h.type(`${F} [name=cost]`, "89,90");
  await h.type(`${F} [name=tags]`, "oil, filter");
  await h.click(`${F} [data-testid=save]`);
  await h.waitGone(F);
  await h.waitText("[data-testid=service-row]", /Oil change.*89\.90 EUR/s);

  await h.click("[data-tab=reminders]");
  await h.click("[data-testid=add-reminder]");
  const R = "[data-testid=reminder-form]";
  await h.type(`${R} [name=title]`, "Inspection");
  await h.setValue(`${R} [name=due_at]`, dateIn(12));
  await h.click(`${R} [data-testid=save]`);
  await h.waitGone(R);
  await h.waitText("[data-testid=group-urgent]", /Inspection/);
});

test("edit, delete and undo a record", async () => {
  await h.click("[data-tab=service]");
  await h.click("[data-testid=service-row] [data-testid=edit-row]");
  const F = "[data-testid=service-form]";
  assert.equal(await (await h.find(`${F} [name=cost]`)).getAttribute("value"), "89.90");
  await h.type(`${F} [name=title]`, "Oil and filter change");
  await h.click(`${F} [data-testid=save]`);
  await h.waitGone(F);
  await h.waitText("[data-testid=service-row]", /Oil and filter change/);

  await h.click("[data-testid=service-row] [data-testid=delete-row]");
  await h.waitCount("[data-testid=service-row]", 0);
  await h.click("[data-testid=toast-action]");
  await h.waitCount("[data-testid=service-row]", 1);
  await h.waitText("[data-testid=service-row]", /Oil and filter change/);
});

test("invalid input shows the field's error and saves nothing", async () => {
  await h.click("[data-tab=fuel]");
  await h.waitCount("[data-testid=fuel-row]", 3);
  await h.click("[data-testid=add-fuel]");
  await h.type(`${FUEL} [name=quantity]`, "0");
  await h.type(`${FUEL} [name=total_cost]`, "10");
  await h.click(`${FUEL} [data-testid=save]`);
  // The core's validation message, next to the quantity field.
  await h.waitText(`${FUEL} [data-testid=error-quantity]`, /greater than zero/);
  await h.type(`${FUEL} [name=quantity]`, "abc");
  await h.click(`${FUEL} [data-testid=save]`);
  await h.waitText(`${FUEL} [data-testid=error-quantity]`, /not a number/);
  await d.actions().sendKeys("\uE00C").perform(); // Escape closes the dialog
  await h.waitGone(FUEL);
  assert.equal(await h.count("[data-testid=fuel-row]"), 3);
});

test("the odometer typo guard asks, and 'save anyway' saves", async () => {
  await h.click("[data-tab=odometer]");
  await h.click("[data-testid=add-odometer]");
  const F = "[data-testid=odometer-form]";
  await h.type(`${F} [name=odometer]`, "1000");
  await h.click(`${F} [data-testid=save]`);
  await h.waitText(`${F} [data-testid=error-odometer]`, /lower than/);
  assert.equal(await h.count("[data-testid=odometer-row]"), 0);
  await h.click(`${F} [data-testid=save-anyway]`);
  await h.waitGone(F);
  await h.waitCount("[data-testid=odometer-row]", 1);
  // Delete it again (the current reading stays the highest anyway).
  await h.click("[data-testid=odometer-row] button.danger");
  await h.waitCount("[data-testid=odometer-row]", 0);
});

test("after a restart on the same data everything is there", async () => {
  await d.quit();
  d = await openApp(driver.url);
  h = helpers(d);
  await h.click("[data-testid=nav-garage]");
  await h.waitText("[data-testid=card-name]", /Test Golf/, 30000);
  await h.waitText("[data-testid=card-odometer]", /11\s000 km/);
  await h.waitText("[data-testid=card-economy]", /4\.50 L\/100km/);
  await h.waitText("[data-testid=card-due-badge]", /1 due soon/);
  await h.waitText("[data-testid=card-next-reminder]", /Inspection/);
  await h.click("[data-testid=vehicle-card]");
  await h.click("[data-tab=fuel]");
  await h.waitCount("[data-testid=fuel-row]", 3);
  await h.click("[data-tab=service]");
  await h.waitText("[data-testid=service-row]", /Oil and filter change/);
});
