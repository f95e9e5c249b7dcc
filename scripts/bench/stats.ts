/** A benchmark row measured in process (not through autocannon): the bench JSON's fields. */
export interface MicroRow {
  name: string;
  /** Operations per second (decisions, pops, scored calls, synced activities). */
  rps: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

/** The p-th percentile (0–100) of the values, nearest rank; 0 for none. */
export function percentile(values: readonly number[], p: number): number {
  if (!values.length) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}
