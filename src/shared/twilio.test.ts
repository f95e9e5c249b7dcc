import { createHmac } from 'node:crypto';
import { distance as zipDistance } from 'zipcodes';
import { startTwilioStandin, type TwilioStandin } from '../demo/twilio-rest/standin';
import {
  createTwilioNumbersApi,
  isValidTwilioSignature,
  signTwilioRequest,
  TwilioApiError,
  type TwilioNumbersApi,
} from './twilio';

const ACCOUNT_SID = `AC${'1'.repeat(32)}`;
const AUTH_TOKEN = 'standin-auth-token';
const HOOKS = {
  voiceUrl: 'https://leadline.test/twilio/voice',
  statusCallback: 'https://leadline.test/twilio/status',
  voiceFallbackUrl: 'https://leadline.test/twilio/voice-fallback',
};

let standin: TwilioStandin;
let api: TwilioNumbersApi;

async function start(inventory: 'demo' | 'realistic'): Promise<void> {
  standin = await startTwilioStandin({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, inventory });
  api = createTwilioNumbersApi({
    accountSid: ACCOUNT_SID,
    authToken: AUTH_TOKEN,
    baseUrl: standin.baseUrl,
  });
}

function searchRequests() {
  return standin.state.requests.filter((r) => r.path.includes('/AvailablePhoneNumbers/'));
}

async function firstAvailable(areaCode: string): Promise<string> {
  const [number] = await api.searchAvailable({ areaCode, limit: 1 });
  if (!number) throw new Error(`the stand-in has no ${areaCode} number`);
  return number.e164;
}

async function expectTwilioError(promise: Promise<unknown>, status: number, code?: number) {
  const error: unknown = await promise.then(
    () => null,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(TwilioApiError);
  expect(error).toMatchObject({ status, code });
}

describe('createTwilioNumbersApi, realistic inventory', () => {
  beforeEach(() => start('realistic'));
  afterEach(() => standin.close());

  it('finds local numbers in the area code, placed where Twilio says, never more than asked', async () => {
    const numbers = await api.searchAvailable({ areaCode: '415', limit: 5 });

    expect(numbers).toHaveLength(5);
    for (const n of numbers) {
      expect(n.e164).toMatch(/^\+1415\d{7}$/);
      expect(n).toMatchObject({ locality: 'San Francisco', region: 'CA' });
      expect(n.postalCode).toMatch(/^94\d{3}$/);
      expect(n.lat).toBeGreaterThan(37.5);
      expect(n.lon).toBeLessThan(-122);
    }
    expect(searchRequests()[0]?.params).toEqual({ AreaCode: '415', PageSize: '5' });
  });

  it('puts numbers inside the ZIP first, then tops up from within 50 miles of it', async () => {
    const [seed] = await api.searchAvailable({ areaCode: '206', limit: 1 });
    const zip = seed?.postalCode ?? '';

    const numbers = await api.searchAvailable({ nearZip: zip, limit: 10 });

    expect(numbers).toHaveLength(10);
    expect(numbers[0]?.postalCode).toBe(zip);
    for (const n of numbers) expect(zipDistance(zip, n.postalCode ?? '')).toBeLessThanOrEqual(50);
    expect(new Set(numbers.map((n) => n.e164)).size).toBe(10);
    const [inZip, nearby] = searchRequests().slice(-2);
    expect(inZip?.params).toMatchObject({ InPostalCode: zip });
    expect(nearby?.params).toMatchObject({ Distance: '50' });
    expect(nearby?.params.NearLatLong).toMatch(/^47\.\d+,-122\.\d+$/);
  });

  it('falls back to numbers within 50 miles when the ZIP itself has none', async () => {
    const numbers = await api.searchAvailable({ nearZip: '94301', limit: 5 }); // Palo Alto

    expect(numbers).toHaveLength(5);
    for (const n of numbers) {
      expect(n.postalCode).not.toBe('94301');
      expect(zipDistance('94301', n.postalCode ?? '')).toBeLessThanOrEqual(50);
    }
    expect(searchRequests().map((r) => Object.keys(r.params).sort())).toEqual([
      ['InPostalCode', 'PageSize'],
      ['Distance', 'NearLatLong', 'PageSize'],
    ]);
  });

  it('searches toll-free numbers on the TollFree resource', async () => {
    const numbers = await api.searchAvailable({ tollFree: true, limit: 10 });

    expect(numbers).toHaveLength(10);
    for (const n of numbers) {
      expect(n.e164).toMatch(/^\+18(00|33|44|55|66|77|88)\d{7}$/);
      expect(n.locality).toBeUndefined();
    }
    expect(searchRequests()[0]?.path).toMatch(/\/AvailablePhoneNumbers\/US\/TollFree\.json$/);
  });

  it('buys a number pointed at the webhooks and takes it off the market', async () => {
    const e164 = await firstAvailable('312');

    const bought = await api.buy(e164, HOOKS, 'Spring campaign');

    expect(bought).toEqual({ sid: expect.stringMatching(/^PN[0-9a-f]{32}$/), e164 });
    expect(standin.state.owned.get(bought.sid)).toMatchObject({
      phoneNumber: e164,
      friendlyName: 'Spring campaign',
      voiceUrl: HOOKS.voiceUrl,
      voiceMethod: 'POST',
      statusCallback: HOOKS.statusCallback,
      statusCallbackMethod: 'POST',
      voiceFallbackUrl: HOOKS.voiceFallbackUrl,
    });
    const stillOffered = await api.searchAvailable({ areaCode: '312', limit: 1000 });
    expect(stillOffered.map((n) => n.e164)).not.toContain(e164);
  });

  it('refuses to buy the same number twice with Twilio error 21422', async () => {
    const e164 = await firstAvailable('512');
    await api.buy(e164, HOOKS);

    await expectTwilioError(api.buy(e164, HOOKS), 400, 21422);
    expect(standin.state.purchased).toHaveLength(1);
  });

  it('re-points a bought number at new webhooks', async () => {
    const { sid } = await api.buy(await firstAvailable('617'), HOOKS);
    const moved = {
      voiceUrl: 'https://new.leadline.test/twilio/voice',
      statusCallback: 'https://new.leadline.test/twilio/status',
      voiceFallbackUrl: 'https://new.leadline.test/twilio/voice-fallback',
    };

    await api.configure(sid, moved);

    expect(standin.state.owned.get(sid)).toMatchObject(moved);
    await expectTwilioError(api.configure(`PN${'0'.repeat(32)}`, moved), 404, 20404);
  });

  it('releases a number so the account no longer owns it, and a second release is a 404', async () => {
    const e164 = await firstAvailable('303');
    const { sid } = await api.buy(e164, HOOKS);

    await api.release(sid);

    expect(standin.state.owned.has(sid)).toBe(false);
    expect(standin.state.released.map((n) => n.phoneNumber)).toEqual([e164]);
    await expectTwilioError(api.release(sid), 404, 20404);
  });

  it('reports a wrong auth token as a 401 TwilioApiError and buys nothing', async () => {
    const intruder = createTwilioNumbersApi({
      accountSid: ACCOUNT_SID,
      authToken: 'not-the-token',
      baseUrl: standin.baseUrl,
    });

    await expectTwilioError(intruder.searchAvailable({ limit: 1 }), 401, 20003);
    await expectTwilioError(intruder.buy(await firstAvailable('404'), HOOKS), 401, 20003);
    expect(standin.state.owned.size).toBe(0);
  });

  it('surfaces an injected 500 as a TwilioApiError, then works again', async () => {
    const e164 = await firstAvailable('305');
    standin.state.failNext(1, { status: 500, code: 20500 });

    await expectTwilioError(api.buy(e164, HOOKS), 500, 20500);
    await expect(api.buy(e164, HOOKS)).resolves.toMatchObject({ e164 });
  });

  it('retries a rate-limited (429) purchase until it goes through', async () => {
    const e164 = await firstAvailable('213');
    standin.state.failNext(2, { status: 429, code: 20429, message: 'Too Many Requests' });

    await expect(api.buy(e164, HOOKS)).resolves.toMatchObject({ e164 });

    const purchases = standin.state.requests.filter((r) => r.method === 'POST');
    expect(purchases.map((r) => r.status)).toEqual([429, 429, 201]);
  });

  it('reports an unreachable Twilio as a TwilioApiError with status 0', async () => {
    const gone = await startTwilioStandin({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
    await gone.close();
    const orphan = createTwilioNumbersApi({
      accountSid: ACCOUNT_SID,
      authToken: AUTH_TOKEN,
      baseUrl: gone.baseUrl,
    });

    await expectTwilioError(orphan.searchAvailable({ limit: 1 }), 0, undefined);
  });
});

describe('createTwilioNumbersApi, demo inventory', () => {
  beforeEach(() => start('demo'));
  afterEach(() => standin.close());

  it('offers only fictional 555-01XX numbers and no toll-free ones', async () => {
    const local = await api.searchAvailable({ limit: 1000 });
    const nearSf = await api.searchAvailable({ nearZip: '94103', limit: 20 });

    expect(local.length).toBeGreaterThan(500);
    for (const n of [...local, ...nearSf]) expect(n.e164).toMatch(/^\+1[2-9]\d{2}55501\d{2}$/);
    expect(nearSf).toHaveLength(20);
    await expect(api.searchAvailable({ tollFree: true, limit: 5 })).resolves.toEqual([]);
  });
});

describe('webhook signatures', () => {
  const token = 'webhook-auth-token';
  const url = 'https://leadline.test/twilio/status?attempt=1';
  const params = { CallSid: `CA${'ab'.repeat(16)}`, CallStatus: 'completed', CallDuration: '42' };

  it('signs as Twilio does: HMAC-SHA1 over the URL and the params sorted by name, base64', () => {
    const data = `${url}CallDuration42CallSid${params.CallSid}CallStatuscompleted`;
    const expected = createHmac('sha1', token).update(data, 'utf8').digest('base64');

    expect(signTwilioRequest(token, url, params)).toBe(expected);
  });

  it('accepts the signature it made for the same URL and params', () => {
    const signature = signTwilioRequest(token, url, params);

    expect(isValidTwilioSignature(token, signature, url, params)).toBe(true);
  });

  it('rejects a tampered param, a wrong URL, an added param and another auth token', () => {
    const signature = signTwilioRequest(token, url, params);

    expect(isValidTwilioSignature(token, signature, url, { ...params, CallDuration: '4200' })).toBe(
      false,
    );
    expect(
      isValidTwilioSignature(token, signature, 'https://evil.test/twilio/status', params),
    ).toBe(false);
    expect(isValidTwilioSignature(token, signature, url.replace('?attempt=1', ''), params)).toBe(
      false,
    );
    expect(isValidTwilioSignature(token, signature, url, { ...params, Extra: '' })).toBe(false);
    expect(isValidTwilioSignature('another-token', signature, url, params)).toBe(false);
  });

  it('rejects a missing or empty signature and a malformed URL without throwing', () => {
    expect(isValidTwilioSignature(token, undefined, url, params)).toBe(false);
    expect(isValidTwilioSignature(token, '', url, params)).toBe(false);
    expect(isValidTwilioSignature(token, 'abc', 'not a url', params)).toBe(false);
  });
});
