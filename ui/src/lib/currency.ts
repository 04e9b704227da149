// Minor-unit digits per ISO 4217 code, from glovebox-core's currency table (the generated
// catalog). Only needed to turn typed amounts into minor units before the core validates.
import { CATALOG } from "./bindings/catalog";

const DIGITS = new Map<string, number>(CATALOG.currencies.map((c) => [c.code, c.digits]));

export function minorDigits(code: string): number {
  return DIGITS.get(code) ?? 2;
}

export const COMMON_CURRENCIES: readonly string[] = CATALOG.common_currencies;
