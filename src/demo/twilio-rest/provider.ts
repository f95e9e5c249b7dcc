import { DEMO_TWILIO_ACCOUNT_SID, DEMO_TWILIO_AUTH_TOKEN, type Config } from '../../shared/config';
import { AppError } from '../../shared/errors';
import {
  createTwilioCallsApi,
  createTwilioNumbersApi,
  type TwilioCallsApi,
  type TwilioNumbersApi,
} from '../../shared/twilio';
import { startTwilioStandin, type StandinOutboundCall, type TwilioStandin } from './standin';

/**
 * The numbers API Leadline uses: real Twilio (or TWILIO_API_BASE_URL) when credentials are set;
 * in demo mode, the real twilio client against an in-process stand-in that sells 555-01XX numbers
 * and hands each call placed through it to `demo.onCallCreated` (the demo plays it).
 */
export function createNumbersApiProvider(
  config: Config,
  demo: { onCallCreated?: (call: StandinOutboundCall) => void } = {},
): TwilioNumbersApi & TwilioCallsApi & { close(): Promise<void> } {
  if (config.TWILIO_ACCOUNT_SID && config.TWILIO_AUTH_TOKEN) {
    const opts = {
      accountSid: config.TWILIO_ACCOUNT_SID,
      authToken: config.TWILIO_AUTH_TOKEN,
      baseUrl: config.TWILIO_API_BASE_URL,
    };
    const api = createTwilioNumbersApi(opts);
    return { ...api, ...createTwilioCallsApi(opts), close: async () => undefined };
  }
  let standin: Promise<TwilioStandin> | undefined;
  let api: Promise<TwilioNumbersApi & TwilioCallsApi> | undefined;
  const demoApi = () => {
    if (!api) {
      standin = startTwilioStandin({
        accountSid: DEMO_TWILIO_ACCOUNT_SID,
        authToken: DEMO_TWILIO_AUTH_TOKEN,
        inventory: 'demo',
        onCallCreated: demo.onCallCreated,
      });
      api = standin.then((s) => {
        const opts = {
          accountSid: DEMO_TWILIO_ACCOUNT_SID,
          authToken: DEMO_TWILIO_AUTH_TOKEN,
          baseUrl: s.baseUrl,
        };
        return { ...createTwilioNumbersApi(opts), ...createTwilioCallsApi(opts) };
      });
    }
    return api;
  };
  return {
    searchAvailable: async (q) => {
      if (q.tollFree) throw new DemoHasNoTollFreeError();
      return (await demoApi()).searchAvailable(q);
    },
    buy: async (e164, hooks, name) => (await demoApi()).buy(e164, hooks, name),
    configure: async (sid, hooks) => (await demoApi()).configure(sid, hooks),
    release: async (sid) => (await demoApi()).release(sid),
    createCall: async (call) => (await demoApi()).createCall(call),
    close: async () => {
      if (standin) await (await standin).close();
    },
  };
}

/**
 * Toll-free numbers cannot be fictional (555-01XX is reserved only in geographic area codes), so
 * demo mode sells none; the caller asked for something demo mode does not offer, Twilio is not
 * involved.
 */
export class DemoHasNoTollFreeError extends AppError {
  constructor() {
    super(
      422,
      'demo_mode_no_toll_free',
      'demo mode has no toll-free numbers (they cannot be fictional); provision local numbers, ' +
        'or set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN to buy real ones',
    );
  }
}
