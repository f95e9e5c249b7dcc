/**
 * An in-memory stand-in for the part of Twilio's REST API that Leadline uses (number search,
 * purchase, configuration, release), answering with Twilio's shapes, status codes and error codes.
 * Tests point the real `twilio` client at it, and so does demo mode, so no request leaves the box.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildInventory, type InventoryNumber } from './inventory';
import { isQueryRejection, parseAvailableQuery, searchInventory } from './search';
import type {
  InjectedFailure,
  StandinIncomingNumber,
  StandinOutboundCall,
  StandinRequest,
  StandinState,
  TwilioStandin,
  TwilioStandinOptions,
} from './types';
import {
  API_ROOT,
  authenticateBody,
  clampInteger,
  hasValidCredentials,
  httpMethod,
  incomingJson,
  invalidHookUrl,
  methodNotAllowed,
  nationalFormat,
  notFound,
  parseRequest,
  send,
  toAvailableJson,
  twilioError,
  wildcardRegExp,
  type ParsedRequest,
  type Reply,
} from './wire';

export type * from './types';

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

function createStandinHandler(opts: TwilioStandinOptions) {
  const available = new Map<string, InventoryNumber>(
    buildInventory(opts.inventory ?? 'realistic').map((number) => [number.e164, number]),
  );
  const everyNumber = new Map(available);
  const owned = new Map<string, StandinIncomingNumber>();
  const purchased: StandinIncomingNumber[] = [];
  const released: StandinIncomingNumber[] = [];
  const calls: StandinOutboundCall[] = [];
  const requests: StandinRequest[] = [];
  let failure: { remaining: number; reply: InjectedFailure } | null = null;

  const state: StandinState = {
    owned,
    purchased,
    released,
    calls,
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
    if (resource === '/Calls.json') {
      if (method === 'POST') return createCall(request.form);
      return methodNotAllowed();
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

  /** Places a call: recorded, and handed to `onCallCreated` (the demo rings it) once answered. */
  function createCall(form: URLSearchParams): Reply {
    const to = form.get('To');
    const from = form.get('From');
    const url = form.get('Url');
    if (!to) return twilioError(400, 21201, "No 'To' number is specified");
    if (!from) return twilioError(400, 21603, "A 'From' phone number is required.");
    if (!url || !/^https?:\/\//.test(url)) {
      return twilioError(400, 21205, `Url is not a valid URL: ${url ?? ''}`);
    }
    const call: StandinOutboundCall = {
      sid: `CA${randomBytes(16).toString('hex')}`,
      to,
      from,
      url,
      statusCallback: form.get('StatusCallback') ?? '',
      statusCallbackEvent: form.getAll('StatusCallbackEvent'),
      dateCreated: new Date(),
    };
    calls.push(call);
    const { onCallCreated } = opts;
    // Twilio answers the request first; the call starts ringing afterwards.
    if (onCallCreated) setImmediate(() => onCallCreated({ ...call }));
    return { status: 201, body: outboundCallJson(opts.accountSid, call) };
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

  return { state, handle };
}

/** Twilio's Call resource as `POST /Calls.json` answers it (the fields the client reads). */
function outboundCallJson(accountSid: string, c: StandinOutboundCall): Record<string, unknown> {
  return {
    sid: c.sid,
    account_sid: accountSid,
    api_version: '2010-04-01',
    to: c.to,
    to_formatted: c.to,
    from: c.from,
    from_formatted: c.from,
    status: 'queued',
    direction: 'outbound-api',
    date_created: c.dateCreated.toUTCString().replace('GMT', '+0000'),
    date_updated: c.dateCreated.toUTCString().replace('GMT', '+0000'),
    start_time: null,
    end_time: null,
    duration: null,
    price: null,
    parent_call_sid: null,
    uri: `${API_ROOT}${accountSid}/Calls/${c.sid}.json`,
  };
}
