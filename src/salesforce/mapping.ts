import { parsePhoneNumberFromString } from 'libphonenumber-js';
import type { CallRow } from '../calls/calls.repo';
import type { CallScore } from '../calls/calls.service';
import { CALL_FIELDS } from './metadata';

/** A phone as Leadline compares it (E.164) and as it searches Salesforce (national digits). */
export interface Phone {
  e164: string;
  digits: string;
  /** As a person would type it: `(415) 555-0123` for US numbers. */
  display: string;
}

/** Normalises a phone typed any way (`(415) 555-0123`, `+1 415…`); null if it is not one. */
export function normalizePhone(raw: unknown): Phone | null {
  if (typeof raw !== 'string' || raw.trim() === '') return null;
  const p = parsePhoneNumberFromString(raw, 'US');
  if (!p || !p.isPossible()) return null;
  return {
    e164: p.number,
    digits: String(p.nationalNumber),
    display: p.country === 'US' ? p.formatNational() : p.formatInternational(),
  };
}

export interface CampaignInfo {
  name: string;
  salesforceCampaignId: string | null;
}

const clip = (v: string | null | undefined, n: number) => (v ? v.slice(0, n) : null);

/** A subject a person can read in an activity list: `Inbound call 3m 20s · hot (82)`. */
export function taskSubject(call: CallRow, score: CallScore | null): string {
  const secs = call.talkSeconds ?? call.durationSeconds ?? 0;
  const length = secs >= 60 ? `${Math.floor(secs / 60)}m ${secs % 60}s` : `${secs}s`;
  const outcome = call.outcome && call.outcome !== 'answered' ? ` · ${call.outcome}` : '';
  const scored = score ? ` · ${score.label} (${score.score})` : '';
  return `Inbound call ${length}${outcome}${scored}`.slice(0, 255);
}

/** The score-dependent part of a Task: written on create and again when the call is rescored. */
export function scoreFields(call: CallRow, score: CallScore | null): Record<string, unknown> {
  return {
    Subject: taskSubject(call, score),
    CallDisposition: clip(call.outcome ?? call.status, 255),
    [CALL_FIELDS.score.fullName]: score?.score ?? null,
    [CALL_FIELDS.qualified.fullName]: score?.qualified ?? false,
    [CALL_FIELDS.scoreLabel.fullName]: clip(score?.label, 40),
    [CALL_FIELDS.disposition.fullName]: clip(call.outcome ?? call.status, 80),
  };
}

/** The Task of a call, in the "Call Activity" record type, on the person it was matched to. */
export function taskRecord(args: {
  call: CallRow;
  score: CallScore | null;
  campaign: CampaignInfo | null;
  whoId: string;
  recordTypeId: string;
  publicBaseUrl: string;
}): Record<string, unknown> {
  const { call, score, campaign } = args;
  return {
    RecordTypeId: args.recordTypeId,
    WhoId: args.whoId,
    TaskSubtype: 'Call',
    CallType: 'Inbound',
    CallObject: call.callSid,
    CallDurationInSeconds: call.durationSeconds ?? 0,
    Status: 'Completed',
    Priority: 'Normal',
    ActivityDate: call.startedAt.toISOString().slice(0, 10),
    ...scoreFields(call, score),
    [CALL_FIELDS.campaign.fullName]: clip(campaign?.name, 255),
    [CALL_FIELDS.source.fullName]: clip(call.source, 255),
    [CALL_FIELDS.medium.fullName]: clip(call.medium, 255),
    [CALL_FIELDS.keyword.fullName]: clip(call.keyword, 255),
    [CALL_FIELDS.landingPage.fullName]: clip(call.landingUrl, 255),
    [CALL_FIELDS.trackingNumber.fullName]: call.toNumber,
    [CALL_FIELDS.firstTimeCaller.fullName]: call.firstTime ?? false,
    [CALL_FIELDS.attribution.fullName]: call.attribution,
    [CALL_FIELDS.recordingUrl.fullName]: clip(call.recordingUrl, 255),
    [CALL_FIELDS.callId.fullName]: call.callSid,
    [CALL_FIELDS.callLink.fullName]: `${args.publicBaseUrl}/api/v1/calls/${call.callSid}`,
  };
}

/** A Lead for a caller Salesforce does not know yet. */
export function leadRecord(call: CallRow, phone: Phone): Record<string, unknown> {
  const name = call.callerName?.trim();
  const parts = name ? name.split(/\s+/) : [];
  const lastName = parts.length > 0 ? parts[parts.length - 1] : `Caller ${phone.digits.slice(-4)}`;
  const firstName = parts.length > 1 ? parts.slice(0, -1).join(' ') : null;
  return {
    ...(firstName ? { FirstName: clip(firstName, 40) } : {}),
    LastName: clip(lastName, 80),
    Company: '[not provided]',
    LeadSource: clip(call.source, 40) ?? 'Phone Inquiry',
    Phone: phone.display,
    City: clip(call.callerCity, 40),
    State: clip(call.callerState, 80),
    PostalCode: clip(call.callerZip, 20),
  };
}

/** Salesforce id prefixes (key prefixes) of the objects a Task can be on. */
export const isContactId = (id: string) => id.startsWith('003');
