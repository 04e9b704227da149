import { describe, expect, it } from "vitest";
import { feedbackFor, parseTags } from "./forms";

describe("feedbackFor", () => {
  const fields = ["odometer", "quantity", "total_cost"];
  it("puts a validation error next to its field", () => {
    const fb = feedbackFor({ code: "validation", message: "must be greater than zero", field: "quantity" }, fields);
    expect(fb.errors).toEqual({ quantity: "must be greater than zero" });
    expect(fb.general).toBe(null);
    expect(fb.confirmOdometer).toBe(false);
  });
  it("offers 'save anyway' for the odometer typo guard", () => {
    const fb = feedbackFor({ code: "odometer_needs_confirmation", message: "looks like a typo", field: "odometer" }, fields);
    expect(fb.errors.odometer).toBe("looks like a typo");
    expect(fb.confirmOdometer).toBe(true);
  });
  it("maps the core's money field names to the form's", () => {
    expect(feedbackFor({ code: "validation", message: "x", field: "total_cost_minor" }, fields).errors).toEqual({ total_cost: "x" });
  });
  it("shows errors without a known field above the buttons", () => {
    expect(feedbackFor({ code: "database", message: "disk full", field: null }, fields).general).toBe("disk full");
    expect(feedbackFor({ code: "validation", message: "bad", field: "vehicle_id" }, fields).general).toBe("vehicle_id: bad");
    expect(feedbackFor(new Error("boom"), fields).general).toContain("boom");
  });
});

describe("parseTags", () => {
  it("splits, trims and drops empties", () => {
    expect(parseTags(" oil, filters ,, tyres ")).toEqual(["oil", "filters", "tyres"]);
    expect(parseTags("")).toEqual([]);
  });
});
