// Form logic shared by every record form: turning a command's `{code, message, field}` into
// what the form shows, and small parsers. Pure functions, so vitest covers them.
import { ApiError } from "./api";

export type FieldErrors = Record<string, string>;

export interface FormFeedback {
  errors: FieldErrors;
  /** A message with no field of its own (shown above the buttons). */
  general: string | null;
  /** The core's typo guard questioned the odometer: offer "save anyway". */
  confirmOdometer: boolean;
}

export const noFeedback = (): FormFeedback => ({ errors: {}, general: null, confirmOdometer: false });

/** Core field names that a form shows under another input. */
export function mapField(field: string | null | undefined): string | null {
  if (!field) return null;
  if (field === "total_cost" || field === "total_cost_minor") return "total_cost";
  if (field === "cost" || field === "cost_minor") return "cost";
  return field;
}

/** What a form shows for an error thrown by a command. */
export function feedbackFor(e: unknown, knownFields: readonly string[]): FormFeedback {
  const err = ApiError.from(e);
  const field = mapField(err.field);
  const confirmOdometer = err.code === "odometer_needs_confirmation";
  if (field && knownFields.includes(field)) {
    return { errors: { [field]: err.message }, general: null, confirmOdometer };
  }
  const general = field ? `${field}: ${err.message}` : err.message;
  return { errors: {}, general, confirmOdometer };
}

/** Splits "oil, filters ,  tyres" into trimmed, non-empty tags. */
export function parseTags(text: string): string[] {
  return text
    .split(",")
    .map((t) => t.trim())
    .filter((t) => t !== "");
}
