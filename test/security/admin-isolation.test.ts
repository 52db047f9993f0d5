// Admin isolation (SPEC §1, §5.6): admin routes are never served on the public listener, and with
// serve.admin.api_key set every admin request but /health/* needs the key — a missing or wrong key
// is a 401 and changes nothing.

import t from 'tap';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { App } from '../../src/app.js';
import { ADMIN_IDENTITIES_PATH } from '../../src/admin/identity-routes.js';
import { ADMIN_EVENTS_PATH, ADMIN_SESSIONS_PATH } from '../../src/admin/session-routes.js';
import { ALIVE_PATH, READY_PATH, VERSION_PATH } from '../../src/health.js';
import { METRICS_PATH } from '../../src/metrics.js';
import { WHOAMI_PATH } from '../../src/sessions/routes.js';
import { createIdentity, loginNative, testApp } from '../helpers/app.js';
import { envelopeProblem } from './support.js';

type Test = Parameters<Parameters<typeof t.test>[0]>[0];

const API_KEY = 'admin-api-key-for-tests-0123456789';
const RIGHT = { authorization: `Bearer ${API_KEY}` };
const WRONG_KEYS: Array<Record<string, string>> = [
  {},
  { authorization: '' },
  { authorization: 'Bearer' },
  { authorization: 'Bearer ' },
  { authorization: 'Bearer wrong-key-of-some-length-000000' },
  { authorization: `Bearer ${API_KEY.slice(0, -1)}` },
  { authorization: `Bearer ${API_KEY}x` },
  { authorization: API_KEY },
  { authorization: `Basic ${Buffer.from(`admin:${API_KEY}`).toString('base64')}` },
  { authorization: `Token ${API_KEY}` },
  { 'x-api-key': API_KEY },
  { cookie: `api_key=${API_KEY}` },
];
// CONNECT never reaches a route (Node hands the socket to a 'connect' listener).
const METHODS = http.METHODS.filter((m) => m !== 'CONNECT');

/** Every admin path of the brief, with real ids filled in. */
/** A request that reaches each admin route (GET where there is one), for positive controls. */
function probe(path: string): { method: 'GET' | 'POST' | 'PATCH'; payload?: string } {
  if (path === ADMIN_IDENTITIES_PATH) return { method: 'POST', payload: '{}' };
  if (path.endsWith('/extend')) return { method: 'PATCH' };
  return { method: 'GET' };
}

function adminPaths(identityId: string, sessionId: string): string[] {
  return [
    ADMIN_IDENTITIES_PATH,
    `${ADMIN_IDENTITIES_PATH}/${identityId}`,
    ADMIN_SESSIONS_PATH,
    `${ADMIN_SESSIONS_PATH}/${sessionId}`,
    `${ADMIN_SESSIONS_PATH}/${sessionId}/extend`,
    `${ADMIN_IDENTITIES_PATH}/${identityId}/sessions`,
    ADMIN_EVENTS_PATH,
    VERSION_PATH,
    METRICS_PATH,
  ];
}

function assertEnvelope(t: Test, res: { statusCode: number; body: string; headers: Record<string, unknown> }, status: number, method: string, label: string): void {
  t.equal(res.statusCode, status, `${label}: ${status}`);
  if (method === 'HEAD') {
    t.equal(res.body, '', `${label}: HEAD has no body`);
    return;
  }
  t.match(String(res.headers['content-type']), /^application\/json/, `${label}: JSON`);
  let body: unknown;
  try {
    body = JSON.parse(res.body);
  } catch {
    body = res.body;
  }
  t.equal(envelopeProblem(body, status), null, `${label}: the error envelope`);
}

async function fixture(raw: Record<string, unknown> = {}): Promise<{ app: App; identityId: string; sessionId: string; token: string }> {
  const app = await testApp({ rate_limit: { enabled: false }, ...raw });
  // Created directly in the store's identity service: with an api_key, the helper's admin call would need the key.
  const identity = await app.context.identities.create({
    schema_id: 'default',
    traits: { email: 'admin-victim@example.com' },
    credentials: { password: { config: { password: 'correct horse battery staple' } } },
  });
  const login = await loginNative(app, 'admin-victim@example.com');
  return { app, identityId: identity.id, sessionId: login.session.id, token: login.session_token };
}

t.test('the public listener serves no admin path, whatever the method', async (t) => {
  const { app, identityId, sessionId } = await fixture();
  t.teardown(() => app.close());
  let checked = 0;
  for (const path of adminPaths(identityId, sessionId)) {
    // Positive control: the path exists on the admin listener (no key configured here).
    const onAdmin = await app.admin.inject({ ...probe(path), url: path, headers: { 'content-type': 'application/json' } });
    t.not(onAdmin.statusCode, 404, `${path} exists on the admin listener (${onAdmin.statusCode})`);
    for (const method of METHODS) {
      for (const variant of [path, `${path}/`, path.toUpperCase(), `/${path}`, `${path}?x=1`]) {
        const res = await app.public.inject({ method: method as 'GET', url: variant, headers: { 'content-type': 'application/json' }, payload: method === 'GET' || method === 'HEAD' ? undefined : '{}' });
        if (res.statusCode !== 404) t.fail(`${method} ${variant} on public: ${res.statusCode} ${res.body.slice(0, 200)}`);
        else checked++;
        if (method !== 'HEAD' && envelopeProblem(JSON.parse(res.body || 'null'), 404) !== null) t.fail(`${method} ${variant}: not the envelope: ${res.body.slice(0, 200)}`);
      }
    }
  }
  t.equal(checked, adminPaths(identityId, sessionId).length * METHODS.length * 5, `${checked} public requests for admin paths were all 404 envelopes`);
  // Nothing happened: the session is still alive.
  t.equal((await app.public.inject({ method: 'GET', url: `${ADMIN_SESSIONS_PATH}/${sessionId}` })).statusCode, 404);
});

t.test('with serve.admin.api_key: a missing or wrong key is 401 for every admin path and method', async (t) => {
  const { app, identityId, sessionId } = await fixture({ serve: { admin: { api_key: API_KEY } } });
  t.teardown(() => app.close());
  const paths = [...adminPaths(identityId, sessionId), '/admin/nonexistent', '/openapi.json'];
  let checked = 0;
  for (const path of paths) {
    for (const method of METHODS) {
      for (const headers of WRONG_KEYS) {
        const res = await app.admin.inject({ method: method as 'GET', url: path, headers: { ...headers, 'content-type': 'application/json' }, payload: method === 'GET' || method === 'HEAD' ? undefined : '{}' });
        if (res.statusCode !== 401) {
          t.fail(`${method} ${path} with ${JSON.stringify(headers)}: ${res.statusCode} ${res.body.slice(0, 200)}`);
          continue;
        }
        checked++;
        if (method !== 'HEAD' && envelopeProblem(JSON.parse(res.body), 401) !== null) t.fail(`${method} ${path}: 401 without the envelope: ${res.body.slice(0, 200)}`);
      }
    }
  }
  t.equal(checked, paths.length * METHODS.length * WRONG_KEYS.length, `${checked} unauthorised admin requests were all 401 envelopes`);
  const one = await app.admin.inject({ method: 'GET', url: ADMIN_SESSIONS_PATH });
  assertEnvelope(t, one, 401, 'GET', 'GET /admin/sessions without a key');
  // Positive control: the right key works on every GET path.
  for (const path of adminPaths(identityId, sessionId)) {
    const res = await app.admin.inject({ ...probe(path), url: path, headers: { ...RIGHT, 'content-type': 'application/json' } });
    t.ok(res.statusCode !== 401 && res.statusCode !== 404 && res.statusCode < 500, `${path} with the right key: ${res.statusCode}`);
  }
});

t.test('with serve.admin.api_key: unauthorised requests change nothing', async (t) => {
  const { app, identityId, sessionId, token } = await fixture({ serve: { admin: { api_key: API_KEY } } });
  t.teardown(() => app.close());
  const before = (await app.admin.inject({ method: 'GET', url: `${ADMIN_SESSIONS_PATH}/${sessionId}`, headers: RIGHT })).json() as { expires_at: string };
  const newIdentity = { schema_id: 'default', traits: { email: 'sneaky@example.com' }, credentials: { password: { config: { password: 'sneaky-password' } } } };
  for (const headers of WRONG_KEYS) {
    const label = JSON.stringify(headers);
    t.equal((await app.admin.inject({ method: 'POST', url: ADMIN_IDENTITIES_PATH, headers, payload: newIdentity })).statusCode, 401, `create identity ${label}`);
    t.equal((await app.admin.inject({ method: 'DELETE', url: `${ADMIN_SESSIONS_PATH}/${sessionId}`, headers })).statusCode, 401, `revoke session ${label}`);
    t.equal((await app.admin.inject({ method: 'PATCH', url: `${ADMIN_SESSIONS_PATH}/${sessionId}/extend`, headers })).statusCode, 401, `extend session ${label}`);
    t.equal((await app.admin.inject({ method: 'DELETE', url: `${ADMIN_IDENTITIES_PATH}/${identityId}/sessions`, headers })).statusCode, 401, `revoke identity sessions ${label}`);
    t.equal((await app.admin.inject({ method: 'DELETE', url: `${ADMIN_IDENTITIES_PATH}/${identityId}`, headers })).statusCode, 401, `delete identity ${label}`);
  }
  t.equal(await app.context.store.findIdentityByEmail('sneaky@example.com'), null, 'no identity was created');
  t.equal((await app.public.inject({ method: 'GET', url: WHOAMI_PATH, headers: { 'x-session-token': token } })).statusCode, 200, 'the session is still active');
  const after = (await app.admin.inject({ method: 'GET', url: `${ADMIN_SESSIONS_PATH}/${sessionId}`, headers: RIGHT })).json() as { expires_at: string };
  t.equal(after.expires_at, before.expires_at, 'the session was not extended');
  t.equal((await app.admin.inject({ method: 'GET', url: `${ADMIN_IDENTITIES_PATH}/${identityId}`, headers: RIGHT })).statusCode, 200, 'the identity still exists');
  const revoked = (await app.context.store.readEvents(null, 1000)).filter((e) => e.type === 'session.revoked');
  t.same(revoked, [], 'no revocation event');
  // With the right key the same create works: proof that the 401s above were about the key.
  const created = await app.admin.inject({ method: 'POST', url: ADMIN_IDENTITIES_PATH, headers: RIGHT, payload: newIdentity });
  t.equal(created.statusCode, 201, 'the right key creates the identity (so it did not exist before)');
});

t.test('health endpoints need no key; on both listeners', async (t) => {
  const { app } = await fixture({ serve: { admin: { api_key: API_KEY } } });
  t.teardown(() => app.close());
  for (const path of [ALIVE_PATH, READY_PATH]) {
    t.equal((await app.admin.inject({ method: 'GET', url: path })).statusCode, 200, `admin ${path} without a key`);
    t.equal((await app.public.inject({ method: 'GET', url: path })).statusCode, 200, `public ${path}`);
  }
  t.equal((await app.admin.inject({ method: 'GET', url: ALIVE_PATH, headers: { authorization: 'Bearer wrong' } })).statusCode, 200, 'a wrong key does not break health checks');
});

/** One request over a real socket with the path exactly as given (inject would normalise it). */
function rawRequest(port: number, method: string, path: string, body?: string): Promise<{ statusCode: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, method, path, headers: body === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) } },
      (res) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (data += c));
        res.on('end', () => resolve({ statusCode: res.statusCode ?? 0, body: data, headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

t.test('the /health/ exemption cannot be stretched over other paths (raw paths, real listener)', async (t) => {
  const { app, sessionId } = await fixture({ serve: { admin: { api_key: API_KEY } } });
  t.teardown(() => app.close());
  await app.admin.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.admin.server.address() as AddressInfo;
  const body = JSON.stringify({ schema_id: 'default', traits: { email: 'dotdot@example.com' } });
  const tricks = [
    `/health/..${ADMIN_IDENTITIES_PATH}`,
    `/health/%2e%2e${ADMIN_IDENTITIES_PATH}`,
    `/health/%2E%2E/admin/identities`,
    `/health/..%2fadmin/identities`,
    `/health//..${ADMIN_IDENTITIES_PATH}`,
    `/health/alive/../..${ADMIN_IDENTITIES_PATH}`,
    `/health/./../admin/identities`,
    `/health/${ADMIN_IDENTITIES_PATH}`,
    `/health/alive?${ADMIN_IDENTITIES_PATH}`,
    `/health/alive#${ADMIN_IDENTITIES_PATH}`,
  ];
  for (const path of tricks) {
    const res = await rawRequest(port, 'POST', path, body);
    t.ok(res.statusCode >= 400 && res.statusCode < 500, `POST ${path}: ${res.statusCode} (no success without a key)`);
    // (`/health/alive?…` and `#…` really are the health check; what matters is that no session is served.)
    const get = await rawRequest(port, 'GET', path.replace(ADMIN_IDENTITIES_PATH, `${ADMIN_SESSIONS_PATH}/${sessionId}`));
    t.notMatch(get.body, /"expires_at"|"identity"/, `GET ${path} (sessions): ${get.statusCode}, no session served`);
  }
  t.equal(await app.context.store.findIdentityByEmail('dotdot@example.com'), null, 'no identity was created through a /health/ path');
  t.equal((await rawRequest(port, 'GET', ALIVE_PATH)).statusCode, 200, 'the real /health/alive still answers without a key');
});
