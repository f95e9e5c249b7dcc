/**
 * A call's state is a pure function of the set of webhooks received for it (and its child legs),
 * never of their arrival order: Twilio retries and reorders callbacks, so the record is re-derived
 * from all stored events each time one arrives.
 */

export interface StoredEvent {
  callSid: string;
  kind: 'voice' | 'status' | 'dial' | 'recording' | 'fallback';
  status: string | null;
  sequenceNumber: number | null;
  twilioTimestamp: Date | null;
  receivedAt: Date;
  dedupeKey: string;
  params: Record<string, string>;
}

export const FINAL_STATUSES = ['completed', 'busy', 'failed', 'no-answer', 'canceled'] as const;

const STATUS_RANK: Record<string, number> = {
  queued: 0,
  initiated: 1,
  ringing: 2,
  'in-progress': 3,
  answered: 3,
  completed: 4,
  busy: 4,
  failed: 4,
  'no-answer': 4,
  canceled: 4,
};
// Two different final statuses for one leg should not happen; if they do, pick one by a fixed rule.
const FINAL_PRECEDENCE = ['completed', 'busy', 'no-answer', 'canceled', 'failed'];
const KIND_ORDER = { voice: 0, fallback: 1, status: 2, dial: 3, recording: 4 } as const;

export const statusRank = (s: string | null | undefined) => (s ? (STATUS_RANK[s] ?? -1) : -1);

function eventTime(e: StoredEvent): number {
  return (e.twilioTimestamp ?? e.receivedAt).getTime();
}

/** A total order that depends only on what Twilio sent, not on when it arrived. */
export function sortEvents(events: StoredEvent[]): StoredEvent[] {
  return [...events].sort(
    (a, b) =>
      KIND_ORDER[a.kind] - KIND_ORDER[b.kind] ||
      (a.sequenceNumber ?? -1) - (b.sequenceNumber ?? -1) ||
      statusRank(a.status) - statusRank(b.status) ||
      eventTime(a) - eventTime(b) ||
      (a.dedupeKey < b.dedupeKey ? -1 : a.dedupeKey > b.dedupeKey ? 1 : 0),
  );
}

const int = (v: string | undefined) => {
  if (v === undefined || v === '') return null;
  const n = Number.parseInt(v, 10);
  return Number.isFinite(n) && n >= 0 ? n : null;
};
const str = (v: string | undefined) => (v === undefined || v === '' ? null : v);

export interface LegState {
  status: string;
  startedAt: Date | null;
  /** When the dialled phone started ringing: ring time runs from here, not from call set-up. */
  ringingAt: Date | null;
  answeredAt: Date | null;
  endedAt: Date | null;
  durationSeconds: number | null;
}

/** One leg's status and times from its own status events. */
export function deriveLeg(events: StoredEvent[]): LegState {
  let status = '';
  let bestSeq = -1;
  let startedAt: Date | null = null;
  let ringingAt: Date | null = null;
  let answeredAt: Date | null = null;
  let endedAt: Date | null = null;
  let durationSeconds: number | null = null;
  for (const e of sortEvents(events)) {
    const s = e.status ?? '';
    const rank = statusRank(s);
    const seq = e.sequenceNumber ?? -1;
    const better =
      rank > statusRank(status) ||
      (rank === statusRank(status) &&
        rank === 4 &&
        (seq > bestSeq ||
          (seq === bestSeq && FINAL_PRECEDENCE.indexOf(s) < FINAL_PRECEDENCE.indexOf(status))));
    if (better) {
      status = s;
      bestSeq = seq;
    }
    const at = e.twilioTimestamp ?? e.receivedAt;
    if (
      (e.kind === 'voice' || e.kind === 'fallback' || s === 'initiated' || s === 'ringing') &&
      (!startedAt || at < startedAt)
    ) {
      startedAt = at;
    }
    if (s === 'ringing' && e.kind === 'status' && (!ringingAt || at < ringingAt)) ringingAt = at;
    if (
      (s === 'in-progress' || s === 'answered') &&
      e.kind === 'status' &&
      (!answeredAt || at < answeredAt)
    ) {
      answeredAt = at;
    }
    if (rank === 4 && e.kind === 'status') {
      const d = int(e.params.CallDuration);
      if (d !== null && (durationSeconds === null || d > durationSeconds)) durationSeconds = d;
      if (!endedAt || at > endedAt) endedAt = at;
    }
  }
  return {
    status: status || 'ringing',
    startedAt,
    ringingAt,
    answeredAt,
    endedAt,
    durationSeconds,
  };
}

export interface DerivedCall {
  status: string;
  outcome: string;
  startedAt: Date | null;
  answeredAt: Date | null;
  endedAt: Date | null;
  ringSeconds: number | null;
  durationSeconds: number | null;
  talkSeconds: number | null;
  dialStatus: string | null;
  answeredBy: string | null;
  recordingUrl: string | null;
  recordingSid: string | null;
  recordingSeconds: number | null;
  lastSequence: number;
  statusRank: number;
}

/**
 * Folds a parent call's events and its child legs' events into the call record. `children` maps
 * child CallSid → its events.
 */
export function deriveCall(
  own: StoredEvent[],
  children: Map<string, StoredEvent[]>,
  opts: { spam?: boolean } = {},
): DerivedCall {
  const leg = deriveLeg(
    own.filter((e) => e.kind === 'status' || e.kind === 'voice' || e.kind === 'fallback'),
  );
  const sorted = sortEvents(own);
  let dialStatus: string | null = null;
  let talkSeconds: number | null = null;
  let answeredBy: string | null = null;
  let recordingUrl: string | null = null;
  let recordingSid: string | null = null;
  let recordingSeconds: number | null = null;
  let voicemail = false;
  for (const e of sorted) {
    if (e.kind === 'dial') {
      const ds = str(e.params.DialCallStatus);
      if (ds && (!dialStatus || statusRank(ds) >= statusRank(dialStatus))) dialStatus = ds;
      const d = int(e.params.DialCallDuration);
      if (d !== null && (talkSeconds === null || d > talkSeconds)) talkSeconds = d;
    }
    if (e.kind === 'recording' || (e.kind === 'dial' && e.params.RecordingUrl)) {
      if (e.params.RecordingStatus && e.params.RecordingStatus !== 'completed') continue;
      recordingUrl = str(e.params.RecordingUrl) ?? recordingUrl;
      recordingSid = str(e.params.RecordingSid) ?? recordingSid;
      recordingSeconds = int(e.params.RecordingDuration) ?? recordingSeconds;
      // A recording made after the dial failed is a voicemail, not the conversation.
      if (e.kind === 'recording' && e.params.LeadlineRecordingKind === 'voicemail')
        voicemail = true;
    }
  }

  // The answered child leg tells who picked up and how long it rang.
  let ringSeconds: number | null = null;
  let answeredAt: Date | null = null;
  const childKeys = [...children.keys()].sort();
  for (const sid of childKeys) {
    const evs = children.get(sid) ?? [];
    const c = deriveLeg(evs);
    if (c.answeredAt) {
      answeredAt = c.answeredAt;
      answeredBy = str(sortEvents(evs)[0]?.params.To) ?? answeredBy;
      const rangFrom = c.ringingAt ?? c.startedAt;
      if (rangFrom)
        ringSeconds = Math.max(0, Math.round((c.answeredAt.getTime() - rangFrom.getTime()) / 1000));
      if (talkSeconds === null) talkSeconds = c.durationSeconds;
      if (!dialStatus && c.status === 'completed') dialStatus = 'completed';
    } else if (c.endedAt && (c.ringingAt ?? c.startedAt) && ringSeconds === null) {
      const rangFrom = c.ringingAt ?? c.startedAt ?? c.endedAt;
      ringSeconds = Math.max(0, Math.round((c.endedAt.getTime() - rangFrom.getTime()) / 1000));
    }
  }

  const final = statusRank(leg.status) === 4;
  let outcome: string;
  if (opts.spam) outcome = 'spam';
  else if (dialStatus === 'completed' && (talkSeconds ?? 0) > 0) outcome = 'answered';
  else if (voicemail && recordingUrl) outcome = 'voicemail';
  else if (dialStatus === 'busy') outcome = 'busy';
  else if (dialStatus === 'failed') outcome = 'failed';
  else if (dialStatus === 'no-answer' || dialStatus === 'canceled' || dialStatus === 'completed')
    outcome = 'missed';
  else if (final)
    outcome = leg.status === 'completed' || leg.status === 'canceled' ? 'abandoned' : leg.status;
  else outcome = 'in-progress';

  const lastSequence = Math.max(-1, ...own.map((e) => e.sequenceNumber ?? -1));
  return {
    status: leg.status,
    outcome,
    startedAt: leg.startedAt,
    answeredAt,
    endedAt: final ? leg.endedAt : null,
    ringSeconds,
    durationSeconds: leg.durationSeconds,
    talkSeconds,
    dialStatus,
    answeredBy,
    recordingUrl,
    recordingSid,
    recordingSeconds,
    lastSequence,
    statusRank: statusRank(leg.status),
  };
}
