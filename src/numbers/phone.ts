import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { LRUCache } from 'lru-cache';

/** Parsing a number is the costliest step of a DNI answer; a pool's numbers repeat endlessly. */
const national = new LRUCache<string, string>({ max: 50_000 });

/**
 * How a number reads in its own country (libphonenumber-js): (415) 555-0100 for NANP,
 * 020 7946 0958 for London; a number it cannot parse is shown as given.
 */
export function nationalFormat(e164: string): string {
  let formatted = national.get(e164);
  if (formatted === undefined) {
    formatted = parsePhoneNumberFromString(e164)?.formatNational() ?? e164;
    national.set(e164, formatted);
  }
  return formatted;
}

export function numberView(n: { e164: string }) {
  return { e164: n.e164, national: nationalFormat(n.e164) };
}
