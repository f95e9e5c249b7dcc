import { startTwilioStandin, type TwilioStandin } from './standin';

// These tests speak raw HTTP, to pin the wire format the real twilio client depends on.
// src/shared/twilio.test.ts drives the same stand-in through the twilio package itself.

const ACCOUNT_SID = `AC${'2'.repeat(32)}`;
const AUTH_TOKEN = 'standin-auth-token';
const ROOT = `/2010-04-01/Accounts/${ACCOUNT_SID}`;

interface AvailableJson {
  friendly_name: string;
  phone_number: string;
  lata: string | null;
  locality: string | null;
  rate_center: string | null;
  latitude: string | null;
  longitude: string | null;
  region: string | null;
  postal_code: string | null;
  iso_country: string;
  capabilities: Record<string, boolean>;
  beta: boolean;
}

interface AvailableList {
  available_phone_numbers: AvailableJson[];
  next_page_uri: string | null;
  uri: string;
}

interface IncomingJson {
  sid: string;
  account_sid: string;
  phone_number: string;
  friendly_name: string;
  voice_url: string;
  date_created: string;
  uri: string;
}

interface IncomingList {
  incoming_phone_numbers: IncomingJson[];
  next_page_uri: string | null;
}

interface TwilioErrorJson {
  code: number;
  message: string;
  more_info: string;
  status: number;
}

interface CallOptions {
  method?: string;
  form?: Record<string, string>;
  token?: string;
}

let standin: TwilioStandin;

async function call<T>(path: string, opts: CallOptions = {}) {
  const credentials = Buffer.from(`${ACCOUNT_SID}:${opts.token ?? AUTH_TOKEN}`).toString('base64');
  const headers: Record<string, string> = { Authorization: `Basic ${credentials}` };
  if (opts.form) headers['Content-Type'] = 'application/x-www-form-urlencoded';
  const res = await fetch(`${standin.baseUrl}${path}`, {
    method: opts.method ?? (opts.form ? 'POST' : 'GET'),
    headers,
    body: opts.form ? new URLSearchParams(opts.form).toString() : undefined,
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : null) as T };
}

async function search(query: string, kind = 'Local') {
  const res = await call<AvailableList>(`${ROOT}/AvailablePhoneNumbers/US/${kind}.json?${query}`);
  expect(res.status).toBe(200);
  return res.body.available_phone_numbers;
}

describe('Twilio stand-in, realistic inventory', () => {
  beforeEach(async () => {
    standin = await startTwilioStandin({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
  });
  afterEach(() => standin.close());

  it('answers wrong credentials with 401 and Twilio error 20003', async () => {
    const res = await call<TwilioErrorJson>(`${ROOT}/IncomingPhoneNumbers.json`, { token: 'nope' });

    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic/);
    expect(res.body).toMatchObject({
      code: 20003,
      message: 'Authenticate',
      more_info: 'https://www.twilio.com/docs/errors/20003',
      status: 401,
    });
  });

  it('answers 404 with Twilio error 20404 for another account or an unknown resource', async () => {
    const other = await call<TwilioErrorJson>(
      `/2010-04-01/Accounts/AC${'9'.repeat(32)}/IncomingPhoneNumbers.json`,
    );
    const unknown = await call<TwilioErrorJson>(`${ROOT}/Nope.json`);

    for (const res of [other, unknown]) {
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ code: 20404, status: 404 });
      expect(res.body.message).toMatch(/was not found$/);
    }
  });

  it('lists available numbers in Twilio’s shape, 50 by default and never more than PageSize', async () => {
    const res = await call<AvailableList>(
      `${ROOT}/AvailablePhoneNumbers/US/Local.json?AreaCode=212`,
    );
    const seven = await search('PageSize=7');

    expect(res.body.available_phone_numbers).toHaveLength(40); // all of 212's stock
    expect(await search('')).toHaveLength(50);
    expect(seven).toHaveLength(7);
    expect(res.body.next_page_uri).toBeNull();
    expect(res.body.uri).toBe(`${ROOT}/AvailablePhoneNumbers/US/Local.json?AreaCode=212`);
    const [first] = res.body.available_phone_numbers;
    expect(first).toMatchObject({
      friendly_name: expect.stringMatching(/^\(212\) \d{3}-\d{4}$/),
      phone_number: expect.stringMatching(/^\+1212\d{7}$/),
      lata: '132',
      locality: 'New York',
      region: 'NY',
      postal_code: expect.stringMatching(/^1\d{4}$/),
      latitude: expect.stringMatching(/^40\.\d{6}$/),
      longitude: expect.stringMatching(/^-7[34]\.\d{6}$/),
      iso_country: 'US',
      capabilities: { voice: true, SMS: true, MMS: true },
      beta: false,
    });
  });

  it('matches Contains with * wildcards, a $ anchor and keypad letters', async () => {
    const [target] = await search('AreaCode=512&PageSize=1');
    const last4 = target?.phone_number.slice(-4) ?? '';
    const wildcard = `${last4.slice(0, 1)}*${last4.slice(2)}$`;

    const matched = await search(`Contains=${encodeURIComponent(wildcard)}&PageSize=1000`);
    const spelled = await search(`Contains=${encodeURIComponent('+1MGM')}&PageSize=1000`);

    expect(matched.map((n) => n.phone_number)).toContain(target?.phone_number);
    const shape = new RegExp(`${last4.slice(0, 1)}\\d${last4.slice(2)}$`);
    for (const n of matched) expect(n.phone_number).toMatch(shape);
    expect(spelled.length).toBeGreaterThan(0);
    for (const n of spelled) expect(n.phone_number).toMatch(/^\+1646/); // M=6 G=4 M=6
    const invalid = await call<TwilioErrorJson>(
      `${ROOT}/AvailablePhoneNumbers/US/Local.json?Contains=1`,
    );
    expect(invalid.status).toBe(400);
  });

  it('filters by InRegion and by NearLatLong within Distance, nearest first', async () => {
    const texas = await search('InRegion=TX&PageSize=1000');
    const nearBoston = await search('NearLatLong=42.3601,-71.0589&Distance=5&PageSize=1000');

    expect(texas.length).toBeGreaterThan(0);
    expect(new Set(texas.map((n) => n.region))).toEqual(new Set(['TX']));
    expect(nearBoston.length).toBeGreaterThan(0);
    // Miles on a local flat map: a degree of latitude is 69 miles, of longitude 69·cos(lat).
    const miles = nearBoston.map((n) =>
      Math.hypot(
        (Number(n.latitude) - 42.3601) * 69,
        (Number(n.longitude) + 71.0589) * 69 * Math.cos((42.3601 * Math.PI) / 180),
      ),
    );
    expect(miles).toEqual([...miles].sort((a, b) => a - b));
    expect(Math.max(...miles)).toBeLessThanOrEqual(5);
    expect(nearBoston.every((n) => n.phone_number.startsWith('+1617'))).toBe(true);
  });

  it('rejects an invalid AreaCode with Twilio error 21451', async () => {
    const res = await call<TwilioErrorJson>(
      `${ROOT}/AvailablePhoneNumbers/US/Local.json?AreaCode=41`,
    );

    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 21451, status: 400 });
  });

  it('buys by AreaCode and answers 201 with an IncomingPhoneNumber', async () => {
    const res = await call<IncomingJson>(`${ROOT}/IncomingPhoneNumbers.json`, {
      form: { AreaCode: '303', VoiceUrl: 'https://leadline.test/twilio/voice' },
    });

    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      sid: expect.stringMatching(/^PN[0-9a-f]{32}$/),
      account_sid: ACCOUNT_SID,
      phone_number: expect.stringMatching(/^\+1303\d{7}$/),
      friendly_name: expect.stringMatching(/^\(303\) \d{3}-\d{4}$/),
      voice_url: 'https://leadline.test/twilio/voice',
      date_created: expect.stringMatching(/^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} \+0000$/),
    });
    expect(res.body.uri).toBe(`${ROOT}/IncomingPhoneNumbers/${res.body.sid}.json`);
    expect(standin.state.isAvailable(res.body.phone_number)).toBe(false);
  });

  it('rejects a purchase without PhoneNumber or AreaCode, or with a relative VoiceUrl', async () => {
    const [number] = await search('AreaCode=206&PageSize=1');
    const missing = await call<TwilioErrorJson>(`${ROOT}/IncomingPhoneNumbers.json`, {
      form: { VoiceUrl: 'https://leadline.test/twilio/voice' },
    });
    const relative = await call<TwilioErrorJson>(`${ROOT}/IncomingPhoneNumbers.json`, {
      form: { PhoneNumber: number?.phone_number ?? '', VoiceUrl: '/twilio/voice' },
    });

    expect(missing.status).toBe(400);
    expect(missing.body).toMatchObject({ code: 21451 });
    expect(missing.body.message).toMatch(/PhoneNumber.*AreaCode/);
    expect(relative.status).toBe(400);
    expect(relative.body).toMatchObject({ code: 21402 });
    expect(standin.state.purchased).toHaveLength(0);
  });

  it('lists owned numbers page by page and filters them by PhoneNumber', async () => {
    const bought: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      const res = await call<IncomingJson>(`${ROOT}/IncomingPhoneNumbers.json`, {
        form: { AreaCode: '404' },
      });
      bought.push(res.body.phone_number);
    }

    const first = await call<IncomingList>(`${ROOT}/IncomingPhoneNumbers.json?PageSize=2`);
    const second = await call<IncomingList>(first.body.next_page_uri ?? 'missing');
    const one = await call<IncomingList>(
      `${ROOT}/IncomingPhoneNumbers.json?PhoneNumber=${encodeURIComponent(bought[1] ?? '')}`,
    );

    expect(first.body.incoming_phone_numbers).toHaveLength(2);
    expect(second.body.incoming_phone_numbers).toHaveLength(1);
    expect(second.body.next_page_uri).toBeNull();
    const listed = [...first.body.incoming_phone_numbers, ...second.body.incoming_phone_numbers];
    expect(listed.map((n) => n.phone_number)).toEqual(bought);
    expect(one.body.incoming_phone_numbers.map((n) => n.phone_number)).toEqual([bought[1]]);
  });

  it('answers the next N requests with an injected failure, then recovers', async () => {
    standin.state.failNext(2, { status: 503, code: 20503, message: 'Service Unavailable' });

    const statuses: number[] = [];
    for (let i = 0; i < 3; i += 1) {
      statuses.push((await call<unknown>(`${ROOT}/IncomingPhoneNumbers.json`)).status);
    }

    expect(statuses).toEqual([503, 503, 200]);
    expect(standin.state.requests.map((r) => r.status)).toEqual([503, 503, 200]);
  });
});

describe('Twilio stand-in, demo inventory', () => {
  beforeEach(async () => {
    standin = await startTwilioStandin({
      accountSid: ACCOUNT_SID,
      authToken: AUTH_TOKEN,
      inventory: 'demo',
    });
  });
  afterEach(() => standin.close());

  it('offers 555-01XX numbers only (Contains=JKL01 matches them all) and no toll-free', async () => {
    const all = await search('PageSize=1000');
    const spelled = await search('Contains=JKL01&PageSize=1000'); // 5-5-5-0-1 on the keypad

    expect(all).toHaveLength(1000);
    for (const n of all) expect(n.phone_number).toMatch(/^\+1\d{3}55501\d{2}$/);
    expect(spelled).toHaveLength(1000);
    expect(await search('Contains=JKL02')).toEqual([]);
    expect(await search('PageSize=50', 'TollFree')).toEqual([]);
  });
});
