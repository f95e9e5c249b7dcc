import { hashSecret, newSecret } from '../shared/auth';
import type { Clock } from '../shared/clock';
import { NotFoundError, ValidationError } from '../shared/errors';
import { placeOfZip } from '../geo/zip';
import type { AgentRow, AgentsRepo } from './agents.repo';
import type { CreateAgentInput, PresenceStatus, UpdateAgentInput } from './agents.schemas';

/** An agent as the API shows it: never the token or its hash. */
export const agentOut = (a: AgentRow) => ({
  id: a.id,
  name: a.name,
  phone: a.phone,
  zip: a.zip,
  lat: a.lat,
  lon: a.lon,
  timezone: a.timezone,
  hours: a.hours,
  skills: a.skills ?? [],
  campaignIds: a.campaignIds ?? [],
  active: a.active,
  presence: a.presence,
  onCall: a.onCallSid !== null,
  lastSeenAt: a.lastSeenAt,
  createdAt: a.createdAt,
  updatedAt: a.updatedAt,
});
export type AgentOut = ReturnType<typeof agentOut>;

export interface AgentServiceDeps {
  repo: AgentsRepo;
  clock: Clock;
  /** Told of every change this node makes, so routing's index follows without waiting. */
  onChange?: (row: AgentRow) => void;
}

function located(zip: string | undefined | null, lat?: number, lon?: number) {
  if (lat !== undefined && lon !== undefined) return { lat, lon };
  if (!zip) return undefined;
  const place = placeOfZip(zip);
  if (!place || place.lat === null || place.lon === null) {
    throw new ValidationError('invalid body: zip: not a known US ZIP code', [
      { field: 'zip', message: 'not a known US ZIP code' },
    ]);
  }
  return { lat: place.lat, lon: place.lon };
}

/** Agents: who they are, where, when they work, and their console token (shown once). */
export function createAgentService(deps: AgentServiceDeps) {
  const { repo, clock } = deps;
  const changed = (row: AgentRow) => {
    deps.onChange?.(row);
    return row;
  };
  const TOKEN_PREFIX = 'll_agent';

  return {
    async create(input: CreateAgentInput): Promise<AgentOut & { token: string }> {
      const point = located(input.zip, input.lat, input.lon);
      if (!point) throw new Error('unreachable: the schema requires zip or lat+lon');
      const token = newSecret(TOKEN_PREFIX);
      const row = await repo.insert({
        name: input.name,
        phone: input.phone,
        zip: input.zip ?? null,
        ...point,
        timezone: input.timezone,
        hours: input.hours ?? null,
        skills: input.skills ?? [],
        campaignIds: input.campaignIds ?? [],
        active: input.active,
        tokenHash: hashSecret(token),
      });
      return { ...agentOut(changed(row)), token };
    },

    list: async (): Promise<AgentOut[]> => (await repo.list()).map(agentOut),

    async get(id: string): Promise<AgentOut> {
      const row = await repo.find(id);
      if (!row) throw new NotFoundError('agent', 'agent_not_found');
      return agentOut(row);
    },

    async update(id: string, input: UpdateAgentInput): Promise<AgentOut> {
      const { zip, lat, lon, skills, campaignIds, ...rest } = input;
      const point = located(zip, lat, lon);
      const row = await repo.update(id, {
        ...rest,
        ...(zip !== undefined ? { zip } : {}),
        ...(point ?? {}),
        ...(skills !== undefined ? { skills: skills ?? [] } : {}),
        ...(campaignIds !== undefined ? { campaignIds: campaignIds ?? [] } : {}),
      });
      if (!row) throw new NotFoundError('agent', 'agent_not_found');
      return agentOut(changed(row));
    },

    /** A new console token; the old one stops working at once. */
    async rotateToken(id: string): Promise<{ id: string; token: string }> {
      const token = newSecret(TOKEN_PREFIX);
      const row = await repo.update(id, { tokenHash: hashSecret(token) });
      if (!row) throw new NotFoundError('agent', 'agent_not_found');
      changed(row);
      return { id, token };
    },

    /** The active agent a console token belongs to, or undefined. */
    async authenticate(token: string): Promise<AgentRow | undefined> {
      if (!token || token.length > 200) return undefined;
      const row = await repo.findByTokenHash(hashSecret(token));
      return row?.active ? row : undefined;
    },

    async setPresence(id: string, status: PresenceStatus | 'offline'): Promise<void> {
      const row = await repo.setPresence(id, status, clock.now());
      if (row) changed(row);
    },

    /** The consoles of these agents are still connected (heartbeat). */
    heartbeat: (ids: string[]) => repo.touch(ids, clock.now()),
  };
}
export type AgentService = ReturnType<typeof createAgentService>;
