import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  buildInventory,
  isQueryRejection,
  nationalFormat,
  parseAvailableQuery,
  searchInventory,
  toAvailableJson,
  type InventoryKind,
  type InventoryNumber,
} from './twilio-standin.inventory';

/**
 * An in-memory stand-in for the part of Twilio's REST API that Leadline uses (number search,
 * purchase, configuration, release), answering with Twilio's shapes, status codes and error codes.
 * Tests point the real `twilio` client at it, and so does demo mode, so no request leaves the box.
 */

export interface TwilioStandinOptions {
  accountSid: string;
  authToken: string;
  /** 'realistic' (default): real US places and toll-free numbers; 'demo': only 555-01XX numbers. */
  inventory?: InventoryKind;
}

/** An IncomingPhoneNumber the stand-in's account owns (or owned, once released). */
export interface StandinIncomingNumber {
  sid: string;
  accountSid: string;
  phoneNumber: string;
  friendlyName: string;
  voiceUrl: string;
  voiceMethod: string;
  voiceFallbackUrl: string;
  voiceFallbackMethod: string;
  statusCallback: string;
  statusCallbackMethod: string;
  dateCreated: Date;
  dateUpdated: Date;
}

export interface StandinRequest {
  method: string;
  path: string;
  /** Query string and form body merged, as Twilio reads them. */
  params: Record<string, string>;
  status: number;
}

export interface InjectedFailure {
  status: number;
  code: number;
  message?: string;
}

/** What the stand-in did, for tests to assert on, and a switch to make it fail. */
export interface StandinState {
  /** Numbers owned right now, by sid. */
  readonly owned: ReadonlyMap<string, StandinIncomingNumber>;
  /** Every purchase as it was made (later updates not applied), including numbers released since. */
  readonly purchased: readonly StandinIncomingNumber[];
  readonly released: readonly StandinIncomingNumber[];
  readonly requests: readonly StandinRequest[];
  /** Answers the next `count` requests, whatever they are, with this Twilio error. */
  failNext(count: number, failure: InjectedFailure): void;
  isAvailable(e164: string): boolean;
  /** Puts a released number back on sale, as Twilio eventually does after ageing it. */
  restock(e164: string): void;
}

export interface TwilioStandin {
  /** e.g. http://127.0.0.1:40123 — what `TWILIO_API_BASE_URL` should be set to. */
  baseUrl: string;
  state: StandinState;
  close(): Promise<void>;
}

/** Starts the stand-in on 127.0.0.1 at an ephemeral port. */
export async function startTwilioStandin(opts: TwilioStandinOptions): Promise<TwilioStandin> {
  const handler = createStandinHandler(opts);
  const server = createServer((req, res) => void handler.handle(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    state: handler.state,
    close: () =>
      new Promise<void>((resolve, reject) => {
        // The twilio client keeps connections alive; close them or close() waits for their timeout.
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

interface Reply {
  status: number;
  body?: unknown;
}

interface ParsedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  form: URLSearchParams;
}

const API_ROOT = '/2010-04-01/Accounts/';

function createStandinHandler(opts: TwilioStandinOptions) {
  const available = new Map<string, InventoryNumber>(
    buildInventory(opts.inventory ?? 'realistic').map((number) => [number.e164, number]),
  );
  const everyNumber = new Map(available);
  const owned = new Map<string, StandinIncomingNumber>();
  const purchased: StandinIncomingNumber[] = [];
  const released: StandinIncomingNumber[] = [];
  const requests: StandinRequest[] = [];
  let failure: { remaining: number; reply: InjectedFailure } | null = null;

  const state: StandinState = {
    owned,
    purchased,
    released,
    requests,
    failNext(count, reply) {
      failure = count > 0 ? { remaining: count, reply } : null;
    },
    isAvailable: (e164) => available.has(e164),
    restock(e164) {
      const stock = everyNumber.get(e164);
      if (stock && ![...owned.values()].some((n) => n.phoneNumber === e164))
        available.set(e164, stock);
    },
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let reply: Reply;
    let parsed: ParsedRequest | null = null;
    try {
      parsed = await parseRequest(req);
      reply = answer(req, parsed);
    } catch {
      reply = twilioError(500, 20500, 'Internal Server Error');
    }
    if (parsed) {
      const params = Object.fromEntries([...parsed.query, ...parsed.form]);
      requests.push({ method: parsed.method, path: parsed.path, params, status: reply.status });
    }
    send(res, reply);
  }

  function answer(req: IncomingMessage, request: ParsedRequest): Reply {
    if (failure) {
      const { reply } = failure;
      failure = failure.remaining > 1 ? { remaining: failure.remaining - 1, reply } : null;
      return twilioError(reply.status, reply.code, reply.message ?? 'Injected failure');
    }
    if (!hasValidCredentials(req.headers.authorization, opts)) {
      return { status: 401, body: authenticateBody() };
    }
    if (!request.path.startsWith(`${API_ROOT}${opts.accountSid}/`)) return notFound(request.path);
    const resource = request.path.slice(`${API_ROOT}${opts.accountSid}`.length);
    return route(request, resource);
  }

  function route(request: ParsedRequest, resource: string): Reply {
    const { method } = request;
    const search = /^\/AvailablePhoneNumbers\/([^/]+)\/(Local|TollFree)\.json$/.exec(resource);
    if (search) {
      if (method !== 'GET') return methodNotAllowed();
      return searchAvailable(request, search[1] ?? '', search[2] === 'TollFree');
    }
    if (resource === '/IncomingPhoneNumbers.json') {
      if (method === 'GET') return listIncoming(request);
      if (method === 'POST') return buyNumber(request.form);
      return methodNotAllowed();
    }
    const instance = /^\/IncomingPhoneNumbers\/(PN[0-9a-f]{32})\.json$/.exec(resource);
    const number = instance ? owned.get(instance[1] ?? '') : undefined;
    if (!number) return notFound(request.path);
    if (method === 'GET') return { status: 200, body: incomingJson(number) };
    if (method === 'POST') return updateNumber(number, request.form);
    if (method === 'DELETE') return releaseNumber(number);
    return methodNotAllowed();
  }

  function searchAvailable(request: ParsedRequest, country: string, tollFree: boolean): Reply {
    if (!/^[A-Z]{2}$/.test(country)) return notFound(request.path);
    const query = parseAvailableQuery(request.query);
    if (isQueryRejection(query)) return twilioError(400, query.code, query.message);
    // Only US numbers are stocked; any other country simply has nothing to offer.
    const found =
      country === 'US'
        ? searchInventory(available.values(), tollFree ? 'tollFree' : 'local', query)
        : [];
    const queryString = request.query.toString();
    const uri = queryString ? `${request.path}?${queryString}` : request.path;
    return {
      status: 200,
      body: {
        available_phone_numbers: found.map(toAvailableJson),
        end: Math.max(found.length - 1, 0),
        first_page_uri: uri,
        next_page_uri: null,
        page: 0,
        page_size: query.pageSize,
        previous_page_uri: null,
        start: 0,
        uri,
      },
    };
  }

  function buyNumber(form: URLSearchParams): Reply {
    const invalid = invalidHookUrl(form);
    if (invalid) return invalid;
    const phoneNumber = form.get('PhoneNumber');
    const areaCode = form.get('AreaCode');
    let stock: InventoryNumber | undefined;
    if (phoneNumber !== null) {
      if (!/^\+1\d{10}$/.test(phoneNumber)) {
        return twilioError(400, 21421, `PhoneNumber is invalid: ${phoneNumber}`);
      }
      stock = available.get(phoneNumber);
      if (!stock) return twilioError(400, 21422, 'PhoneNumber requested is not available');
    } else if (areaCode !== null) {
      if (!/^\d{3}$/.test(areaCode))
        return twilioError(400, 21451, `Invalid AreaCode: ${areaCode}`);
      stock = [...available.values()].find(
        (n) => n.type === 'local' && n.e164.slice(2, 5) === areaCode,
      );
      if (!stock) return twilioError(400, 21452, `No phone numbers found in area code ${areaCode}`);
    } else {
      return twilioError(400, 21451, "A 'PhoneNumber' or 'AreaCode' is required.");
    }
    const now = new Date();
    const number: StandinIncomingNumber = {
      sid: `PN${randomBytes(16).toString('hex')}`,
      accountSid: opts.accountSid,
      phoneNumber: stock.e164,
      friendlyName: form.get('FriendlyName') ?? nationalFormat(stock.e164),
      voiceUrl: form.get('VoiceUrl') ?? '',
      voiceMethod: httpMethod(form.get('VoiceMethod')),
      voiceFallbackUrl: form.get('VoiceFallbackUrl') ?? '',
      voiceFallbackMethod: httpMethod(form.get('VoiceFallbackMethod')),
      statusCallback: form.get('StatusCallback') ?? '',
      statusCallbackMethod: httpMethod(form.get('StatusCallbackMethod')),
      dateCreated: now,
      dateUpdated: now,
    };
    available.delete(stock.e164);
    owned.set(number.sid, number);
    purchased.push({ ...number });
    return { status: 201, body: incomingJson(number) };
  }

  function updateNumber(number: StandinIncomingNumber, form: URLSearchParams): Reply {
    const invalid = invalidHookUrl(form);
    if (invalid) return invalid;
    const text = (name: string, current: string) => form.get(name) ?? current;
    const method = (name: string, current: string) =>
      form.has(name) ? httpMethod(form.get(name)) : current;
    Object.assign(number, {
      friendlyName: text('FriendlyName', number.friendlyName),
      voiceUrl: text('VoiceUrl', number.voiceUrl),
      voiceMethod: method('VoiceMethod', number.voiceMethod),
      voiceFallbackUrl: text('VoiceFallbackUrl', number.voiceFallbackUrl),
      voiceFallbackMethod: method('VoiceFallbackMethod', number.voiceFallbackMethod),
      statusCallback: text('StatusCallback', number.statusCallback),
      statusCallbackMethod: method('StatusCallbackMethod', number.statusCallbackMethod),
      dateUpdated: new Date(),
    });
    return { status: 200, body: incomingJson(number) };
  }

  function releaseNumber(number: StandinIncomingNumber): Reply {
    owned.delete(number.sid);
    released.push(number);
    // The number does not go back on sale: Twilio ages released numbers for months before
    // reissuing them, and a caller dialling an old tracking number must not reach a new campaign.
    return { status: 204 };
  }

  function listIncoming(request: ParsedRequest): Reply {
    const { query } = request;
    const phoneFilter = query.get('PhoneNumber');
    const pattern = phoneFilter === null ? null : wildcardRegExp(phoneFilter);
    const friendlyName = query.get('FriendlyName');
    const all = [...owned.values()].filter(
      (n) =>
        (!pattern || pattern.test(n.phoneNumber)) &&
        (friendlyName === null || n.friendlyName === friendlyName),
    );
    const pageSize = clampInteger(query.get('PageSize'), 50, 1, 1000);
    const page = clampInteger(query.get('Page'), 0, 0, Number.MAX_SAFE_INTEGER);
    const start = page * pageSize;
    const items = all.slice(start, start + pageSize);
    const pageUri = (index: number) => {
      const params = new URLSearchParams(query);
      params.set('PageSize', String(pageSize));
      params.set('Page', String(index));
      return `${request.path}?${params}`;
    };
    return {
      status: 200,
      body: {
        end: Math.max(start + items.length - 1, 0),
        first_page_uri: pageUri(0),
        incoming_phone_numbers: items.map(incomingJson),
        next_page_uri: start + pageSize < all.length ? pageUri(page + 1) : null,
        page,
        page_size: pageSize,
        previous_page_uri: page > 0 ? pageUri(page - 1) : null,
        start,
        uri: pageUri(page),
      },
    };
  }

  function incomingJson(number: StandinIncomingNumber): Record<string, unknown> {
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

  return { state, handle };
}

async function parseRequest(req: IncomingMessage): Promise<ParsedRequest> {
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

function hasValidCredentials(header: string | undefined, opts: TwilioStandinOptions): boolean {
  const match = /^Basic (.+)$/i.exec(header ?? '');
  if (!match?.[1]) return false;
  const given = Buffer.from(Buffer.from(match[1], 'base64').toString('utf8'));
  const expected = Buffer.from(`${opts.accountSid}:${opts.authToken}`);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Twilio answers 21402 when a number's webhook URL is not an absolute http(s) URL. */
function invalidHookUrl(form: URLSearchParams): Reply | null {
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

function httpMethod(value: string | null): string {
  return value?.toUpperCase() === 'GET' ? 'GET' : 'POST';
}

/** IncomingPhoneNumbers' `PhoneNumber` filter: exact, or with `*` for any digit. */
function wildcardRegExp(filter: string): RegExp {
  const escaped = filter.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '\\d');
  return new RegExp(`^${escaped}$`);
}

function clampInteger(raw: string | null, fallback: number, min: number, max: number): number {
  const value = raw === null ? fallback : Number(raw);
  return Number.isInteger(value) ? Math.min(Math.max(value, min), max) : fallback;
}

function rfc2822(date: Date): string {
  return date.toUTCString().replace('GMT', '+0000');
}

function twilioError(status: number, code: number, message: string): Reply {
  return {
    status,
    body: { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status },
  };
}

function authenticateBody(): Record<string, unknown> {
  return {
    code: 20003,
    detail: 'Your AccountSid or AuthToken was incorrect.',
    message: 'Authenticate',
    more_info: 'https://www.twilio.com/docs/errors/20003',
    status: 401,
  };
}

function notFound(path: string): Reply {
  return twilioError(404, 20404, `The requested resource ${path} was not found`);
}

function methodNotAllowed(): Reply {
  return twilioError(405, 20004, 'Method not allowed');
}

function send(res: ServerResponse, reply: Reply): void {
  res.setHeader('Twilio-Request-Id', `RQ${randomBytes(16).toString('hex')}`);
  if (reply.status === 401) res.setHeader('WWW-Authenticate', 'Basic realm="Twilio API"');
  if (reply.body === undefined) {
    res.writeHead(reply.status).end();
    return;
  }
  res.writeHead(reply.status, { 'Content-Type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(reply.body));
}
