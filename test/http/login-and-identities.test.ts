// SPEC §5.4 and §5.5: admin identities, native and browser password login (with CSRF), login
// flows, whoami and the Session JSON shape.

import t from 'tap';
import { ErrorIds } from '../../src/errors/http-error.js';
import { CSRF_COOKIE_NAME, LOGIN_API_PATH, LOGIN_BROWSER_PATH, LOGIN_FLOWS_PATH } from '../../src/flows/login/routes.js';
import { LOGIN_PATH } from '../../src/flows/login/login-flow.js';
import { WHOAMI_PATH } from '../../src/sessions/routes.js';
import { ADMIN_IDENTITIES_PATH } from '../../src/admin/identity-routes.js';
import { BASE, PASSWORD, cookieHeader, cookiesOf, createIdentity, loginBrowser, loginNative, testApp, testClock } from '../helpers/app.js';

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

t.test('admin identities', async (t) => {
  const app = await testApp();
  t.teardown(() => app.close());
  const post = (payload: unknown) => app.admin.inject({ method: 'POST', url: ADMIN_IDENTITIES_PATH, payload: payload as object });

  const res = await post({ schema_id: 'default', traits: { email: 'Carol@Example.com', name: 'Carol' }, credentials: { password: { config: { password: 'pw-1234567' } } } });
  t.equal(res.statusCode, 201);
  const identity = res.json();
  t.match(identity, { schema_id: 'default', state: 'active', traits: { email: 'Carol@Example.com', name: 'Carol' }, metadata_public: null });
  t.match(identity.id, UUID);
  t.match(identity.created_at, RFC3339);
  t.notOk('credentials' in identity, 'never returns credentials');
  t.notMatch(res.body, /pw-1234567/);

  t.equal((await post({ schema_id: 'default', traits: { email: 'carol@example.COM' } })).statusCode, 409, 'duplicate email, case-insensitive');
  for (const [name, body] of [
    ['no email', { schema_id: 'default', traits: {} }],
    ['bad email', { schema_id: 'default', traits: { email: 'not-an-email' } }],
    ['unknown schema', { schema_id: 'other', traits: { email: 'x@example.com' } }],
    ['empty password', { traits: { email: 'y@example.com' }, credentials: { password: { config: { password: '' } } } }],
    ['bad state', { traits: { email: 'z@example.com' }, state: 'banned' }],
    ['traits not an object', { traits: 'x' }],
  ] as const) {
    const r = await post(body);
    t.equal(r.statusCode, 400, name);
    t.equal(r.json().error.id, ErrorIds.invalidRequest, name);
  }

  const got = await app.admin.inject({ method: 'GET', url: `${ADMIN_IDENTITIES_PATH}/${identity.id}` });
  t.equal(got.statusCode, 200);
  t.same(got.json(), identity);
  t.equal((await app.admin.inject({ method: 'GET', url: `${ADMIN_IDENTITIES_PATH}/nope` })).statusCode, 404);

  t.test('deleting an identity revokes its sessions', async (t) => {
    const { id } = await createIdentity(app, 'del@example.com');
    const { session_token } = await loginNative(app, 'del@example.com');
    t.equal((await app.admin.inject({ method: 'DELETE', url: `${ADMIN_IDENTITIES_PATH}/${id}` })).statusCode, 204);
    t.equal((await app.public.inject({ method: 'GET', url: WHOAMI_PATH, headers: { 'x-session-token': session_token } })).statusCode, 401);
    t.equal((await app.admin.inject({ method: 'GET', url: `${ADMIN_IDENTITIES_PATH}/${id}` })).statusCode, 404);
    t.equal((await app.admin.inject({ method: 'DELETE', url: `${ADMIN_IDENTITIES_PATH}/${id}` })).statusCode, 404);
    const events = await app.context.store.readEvents(null, 100);
    t.ok(events.some((e) => e.type === 'session.revoked' && e.reason === 'identity_deleted' && e.identity_id === id));
  });

  t.test('the password is stored as a salted scrypt hash', async (t) => {
    const record = await app.context.store.getIdentity(identity.id);
    t.match(record?.passwordHash, /^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+$/);
  });
});

t.test('native login', async (t) => {
  const clock = testClock(Date.now());
  const app = await testApp({}, { clock: clock.now });
  t.teardown(() => app.close());
  await createIdentity(app, 'dave@example.com');

  const flowRes = await app.public.inject({ method: 'GET', url: LOGIN_API_PATH });
  t.equal(flowRes.statusCode, 200);
  const flow = flowRes.json();
  t.match(flow, { type: 'api', state: 'choose_method', ui: { method: 'POST', action: `${BASE}${LOGIN_PATH}?flow=${flow.id}` } });
  t.match(flow.expires_at, RFC3339);
  t.same(
    flow.ui.nodes.map((n: { attributes: { name: string; type: string } }) => [n.attributes.name, n.attributes.type]),
    [
      ['csrf_token', 'hidden'],
      ['identifier', 'text'],
      ['password', 'password'],
      ['method', 'submit'],
    ],
  );
  t.equal(flow.ui.nodes[0].attributes.value, '', 'API flows have an empty CSRF token');
  t.match(flow.ui.nodes[0], { type: 'input', group: 'default', attributes: { node_type: 'input', disabled: false }, messages: [], meta: {} });
  t.equal(flow.ui.nodes[3].attributes.value, 'password');

  const fetched = await app.public.inject({ method: 'GET', url: `${LOGIN_FLOWS_PATH}?id=${flow.id}` });
  t.same(fetched.json(), flow, 'getLoginFlow returns the same flow');

  const submit = (id: string | null, payload: object) =>
    app.public.inject({ method: 'POST', url: id === null ? LOGIN_PATH : `${LOGIN_PATH}?flow=${id}`, payload });

  const ok = await submit(flow.id, { method: 'password', identifier: 'DAVE@example.com', password: PASSWORD });
  t.equal(ok.statusCode, 200);
  const body = ok.json();
  t.match(body.session_token, /^ory_st_[A-Za-z0-9_-]{32}$/);
  t.match(body.session, { active: true, authenticator_assurance_level: 'aal1', identity: { traits: { email: 'dave@example.com' } } });
  t.equal(ok.headers['cache-control'], 'no-store');
  t.notOk(ok.headers['set-cookie'], 'native login sets no cookie');

  const bad = await submit(flow.id, { method: 'password', identifier: 'dave@example.com', password: 'wrong' });
  t.equal(bad.statusCode, 400);
  t.equal(bad.json().id, flow.id, 'the flow comes back');
  t.equal(bad.json().ui.messages[0].id, 4000006);
  t.equal((await submit(flow.id, { method: 'password', identifier: 'nobody@example.com', password: 'x' })).json().ui.messages[0].id, 4000006);
  t.equal((await submit(flow.id, { method: 'webauthn', identifier: 'dave@example.com', password: PASSWORD })).statusCode, 400);

  t.equal((await submit(null, { method: 'password', identifier: 'dave@example.com', password: PASSWORD })).statusCode, 400, 'missing flow');
  t.equal((await submit('00000000-0000-4000-8000-000000000000', { method: 'password' })).statusCode, 404, 'unknown flow');

  t.test('an expired flow is 410 self_service_flow_expired', async (t) => {
    const f = (await app.public.inject({ method: 'GET', url: LOGIN_API_PATH })).json();
    clock.advance(61 * 60 * 1000);
    const res = await submit(f.id, { method: 'password', identifier: 'dave@example.com', password: PASSWORD });
    t.equal(res.statusCode, 410);
    t.equal(res.json().error.id, ErrorIds.flowExpired);
    t.equal(res.json().error.details.flow_id, f.id);
  });

  t.test('a signed-in user may log in again and gets a new session', async (t) => {
    const a = await loginNative(app, 'dave@example.com');
    const b = await loginNative(app, 'dave@example.com', PASSWORD, { 'x-session-token': a.session_token });
    t.not(a.session.id, b.session.id);
  });

  t.test('inactive identities cannot log in', async (t) => {
    await app.admin.inject({
      method: 'POST',
      url: ADMIN_IDENTITIES_PATH,
      payload: { traits: { email: 'off@example.com' }, state: 'inactive', credentials: { password: { config: { password: PASSWORD } } } },
    });
    const f = (await app.public.inject({ method: 'GET', url: LOGIN_API_PATH })).json();
    t.equal((await submit(f.id, { method: 'password', identifier: 'off@example.com', password: PASSWORD })).statusCode, 400);
  });
});

t.test('browser login with CSRF protection', async (t) => {
  // A frozen clock keeps Max-Age exact.
  const app = await testApp({}, { clock: testClock(Date.now()).now });
  t.teardown(() => app.close());
  await createIdentity(app, 'erin@example.com');

  async function start(query = '') {
    const res = await app.public.inject({ method: 'GET', url: `${LOGIN_BROWSER_PATH}${query}`, headers: { accept: 'text/html' } });
    const flowId = new URL(res.headers.location as string).searchParams.get('flow') as string;
    const flow = (await app.public.inject({ method: 'GET', url: `${LOGIN_FLOWS_PATH}?id=${flowId}` })).json();
    return { res, flowId, csrf: flow.ui.nodes[0].attributes.value as string, cookies: cookiesOf(res) };
  }
  const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
  const post = (flowId: string, cookie: string, fields: Record<string, string>, accept = 'text/html') =>
    app.public.inject({
      method: 'POST',
      url: `${LOGIN_PATH}?flow=${flowId}`,
      headers: { cookie, accept, 'content-type': 'application/x-www-form-urlencoded' },
      payload: form(fields),
    });

  t.test('redirects to the login UI with a signed CSRF cookie', async (t) => {
    const { res, csrf, cookies } = await start();
    t.equal(res.statusCode, 303);
    t.match(res.headers.location, `${BASE}/login?flow=`);
    t.ok(cookies[CSRF_COOKIE_NAME]?.startsWith(`${csrf}.`), 'the cookie is the signed token');
    t.match(String(res.headers['set-cookie']), /HttpOnly/);
    t.match(String(res.headers['set-cookie']), /SameSite=Lax/);
  });

  t.test('JSON requests get the flow as 200', async (t) => {
    const res = await app.public.inject({ method: 'GET', url: LOGIN_BROWSER_PATH, headers: { accept: 'application/json' } });
    t.equal(res.statusCode, 200);
    t.equal(res.json().type, 'browser');
    t.ok(res.json().ui.nodes[0].attributes.value.length >= 32);
  });

  t.test('success sets the session cookie and redirects to the validated return_to', async (t) => {
    const { flowId, csrf, cookies } = await start(`?return_to=${encodeURIComponent('https://app.example.com/welcome')}`);
    const res = await post(flowId, cookieHeader(cookies), { csrf_token: csrf, method: 'password', identifier: 'erin@example.com', password: PASSWORD });
    t.equal(res.statusCode, 303);
    t.equal(res.headers.location, 'https://app.example.com/welcome');
    const setCookie = (res.headers['set-cookie'] as string[]).find((c) => c.startsWith('ory_kratos_session=')) as string;
    t.match(setCookie, /HttpOnly/);
    t.match(setCookie, /Path=\//);
    t.match(setCookie, /SameSite=Lax/);
    t.match(setCookie, /Secure/, 'Secure outside dev mode');
    t.match(setCookie, /Max-Age=86400/, 'Max-Age = time left on the session');
    t.notMatch(setCookie, /Domain=/);
  });

  t.test('a disallowed return_to is refused before the flow starts', async (t) => {
    const res = await app.public.inject({ method: 'GET', url: `${LOGIN_BROWSER_PATH}?return_to=https://evil.com/`, headers: { accept: 'application/json' } });
    t.equal(res.statusCode, 400);
    t.equal(res.json().error.id, ErrorIds.returnToForbidden);
  });

  t.test('CSRF: missing, wrong, or unsigned token → 403 security_csrf_violation', async (t) => {
    const { flowId, csrf, cookies } = await start();
    const fields = { method: 'password', identifier: 'erin@example.com', password: PASSWORD };
    const attempts: Array<[string, string, Record<string, string>]> = [
      ['no cookie', '', { ...fields, csrf_token: csrf }],
      ['no field', cookieHeader(cookies), fields],
      ['wrong field', cookieHeader(cookies), { ...fields, csrf_token: 'x'.repeat(32) }],
      ['unsigned cookie', `${CSRF_COOKIE_NAME}=${csrf}`, { ...fields, csrf_token: csrf }],
    ];
    for (const [name, cookie, body] of attempts) {
      const res = await post(flowId, cookie, body, 'application/json');
      t.equal(res.statusCode, 403, name);
      t.equal(res.json().error.id, ErrorIds.csrfViolation, name);
    }
    const browser = await post(flowId, '', { ...fields, csrf_token: csrf });
    t.equal(browser.statusCode, 303, 'browsers are forwarded to the error UI');
    t.match(browser.headers.location, `${BASE}/error?id=`);
  });

  t.test('bad credentials send the browser back to the login UI with the message', async (t) => {
    const { flowId, csrf, cookies } = await start();
    const res = await post(flowId, cookieHeader(cookies), { csrf_token: csrf, method: 'password', identifier: 'erin@example.com', password: 'nope' });
    t.equal(res.statusCode, 303);
    t.equal(res.headers.location, `${BASE}/login?flow=${flowId}`);
    const page = await app.public.inject({ method: 'GET', url: `/login?flow=${flowId}` });
    t.match(page.body, /The provided credentials are invalid/);
    t.match(page.body, new RegExp(`<input type="hidden" name="csrf_token" value="${csrf}">`));
  });

  t.test('an SPA submitting the browser flow as JSON gets {session} and the cookie', async (t) => {
    const { flowId, csrf, cookies } = await start();
    const res = await app.public.inject({
      method: 'POST',
      url: `${LOGIN_PATH}?flow=${flowId}`,
      headers: { cookie: cookieHeader(cookies), accept: 'application/json' },
      payload: { csrf_token: csrf, method: 'password', identifier: 'erin@example.com', password: PASSWORD },
    });
    t.equal(res.statusCode, 200);
    t.ok(res.json().session.active);
    t.notOk('session_token' in res.json(), 'browser flows never reveal the token');
    t.ok(cookiesOf(res).ory_kratos_session);
  });
});

t.test('whoami and the Session JSON', async (t) => {
  const app = await testApp();
  t.teardown(() => app.close());
  const identity = await createIdentity(app, 'fay@example.com');
  const { cookie } = await loginBrowser(app, 'fay@example.com');
  const native = await loginNative(app, 'fay@example.com', PASSWORD, { 'user-agent': 'TestAgent/1.0' });

  const res = await app.public.inject({ method: 'GET', url: WHOAMI_PATH, headers: { cookie } });
  t.equal(res.statusCode, 200);
  const s = res.json();
  t.match(s.id, UUID);
  t.equal(s.active, true);
  for (const k of ['expires_at', 'authenticated_at', 'issued_at']) t.match(s[k], RFC3339, k);
  t.equal(s.authenticator_assurance_level, 'aal1');
  t.match(s.authentication_methods, [{ method: 'password', aal: 'aal1', completed_at: RFC3339 }]);
  t.match(s.identity, { id: identity.id, schema_id: 'default', schema_url: String, state: 'active', traits: { email: 'fay@example.com' }, metadata_public: null });
  t.match(s.devices, [{ id: String, ip_address: '127.0.0.1', user_agent: String, location: '' }]);
  t.notMatch(res.body, /ory_st_|ory_lo_/, 'no token in the JSON');
  t.equal(res.headers['cache-control'], 'no-store');

  const byHeader = await app.public.inject({ method: 'GET', url: WHOAMI_PATH, headers: { 'x-session-token': native.session_token } });
  t.equal(byHeader.json().devices[0].user_agent, 'TestAgent/1.0');
  const byBearer = await app.public.inject({ method: 'GET', url: WHOAMI_PATH, headers: { authorization: `Bearer ${native.session_token}` } });
  t.equal(byBearer.json().id, native.session.id);

  t.test('credential precedence: X-Session-Token, then cookie, then Bearer', async (t) => {
    const cookieSession = s.id;
    const both = await app.public.inject({ method: 'GET', url: WHOAMI_PATH, headers: { cookie, 'x-session-token': native.session_token } });
    t.equal(both.json().id, native.session.id, 'header wins over cookie');
    const cookieAndBearer = await app.public.inject({ method: 'GET', url: WHOAMI_PATH, headers: { cookie, authorization: `Bearer ${native.session_token}` } });
    t.equal(cookieAndBearer.json().id, cookieSession, 'cookie wins over bearer');
  });

  t.test('no or bad credential → 401 envelope', async (t) => {
    for (const headers of [{}, { cookie: 'ory_kratos_session=garbage' }, { 'x-session-token': 'ory_st_unknownunknownunknownunknown' }, { authorization: 'Bearer nope' }]) {
      const r = await app.public.inject({ method: 'GET', url: WHOAMI_PATH, headers });
      t.equal(r.statusCode, 401);
      t.equal(r.json().error.id, ErrorIds.sessionInactive);
      t.equal(r.headers['content-type'], 'application/json; charset=utf-8');
    }
  });
});

t.test('X-Request-Id is echoed into errors when well-formed', async (t) => {
  const app = await testApp();
  t.teardown(() => app.close());
  const ok = await app.public.inject({ method: 'GET', url: WHOAMI_PATH, headers: { 'x-request-id': 'req-123' } });
  t.equal(ok.json().error.request, 'req-123');
  t.equal(ok.headers['x-request-id'], 'req-123');
  const bad = await app.public.inject({ method: 'GET', url: WHOAMI_PATH, headers: { 'x-request-id': 'bad id with spaces <>' } });
  t.not(bad.json().error.request, 'bad id with spaces <>');
  t.match(bad.json().error.request, /^[0-9a-f-]{36}$/);
});
