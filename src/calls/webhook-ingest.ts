import { createHash } from 'node:crypto';
import type { Clock } from '../shared/clock';
import { withDeadline } from '../shared/deadline';
import type { Logger } from '../shared/logger';
import { deriveCall, deriveLeg, type StoredEvent } from './call-state';
import type { CallsRepo } from './calls.repo';
import type { IdentifyCaller, KnownCaller, TwilioParams } from './caller-identity';
import { createWebhookDurability, type DurabilityOptions } from './webhook-journal-replay';
import type { DeadLettersRepo } from './webhook-dead-letters.repo';

export type WebhookKind = StoredEvent['kind'];

export interface WebhookIngestDeps {
  repo: CallsRepo;
  identifyCaller: IdentifyCaller;
  deadLetters: DeadLettersRepo;
  /** The local journal and retry settings (see webhook-journal-replay.ts). */
  durability: DurabilityOptions;
  clock: Clock;
  log: Logger;
  /**
   * Told after a new event leaves the call in a final status (scoring queues the call then).
   * Awaited, but a failure is only logged: the webhook is stored either way.
   */
  onCallFinal?: (callSid: string) => Promise<unknown>;
}

/** Statuses after which a call is over; events after them (recordings, dial results) add facts. */
const FINAL_STATUSES = new Set(['completed', 'busy', 'failed', 'no-answer', 'canceled']);

/** Twilio's timestamps are now-ish; outside these years a value is garbage the database may refuse. */
const EARLIEST_TIMESTAMP = Date.UTC(1970, 0, 1);
const LATEST_TIMESTAMP = Date.UTC(9999, 11, 31);

/** A Timestamp parameter as a date, or null when it is not one (the raw text stays in params). */
export const parseTimestamp = (v: string | undefined) => {
  if (!v) return null;
  const t = Date.parse(v);
  return Number.isFinite(t) && t >= EARLIEST_TIMESTAMP && t <= LATEST_TIMESTAMP
    ? new Date(t)
    : null;
};

/** Identical webhooks (Twilio's retries) hash the same; any differing parameter makes a new event. */
export function dedupeKey(kind: WebhookKind, params: TwilioParams): string {
  const canonical = Object.keys(params)
    .sort()
    .map((k) => `${k}=${params[k]}`)
    .join('&');
  return createHash('sha1').update(`${kind}|${canonical}`).digest('hex');
}

/**
 * Records what Twilio tells Leadline about a call: every webhook stored once, and the call
 * re-derived from all of its events and its legs' events, so the final record does not depend on
 * the order callbacks arrive in (see call-state.ts).
 */
export function createWebhookIngest(deps: WebhookIngestDeps) {
  const { repo, identifyCaller, clock, log } = deps;

  async function notifyIfFinal(callSid: string, status: string): Promise<void> {
    if (!deps.onCallFinal || !FINAL_STATUSES.has(status)) return;
    await deps.onCallFinal(callSid).catch((err: unknown) => {
      log.warn({ err, callSid }, 'finished call not handed on for scoring');
    });
  }

  /**
   * Stores one webhook and re-derives the call. Returns false for a duplicate (nothing changes).
   * Safe to run again after a failure: the event's dedupe key makes it a no-op if it landed.
   */
  async function ingest(
    kind: WebhookKind,
    params: TwilioParams,
    receivedAt: Date,
    known?: KnownCaller,
    /** The key the webhook had as received (its params were changed since, by an erasure). */
    originalDedupeKey?: string,
  ): Promise<boolean> {
    const callSid = params.CallSid ?? '';
    const parentSid = params.ParentCallSid || null;
    const root = parentSid ?? callSid;
    const isOwn = root === callSid;
    const twilioTimestamp = parseTimestamp(params.Timestamp);
    const duration = Number.parseInt(params.CallDuration ?? '', 10);
    const startGuess =
      kind === 'voice' || kind === 'fallback' || !twilioTimestamp
        ? receivedAt
        : new Date(twilioTimestamp.getTime() - (Number.isFinite(duration) ? duration * 1000 : 0));

    // Reads for a new call happen before the transaction: the embedded database has one
    // connection. The voice webhook is a call's first, so it skips looking for an existing row.
    const existing = kind === 'voice' ? undefined : await repo.findCall(root);
    // A call's first own event stores the row in one statement, which also reads the caller's
    // history and attributes the call to a visit: one round trip.
    const firstInsert = !existing && isOwn;
    const identifiedAt = existing?.startedAt ?? startGuess;
    const identified =
      isOwn && (!existing || !existing.toNumber)
        ? await identifyCaller(params, identifiedAt, known, { deferReads: firstInsert })
        : undefined;
    const { history, visit, ...identity } = identified ?? {};
    const event: StoredEvent & { rootCallSid: string } = {
      callSid,
      rootCallSid: root,
      kind,
      status:
        kind === 'dial'
          ? (params.DialCallStatus ?? null)
          : (params.RecordingStatus ?? params.CallStatus ?? null),
      sequenceNumber: params.SequenceNumber ? Number.parseInt(params.SequenceNumber, 10) : null,
      twilioTimestamp,
      dedupeKey: originalDedupeKey ?? dedupeKey(kind, params),
      params,
      receivedAt,
    };

    // A call Leadline has not seen yet, and this is its own event (not a child leg's): event and
    // row in one statement. If another event created the row meanwhile, fold everything below.
    let eventStored = false;
    if (firstInsert) {
      const alone = deriveCall([event], new Map(), { spam: identity.spam === true });
      const first = await repo.insertFirstEvent(
        event,
        { callSid: root, ...identity, ...alone, startedAt: alone.startedAt ?? startGuess },
        history,
        visit,
      );
      if (!first.event) return false;
      if (first.call) {
        await notifyIfFinal(root, alone.status);
        return true;
      }
      eventStored = true;
      // Another event made the row first: what the insert would have read is read now.
      if (history || visit)
        Object.assign(identity, await identifyCaller(params, identifiedAt, known));
    }

    let folded: string | null = null;
    const stored = await repo.transaction(async (tx) => {
      if (!eventStored && !(await repo.insertEvent(tx, event))) return false;
      await repo.ensureCall(tx, {
        callSid: root,
        status: 'ringing',
        startedAt: startGuess,
        ...identity,
      });
      if (!isOwn) {
        await repo.ensureCall(tx, {
          callSid,
          parentCallSid: root,
          direction: params.Direction ?? 'outbound-dial',
          fromNumber: params.From ?? null,
          toNumber: params.To ?? null,
          status: params.CallStatus ?? 'initiated',
          startedAt: twilioTimestamp ?? receivedAt,
        });
      }
      const row = await repo.lockCall(tx, root);
      if (!row) throw new Error(`call ${root} vanished inside its transaction`);
      const events = await repo.eventsForRoot(tx, root);
      const own = events.filter((e) => e.callSid === root);
      const children = new Map<string, StoredEvent[]>();
      for (const e of events) {
        if (e.callSid !== root) children.set(e.callSid, [...(children.get(e.callSid) ?? []), e]);
      }
      const d = deriveCall(own, children, { spam: (identity?.spam ?? row.spam) === true });
      folded = d.status;
      const startedAt =
        d.startedAt ??
        (d.endedAt && d.durationSeconds !== null
          ? new Date(d.endedAt.getTime() - d.durationSeconds * 1000)
          : row.startedAt);
      await repo.updateCall(tx, root, {
        // The voice webhook marks the call's true start, so its attribution wins over one worked
        // out from a later callback that happened to arrive first (after an outage, say).
        ...(identity && (!row.toNumber || kind === 'voice') ? identity : {}),
        ...d,
        startedAt,
      });
      if (!isOwn) {
        const leg = deriveLeg(children.get(callSid) ?? []);
        await repo.updateCall(tx, callSid, {
          status: leg.status,
          answeredAt: leg.answeredAt,
          endedAt: leg.endedAt,
          durationSeconds: leg.durationSeconds,
          ...(leg.startedAt ? { startedAt: leg.startedAt } : {}),
        });
      }
      return true;
    });
    if (stored && folded) await notifyIfFinal(root, folded);
    return stored;
  }

  const durability = createWebhookDurability({
    ...deps.durability,
    store: (kind, params, receivedAt, key) => ingest(kind, params, receivedAt, undefined, key),
    deadLetters: deps.deadLetters,
    dedupeKey,
    clock,
    log,
  });

  return {
    ingest,
    /** Per-item retries of journaled webhooks (tests flush it). */
    retry: durability.retry,
    start: durability.start,
    stop: durability.stop,
    journalBacklog: durability.backlog,
    countDeadLetters: durability.countDeadLetters,
    listDeadLetters: durability.listDeadLetters,
    retryDeadLetter: durability.retryDeadLetter,
    /** Erases a caller from the dead-letter store and the local journal (see forgetCaller). */
    forgetCaller: durability.forgetCaller,

    /**
     * Makes a webhook durable before Twilio hears back: stored in the database within
     * `timeoutMs`, or else appended (fsynced) to the local journal and retried from there. Rejects
     * only when neither worked, and then Twilio must not get a 2xx.
     */
    async record(
      kind: WebhookKind,
      params: TwilioParams,
      opts: {
        timeoutMs?: number;
        receivedAt?: Date;
        known?: KnownCaller | Promise<KnownCaller | undefined>;
      } = {},
    ): Promise<void> {
      const receivedAt = opts.receivedAt ?? clock.now();
      // Tracked while it runs: an erasure of this caller waits for it (webhook-journal-erasure.ts).
      const first = durability.track(
        params,
        Promise.resolve(opts.known).then((known) => ingest(kind, params, receivedAt, known)),
      );
      try {
        await (opts.timeoutMs ? withDeadline(first, opts.timeoutMs) : first);
      } catch (err) {
        log.warn({ err, callSid: params.CallSid, kind }, 'webhook not in the database; journaled');
        await durability.journal(kind, params, receivedAt, first, err);
      }
    },
  };
}
export type WebhookIngest = ReturnType<typeof createWebhookIngest>;
