// Screenshots of each main view, light and dark, at 1280x800 and 900x700, on demo data.
// Run through scripts/screenshots.sh (which provides the X display and the app build).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startDriver, openApp, helpers } from "./driver.mjs";

const OUT = path.resolve(import.meta.dirname, "../../docs/screenshots");
fs.mkdirSync(OUT, { recursive: true });
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "glovebox-shots-"));
const driver = await startDriver(dataDir, 4454);
let d;
try {
  d = await openApp(driver.url);
  let h = helpers(d);
  await h.click("[data-testid=explore-demo]", 30000);
  await h.find("[data-testid=vehicle-card]", 60000);
  const firstCard = await h.find("[data-testid=vehicle-card]");
  await firstCard.click();
  await h.find("[data-testid=vehicle-title]");
  const vehicleHash = await d.executeScript("return location.hash");
  const vehicleBase = vehicleHash.replace(/\/[a-z]+$/, "");
  const views = [
    ["garage", "#/"],
    ["dashboard", `${vehicleBase}/dashboard`],
    ["fuel", `${vehicleBase}/fuel`],
    ["service", `${vehicleBase}/service`],
    ["reminders", `${vehicleBase}/reminders`],
    ["settings", "#/settings"],
    ["diagnostics", "#/diagnostics"],
  ];
  for (const [w, hgt] of [[1280, 800], [900, 700]]) {
    await d.manage().window().setRect({ x: 0, y: 0, width: w, height: hgt });
    for (const theme of ["light", "dark"]) {
      await d.executeScript(
        "localStorage.setItem('glovebox.settings', JSON.stringify({theme: arguments[0], dateFormat: 'iso'}))",
        theme,
      );
      for (const [name, hash] of views) {
        await d.executeScript("location.hash = arguments[0]; location.reload()", hash);
        // Wait until the view has its data (and the dashboard its three charts).
        await d.wait(
          () => d.executeScript(
            `return !document.body.innerText.includes("Loading…") &&
              (arguments[0] !== "dashboard" || document.querySelectorAll(".chart .svg svg").length === 3)`,
            name,
          ),
          30000,
        ).catch(() => console.log(`${name}: still loading after 30 s`));
        await new Promise((r) => setTimeout(r, 400));
        const png = await d.takeScreenshot();
        const file = path.join(OUT, `${name}-${theme}-${w}x${hgt}.png`);
        fs.writeFileSync(file, Buffer.from(png, "base64"));
        console.log("wrote", path.relative(process.cwd(), file));
      }
    }
  }
} finally {
  await d?.quit().catch(() => {});
  await driver.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
}
