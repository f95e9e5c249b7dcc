import { lookupByName } from 'zipcodes';
import { mulberry32 } from '../../shared/random';

/** Which numbers the Twilio stand-in offers: real US places, or only fictional 555-01XX numbers. */
export type InventoryKind = 'demo' | 'realistic';

export type NumberType = 'local' | 'tollFree';

/**
 * The demo business's own line, printed on the demo page and dialled when no tracking number
 * applies. The demo stock never sells it, so it can never also be a tracking number.
 */
export const DEMO_BUSINESS_NUMBER = '+14155550100';

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
  }).filter((number) => number.e164 !== DEMO_BUSINESS_NUMBER);
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
