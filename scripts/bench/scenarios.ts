import type { AppContext } from '../../src/context';

/** What autocannon sends for one row; built in the load process from what seed() returned. */
export interface BenchRequest {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  /** A fresh body per request (e.g. a new visitor each time). */
  body?: () => string;
}

export interface Scenario {
  name: string;
  /** Runs inside the Leadline process before the load starts; returns plain JSON. */
  seed(ctx: AppContext): Promise<unknown>;
  request(seeded: unknown): BenchRequest;
}

/** Every Leadline endpoint under benchmark, in the order they are measured. */
export const scenarios: Scenario[] = [
  {
    name: 'GET /health',
    seed: async () => null,
    request: () => ({ method: 'GET', path: '/health' }),
  },
];
