import http from 'node:http';
import net, { type AddressInfo } from 'node:net';

describe('outbound connections in tests', () => {
  it('refuses fetch to a host outside this machine, naming it', async () => {
    const err = await fetch('https://api.twilio.com/2010-04-01/Accounts.json').then(
      () => new Error('got a response'),
      (e: Error) => e,
    );
    // Refused by the test setup, not by a missing network: the cause is the guard's error.
    expect(String((err as Error & { cause?: unknown }).cause)).toContain(
      'tests may not connect outside this machine (tried api.twilio.com)',
    );
  });

  it('refuses http.get to a host outside this machine, naming it', async () => {
    const err = await new Promise<Error>((resolve) => {
      http
        .get('http://example.com/', () => resolve(new Error('got a response')))
        .on('error', resolve);
    });
    expect(err.name).toBe('OutboundConnectionRefused');
    expect(err.message).toContain('example.com');
  });

  it('refuses a raw TCP connection to an outside address', async () => {
    const err = await new Promise<Error>((resolve) => {
      const socket = net.connect(5432, '10.1.2.3', () => resolve(new Error('connected')));
      socket.on('error', resolve);
    });
    expect(err.message).toContain('10.1.2.3');
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
