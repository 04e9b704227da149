import { mount } from "svelte";
import App from "./App.svelte";
import "./app.css";
import { applyTheme } from "./lib/settings.svelte";

applyTheme();
window.matchMedia?.("(prefers-color-scheme: dark)").addEventListener("change", applyTheme);

export default mount(App, { target: document.getElementById("app")! });
