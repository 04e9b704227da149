// Starts the real Glovebox window under tauri-driver (WebKitWebDriver) on a given data
// directory, and small helpers over selenium-webdriver for the tests.
import { spawn, spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import path from "node:path";
import os from "node:os";
import { Builder, By, Capabilities, until } from "selenium-webdriver";

const ROOT = path.resolve(import.meta.dirname, "../..");
export const APP = process.env.GLOVEBOX_APP ?? path.join(ROOT, "target/debug/glovebox-desktop");
const TAURI_DRIVER = process.env.TAURI_DRIVER ?? path.join(os.homedir(), ".cargo/bin/tauri-driver");

export const BIN_DIR = path.dirname(APP);
/** The CLI and the server built next to the app (same profile). */
export const CLI = path.join(BIN_DIR, "glovebox");
export const SERVER = path.join(BIN_DIR, "glovebox-server");

/** A tauri-driver process whose app instances all use `dataDir` (and `env`). */
export async function startDriver(dataDir, port = 4444, env = {}) {
  const proc = spawn(TAURI_DRIVER, ["--port", String(port), "--native-port", String(port + 1)], {
    stdio: ["ignore", "inherit", "inherit"],
    env: { ...process.env, GLOVEBOX_DATA_DIR: dataDir, ...env },
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`${url}/status`)).ok) break;
    } catch {}
    await sleep(100);
  }
  return {
    url,
    // SIGTERM, not SIGKILL: tauri-driver then stops the WebKitWebDriver it started.
    stop: async () => {
      if (proc.exitCode === null) {
        proc.kill("SIGTERM");
        await new Promise((r) => proc.once("exit", r));
      }
      stopStrayApps(dataDir);
    },
  };
}

/** Opens the app window. The WebView's localStorage (theme, garage view) outlives data
 *  directories, so a fresh session starts from cleared preferences unless `keepPrefs`. */
export async function openApp(driverUrl, { keepPrefs = false } = {}) {
  const caps = new Capabilities();
  caps.set("tauri:options", { application: APP });
  caps.setBrowserName("wry");
  const d = await new Builder().withCapabilities(caps).usingServer(driverUrl).build();
  await d.manage().setTimeouts({ implicit: 0, script: 20000 });
  if (!keepPrefs) {
    const had = await d.executeScript("const n = localStorage.length; localStorage.clear(); return n");
    if (had > 0) {
      await d.navigate().refresh();
      await d.wait(() => d.executeScript("return document.readyState === 'complete' && !!document.querySelector('.shell')"), 20000);
    }
  }
  return d;
}

export function helpers(d) {
  const find = (css, ms = 15000) => d.wait(until.elementLocated(By.css(css)), ms, `no ${css}`);
  const findAll = (css) => d.findElements(By.css(css));
  const click = async (css) => (await find(css)).click();
  /** Replaces an input's text by typing, as a person would. */
  const type = async (css, text) => {
    const el = await find(css);
    await d.executeScript(
      "arguments[0].value=''; arguments[0].dispatchEvent(new Event('input', {bubbles: true}))",
      el,
    );
    if (text !== "") await el.sendKeys(text);
  };
  /** Sets a value directly (date pickers do not take keystrokes the same way everywhere). */
  const setValue = async (css, value) => {
    const el = await find(css);
    await d.executeScript(
      "arguments[0].value=arguments[1]; arguments[0].dispatchEvent(new Event('input', {bubbles: true})); arguments[0].dispatchEvent(new Event('change', {bubbles: true}))",
      el,
      value,
    );
  };
  // textContent, not getText(): WebKitWebDriver reports "" for text inside cells that
  // clip with overflow/ellipsis, although it is on screen.
  const textOf = (el) => d.executeScript("return arguments[0].textContent.replace(/\\s+/g, ' ').trim()", el);
  const text = async (css) => textOf(await find(css));
  const waitText = async (css, re, ms = 15000) => {
    let last = "";
    try {
      await d.wait(async () => {
        const els = await findAll(css);
        for (const e of els) {
          last = await textOf(e);
          if (re.test(last)) return true;
        }
        return false;
      }, ms);
    } catch {
      throw new Error(`${css}: expected ${re}, last text ${JSON.stringify(last)}`);
    }
  };
  const waitGone = (css, ms = 15000) =>
    d.wait(async () => (await findAll(css)).length === 0, ms, `${css} still there`);
  const count = async (css) => (await findAll(css)).length;
  const waitCount = (css, n, ms = 15000) =>
    d.wait(async () => (await findAll(css)).length === n, ms, `expected ${n} × ${css}`);
  /** Clicks `clickCss` and returns ms until `readyCss` is in the DOM, visible (tabs stay
   *  mounted, and laid out, while hidden) and the frame showing it painted. The page is
   *  let settle first (two painted frames), so the previous view's paint — the dashboard's
   *  three charts — is not billed to this click: it once made the Fuel tab, measured right
   *  after the dashboard, look five times slower than it was. */
  const timeClick = (clickCss, readyCss) =>
    d.executeAsyncScript(
      `const [clickCss, readyCss, done] = arguments;
       // A task queued from a frame callback runs after that frame was painted.
       const painted = (f) => requestAnimationFrame(() => setTimeout(f, 0));
       // checkVisibility: hidden tabs keep their layout (content-visibility: hidden), so
       // offsetParent alone would call them visible.
       const shown = (e) => (e.checkVisibility ? e.checkVisibility() : e.offsetParent !== null);
       const visible = () => [...document.querySelectorAll(readyCss)].some(shown);
       painted(() => painted(() => {
         const t0 = performance.now();
         document.querySelector(clickCss).click();
         const check = () => visible()
           ? painted(() => done(performance.now() - t0))
           : requestAnimationFrame(check);
         requestAnimationFrame(check);
       }));`,
      clickCss,
      readyCss,
    );
  /** Picks an option of a <select> by value and fires change, as a person choosing would. */
  const select = async (css, value) => {
    const el = await find(css);
    await d.executeScript(
      "arguments[0].value=arguments[1]; arguments[0].dispatchEvent(new Event('change', {bubbles: true}))",
      el,
      value,
    );
  };
  return { find, findAll, click, type, setValue, select, text, waitText, waitGone, count, waitCount, timeClick };
}

/** A local datetime-local value `days` days ago. */
export function daysAgo(days, hour = 9) {
  const t = new Date(Date.now() - days * 86_400_000);
  const p = (n) => String(n).padStart(2, "0");
  return `${t.getFullYear()}-${p(t.getMonth() + 1)}-${p(t.getDate())}T${p(hour)}:00`;
}

export function dateIn(days) {
  return daysAgo(-days).slice(0, 10);
}

/** An app window whose WebDriver session could not be closed (a busy debug build) would
 *  outlive the test and keep its output pipe open: stop the ones started on `dataDir`,
 *  by their process id. */
function stopStrayApps(dataDir) {
  for (const pid of fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8");
      if (!cmd.includes("glovebox-desktop")) continue;
      const env = fs.readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");
      if (env.includes(`GLOVEBOX_DATA_DIR=${dataDir}`)) process.kill(Number(pid), "SIGTERM");
    } catch {}
  }
}

/** Runs the glovebox CLI; returns stdout, throws with stderr on failure. */
export function cli(args, input) {
  const r = spawnSync(CLI, args, { input, encoding: "utf8", timeout: 120000 });
  if (r.status !== 0) throw new Error(`glovebox ${args.join(" ")}: ${r.stderr || r.stdout}`);
  return r.stdout;
}

/** A real glovebox-server on a free loopback port, over a temp database, with `user`. */
export async function startServer(dir, user, password) {
  const port = await freePort();
  const config = path.join(dir, "server.toml");
  fs.writeFileSync(config, `listen = "127.0.0.1:${port}"\ndatabase = "${path.join(dir, "server.db")}"\n`);
  const add = spawnSync(SERVER, ["--config", config, "user", "add", user], { input: `${password}\n`, encoding: "utf8" });
  if (add.status !== 0) throw new Error(`glovebox-server user add: ${add.stderr}`);
  const proc = spawn(SERVER, ["--config", config, "serve"], { stdio: ["ignore", "inherit", "inherit"] });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`${url}/v1/status`)).ok) break;
    } catch {}
    await sleep(100);
  }
  return {
    url,
    stop: async () => {
      if (proc.exitCode === null) {
        proc.kill("SIGINT");
        await new Promise((r) => proc.once("exit", r));
      }
    },
  };
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

/** Makes the app's file dialogs answer `file` (see src-tauri/src/commands/files.rs). */
export function answerDialog(answersFile, file) {
  fs.writeFileSync(answersFile, `${file ?? "cancel"}\n`);
}

/** A LubeLogger fuel CSV of `n` full fills, 200 km and 16 L apart: 8.00 L/100km. */
export function lubeloggerFuelCsv(n, startOdo = 10000) {
  const lines = ["Date,Odometer,FuelConsumed,Cost,FuelEconomy,IsFillToFull,MissedFuelUp,Notes,Tags"];
  const start = Date.UTC(2001, 0, 13);
  for (let i = 0; i < n; i++) {
    const d = new Date(start + Math.floor(i / 4) * 86_400_000);
    const p = (x) => String(x).padStart(2, "0");
    lines.push(`${p(d.getUTCMonth() + 1)}/${p(d.getUTCDate())}/${d.getUTCFullYear()},${startOdo + 200 * i},16.00,24.00,0,True,False,,`);
  }
  return lines.join("\n") + "\n";
}

/** A raw client of the sync protocol (version 2), signed in as a device of its own: it
 *  pushes whatever rows it is given, as a buggy or newer peer would. */
export async function rawSyncClient(url, user, password) {
  const post = (p, body, token) =>
    fetch(`${url}${p}`, {
      method: "POST",
      headers: { "content-type": "application/json", "glovebox-protocol": "2", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
  const login = await post("/v1/login", { user, password, device_name: "raw client" });
  if (login.status !== 200) throw new Error(`login: ${login.status} ${await login.text()}`);
  const { token } = await login.json();
  return {
    push: async (rows) => {
      const r = await post("/v1/push", { rows }, token);
      if (r.status !== 200) throw new Error(`push: ${r.status} ${await r.text()}`);
      return r.json();
    },
  };
}

/** Rows the server keeps but Glovebox cannot apply: a vehicle with a fuel kind it does not
 *  know, and a fill-up of `vehicleId` (at `atMs`) with a negative quantity. */
export function unapplicableRows(vehicleId, atMs) {
  const hlc = `${String(Date.now()).padStart(15, "0")}-00000000-ee`;
  return [
    {
      table: "vehicles", id: randomUUID(), hlc, deleted: false,
      data: { name: "Mirai", make: "", model: "", year: null, plate: "", vin: "", fuel_kind: "hydrogen",
              distance_unit: "km", volume_unit: "l", economy_unit: "l_per_100km", currency: "EUR", archived: 0 },
    },
    {
      table: "fuel_records", id: randomUUID(), hlc, deleted: false,
      data: { vehicle_id: vehicleId, occurred_at: Math.floor(atMs / 1000), odometer: 1234.5, quantity: -40.0,
              total_cost: 6000, is_full: 1, missed_previous: 0, station: "", notes: "", tags: "" },
    },
  ];
}

/** Runs one SQL statement on a database file with the sqlite3 shell; returns its output. */
export function sqlite(db, sql) {
  const r = spawnSync("sqlite3", [db, sql], { encoding: "utf8", timeout: 30000 });
  if (r.status !== 0) throw new Error(`sqlite3: ${r.stderr}`);
  return r.stdout.trim();
}

/** An odometer reading of vehicle `name` as an older Glovebox wrote it: an id that is not a
 *  UUID, which the server refuses. */
export function legacyOdometerRow(db, name, atMs) {
  sqlite(
    db,
    "INSERT INTO odometer_records (id, vehicle_id, occurred_at, odometer, hlc, dirty, updated_at) " +
      `SELECT 'legacy-17', id, ${Math.floor(atMs / 1000)}, 5.0, hlc, 1, 0 FROM vehicles WHERE name = '${name}' LIMIT 1;`,
  );
}
