import { vitePreprocess } from "@sveltejs/vite-plugin-svelte";

export default {
  preprocess: vitePreprocess(),
  compilerOptions: {
    // Forms deliberately copy the record they edit into their own state once, on open.
    warningFilter: (w) => w.code !== "state_referenced_locally",
  },
};
