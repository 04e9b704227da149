// Starts the real Glovebox window under tauri-driver (WebKitWebDriver) on a given data
// directory, and small helpers over selenium-webdriver for the tests.
import { spawn } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import path from "node:path";
import os from "node:os";
import { Builder, By, Capabilities, until } from "selenium-webdriver";

const ROOT = path.resolve(import.meta.dirname, "../..");
export const APP = process.env.GLOVEBOX_APP ?? path.join(ROOT, "target/debug/glovebox-desktop");
const TAURI_DRIVER = process.env.TAURI_DRIVER ?? path.join(os.homedir(), ".cargo/bin/tauri-driver");

/** A tauri-driver process whose app instances all use `dataDir`. */
export async function startDriver(dataDir, port = 4444) {
  const proc = spawn(TAURI_DRIVER, ["--port", String(port), "--native-port", String(port + 1)], {
    stdio: ["ignore", "inherit", "inherit"],
    env: { ...process.env, GLOVEBOX_DATA_DIR: dataDir },
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
    },
  };
}

export async function openApp(driverUrl) {
  const caps = new Capabilities();
  caps.set("tauri:options", { application: APP });
  caps.setBrowserName("wry");
  const d = await new Builder().withCapabilities(caps).usingServer(driverUrl).build();
  await d.manage().setTimeouts({ implicit: 0, script: 20000 });
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
  /** Clicks `clickCss` and returns ms until `readyCss` is in the DOM and painted. */
  const timeClick = (clickCss, readyCss) =>
    d.executeAsyncScript(
      `const [clickCss, readyCss, done] = arguments;
       const t0 = performance.now();
       document.querySelector(clickCss).click();
       const check = () => document.querySelector(readyCss)
         ? requestAnimationFrame(() => done(performance.now() - t0))
         : requestAnimationFrame(check);
       check();`,
      clickCss,
      readyCss,
    );
  return { find, findAll, click, type, setValue, text, waitText, waitGone, count, waitCount, timeClick };
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
