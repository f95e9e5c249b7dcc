/**
 * Twilio's wire format as the stand-in speaks it: reading requests, checking credentials, and the
 * JSON bodies, error codes and headers Twilio answers with.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { InventoryNumber } from './inventory';
import type { StandinIncomingNumber } from './types';

export interface Reply {
  status: number;
  body?: unknown;
}

export interface ParsedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  form: URLSearchParams;
}

export const API_ROOT = '/2010-04-01/Accounts/';

export function incomingJson(number: StandinIncomingNumber): Record<string, unknown> {
  const uri = `${API_ROOT}${number.accountSid}/IncomingPhoneNumbers/${number.sid}.json`;
  return {
    account_sid: number.accountSid,
    address_requirements: 'none',
    address_sid: null,
    api_version: '2010-04-01',
    beta: false,
    bundle_sid: null,
    capabilities: { voice: true, sms: true, mms: true, fax: false },
    date_created: rfc2822(number.dateCreated),
    date_updated: rfc2822(number.dateUpdated),
    emergency_address_sid: null,
    emergency_address_status: 'unregistered',
    emergency_status: 'Inactive',
    friendly_name: number.friendlyName,
    identity_sid: null,
    origin: 'twilio',
    phone_number: number.phoneNumber,
    sid: number.sid,
    sms_application_sid: '',
    sms_fallback_method: 'POST',
    sms_fallback_url: '',
    sms_method: 'POST',
    sms_url: '',
    status: 'in-use',
    status_callback: number.statusCallback,
    status_callback_method: number.statusCallbackMethod,
    subresource_uris: {
      assigned_add_ons: uri.replace(/\.json$/, '/AssignedAddOns.json'),
    },
    trunk_sid: null,
    uri,
    voice_application_sid: '',
    voice_caller_id_lookup: false,
    voice_fallback_method: number.voiceFallbackMethod,
    voice_fallback_url: number.voiceFallbackUrl,
    voice_method: number.voiceMethod,
    voice_receive_mode: 'voice',
    voice_url: number.voiceUrl,
  };
}

export async function parseRequest(req: IncomingMessage): Promise<ParsedRequest> {
  const url = new URL(req.url ?? '/', 'http://standin.invalid');
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks).toString('utf8');
  const isForm = (req.headers['content-type'] ?? '').includes('application/x-www-form-urlencoded');
  return {
    method: (req.method ?? 'GET').toUpperCase(),
    path: url.pathname,
    query: url.searchParams,
    form: new URLSearchParams(isForm ? body : ''),
  };
}

export function hasValidCredentials(
  header: string | undefined,
  opts: { accountSid: string; authToken: string },
): boolean {
  const match = /^Basic (.+)$/i.exec(header ?? '');
  if (!match?.[1]) return false;
  const given = Buffer.from(Buffer.from(match[1], 'base64').toString('utf8'));
  const expected = Buffer.from(`${opts.accountSid}:${opts.authToken}`);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Twilio answers 21402 when a number's webhook URL is not an absolute http(s) URL. */
export function invalidHookUrl(form: URLSearchParams): Reply | null {
  for (const name of ['VoiceUrl', 'VoiceFallbackUrl', 'StatusCallback']) {
    const value = form.get(name);
    if (value === null || value === '') continue;
    let ok = false;
    try {
      ok = ['http:', 'https:'].includes(new URL(value).protocol);
    } catch {
      ok = false;
    }
    if (!ok) return twilioError(400, 21402, `${name} is not valid: ${value}`);
  }
  return null;
}

export function httpMethod(value: string | null): string {
  return value?.toUpperCase() === 'GET' ? 'GET' : 'POST';
}

/** IncomingPhoneNumbers' `PhoneNumber` filter: exact, or with `*` for any digit. */
export function wildcardRegExp(filter: string): RegExp {
  const escaped = filter.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '\\d');
  return new RegExp(`^${escaped}$`);
}

export function clampInteger(
  raw: string | null,
  fallback: number,
  min: number,
  max: number,
): number {
  const value = raw === null ? fallback : Number(raw);
  return Number.isInteger(value) ? Math.min(Math.max(value, min), max) : fallback;
}

function rfc2822(date: Date): string {
  return date.toUTCString().replace('GMT', '+0000');
}

export function twilioError(status: number, code: number, message: string): Reply {
  return {
    status,
    body: { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status },
  };
}

export function authenticateBody(): Record<string, unknown> {
  return {
    code: 20003,
    detail: 'Your AccountSid or AuthToken was incorrect.',
    message: 'Authenticate',
    more_info: 'https://www.twilio.com/docs/errors/20003',
    status: 401,
  };
}

export function notFound(path: string): Reply {
  return twilioError(404, 20404, `The requested resource ${path} was not found`);
}

export function methodNotAllowed(): Reply {
  return twilioError(405, 20004, 'Method not allowed');
}

export function send(res: ServerResponse, reply: Reply): void {
  res.setHeader('Twilio-Request-Id', `RQ${randomBytes(16).toString('hex')}`);
  if (reply.status === 401) res.setHeader('WWW-Authenticate', 'Basic realm="Twilio API"');
  if (reply.body === undefined) {
    res.writeHead(reply.status).end();
    return;
  }
  res.writeHead(reply.status, { 'Content-Type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(reply.body));
}

/** "(415) 555-0123", Twilio's default friendly name for a North American number. */
export function nationalFormat(e164: string): string {
  const digits = e164.replace(/^\+1/, '');
  return `(${digits.slice(0, 3)}) ${digits.slice(3, 6)}-${digits.slice(6)}`;
}

/** One entry of `available_phone_numbers`, field for field as Twilio sends it. */
export function toAvailableJson(number: InventoryNumber): Record<string, unknown> {
  return {
    friendly_name: nationalFormat(number.e164),
    phone_number: number.e164,
    lata: number.lata,
    locality: number.locality,
    rate_center: number.rateCenter,
    // Twilio sends coordinates as strings with six decimals, not as JSON numbers.
    latitude: number.latitude === null ? null : number.latitude.toFixed(6),
    longitude: number.longitude === null ? null : number.longitude.toFixed(6),
    region: number.region,
    postal_code: number.postalCode,
    iso_country: 'US',
    address_requirements: 'none',
    beta: false,
    capabilities: { voice: true, SMS: true, MMS: true },
  };
}
