// Named regression cases: every shrunk counterexample the security fuzz (fuzz.test.ts) found, kept
// as a plain test so it is checked on every run whatever seed the fuzz draws. Each says what was
// wrong and what changed.

import t from 'tap';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { App } from '../../src/app.js';
import { ErrorIds } from '../../src/errors/http-error.js';
import { ADMIN_IDENTITIES_PATH } from '../../src/admin/identity-routes.js';
import { MY_SESSIONS_PATH, WHOAMI_PATH } from '../../src/sessions/routes.js';
import { HOME_PATH } from '../../src/pages/routes.js';
import { checkResponse, envelopeProblem, guardedApp, type GuardedApp } from './support.js';

type Test = Parameters<Parameters<typeof t.test>[0]>[0];

interface RawResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  /** Everything the server sent, for cases that expect more than one response. */
  raw: string;
}

/** Writes exact bytes to the listener and reads until the server closes (or 2 s pass). */
function rawExchange(port: number, bytes: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(bytes, 'latin1'));
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(), 2000);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      const raw = Buffer.concat(chunks).toString('latin1');
      const end = raw.indexOf('\r\n\r\n');
      if (end < 0) return reject(new Error(`no HTTP response: ${JSON.stringify(raw.slice(0, 200))}`));
      const [statusLine, ...lines] = raw.slice(0, end).split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const i = line.indexOf(':');
        headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
      }
      const length = Number(headers['content-length'] ?? NaN);
      const rest = raw.slice(end + 4);
      resolve({ statusCode: Number(statusLine?.split(' ')[1]), headers, body: Number.isNaN(length) ? rest : rest.slice(0, length), raw });
    });
  });
}

function assertEnvelope(t: Test, res: { statusCode: number; body: string; headers: Record<string, unknown> }, status: number, label: string): void {
  t.equal(res.statusCode, status, `${label}: ${status}`);
  t.match(String(res.headers['content-type']), /^application\/json/, `${label}: JSON`);
  let body: unknown = null;
  try {
    body = JSON.parse(res.body);
  } catch {
    t.fail(`${label}: body does not parse: ${res.body.slice(0, 200)}`);
  }
  t.equal(envelopeProblem(body, status), null, `${label}: the error envelope, got ${res.body.slice(0, 200)}`);
}

let guarded: GuardedApp;
let publicPort = 0;
let adminPort = 0;

const app = (): App => guarded.app;

/** The cases, registered below inside one parent test that owns the app and its listeners. */
const cases: Array<[string, (t: Test) => Promise<void>]> = [];
const regression = (name: string, fn: (t: Test) => Promise<void>): void => void cases.push([name, fn]);

regression('fuzz #1 — malformed percent-encoding in the path: `GET /%zz`', async (t) => {
  // Was: Fastify answered before routing with its own body {"error":"Bad Request","code":"FST_ERR_BAD_URL",…}.
  // Now: frameworkErrors in src/app.ts → frameworkErrorHandler (src/errors/error-handler.ts).
  for (const url of ['/%zz', '/%', '/self-service/logout/%E0%A4%A', `${WHOAMI_PATH}%`]) {
    const res = await app().public.inject({ method: 'GET', url });
    assertEnvelope(t, res, 400, `public GET ${url}`);
    t.equal((res.json() as { error: { id: string } }).error.id, ErrorIds.invalidRequest, 'id invalid_request');
    t.equal(res.headers['x-content-type-options'], 'nosniff', 'nosniff although no hook ran');
    t.equal(res.headers['cache-control'], 'no-store', 'no-store');
    checkResponse(res, { method: 'GET' });
  }
  assertEnvelope(t, await app().admin.inject({ method: 'GET', url: `${ADMIN_IDENTITIES_PATH}/%zz` }), 400, 'admin GET /admin/identities/%zz');
  assertEnvelope(t, await rawExchange(publicPort, 'GET /%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'), 400, 'over a real socket');
});

regression('fuzz #2 — a path parameter longer than maxParamLength', async (t) => {
  // Was: {"error":"Bad Request","code":"FST_ERR_MAX_PARAM_LENGTH",…,"statusCode":414}. Same fix as #1.
  const long = 'a'.repeat(300);
  assertEnvelope(t, await app().admin.inject({ method: 'GET', url: `${ADMIN_IDENTITIES_PATH}/${long}` }), 414, 'admin GET /admin/identities/<300 chars>');
  assertEnvelope(t, await app().public.inject({ method: 'DELETE', url: `${MY_SESSIONS_PATH}/${long}` }), 414, 'public DELETE /sessions/<300 chars>');
});

regression('fuzz #3 — request headers over Node’s 16 KiB limit, over a real socket', async (t) => {
  // Was: Fastify's default clientErrorHandler wrote {"error":"Request Header Fields Too Large",…,"statusCode":431}.
  // Now: clientErrorHandler in src/app.ts → src/errors/error-handler.ts writes the envelope.
  const longPath = await rawExchange(publicPort, `GET /${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
  assertEnvelope(t, longPath, 431, 'a 20 KB path');
  t.equal(longPath.headers['cache-control'], 'no-store');
  t.equal(longPath.headers.connection, 'close', 'the connection is closed');
  const bigCookie = await rawExchange(publicPort, `GET ${WHOAMI_PATH} HTTP/1.1\r\nHost: x\r\nCookie: ory_kratos_session=${'A'.repeat(17_000)}\r\n\r\n`);
  assertEnvelope(t, bigCookie, 431, 'a 17 KB cookie');
  assertEnvelope(t, await rawExchange(adminPort, `GET /version HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`), 431, 'admin listener');
});

regression('fuzz #4 — malformed HTTP over a real socket', async (t) => {
  // Same handler as #3: the parser's own 400s are envelopes too.
  const cases: Array<[string, string]> = [
    ['garbage request line', 'NOT HTTP AT ALL\r\n\r\n'],
    ['control character in a header value', 'GET / HTTP/1.1\r\nHost: x\r\nX-Bad: a\u0001b\r\n\r\n'],
    ['header without a colon', 'GET / HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n'],
    ['space in the path', 'GET /a b HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['both Content-Length and Transfer-Encoding', 'POST /self-service/logout HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'],
    ['invalid chunk size', 'POST /self-service/logout HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'],
  ];
  for (const [name, bytes] of cases) {
    const res = await rawExchange(publicPort, bytes);
    assertEnvelope(t, res, 400, name);
    t.equal((JSON.parse(res.body) as { error: { id?: string } }).error.id, ErrorIds.invalidRequest, `${name}: invalid_request`);
  }
});

regression('fuzz #5 — HEAD with oversized headers: the 431 carries no body', async (t) => {
  // Was: the 431 envelope followed a HEAD response, which the client read as junk ("Data after
  // Connection: close"). Now the handler leaves the body out when the request line says HEAD.
  const head = await rawExchange(publicPort, `HEAD / HTTP/1.1\r\nHost: x\r\nCookie: a=${'A'.repeat(20_000)}\r\n\r\n`);
  t.equal(head.statusCode, 431, 'HEAD: 431');
  t.equal(head.raw.slice(head.raw.indexOf('\r\n\r\n') + 4), '', 'HEAD: nothing after the headers');
  const get = await rawExchange(publicPort, `GET / HTTP/1.1\r\nHost: x\r\nCookie: a=${'A'.repeat(20_000)}\r\n\r\n`);
  assertEnvelope(t, get, 431, 'GET still gets the envelope');
});

regression('fuzz #6 — HEAD with a body but no Content-Length (a client artefact, not a server bug)', async (t) => {
  // Node's HTTP client sends a HEAD body without Content-Length, so the body reads as the start of
  // a second request. The server answers the HEAD, then rejects the stray bytes as malformed HTTP
  // with the envelope — correct; the fuzz now always sends an explicit Content-Length.
  // When both arrive in one packet the parser may reject the stray bytes before the HEAD is
  // answered, so the 400 can come alone (and, the packet starting with HEAD, without a body).
  const res = await rawExchange(publicPort, 'HEAD / HTTP/1.1\r\nHost: x\r\n\r\n{}');
  const statuses = [...res.raw.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
  t.ok(statuses.length >= 1 && statuses.every((s) => s === 200 || s === 400), `answers: ${statuses.join(', ')}`);
  t.equal(statuses[statuses.length - 1], 400, 'the stray "{}" is answered as a malformed request');
  t.notMatch(res.raw, /HTTP\/1\.1 5\d\d/, 'no server error');
});

regression('fuzz #7 — `/\\` and other paths the WHATWG parser reads as an empty authority', async (t) => {
  // inject() cannot send these (it parses URLs first); over a socket they are just odd paths.
  for (const path of ['/\\', '/\\\\evil.example', '/\\/evil.example', '//evil.example/']) {
    const res = await rawExchange(publicPort, `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    t.ok(res.statusCode < 500, `${path}: ${res.statusCode}`);
    if (res.statusCode >= 300 && res.statusCode < 400) t.notMatch(String(res.headers.location), /evil/, `${path}: no redirect to the host in the path`);
    if (res.statusCode >= 400) assertEnvelope(t, res, res.statusCode, path);
  }
});

regression('fuzz #8 — `/sessions/whoami/..` with the live cookie and DELETE (not a bug: the owner’s own request)', async (t) => {
  // inject() resolves the dot segment, so `DELETE /sessions/whoami/..` reached `DELETE /sessions`
  // and, with the owner's cookie, rightly revoked the owner's other sessions. Kept to pin down both
  // halves: over a real socket the path is not normalised and reaches no route, and with a forged
  // cookie nothing happens either way. The fuzz now sends live credentials only with GET/HEAD/POST.
  const raw = await rawExchange(publicPort, `DELETE ${WHOAMI_PATH}/.. HTTP/1.1\r\nHost: x\r\nCookie: ${guarded.browserCookie}\r\nConnection: close\r\n\r\n`);
  t.ok(raw.statusCode === 404 || raw.statusCode === 400, `raw dot-segment path reaches no route (${raw.statusCode})`);
  const forged = await app().public.inject({ method: 'DELETE', url: `${WHOAMI_PATH}/..`, headers: { cookie: 'ory_kratos_session=ory_st_x.forgedsig' } });
  t.equal(forged.statusCode, 401, 'normalised to DELETE /sessions with a forged cookie: 401');
  t.equal((await app().public.inject({ method: 'GET', url: WHOAMI_PATH, headers: { 'x-session-token': guarded.nativeToken } })).statusCode, 200, 'the native session is alive');
});

regression('a page request with a huge cookie still renders (no 5xx through the nested inject)', async (t) => {
  // Not a fuzz failure, but the home page forwards the Cookie header to two nested requests: keep
  // the widest one the fuzz sends (≈ 16 KB) as a fixed case.
  const res = await app().public.inject({ method: 'GET', url: HOME_PATH, headers: { cookie: `${guarded.browserCookie}; pad=${'A'.repeat(16 * 1024)}` } });
  t.equal(res.statusCode, 200, 'rendered');
  t.match(res.body, /id="logout"/, 'for the signed-in user');
});

// One parent test owns the listeners: the root test only ends once the event loop is idle, so
// listeners closed in a root-level after() would keep it waiting for ever.
t.test('regressions (one app, real listeners)', async (t) => {
  guarded = await guardedApp();
  t.teardown(() => guarded.app.close());
  await guarded.app.public.listen({ host: '127.0.0.1', port: 0 });
  await guarded.app.admin.listen({ host: '127.0.0.1', port: 0 });
  publicPort = (guarded.app.public.server.address() as AddressInfo).port;
  adminPort = (guarded.app.admin.server.address() as AddressInfo).port;
  for (const [name, fn] of cases) await t.test(name, fn);
  await t.resolves(guarded.assertUntouched(), 'both sessions created before the cases still authenticate; nothing was revoked; no error was logged');
});
