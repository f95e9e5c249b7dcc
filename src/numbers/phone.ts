import { parsePhoneNumberFromString } from 'libphonenumber-js';

/**
 * How a number reads in its own country (libphonenumber-js): (415) 555-0100 for NANP,
 * 020 7946 0958 for London; a number it cannot parse is shown as given.
 */
export function nationalFormat(e164: string): string {
  return parsePhoneNumberFromString(e164)?.formatNational() ?? e164;
}

export function numberView(n: { e164: string }) {
  return { e164: n.e164, national: nationalFormat(n.e164) };
}
