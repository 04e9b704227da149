// Minor-unit digits per ISO 4217 code, as in glovebox-core's currency table. Only needed to
// turn typed amounts into minor units before the core validates them.
const ZERO = new Set(["CLP", "ISK", "JPY", "KRW", "VND"]);
const THREE = new Set(["BHD", "JOD", "KWD", "OMR", "TND"]);

export function minorDigits(code: string): number {
  if (ZERO.has(code)) return 0;
  if (THREE.has(code)) return 3;
  return 2;
}

export const COMMON_CURRENCIES = ["EUR", "USD", "GBP", "CHF", "SEK", "NOK", "DKK", "PLN", "CZK", "CAD", "AUD", "NZD", "JPY", "INR", "BRL", "MXN"];
