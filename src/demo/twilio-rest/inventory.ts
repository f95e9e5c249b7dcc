import { lookupByName } from 'zipcodes';
import { mulberry32 } from '../shared/random';

/** Which numbers the Twilio stand-in offers: real US places, or only fictional 555-01XX numbers. */
export type InventoryKind = 'demo' | 'realistic';

export type NumberType = 'local' | 'tollFree';

/** One purchasable number, in the stand-in's own terms (serialized Twilio-style on the way out). */
export interface InventoryNumber {
  e164: string;
  type: NumberType;
  locality: string | null;
  region: string | null;
  postalCode: string | null;
  latitude: number | null;
  longitude: number | null;
  lata: string | null;
  rateCenter: string | null;
}

interface AreaCodePlace {
  areaCode: string;
  city: string;
  state: string;
  lata: string;
  rateCenter: string;
}

const LOCAL_AREA_CODES: readonly AreaCodePlace[] = [
  { areaCode: '415', city: 'San Francisco', state: 'CA', lata: '722', rateCenter: 'SNFC CNTRL' },
  { areaCode: '628', city: 'San Francisco', state: 'CA', lata: '722', rateCenter: 'SNFC CNTRL' },
  { areaCode: '213', city: 'Los Angeles', state: 'CA', lata: '730', rateCenter: 'LSAN DA 01' },
  { areaCode: '212', city: 'New York', state: 'NY', lata: '132', rateCenter: 'NWYRCYZN01' },
  { areaCode: '646', city: 'New York', state: 'NY', lata: '132', rateCenter: 'NWYRCYZN03' },
  { areaCode: '312', city: 'Chicago', state: 'IL', lata: '358', rateCenter: 'CHICAGOZN1' },
  { areaCode: '512', city: 'Austin', state: 'TX', lata: '558', rateCenter: 'AUSTIN' },
  { areaCode: '206', city: 'Seattle', state: 'WA', lata: '674', rateCenter: 'SEATTLE' },
  { areaCode: '305', city: 'Miami', state: 'FL', lata: '460', rateCenter: 'MIAMI' },
  { areaCode: '617', city: 'Boston', state: 'MA', lata: '128', rateCenter: 'BOSTON' },
  { areaCode: '303', city: 'Denver', state: 'CO', lata: '656', rateCenter: 'DENVER' },
  { areaCode: '404', city: 'Atlanta', state: 'GA', lata: '438', rateCenter: 'ATLANTA' },
];

const TOLL_FREE_PREFIXES: readonly string[] = ['800', '833', '844', '855', '866', '877', '888'];
const REALISTIC_PER_AREA_CODE = 40;
const REALISTIC_PER_TOLL_FREE_PREFIX = 15;

/** Builds the stand-in's starting stock; deterministic, so tests and demos see the same numbers. */
export function buildInventory(kind: InventoryKind): InventoryNumber[] {
  const local = LOCAL_AREA_CODES.flatMap((place) =>
    kind === 'demo' ? demoNumbers(place) : realisticNumbers(place),
  );
  // Toll-free numbers cannot be made fictional (555-01XX is a geographic-only reservation), so
  // demo mode offers none rather than handing out numbers that might ring a real business.
  return kind === 'demo' ? local : [...local, ...TOLL_FREE_PREFIXES.flatMap(tollFreeNumbers)];
}

function demoNumbers(place: AreaCodePlace): InventoryNumber[] {
  const zips = zipsOf(place);
  return Array.from({ length: 100 }, (_, i) => {
    const line = `01${String(i).padStart(2, '0')}`;
    return localNumber(place, `+1${place.areaCode}555${line}`, pick(zips, i));
  });
}

function realisticNumbers(place: AreaCodePlace): InventoryNumber[] {
  const random = mulberry32(Number(place.areaCode));
  const zips = zipsOf(place);
  const seen = new Set<string>();
  const numbers: InventoryNumber[] = [];
  while (numbers.length < REALISTIC_PER_AREA_CODE) {
    const e164 = `+1${place.areaCode}${randomExchange(random)}${randomDigits(random, 4)}`;
    if (seen.has(e164)) continue;
    seen.add(e164);
    numbers.push(localNumber(place, e164, pick(zips, Math.floor(random() * zips.length))));
  }
  return numbers;
}

function tollFreeNumbers(prefix: string): InventoryNumber[] {
  const random = mulberry32(Number(prefix) * 7);
  const seen = new Set<string>();
  const numbers: InventoryNumber[] = [];
  while (numbers.length < REALISTIC_PER_TOLL_FREE_PREFIX) {
    const e164 = `+1${prefix}${randomExchange(random)}${randomDigits(random, 4)}`;
    if (seen.has(e164)) continue;
    seen.add(e164);
    numbers.push({
      e164,
      type: 'tollFree',
      locality: null,
      region: null,
      postalCode: null,
      latitude: null,
      longitude: null,
      lata: null,
      rateCenter: null,
    });
  }
  return numbers;
}

interface ZipPlace {
  zip: string;
  city: string;
  latitude: number;
  longitude: number;
}

function zipsOf(place: AreaCodePlace): ZipPlace[] {
  const zips = lookupByName(place.city, place.state);
  if (zips.length === 0) throw new Error(`zipcodes has no ZIP for ${place.city}, ${place.state}`);
  return zips;
}

function pick(zips: readonly ZipPlace[], index: number): ZipPlace {
  const zip = zips[index % zips.length];
  if (!zip) throw new Error('empty ZIP list');
  return zip;
}

function localNumber(place: AreaCodePlace, e164: string, zip: ZipPlace): InventoryNumber {
  return {
    e164,
    type: 'local',
    locality: zip.city,
    region: place.state,
    postalCode: zip.zip,
    latitude: zip.latitude,
    longitude: zip.longitude,
    lata: place.lata,
    rateCenter: place.rateCenter,
  };
}

/** A NANP central-office code: never N11 (service codes) nor 555 (reserved for fiction). */
function randomExchange(random: () => number): string {
  for (;;) {
    const exchange = `${2 + Math.floor(random() * 8)}${randomDigits(random, 2)}`;
    if (exchange !== '555' && !exchange.endsWith('11')) return exchange;
  }
}

function randomDigits(random: () => number, count: number): string {
  let digits = '';
  for (let i = 0; i < count; i += 1) digits += String(Math.floor(random() * 10));
  return digits;
}

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

/** "(415) 555-0123", Twilio's default friendly name for a North American number. */
export function nationalFormat(e164: string): string {
  const digits = e164.replace(/^\+1/, '');
  return `(${digits.slice(0, 3)}) ${digits.slice(3, 6)}-${digits.slice(6)}`;
}

/** One entry of `available_phone_numbers`, field for field as Twilio sends it. */
export function toAvailableJson(number: InventoryNumber): Record<string, unknown> {
  return {
    friendly_name: nationalFormat(number.e164),
    phone_number: number.e164,
    lata: number.lata,
    locality: number.locality,
    rate_center: number.rateCenter,
    // Twilio sends coordinates as strings with six decimals, not as JSON numbers.
    latitude: number.latitude === null ? null : number.latitude.toFixed(6),
    longitude: number.longitude === null ? null : number.longitude.toFixed(6),
    region: number.region,
    postal_code: number.postalCode,
    iso_country: 'US',
    address_requirements: 'none',
    beta: false,
    capabilities: { voice: true, SMS: true, MMS: true },
  };
}
