/**
 * AvailablePhoneNumbers' filters: read from the query string as Twilio reads them (refusing what
 * Twilio refuses) and applied to the stand-in's stock.
 */
import type { InventoryNumber, NumberType } from './inventory';

/** Twilio's AvailablePhoneNumbers filters, already validated. */
export interface AvailableQuery {
  areaCode?: string;
  contains?: RegExp;
  inPostalCode?: string;
  inRegion?: string;
  inLocality?: string;
  near?: { lat: number; lon: number; miles: number };
  pageSize: number;
}

/** A 400 the stand-in answers for a filter Twilio would reject. */
export interface QueryRejection {
  code: number;
  message: string;
}

// Twilio documents 21451 for a bad AreaCode; for other malformed filters it documents no specific
// code, so those get 20001, its generic "bad request".
const BAD_REQUEST = 20001;

/** Reads AvailablePhoneNumbers' query string, rejecting what Twilio would reject. */
export function parseAvailableQuery(params: URLSearchParams): AvailableQuery | QueryRejection {
  const query: AvailableQuery = { pageSize: 50 };
  const areaCode = params.get('AreaCode');
  if (areaCode !== null) {
    if (!/^\d{3}$/.test(areaCode)) return { code: 21451, message: `Invalid AreaCode: ${areaCode}` };
    query.areaCode = areaCode;
  }
  const contains = params.get('Contains');
  if (contains !== null) {
    const pattern = containsRegExp(contains);
    if (!pattern) return { code: BAD_REQUEST, message: `Invalid Contains pattern: ${contains}` };
    query.contains = pattern;
  }
  const postalCode = params.get('InPostalCode');
  if (postalCode !== null) query.inPostalCode = postalCode;
  const region = params.get('InRegion');
  if (region !== null) query.inRegion = region;
  const locality = params.get('InLocality');
  if (locality !== null) query.inLocality = locality;
  const nearLatLong = params.get('NearLatLong');
  if (nearLatLong !== null) {
    const point = parseLatLong(nearLatLong);
    if (!point) {
      return { code: BAD_REQUEST, message: `NearLatLong must be "lat,long": ${nearLatLong}` };
    }
    const miles = integerParam(params, 'Distance', 25, 0, 500);
    if (miles === null) return { code: BAD_REQUEST, message: 'Distance must be 0..500 miles' };
    query.near = { ...point, miles };
  }
  const pageSize = integerParam(params, 'PageSize', 50, 1, 1000);
  if (pageSize === null) return { code: BAD_REQUEST, message: 'PageSize must be 1..1000' };
  query.pageSize = pageSize;
  return query;
}

export function isQueryRejection(value: AvailableQuery | QueryRejection): value is QueryRejection {
  return 'code' in value;
}

function integerParam(
  params: URLSearchParams,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number | null {
  const raw = params.get(name);
  if (raw === null) return fallback;
  const value = Number(raw);
  return Number.isInteger(value) && value >= min && value <= max ? value : null;
}

function parseLatLong(raw: string): { lat: number; lon: number } | null {
  const parts = raw.split(',').map((part) => (part.trim() === '' ? NaN : Number(part)));
  const [lat, lon] = parts;
  if (parts.length !== 2 || lat === undefined || lon === undefined) return null;
  const valid =
    Number.isFinite(lat) && Number.isFinite(lon) && Math.abs(lat) <= 90 && Math.abs(lon) <= 180;
  return valid ? { lat, lon } : null;
}

/** Applies the filters the way Twilio does (all of them at once), nearest first for near-searches. */
export function searchInventory(
  stock: Iterable<InventoryNumber>,
  type: NumberType,
  query: AvailableQuery,
): InventoryNumber[] {
  const matches: { number: InventoryNumber; miles: number }[] = [];
  for (const number of stock) {
    if (number.type !== type) continue;
    if (query.areaCode !== undefined && number.e164.slice(2, 5) !== query.areaCode) continue;
    if (query.contains && !query.contains.test(number.e164)) continue;
    if (query.inPostalCode !== undefined && number.postalCode !== query.inPostalCode) continue;
    if (query.inRegion !== undefined && number.region !== query.inRegion.toUpperCase()) continue;
    if (query.inLocality !== undefined && !sameText(number.locality, query.inLocality)) continue;
    let miles = 0;
    if (query.near) {
      if (number.latitude === null || number.longitude === null) continue;
      miles = distanceMiles(query.near, { lat: number.latitude, lon: number.longitude });
      if (miles > query.near.miles) continue;
    }
    matches.push({ number, miles });
  }
  if (query.near) matches.sort((a, b) => a.miles - b.miles);
  return matches.slice(0, query.pageSize).map((match) => match.number);
}

const KEYPAD: Readonly<Record<string, string>> = {
  a: '2', b: '2', c: '2', d: '3', e: '3', f: '3', g: '4', h: '4', i: '4',
  j: '5', k: '5', l: '5', m: '6', n: '6', o: '6', p: '7', q: '7', r: '7', s: '7',
  t: '8', u: '8', v: '8', w: '9', x: '9', y: '9', z: '9',
}; // prettier-ignore

/**
 * Twilio's `Contains`: 2-16 characters of digits and letters (spelled on the keypad, "STORM"),
 * `*` for any one digit, `%` for any run of digits, a leading `+` to anchor at the start of the
 * E.164 number and a trailing `$` to anchor at its end; otherwise it matches anywhere.
 */
export function containsRegExp(pattern: string): RegExp | null {
  if (pattern.length < 2 || pattern.length > 16) return null;
  const anchorStart = pattern.startsWith('+');
  const anchorEnd = pattern.endsWith('$');
  const body = pattern.slice(anchorStart ? 1 : 0, anchorEnd ? -1 : undefined);
  let source = '';
  for (const char of body) {
    if (char === '*') source += '\\d';
    else if (char === '%') source += '\\d*';
    else if (/^\d$/.test(char)) source += char;
    else {
      const digit = KEYPAD[char.toLowerCase()];
      if (digit === undefined) return null;
      source += digit;
    }
  }
  if (source === '') return null;
  return new RegExp(`${anchorStart ? '^\\+' : ''}${source}${anchorEnd ? '$' : ''}`);
}

function sameText(a: string | null, b: string): boolean {
  return a !== null && a.toLowerCase() === b.toLowerCase();
}

/** Great-circle distance, in miles because that is the unit of Twilio's `Distance`. */
export function distanceMiles(
  a: { lat: number; lon: number },
  b: { lat: number; lon: number },
): number {
  const radians = (degrees: number) => (degrees * Math.PI) / 180;
  const dLat = radians(b.lat - a.lat);
  const dLon = radians(b.lon - a.lon);
  const h =
    Math.sin(dLat / 2) ** 2 +
    Math.cos(radians(a.lat)) * Math.cos(radians(b.lat)) * Math.sin(dLon / 2) ** 2;
  return 2 * 3958.8 * Math.asin(Math.min(1, Math.sqrt(h)));
}
