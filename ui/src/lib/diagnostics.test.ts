import { describe, expect, it } from "vitest";
import { formatMicros, formatUptime } from "./diagnostics";

describe("diagnostics formatting", () => {
  it("picks a readable unit for durations", () => {
    expect(formatMicros(850)).toBe("850 µs");
    expect(formatMicros(1500)).toBe("1.50 ms");
    expect(formatMicros(123_400)).toBe("123.4 ms");
    expect(formatMicros(1_200_000)).toBe("1.20 s");
  });
  it("formats uptime", () => {
    expect(formatUptime(42)).toBe("42 s");
    expect(formatUptime(125)).toBe("2 min 5 s");
    expect(formatUptime(7260)).toBe("2 h 1 min");
  });
});
