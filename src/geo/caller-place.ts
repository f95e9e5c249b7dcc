import { placeOfAreaCode } from './area-codes';
import { UNKNOWN_PLACE, type Place } from './place';
import { placeOfCity, placeOfZip } from './zip';

/** What Twilio tells Leadline about where a caller is (FromZip, FromCity, FromState, From). */
export interface CallerHints {
  from?: string | null;
  zip?: string | null;
  city?: string | null;
  state?: string | null;
}

/**
 * The caller's place from the most precise hint Twilio gave: ZIP, else city and state, else the
 * number's area code, else unknown. `how` records which one it was.
 */
export function locateCaller(h: CallerHints): Place {
  return (
    placeOfZip(h.zip) ?? placeOfCity(h.city, h.state) ?? placeOfAreaCode(h.from) ?? UNKNOWN_PLACE
  );
}
