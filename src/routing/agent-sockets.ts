import type { Server as HttpServer } from 'node:http';
import { createAdapter } from '@socket.io/postgres-adapter';
import { Pool } from 'pg';
import { Server } from 'socket.io';
import type { Logger } from '../shared/logger';
import { parseInput } from '../shared/validation';
import { AppError } from '../shared/errors';
import type { AgentService } from './agents.service';
import { presenceStatus } from './agents.schemas';
import { consoleDispositionInput } from './dispositions.schemas';
import type { DispositionService } from './dispositions.service';
import { followUpAction, followUpClose } from './follow-ups.schemas';
import type { FollowUpService } from './follow-ups.service';
import type { AgentNotifier } from './screen-pop';

export interface AgentSocketsDeps {
  config: { DATABASE_URL?: string; AGENT_HEARTBEAT_TIMEOUT_SECONDS: number };
  logger: Logger;
  agents: AgentService;
  agentNotifier: AgentNotifier;
  dispositions: Pick<DispositionService, 'set' | 'labels'>;
  followUps: Pick<FollowUpService, 'listFor' | 'claim' | 'callBack' | 'close'>;
}

type Ack = (reply: object) => void;
const ackOf = (ack: unknown): Ack => (typeof ack === 'function' ? (ack as Ack) : () => undefined);

const room = (agentId: string) => `agent:${agentId}`;
const parseConsole: typeof parseInput = (schema, input) => parseInput(schema, input, 'payload');

/**
 * The agents' consoles: socket.io namespace `/agents`, authenticated by the console token. Each
 * socket joins only its own agent's room. `status` ("available" | "away") is stored in the
 * database, so every node routes on it; while a console is connected this node refreshes its
 * heartbeat, so a crashed node's agents stop being routed after the heartbeat timeout. With
 * DATABASE_URL, the Postgres adapter carries screen-pops between nodes.
 */
export function attachAgentSockets(httpServer: HttpServer, ctx: AgentSocketsDeps) {
  const log = ctx.logger.child({ feature: 'agent-sockets' });
  // serveClient: the console page loads the browser client from /socket.io/socket.io.min.js.
  const io = new Server(httpServer, { serveClient: true });
  const pool = ctx.config.DATABASE_URL
    ? new Pool({ connectionString: ctx.config.DATABASE_URL, max: 3 })
    : undefined;
  if (pool) {
    pool.on('error', (err) => log.warn({ err }, 'socket.io adapter connection error'));
    // The adapter keeps one client checked out for LISTEN and handles only its 'end' (it then
    // reconnects); without a listener, that client's 'error' when Postgres goes away would
    // crash the process.
    pool.on('connect', (client) => {
      client.on('error', (err) => log.warn({ err }, 'socket.io adapter connection lost'));
    });
    io.adapter(createAdapter(pool, { tableName: 'socket_io_attachments' }));
  }
  const nsp = io.of('/agents');
  /** Agents with a console connected to this node, and how many. */
  const connected = new Map<string, number>();

  nsp.use(async (socket, next) => {
    try {
      const token: unknown = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
      const agent = typeof token === 'string' ? await ctx.agents.authenticate(token) : undefined;
      if (!agent) return next(new Error('unauthorized: unknown or rotated agent token'));
      (socket.data as { agentId?: string }).agentId = agent.id;
      next();
    } catch (err) {
      log.error({ err }, 'agent authentication failed');
      next(new Error('unavailable: try again'));
    }
  });

  nsp.on('connection', (socket) => {
    const agentId = (socket.data as { agentId: string }).agentId;
    void socket.join(room(agentId));
    connected.set(agentId, (connected.get(agentId) ?? 0) + 1);
    ctx.agents.heartbeat([agentId]).catch((err: unknown) => log.warn({ err }, 'heartbeat failed'));

    socket.on('status', async (status: unknown, ack?: unknown) => {
      const reply = typeof ack === 'function' ? (ack as (r: object) => void) : () => undefined;
      const parsed = presenceStatus.safeParse(status);
      if (!parsed.success)
        return reply({ ok: false, error: 'status must be "available" or "away"' });
      try {
        await ctx.agents.setPresence(agentId, parsed.data);
        log.info({ agentId, status: parsed.data }, 'agent status');
        reply({ ok: true, status: parsed.data });
      } catch (err) {
        log.error({ err, agentId }, 'agent status not stored');
        reply({ ok: false, error: 'not stored; try again' });
      }
    });

    socket.emit('labels', { labels: ctx.dispositions.labels() });
    // The console's follow-up list; later changes reach it through the agent's room.
    ctx.followUps
      .listFor(agentId)
      .then((followUps) => socket.emit('follow-ups', { followUps }))
      .catch((err: unknown) => log.warn({ err, agentId }, 'follow-up list not sent'));

    /** Runs one console request and answers its ack: the result, or the error's code. */
    const answer = (event: string, run: (payload: unknown) => Promise<object>) =>
      socket.on(event, async (payload: unknown, ack?: unknown) => {
        const reply = ackOf(ack);
        try {
          reply({ ok: true, ...(await run(payload)) });
        } catch (err) {
          if (err instanceof AppError) {
            return reply({ ok: false, code: err.code, error: err.message });
          }
          log.error({ err, agentId, event }, 'console request failed');
          reply({ ok: false, code: 'internal', error: 'not done; try again' });
        }
      });

    answer('disposition', async (payload) => {
      const { callSid, ...input } = parseConsole(consoleDispositionInput, payload);
      return { disposition: await ctx.dispositions.set(callSid, input, agentId) };
    });
    answer('follow-up:claim', async (payload) => {
      const { callSid } = parseConsole(followUpAction, payload);
      await ctx.followUps.claim(callSid, agentId);
      return { callSid };
    });
    answer('follow-up:call', async (payload) => {
      const { callSid } = parseConsole(followUpAction, payload);
      await ctx.followUps.callBack(callSid, agentId);
      return { callSid };
    });
    answer('follow-up:close', async (payload) => {
      const { callSid, outcome } = parseConsole(followUpClose, payload);
      await ctx.followUps.close(callSid, agentId, outcome);
      return { callSid };
    });

    socket.on('disconnect', async () => {
      const left = (connected.get(agentId) ?? 1) - 1;
      if (left > 0) connected.set(agentId, left);
      else connected.delete(agentId);
      try {
        // The agent may still have a console open here or on another node.
        const others = await nsp.in(room(agentId)).fetchSockets();
        if (others.length === 0) await ctx.agents.setPresence(agentId, 'offline');
      } catch (err) {
        log.warn({ err, agentId }, 'agent disconnect: presence not updated');
      }
    });
  });

  const heartbeatMs = (ctx.config.AGENT_HEARTBEAT_TIMEOUT_SECONDS * 1000) / 3;
  const heartbeat = setInterval(() => {
    ctx.agents
      .heartbeat([...connected.keys()])
      .catch((err: unknown) => log.warn({ err }, 'heartbeat failed'));
  }, heartbeatMs);
  heartbeat.unref();

  ctx.agentNotifier.bind((agentId, event, payload) => {
    const to = room(agentId);
    const here = pool ? nsp.adapter.rooms.get(to) : undefined;
    if (!here?.size) {
      nsp.to(to).emit(event, payload);
      return;
    }
    // The Postgres adapter delivers even to this node's sockets only after its NOTIFY round trip:
    // this node's consoles get the event now, the other nodes' through the adapter.
    nsp.local.to(to).emit(event, payload);
    nsp
      .to(to)
      .except([...here])
      .emit(event, payload);
  });

  return {
    io,
    /**
     * Disconnects this node's consoles and stops the heartbeat and the adapter. The HTTP server
     * stays the caller's to close (io.close() would close it under server.ts's graceful shutdown).
     */
    async close(): Promise<void> {
      clearInterval(heartbeat);
      ctx.agentNotifier.bind(undefined);
      nsp.local.disconnectSockets(true);
      for (const n of [io.of('/'), nsp]) await n.adapter.close();
      io.engine.close();
      await pool?.end();
    },
  };
}
export type AgentSockets = ReturnType<typeof attachAgentSockets>;
