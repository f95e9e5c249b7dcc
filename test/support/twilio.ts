import { startTwilioStandin, type TwilioStandin } from '../../src/demo/twilio-rest/standin';

export const TEST_ACCOUNT_SID = `AC${'0123456789abcdef'.repeat(2)}`;
export const TEST_AUTH_TOKEN = 'test-twilio-auth-token';

/** A Twilio REST stand-in on 127.0.0.1 and the environment that points Leadline at it. */
export async function startTestTwilio(
  inventory: 'realistic' | 'demo' = 'realistic',
): Promise<{ standin: TwilioStandin; env: Record<string, string> }> {
  const standin = await startTwilioStandin({
    accountSid: TEST_ACCOUNT_SID,
    authToken: TEST_AUTH_TOKEN,
    inventory,
  });
  return {
    standin,
    env: {
      TWILIO_ACCOUNT_SID: TEST_ACCOUNT_SID,
      TWILIO_AUTH_TOKEN: TEST_AUTH_TOKEN,
      TWILIO_API_BASE_URL: standin.baseUrl,
    },
  };
}
