import type KDBushType from 'kdbush';

type KDBushCtor = typeof KDBushType;
interface GeoKdbush {
  around(
    index: KDBushType,
    lng: number,
    lat: number,
    maxResults?: number,
    maxDistance?: number,
    predicate?: (item: number) => boolean,
  ): number[];
  distance(lng1: number, lat1: number, lng2: number, lat2: number): number;
}

let loaded: Promise<{ KDBush: KDBushCtor; geo: GeoKdbush }> | undefined;

/**
 * kdbush and geokdbush ship only as ES modules. `import()` loads them under tsx and jest; the
 * CommonJS build turns `import()` into `require()`, which Node 20 refuses for ES modules, so that
 * case retries through a real dynamic import.
 */
async function importEsm<T>(specifier: string): Promise<T> {
  try {
    return (await import(specifier)) as T;
  } catch (err) {
    if ((err as { code?: string }).code !== 'ERR_REQUIRE_ESM') throw err;
    const dynamicImport = new Function('s', 'return import(s)') as (s: string) => Promise<T>;
    return dynamicImport(specifier);
  }
}

function loadLibraries() {
  loaded ??= Promise.all([
    importEsm<{ default: KDBushCtor }>('kdbush'),
    importEsm<GeoKdbush>('geokdbush'),
  ]).then(([k, geo]) => ({ KDBush: k.default, geo }));
  return loaded;
}

export interface Located {
  lat: number;
  lon: number;
}

/** A point found near a query point: the item, and its great-circle distance in km. */
export interface Nearby<T> {
  item: T;
  km: number;
}

/**
 * A static spatial index over points on the sphere (kdbush + geokdbush): built once from a list,
 * queried in distance order with a filter. Rebuild it when the points change.
 */
export async function buildSpatialIndex<T extends Located>(items: readonly T[]) {
  const { KDBush, geo } = await loadLibraries();
  const index = new KDBush(Math.max(items.length, 1));
  for (const it of items) index.add(it.lon, it.lat);
  // kdbush cannot finish an empty index; one far-away dummy point (never returned) stands in.
  if (!items.length) index.add(0, -90);
  index.finish();

  return {
    size: items.length,
    /**
     * Up to `max` items nearest to (lat, lon), nearest first, for which `accept` is true. `accept`
     * may also note why it turned an item down (it sees items in no particular order).
     */
    nearest(
      lat: number,
      lon: number,
      max: number,
      accept: (item: T, km: number) => boolean = () => true,
      maxKm = Infinity,
    ): Nearby<T>[] {
      const ids = geo.around(index, lon, lat, max, maxKm, (i) => {
        const item = items[i];
        return item !== undefined && accept(item, geo.distance(lon, lat, item.lon, item.lat));
      });
      const out: Nearby<T>[] = [];
      for (const i of ids) {
        const item = items[i];
        if (item) out.push({ item, km: geo.distance(lon, lat, item.lon, item.lat) });
      }
      return out;
    },
  };
}
export type SpatialIndex<T extends Located> = Awaited<ReturnType<typeof buildSpatialIndex<T>>>;
