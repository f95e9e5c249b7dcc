import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import request from 'supertest';
import { attachAgentSockets, type AgentSockets } from '../../src/routing/agent-sockets';
import { createTestContext, type TestContext } from './context';

/** A Leadline with agent sockets on a real port, for the console pages in a browser. */
export interface ConsoleServer {
  t: TestContext;
  baseUrl: string;
  close(): Promise<void>;
}

export async function startConsoleServer(): Promise<ConsoleServer> {
  const t = await createTestContext({ twilio: true });
  const server = http.createServer(t.app);
  const sockets: AgentSockets = attachAgentSockets(server, t.ctx);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    t,
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      await sockets.close();
      await new Promise((resolve) => server.close(resolve));
      await t.close();
    },
  };
}

/**
 * Creates an agent through the API, signs in on /agent with their token and goes available;
 * resolves once the server sees them available. Answers the agent as the API created it.
 */
export async function signInAvailableAgent(
  s: ConsoleServer,
  page: Page,
  agent: Record<string, unknown>,
): Promise<{ id: string; token: string }> {
  const created = await request(s.t.app)
    .post('/api/v1/agents')
    .set('Authorization', s.t.admin)
    .send(agent)
    .expect(201);
  const body = created.body as { id: string; token: string };
  await page.goto(`${s.baseUrl}/agent`);
  await page.fill('#token', body.token);
  await page.click('button[type=submit]');
  await page.waitForFunction(
    () => document.getElementById('connection')?.textContent === 'connected',
  );
  await page.click('#available');
  for (let i = 0; i < 50; i++) {
    if ((await s.t.ctx.agents.get(body.id)).presence === 'available') break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return body;
}
