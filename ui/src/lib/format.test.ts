import { describe, expect, it } from "vitest";
import { formatDate, formatMoney, formatEconomy, fromInputDateTime, nowInputDateTime, formatDistance } from "./format";

describe("formatting", () => {
  it("formats dates in the chosen order", () => {
    expect(formatDate("2026-03-07T10:00:00", "iso")).toBe("2026-03-07");
    expect(formatDate("2026-03-07T10:00:00", "dmy")).toBe("07/03/2026");
    expect(formatDate("2026-03-07T10:00:00", "mdy")).toBe("03/07/2026");
    expect(formatDate(null, "iso")).toBe("—");
  });
  it("formats money with the currency's digits", () => {
    expect(formatMoney(6123, "EUR")).toBe("61.23 EUR");
    expect(formatMoney(1500, "JPY")).toBe("1\u202f500 JPY");
    expect(formatMoney(1234, "BHD")).toBe("1.234 BHD");
  });
  it("formats economy and distance with their unit labels", () => {
    expect(formatEconomy(6.6666, "l_per_100km")).toBe("6.67 L/100km");
    expect(formatEconomy(null, "mpg_us")).toBe("—");
    expect(formatDistance(12345.4, "km")).toBe("12\u202f345 km");
  });
  it("converts datetime-local values to the core's timestamps", () => {
    expect(fromInputDateTime("2026-03-07T10:05")).toBe("2026-03-07T10:05:00");
    expect(fromInputDateTime("2026-03-07")).toBe("2026-03-07T00:00:00");
    expect(fromInputDateTime("")).toBe(null);
    expect(nowInputDateTime(new Date(2026, 0, 2, 3, 4))).toBe("2026-01-02T03:04");
  });
});
