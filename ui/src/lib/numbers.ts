// Number parsing for what people type, mirroring glovebox-core's `units::parse_decimal` and
// `parse_decimal_minor`, so "15.65", "15,65", "1 234,56" and "1,234.56" all work and mean
// the same here as in the core.

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

function normalize(text: string): Parsed<string> {
  const t = text.trim().replace(/[ \u00a0\u202f']/g, "");
  if (t === "") return { ok: false, error: "a number is required" };
  const lastDot = t.lastIndexOf(".");
  const lastComma = t.lastIndexOf(",");
  const count = (c: string) => t.split(c).length - 1;
  let sep: string | null = null;
  if (lastDot >= 0 && lastComma >= 0) sep = lastDot > lastComma ? "." : ",";
  // "1.234.567" is grouping; "15.65" is a decimal point.
  else if (lastDot >= 0) sep = count(".") === 1 ? "." : null;
  else if (lastComma >= 0) sep = count(",") === 1 ? "," : null;
  let out = "";
  for (const c of t) {
    if (c === "." || c === ",") {
      if (c === sep) out += ".";
    } else if (/[0-9+\-eE]/.test(c)) out += c;
    else return { ok: false, error: `"${text}" is not a number` };
  }
  return { ok: true, value: out };
}

export function parseDecimal(text: string): Parsed<number> {
  const n = normalize(text);
  if (!n.ok) return n;
  const v = Number(n.value);
  if (n.value === "" || !Number.isFinite(v)) return { ok: false, error: `"${text}" is not a number` };
  return { ok: true, value: v };
}

/** Empty text means "not given"; anything else must parse. */
export function parseOptionalDecimal(text: string): Parsed<number | null> {
  return text.trim() === "" ? { ok: true, value: null } : parseDecimal(text);
}

/** An amount in integer minor units (cents), exactly, refusing too many decimals. */
export function parseMinor(text: string, digits: number): Parsed<number> {
  const n = normalize(text);
  if (!n.ok) return n;
  let s = n.value;
  let neg = false;
  if (s.startsWith("-")) {
    neg = true;
    s = s.slice(1);
  } else if (s.startsWith("+")) s = s.slice(1);
  let [int, frac = ""] = s.split(".");
  if ((int === "" && frac === "") || !/^\d*$/.test(int) || !/^\d*$/.test(frac))
    return { ok: false, error: `"${text}" is not an amount` };
  // "1,500" in a currency without three decimals can only mean fifteen hundred.
  if (frac.length === 3 && digits < 3 && (text.match(/[,.]/g) ?? []).length === 1) {
    int = int + frac;
    frac = "";
  }
  if (frac.length > digits) return { ok: false, error: `"${text}" has more than ${digits} decimals` };
  const v = Number(int || "0") * 10 ** digits + Number(frac.padEnd(digits, "0") || "0");
  if (!Number.isSafeInteger(v)) return { ok: false, error: `"${text}" is too large` };
  return { ok: true, value: neg ? -v : v };
}

/** Minor units back to the text a person would type, e.g. 6123 -> "61.23". */
export function minorToText(minor: number, digits: number): string {
  if (digits === 0) return String(minor);
  const sign = minor < 0 ? "-" : "";
  const abs = Math.abs(minor);
  const scale = 10 ** digits;
  return `${sign}${Math.floor(abs / scale)}.${String(abs % scale).padStart(digits, "0")}`;
}
