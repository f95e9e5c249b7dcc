import http from 'node:http';
import type { AddressInfo } from 'node:net';

// Without interception on PostgreSQL runs (see setup-network.ts), there is nothing to check there.
(process.env.DATABASE_URL ? describe.skip : describe)('outbound HTTP in tests', () => {
  it('refuses fetch to a host outside this machine', async () => {
    const err = await fetch('https://api.twilio.com/2010-04-01/Accounts.json').then(
      () => new Error('got a response'),
      (e: Error) => e,
    );
    // Refused by the test setup, not by a missing network: the cause names nock's refusal.
    expect(String((err as Error & { cause?: unknown }).cause)).toMatch(
      /Disallowed net connect for "api\.twilio\.com:443/,
    );
  });

  it('refuses http.get to a host outside this machine, naming it', async () => {
    const err = await new Promise<Error>((resolve) => {
      http
        .get('http://example.com/', () => resolve(new Error('got a response')))
        .on('error', resolve);
    });
    expect(err.name).toBe('NetConnectNotAllowedError');
    expect(err.message).toContain('example.com');
  });

  it('still lets a test talk to a server on this machine', async () => {
    const server = http.createServer((_req, res) => res.end('local'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as AddressInfo;
      expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('local');
      expect(await (await fetch(`http://localhost:${port}/`)).text()).toBe('local');
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
