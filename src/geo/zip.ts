import zipcodes from 'zipcodes';
import type { Place } from './place';

/** A US ZIP (5 digits, or ZIP+4) → its centre, or null when unknown. */
export function placeOfZip(zip: string | null | undefined): Place | null {
  const five = /^\s*(\d{5})(?:-\d{4})?\s*$/.exec(zip ?? '')?.[1];
  if (!five) return null;
  const z = zipcodes.lookup(five);
  if (!z) return null;
  return {
    lat: z.latitude,
    lon: z.longitude,
    city: z.city,
    state: z.state,
    country: 'US',
    how: 'zip',
  };
}

/** A US city and state → the mean point of its ZIP codes, or null when unknown. */
export function placeOfCity(
  city: string | null | undefined,
  state: string | null | undefined,
): Place | null {
  if (!city?.trim() || !state?.trim()) return null;
  const zips = zipcodes.lookupByName(city.trim(), state.trim().toUpperCase());
  const first = zips[0];
  if (!first) return null;
  const lat = zips.reduce((s, z) => s + z.latitude, 0) / zips.length;
  const lon = zips.reduce((s, z) => s + z.longitude, 0) / zips.length;
  return { lat, lon, city: first.city, state: first.state, country: 'US', how: 'city' };
}
