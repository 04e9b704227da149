import { describe, expect, it, vi } from "vitest";

vi.stubGlobal("location", { hash: "" });
vi.stubGlobal("window", { addEventListener: () => {} });
const { parseHash, toHash } = await import("./router.svelte");

describe("router", () => {
  it("round-trips every route through the hash", () => {
    for (const r of [
      { name: "garage" },
      { name: "settings" },
      { name: "diagnostics" },
      { name: "vehicle", id: "0193-abc", tab: "fuel" },
    ] as const) {
      expect(parseHash(toHash(r))).toEqual(r);
    }
  });
  it("falls back to the garage and the dashboard tab", () => {
    expect(parseHash("#/nowhere")).toEqual({ name: "garage" });
    expect(parseHash("#/vehicle/x/bogus")).toEqual({ name: "vehicle", id: "x", tab: "dashboard" });
  });
});
