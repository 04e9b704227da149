// Screenshots of every view, light and dark, at 1280x800 and 900x700: the demo garage's
// views (3 vehicles), Settings → Sync in each state (against a real server on loopback),
// Backup, the import wizard's steps, and a 1,000-vehicle fleet garage in both views.
// Run through scripts/screenshots.sh (which provides the X display and the builds).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startDriver, openApp, helpers, cli, startServer, answerDialog, lubeloggerFuelCsv, rawSyncClient, sqlite, legacyOdometerRow, unapplicableRows } from "./driver.mjs";

const OUT = path.resolve(import.meta.dirname, "../../docs/screenshots");
fs.mkdirSync(OUT, { recursive: true });
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "glovebox-shots-"));
const answers = path.join(tmp, "dialog-answer");
const SIZES = [[1280, 800], [900, 700]];
const THEMES = ["light", "dark"];
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

// Through Settings' own selector when it is on screen (so it shows the theme the shot is
// in), else straight into the stored settings.
const setTheme = (theme) =>
  d.executeScript(
    `localStorage.setItem('glovebox.settings', JSON.stringify({theme: arguments[0], dateFormat: 'iso'}));
     document.documentElement.dataset.theme = arguments[0];
     const select = document.querySelector('[data-testid=theme]');
     if (select) { select.value = arguments[0]; select.dispatchEvent(new Event('change', {bubbles: true})); }`,
    theme,
  );

/** `scrollTo`: a selector brought to the top of the view in each size. */
async function shoot(name, { reload = false, scrollTo = null } = {}) {
  for (const [w, hgt] of SIZES) {
    await d.manage().window().setRect({ x: 0, y: 0, width: w, height: hgt });
    for (const theme of THEMES) {
      await setTheme(theme);
      if (reload) {
        await d.executeScript("location.reload()");
        await d.wait(
          () => d.executeScript(
            `return !document.body.innerText.includes("Loading…") && !document.querySelector("dl.filling") &&
              (arguments[0] !== "dashboard" || document.querySelectorAll(".chart .svg svg").length === 3)`,
            name,
          ),
          30000,
        ).catch(() => console.log(`${name}: still loading after 30 s`));
      }
      if (scrollTo) await d.executeScript("document.querySelector(arguments[0]).scrollIntoView()", scrollTo);
      await new Promise((r) => setTimeout(r, 500));
      // Two painted frames after the change: under load a shot taken on a timer alone
      // caught the previous theme (a "light" file in dark).
      await d.executeAsyncScript("const done = arguments[0]; requestAnimationFrame(() => setTimeout(() => requestAnimationFrame(() => setTimeout(done, 50)), 0))");
      const file = path.join(OUT, `${name}-${theme}-${w}x${hgt}.png`);
      fs.writeFileSync(file, Buffer.from(await d.takeScreenshot(), "base64"));
      console.log("wrote", path.relative(process.cwd(), file));
    }
  }
  await d.manage().window().setRect({ x: 0, y: 0, width: 1280, height: 800 });
}

const goto = (hash) => d.executeScript("location.hash = arguments[0]", hash);

try {
  // ----- the demo garage (3 vehicles) -----------------------------------------------
  const demo = path.join(tmp, "demo");
  await open(demo, 4454);
  await h.click("[data-testid=explore-demo]", 30000);
  await h.find("[data-testid=vehicle-card]", 60000);
  await shoot("garage", { reload: true });
  await d.executeScript("localStorage.setItem('glovebox.garageView', 'table')");
  await shoot("garage-table", { reload: true });
  await h.click("[data-testid=view-cards]");
  await h.click("[data-testid=vehicle-card]");
  await h.find("[data-testid=vehicle-title]");
  const base = (await d.executeScript("return location.hash")).replace(/\/[a-z]+$/, "");
  for (const tab of ["dashboard", "fuel", "service", "reminders"]) {
    await goto(`${base}/${tab}`);
    await shoot(tab, { reload: true });
  }
  await goto("#/diagnostics");
  await shoot("diagnostics", { reload: true });

  // ----- Settings → Sync in each state, and Backup -----------------------------------
  const server = await startServer(tmp, "ann", "correct horse battery");
  try {
    await goto("#/settings");
    await h.find("[data-testid=sign-in-form]");
    await shoot("settings");
    await shoot("sync-signed-out");
    await h.type("[data-testid=sign-in-form] [name=server_url]", "http://192.168.1.10:8787");
    await h.type("[data-testid=sign-in-form] [name=user]", "ann");
    await h.type("[data-testid=sign-in-form] [name=password]", "correct horse battery");
    await h.click("[data-testid=sign-in]");
    await h.find("[data-testid=insecure-warning]");
    await shoot("sync-insecure-warning");
    await h.type("[data-testid=sign-in-form] [name=server_url]", server.url);
    await h.click("[data-testid=sign-in]");
    await h.waitText("[data-testid=sync-status-text]", /Synced/, 30000);
    await shoot("sync-signed-in");
    // Sync issues: a reading with an id an older Glovebox wrote (the server refuses it),
    // and rows another client pushed that this Glovebox cannot apply.
    const demoDb = path.join(demo, "glovebox.db");
    legacyOdometerRow(demoDb, "Family car", Date.UTC(2024, 2, 1, 9));
    const family = sqlite(demoDb, "SELECT id FROM vehicles WHERE name = 'Family car'");
    await (await rawSyncClient(server.url, "ann", "correct horse battery")).push(unapplicableRows(family, Date.UTC(2024, 4, 2, 9)));
    await h.click("[data-testid=sync-now]");
    await h.waitText("[data-testid=sync-problems-badge]", /3 sync issues/, 30000);
    await h.waitCount("[data-testid=sync-problem-row]", 3, 30000);
    await shoot("sync-issues", { scrollTo: "#sync-problems" });
  } finally {
    await server.stop();
  }
  await h.click("[data-testid=sync-now]");
  await h.waitText("[data-testid=sync-status-text]", /Offline|error/, 60000);
  await shoot("sync-offline");
  answerDialog(answers, path.join(tmp, "backup.json"));
  await h.click("[data-testid=backup]");
  await h.waitText("[data-testid=backup-result]", /Backed up/, 60000);
  await h.find("[data-testid=backup-settings]");
  await shoot("backup", { scrollTo: "[data-testid=backup-settings]" });

  // ----- the import wizard -------------------------------------------------------------
  const csv = path.join(tmp, "Golf.csv");
  fs.writeFileSync(csv, lubeloggerFuelCsv(400));
  answerDialog(answers, csv);
  await goto("#/");
  await h.click("[data-testid=import]");
  await h.find("[data-testid=import-needs]", 30000);
  await shoot("import-choose-units");
  await h.select("[data-testid=import-distance-unit]", "km");
  await h.select("[data-testid=import-volume-unit]", "l");
  await h.select("[data-testid=import-currency]", "EUR");
  await h.waitGone("[data-testid=import-needs]", 20000);
  await shoot("import-preview");
  await h.click("[data-testid=import-commit]");
  await h.find("[data-testid=import-summary]", 60000);
  await shoot("import-summary");
  await h.click("[data-testid=import-close]");

  // ----- a 1,000-vehicle fleet ----------------------------------------------------------
  const fleet = path.join(tmp, "fleet");
  fs.mkdirSync(fleet);
  cli(["generate", "--size", "fleet", "--years", "1", "--db", path.join(fleet, "glovebox.db")]);
  await open(fleet, 4464);
  await h.find("[data-testid=garage-table]", 60000);
  await h.waitText("[data-testid=row-economy]", /L\/100km|mpg|kWh/, 120000);
  await shoot("fleet-table");
  await h.click("[data-testid=sort-economy]");
  await h.type("[data-testid=vehicle-search]", "van #07");
  await shoot("fleet-search-sorted");
  await h.type("[data-testid=vehicle-search]", "");
  await h.click("[data-testid=view-cards]");
  await h.find("[data-testid=vehicle-card]", 60000);
  await shoot("fleet-cards");
} finally {
  await d?.quit().catch(() => {});
  await driver?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
}
