import { greatCircleKm } from '../geo/distance';
import { localTime } from '../geo/local-time';
import { placeOfZip } from '../geo/zip';
import { findKeyTerm, type Utterance } from './key-terms';
import type { Condition, FactTest, Points, Rule, RuleSet } from './rules.schemas';

/** What a rule may look at about a call. `disposition` stays null until agents can set one. */
export interface CallFacts {
  callSid: string;
  siteId: string | null;
  campaignId: string | null;
  answered: boolean;
  talkSeconds: number | null;
  firstTime: boolean | null;
  source: string | null;
  medium: string | null;
  keyword: string | null;
  callerState: string | null;
  callerZip: string | null;
  startedAt: Date;
  disposition: string | null;
  spam: boolean;
  attribution: 'exact' | 'ambiguous' | 'expired' | 'none';
  /** The call's final utterances (absent or empty: nothing was transcribed). */
  transcript?: readonly Utterance[];
}

export interface ExplanationEntry {
  rule: string;
  name: string;
  points: number;
  set?: { qualified?: boolean; label?: string };
  /** The facts this rule looked at, with the values it saw. */
  facts: Record<string, unknown>;
}

export interface CallScore {
  score: number;
  qualified: boolean;
  label: string;
  explanation: ExplanationEntry[];
  rulesVersion: number;
}

type Seen = Record<string, unknown>;

/** Scores a call with a rule set: points summed and clamped to 0–100, labels from thresholds. */
export function scoreCall(facts: CallFacts, ruleSet: RuleSet, rulesVersion: number): CallScore {
  const explanation: ExplanationEntry[] = [];
  let total = 0;
  let qualified: boolean | undefined;
  let label: string | undefined;
  for (const rule of ruleSet.rules) {
    const seen: Seen = {};
    if (!matches(rule.when, facts, seen)) continue;
    const points = pointsFor(rule.points, facts, seen);
    total += points;
    // The first rule (in document order) that sets a value wins, so put overrides first.
    if (qualified === undefined && rule.set?.qualified !== undefined)
      qualified = rule.set.qualified;
    if (label === undefined && rule.set?.label !== undefined) label = rule.set.label;
    explanation.push(entry(rule, points, seen));
  }
  const score = Math.max(0, Math.min(100, Math.round(total)));
  const t = ruleSet.thresholds;
  return {
    score,
    qualified: qualified ?? (!facts.spam && score >= t.qualified),
    label:
      label ?? (facts.spam ? 'spam' : score >= t.hot ? 'hot' : score >= t.warm ? 'warm' : 'cold'),
    explanation,
    rulesVersion,
  };
}

function entry(rule: Rule, points: number, facts: Seen): ExplanationEntry {
  return { rule: rule.id, name: rule.name, points, ...(rule.set ? { set: rule.set } : {}), facts };
}

function pointsFor(points: Points | undefined, facts: CallFacts, seen: Seen): number {
  if (points === undefined) return 0;
  if (typeof points === 'number') return points;
  seen.campaignId = facts.campaignId;
  return (facts.campaignId ? points.perCampaign[facts.campaignId] : undefined) ?? points.otherwise;
}

/** Evaluates a condition, writing every fact it reads into `seen` (for the explanation). */
export function matches(cond: Condition, facts: CallFacts, seen: Seen): boolean {
  if ('all' in cond) return cond.all.every((c) => matches(c, facts, seen));
  if ('any' in cond) return cond.any.some((c) => matches(c, facts, seen));
  if ('not' in cond) return !matches(cond.not, facts, seen);
  return testFact(cond, facts, seen);
}

const norm = (v: string | null) => (v ?? '').trim().toLowerCase();

function testFact(t: FactTest, f: CallFacts, seen: Seen): boolean {
  switch (t.fact) {
    case 'answered':
      seen.answered = f.answered;
      return f.answered === t.is;
    case 'firstTime':
      seen.firstTime = f.firstTime;
      return f.firstTime === t.is;
    case 'spam':
      seen.spam = f.spam;
      return f.spam === t.is;
    case 'talkSeconds': {
      seen.talkSeconds = f.talkSeconds;
      const s = f.talkSeconds ?? 0;
      return (t.gte === undefined || s >= t.gte) && (t.lte === undefined || s <= t.lte);
    }
    case 'campaign':
      seen.campaignId = f.campaignId;
      return f.campaignId !== null && t.in.includes(f.campaignId);
    case 'source':
    case 'medium':
    case 'keyword': {
      const value = f[t.fact];
      seen[t.fact] = value;
      if (value === null) return false;
      const v = norm(value);
      return (
        (t.equals !== undefined && norm(t.equals) === v) || (t.in ?? []).some((x) => norm(x) === v)
      );
    }
    case 'callerState':
      seen.callerState = f.callerState;
      return (
        f.callerState !== null && t.in.some((s) => s.toUpperCase() === f.callerState?.toUpperCase())
      );
    case 'callerDistance': {
      seen.callerZip = f.callerZip;
      const place = placeOfZip(f.callerZip);
      if (!place || place.lat === null || place.lon === null) {
        seen.distanceKm = null;
        return false;
      }
      const km = greatCircleKm(t.lat, t.lon, place.lat, place.lon);
      seen.distanceKm = Math.round(km * 10) / 10;
      return km <= t.withinKm;
    }
    case 'hourOfDay': {
      const hour = Number(localTime(f.startedAt, t.timezone).hhmm.slice(0, 2));
      seen.localHour = hour;
      return t.from < t.to ? hour >= t.from && hour < t.to : hour >= t.from || hour < t.to;
    }
    case 'businessHours': {
      const local = localTime(f.startedAt, t.timezone);
      const minutes = toMinutes(local.hhmm);
      seen.localTime = local.hhmm;
      seen.localDay = local.day;
      return (
        t.days.includes(local.day) && minutes >= toMinutes(t.open) && minutes < toMinutes(t.close)
      );
    }
    case 'disposition':
      seen.disposition = f.disposition;
      return f.disposition !== null && t.in.some((d) => norm(d) === norm(f.disposition));
    case 'attribution':
      seen.attribution = f.attribution;
      return t.in.includes(f.attribution);
    case 'transcript': {
      const found = findKeyTerm(f.transcript ?? [], t.contains, t.track);
      // The explanation quotes what was said; a rule with two key-term tests quotes the first.
      if (found && seen.term === undefined) Object.assign(seen, found);
      else if (!found) seen.utterances ??= (f.transcript ?? []).length;
      return found !== null;
    }
  }
}

const toMinutes = (hhmm: string) => {
  const [h, m] = hhmm.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
};
