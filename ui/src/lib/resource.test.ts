import { describe, expect, it, vi } from "vitest";

vi.mock("./api", () => ({ ApiError: { from: (e: unknown) => ({ message: String((e as Error).message ?? e) }) } }));
const { resource } = await import("./resource.svelte");

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((a, b) => ((resolve = a), (reject = b)));
  return { promise, resolve, reject };
}

describe("resource", () => {
  it("ignores a slow answer to an older request", async () => {
    const calls = [deferred<string>(), deferred<string>()];
    let i = 0;
    const r = resource(() => calls[i++].promise);
    const first = r.load();
    const second = r.load();
    calls[1].resolve("new");
    await second;
    calls[0].resolve("old");
    await first;
    expect(r.data).toBe("new");
    expect(r.loading).toBe(false);
  });
  it("keeps the data and shows the error when a reload fails", async () => {
    let fail = false;
    const r = resource(async () => {
      if (fail) throw new Error("database is locked");
      return 1;
    });
    await r.load();
    fail = true;
    await r.load();
    expect(r.data).toBe(1);
    expect(r.error).toBe("database is locked");
  });
});
