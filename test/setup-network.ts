// Tests never reach the internet: HTTP (http, https and fetch) may only go to this machine, where
// the stand-ins for Twilio and Salesforce and the app under test listen. A test that forgets a
// stand-in fails with NetConnectNotAllowedError instead of calling a real service. (nock 15 is
// ESM-only, and this suite compiles to CommonJS, hence the dynamic import.)

// nock 15's interceptors call Promise.withResolvers, which Node 20 lacks (it arrived in Node 22).
const promiseCtor = Promise as unknown as { withResolvers?: () => unknown };
promiseCtor.withResolvers ??= function withResolvers() {
  let resolve: (v: unknown) => void = () => undefined;
  let reject: (e: unknown) => void = () => undefined;
  const promise = new Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};

let restore: (() => void) | undefined;

// nock 15 intercepts at the socket level, and that corrupts postgres.js's wire protocol ("invalid
// frontend message type 0", then ECONNRESET), so runs against PostgreSQL go without it for now.
const interceptable = !process.env.DATABASE_URL;

beforeAll(async () => {
  if (!interceptable) return;
  const { default: nock } = await import('nock');
  if (!nock.isActive()) nock.activate();
  nock.disableNetConnect();
  nock.enableNetConnect(/^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/);
  restore = () => nock.restore();
});

// Each test file loads its own nock, while node:http is shared by the whole run: undo this file's
// interception, or the next file would wrap http.request in a second layer (and recurse).
afterAll(() => restore?.());
