// Tests never reach the internet: every TCP connection (http, https, fetch, database drivers,
// socket.io) may only go to this machine, where the app under test and the stand-ins for Twilio
// and Salesforce listen. A test that forgets a stand-in fails with OutboundConnectionRefused
// instead of calling a real service. The check sits on net.Socket#connect, below every client
// library, so it does not disturb the bytes on a connection (an HTTP interceptor did: it broke
// postgres.js's protocol and held back half-written requests).
import net from 'node:net';

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|::1|\[::1\]|::ffff:127(\.\d{1,3}){3})$/i;
const GUARDED = Symbol.for('leadline.test.outboundGuard');

/** The error a test sees when something tries to leave the machine. */
export class OutboundConnectionRefused extends Error {
  constructor(host: string) {
    super(`tests may not connect outside this machine (tried ${host})`);
    this.name = 'OutboundConnectionRefused';
  }
}

/** Where a connect() call wants to go: a host, or null for a Unix socket / pipe. */
function targetHost(args: unknown[]): string | null {
  const [first, second] = args;
  if (Array.isArray(first)) return targetHost(first);
  if (typeof first === 'object' && first !== null) {
    const o = first as { host?: string; path?: string };
    if (o.path && o.host === undefined) return null;
    return o.host ?? 'localhost';
  }
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    return typeof second === 'string' ? second : 'localhost';
  }
  return null; // connect(path)
}

// The worker keeps one node:net for every test file: install the guard once.
const proto = net.Socket.prototype as net.Socket & { [GUARDED]?: true };
if (!proto[GUARDED]) {
  const connect = proto.connect;
  proto.connect = function guardedConnect(this: net.Socket, ...args: unknown[]) {
    const host = targetHost(args);
    if (host !== null && !LOOPBACK.test(host)) {
      const err = new OutboundConnectionRefused(host);
      process.nextTick(() => this.destroy(err));
      return this;
    }
    return (connect as (...a: unknown[]) => net.Socket).apply(this, args);
  } as typeof proto.connect;
  proto[GUARDED] = true;
}
