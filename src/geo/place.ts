/** How a place was found: the caller's ZIP, their city and state, their area code, or an IP. */
export type PlaceSource = 'zip' | 'city' | 'area-code' | 'ip' | 'unknown';

/** A point on Earth and what is known about it; lat/lon are null when the place is unknown. */
export interface Place {
  lat: number | null;
  lon: number | null;
  city?: string | null;
  state?: string | null;
  country?: string | null;
  how: PlaceSource;
}

export const UNKNOWN_PLACE: Place = { lat: null, lon: null, how: 'unknown' };

export const isLocated = (p: Place): p is Place & { lat: number; lon: number } =>
  p.lat !== null && p.lon !== null;
