import { describe, expect, it } from "vitest";
import { parseDecimal, parseMinor, minorToText, parseOptionalDecimal } from "./numbers";

const val = <T>(r: { ok: boolean; value?: T }) => (r.ok ? r.value : "ERR");

describe("parseDecimal", () => {
  it("accepts a dot or a comma as the decimal separator", () => {
    expect(val(parseDecimal("15.65"))).toBe(15.65);
    expect(val(parseDecimal("15,65"))).toBe(15.65);
  });
  it("accepts unambiguous thousands separators", () => {
    expect(val(parseDecimal("1,234.56"))).toBe(1234.56);
    expect(val(parseDecimal("1.234,56"))).toBe(1234.56);
    expect(val(parseDecimal("1 234,56"))).toBe(1234.56);
    expect(val(parseDecimal("1.234.567"))).toBe(1234567);
  });
  it("refuses text and empty input", () => {
    expect(parseDecimal("abc").ok).toBe(false);
    expect(parseDecimal("12a").ok).toBe(false);
    expect(parseDecimal("").ok).toBe(false);
    expect(parseDecimal("  ").ok).toBe(false);
  });
  it("treats empty optional input as not given", () => {
    expect(val(parseOptionalDecimal(""))).toBe(null);
    expect(val(parseOptionalDecimal("7,5"))).toBe(7.5);
  });
});

describe("parseMinor", () => {
  it("parses amounts exactly into minor units", () => {
    expect(val(parseMinor("61.23", 2))).toBe(6123);
    expect(val(parseMinor("61,23", 2))).toBe(6123);
    expect(val(parseMinor("0.1", 2))).toBe(10);
    expect(val(parseMinor("1 234,56", 2))).toBe(123456);
    expect(val(parseMinor("1500", 0))).toBe(1500);
  });
  it("reads a lone three-digit group as thousands in a two-decimal currency", () => {
    expect(val(parseMinor("1,500", 2))).toBe(150000);
  });
  it("refuses more decimals than the currency has", () => {
    expect(parseMinor("1.234", 3).ok).toBe(true);
    expect(parseMinor("1.2345", 2).ok).toBe(false);
    expect(parseMinor("12.5", 0).ok).toBe(false);
  });
  it("round-trips through minorToText", () => {
    expect(minorToText(6123, 2)).toBe("61.23");
    expect(minorToText(5, 2)).toBe("0.05");
    expect(minorToText(-250, 2)).toBe("-2.50");
    expect(minorToText(1500, 0)).toBe("1500");
    expect(val(parseMinor(minorToText(98765, 3), 3))).toBe(98765);
  });
});
