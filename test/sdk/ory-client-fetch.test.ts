// The official fetch SDK (@ory/client-fetch), unchanged, against a running logoutd: only
// `basePath` (and, where a server-side app wants JSON errors, an `Accept: application/json`
// header) is configured, as a user would. This SDK maps every response through its models'
// FromJSON functions, so a body that lacks a required field or has a malformed date shows up here
// as undefined or an Invalid Date. Failures are `ResponseError`s whose body is our envelope.

import t from 'tap';
import { Configuration, FrontendApi, IdentityApi, LoginFlowFromJSON, ResponseError } from '@ory/client-fetch';
import type { FlowError, Identity, LoginFlow, LogoutFlow, Session, SuccessfulNativeLogin, UiNode, UiText } from '@ory/client-fetch';
import { PASSWORD, UUID, browserLogin, forwardedErrorId, sleep, startServer } from './harness.js';

/** A (sub)test's `t`, as tap passes it to a test callback. */
type Test = Parameters<Parameters<typeof t.test>[0]>[0];

/** Awaits a call that must fail; returns the HTTP status, the parsed body and the Response. */
async function failure(p: Promise<unknown>): Promise<{ status: number; error: Record<string, unknown>; data: unknown; response: Response }> {
  try {
    await p;
  } catch (err) {
    if (!(err instanceof ResponseError)) throw err;
    const text = await err.response.text();
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
    const error = (data as { error?: Record<string, unknown> } | undefined)?.error ?? {};
    return { status: err.response.status, error: typeof error === 'object' ? error : {}, data, response: err.response };
  }
  throw new Error('expected the call to fail');
}

function checkEnvelope(t: Test, error: Record<string, unknown>, code: number, id: string | undefined, what: string): void {
  t.equal(error.code, code, `${what}: error.code`);
  t.type(error.status, 'string', `${what}: error.status`);
  t.type(error.message, 'string', `${what}: error.message (required by GenericError)`);
  t.type(error.request, 'string', `${what}: error.request`);
  if (id === undefined) t.notOk('id' in error, `${what}: no error.id`);
  else t.equal(error.id, id, `${what}: error.id`);
}

/** A date the SDK parsed: a Date object holding a real time. */
function isDate(value: unknown): boolean {
  return value instanceof Date && !Number.isNaN(value.getTime());
}

function checkUiText(t: Test, text: UiText, what: string): void {
  t.type(text.id, 'number', `${what}.id`);
  t.type(text.text, 'string', `${what}.text`);
  t.ok(['info', 'error', 'success'].includes(text.type), `${what}.type`);
}

function checkIdentity(t: Test, identity: Identity | undefined, email: string, what: string): void {
  if (!identity) {
    t.fail(`${what}: identity present`);
    return;
  }
  t.match(identity.id, UUID, `${what}.id`);
  t.equal(identity.schema_id, 'default', `${what}.schema_id`);
  t.type(identity.schema_url, 'string', `${what}.schema_url`);
  t.equal((identity.traits as { email?: string }).email, email, `${what}.traits.email`);
  t.ok(identity.state === 'active' || identity.state === 'inactive', `${what}.state`);
  t.ok(isDate(identity.created_at) && isDate(identity.updated_at), `${what} dates parse`);
  t.equal(identity.credentials, undefined, `${what} never carries credentials`);
}

function checkSession(t: Test, s: Session, what: string, expect: { active?: boolean; email?: string } = {}): void {
  t.match(s.id, UUID, `${what}.id`);
  t.equal(s.active, expect.active ?? true, `${what}.active`);
  t.ok(isDate(s.expires_at) && isDate(s.authenticated_at) && isDate(s.issued_at), `${what} dates parse`);
  t.ok((s.expires_at as Date).getTime() > (s.issued_at as Date).getTime(), `${what} expires after issue`);
  t.equal(s.authenticator_assurance_level, 'aal1', `${what}.authenticator_assurance_level`);
  t.ok(Array.isArray(s.authentication_methods) && s.authentication_methods.length > 0, `${what}.authentication_methods`);
  for (const m of s.authentication_methods ?? []) {
    t.equal(m.method, 'password', `${what} method`);
    t.equal(m.aal, 'aal1', `${what} method aal`);
    t.ok(isDate(m.completed_at), `${what} method completed_at parses`);
  }
  t.ok(Array.isArray(s.devices) && s.devices.length > 0, `${what}.devices`);
  for (const d of s.devices ?? []) {
    t.type(d.id, 'string', `${what} device id (required)`);
    t.type(d.ip_address, 'string', `${what} device ip_address`);
    t.type(d.user_agent, 'string', `${what} device user_agent`);
  }
  if (expect.email !== undefined) checkIdentity(t, s.identity, expect.email, `${what}.identity`);
}

function checkNode(t: Test, node: UiNode, what: string): void {
  t.equal(node.type, 'input', `${what}.type`);
  t.ok(['default', 'password'].includes(node.group), `${what}.group`);
  t.ok(Array.isArray(node.messages), `${what}.messages (required; .map() would throw)`);
  t.type(node.meta, 'object', `${what}.meta (required)`);
  if (node.meta.label) checkUiText(t, node.meta.label, `${what}.meta.label`);
  const a = node.attributes;
  t.equal(a.node_type, 'input', `${what}.attributes.node_type (the union's discriminator)`);
  if (a.node_type !== 'input') return;
  t.type(a.name, 'string', `${what}.attributes.name`);
  t.ok(['hidden', 'text', 'password', 'submit', 'email'].includes(a.type), `${what}.attributes.type`);
  t.type(a.disabled, 'boolean', `${what}.attributes.disabled (required)`);
}

function checkLoginFlow(t: Test, flow: LoginFlow, base: string, type: 'api' | 'browser'): void {
  t.match(flow.id, UUID, 'flow.id');
  t.equal(flow.type, type, 'flow.type');
  t.ok(isDate(flow.expires_at) && isDate(flow.issued_at), 'flow dates parse');
  t.ok(flow.expires_at.getTime() > flow.issued_at.getTime(), 'expires after issue');
  t.type(flow.request_url, 'string', 'flow.request_url');
  t.equal(flow.state, 'choose_method', 'flow.state');
  t.equal(flow.ui.action, `${base}/self-service/login?flow=${flow.id}`, 'ui.action');
  t.equal(flow.ui.method, 'POST', 'ui.method');
  flow.ui.nodes.forEach((n, i) => checkNode(t, n, `ui.nodes[${i}]`));
  const names = flow.ui.nodes.map((n) => (n.attributes.node_type === 'input' ? n.attributes.name : ''));
  t.same(names.sort(), ['csrf_token', 'identifier', 'method', 'password'], 'the password form nodes');
  for (const m of flow.ui.messages ?? []) checkUiText(t, m, 'ui.messages[]');
}

t.test('@ory/client-fetch against a running logoutd', async (t) => {
  const server = await startServer();
  t.teardown(() => server.close());
  const { base, adminBase } = server;
  // Plain configuration: fetch sends `Accept: */*`, which logoutd (like Kratos) treats as a browser.
  const frontend = new FrontendApi(new Configuration({ basePath: base }));
  // What a server-side app configures to get JSON errors from the browser-facing routes.
  const frontendJson = new FrontendApi(new Configuration({ basePath: base, headers: { Accept: 'application/json' } }));
  const identityApi = new IdentityApi(new Configuration({ basePath: adminBase }));

  const email = 'sdk-fetch@example.com';
  let identityId = '';

  await t.test('IdentityApi.createIdentity / getIdentity', async (t) => {
    const created = await identityApi.createIdentityRaw({
      createIdentityBody: { schema_id: 'default', traits: { email }, credentials: { password: { config: { password: PASSWORD } } } },
    });
    t.equal(created.raw.status, 201);
    const identity = await created.value();
    checkIdentity(t, identity, email, 'created identity');
    identityId = identity.id;

    checkIdentity(t, await identityApi.getIdentity({ id: identityId }), email, 'got identity');

    const dup = await failure(identityApi.createIdentity({ createIdentityBody: { schema_id: 'default', traits: { email } } }));
    t.equal(dup.status, 409);
    checkEnvelope(t, dup.error, 409, undefined, 'duplicate identity');

    const missing = await failure(identityApi.getIdentity({ id: '00000000-0000-4000-8000-000000000000' }));
    t.equal(missing.status, 404);
    checkEnvelope(t, missing.error, 404, undefined, 'unknown identity');
  });

  async function nativeLogin(): Promise<SuccessfulNativeLogin> {
    const flow = await frontend.createNativeLoginFlow();
    return frontend.updateLoginFlow({ flow: flow.id, updateLoginFlowBody: { method: 'password', identifier: email, password: PASSWORD } });
  }

  await t.test('createNativeLoginFlow + getLoginFlow + updateLoginFlow (password) → session_token', async (t) => {
    const flow = await frontend.createNativeLoginFlow();
    checkLoginFlow(t, flow, base, 'api');
    t.equal((await frontend.getLoginFlow({ id: flow.id })).id, flow.id, 'getLoginFlow');

    const bad = await failure(frontend.updateLoginFlow({ flow: flow.id, updateLoginFlowBody: { method: 'password', identifier: email, password: 'wrong password' } }));
    t.equal(bad.status, 400, 'bad credentials → 400');
    // What a UI does with a 400: read the flow back through the SDK's own model.
    const badFlow = LoginFlowFromJSON(bad.data);
    checkLoginFlow(t, badFlow, base, 'api');
    t.equal(badFlow.ui.messages?.[0]?.type, 'error', 'the flow carries an error message');

    const ok = await frontend.updateLoginFlow({ flow: flow.id, updateLoginFlowBody: { method: 'password', identifier: email, password: PASSWORD } });
    t.match(ok.session_token, /^ory_st_[A-Za-z0-9_-]{32,}$/, 'session_token');
    checkSession(t, ok.session, 'login session', { email });

    const unknown = await failure(
      frontend.updateLoginFlow({ flow: '00000000-0000-4000-8000-000000000000', updateLoginFlowBody: { method: 'password', identifier: email, password: PASSWORD } }),
    );
    t.equal(unknown.status, 404, 'unknown flow → 404');
    checkEnvelope(t, unknown.error, 404, undefined, 'unknown flow');
  });

  await t.test('createBrowserLoginFlow + updateLoginFlow from a server-side app (cookies relayed)', async (t) => {
    // With fetch's `Accept: */*` the browser flow answers with a 303 to the login UI, as Kratos does.
    const redirected = await failure(frontend.createBrowserLoginFlow({}, { redirect: 'manual' }));
    t.equal(redirected.status, 303);
    t.match(redirected.response.headers.get('location'), /\/login\?flow=/);

    const raw = await frontendJson.createBrowserLoginFlowRaw({ returnTo: `${base}/app` });
    const flow = await raw.value();
    checkLoginFlow(t, flow, base, 'browser');
    t.equal(flow.return_to, `${base}/app`);
    const csrfNode = flow.ui.nodes.find((n) => n.attributes.node_type === 'input' && n.attributes.name === 'csrf_token');
    const csrfToken = csrfNode?.attributes.node_type === 'input' ? (csrfNode.attributes.value as string) : '';
    t.ok(csrfToken, 'the csrf_token node has a value');
    const csrfCookie = raw.raw.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    t.ok(csrfCookie, 'a CSRF cookie to relay');

    const res = await frontendJson.updateLoginFlowRaw({
      flow: flow.id,
      cookie: csrfCookie,
      updateLoginFlowBody: { csrf_token: csrfToken, method: 'password', identifier: email, password: PASSWORD },
    });
    t.equal(res.raw.status, 200);
    const session = res.raw.headers.getSetCookie().find((c) => c.startsWith('ory_kratos_session='));
    const body = await res.value();
    t.equal(body.session_token, undefined, 'browser flows get a cookie, not a token');
    checkSession(t, body.session, 'browser login session', { email });
    t.ok(session, 'the session cookie');
    t.equal((await frontend.toSession({ cookie: (session as string).split(';')[0] })).id, body.session.id);
  });

  await t.test('toSession with X-Session-Token, with a forwarded cookie, and without a session', async (t) => {
    const login = await nativeLogin();
    const raw = await frontend.toSessionRaw({ xSessionToken: login.session_token as string });
    t.equal(raw.raw.status, 200);
    t.equal(raw.raw.headers.get('x-kratos-authenticated-identity-id'), identityId);
    const byToken = await raw.value();
    checkSession(t, byToken, 'whoami (token)', { email });
    t.equal(byToken.id, login.session.id);

    const cookie = await browserLogin(base, email);
    checkSession(t, await frontend.toSession({ cookie }), 'whoami (cookie)', { email });

    const none = await failure(frontend.toSession());
    t.equal(none.status, 401);
    checkEnvelope(t, none.error, 401, 'session_inactive', 'whoami without session');
  });

  await t.test('createBrowserLogoutFlow + updateLogoutFlow with a forwarded cookie', async (t) => {
    const cookie = await browserLogin(base, email);
    const flow: LogoutFlow = await frontend.createBrowserLogoutFlow({ cookie });
    t.match(flow.logout_token, /^ory_lo_[A-Za-z0-9_-]+$/, 'logout_token');
    t.equal(flow.logout_url, `${base}/self-service/logout?token=${flow.logout_token}`, 'logout_url from the configured base URL');

    // Without a session, a browser-like caller (Accept: */*) is forwarded to the error UI, as with
    // Kratos; a server-side app that asks for JSON gets the 401 envelope.
    const forwarded = await failure(frontend.createBrowserLogoutFlow({}, { redirect: 'manual' }));
    t.equal(forwarded.status, 303, 'browser-like caller: 303 to the error UI');
    t.match(forwarded.response.headers.get('location'), /\/error\?id=/);
    const none = await failure(frontendJson.createBrowserLogoutFlow());
    t.equal(none.status, 401);
    checkEnvelope(t, none.error, 401, 'session_inactive', 'logout flow without session (JSON)');

    const forbidden = await failure(frontendJson.createBrowserLogoutFlow({ cookie, returnTo: 'https://evil.example.net/' }));
    t.equal(forbidden.status, 400);
    checkEnvelope(t, forbidden.error, 400, 'self_service_flow_return_to_forbidden', 'return_to not allowed');

    const mismatch = await failure(frontendJson.updateLogoutFlow({ token: 'ory_lo_notTheRightToken', cookie }));
    t.equal(mismatch.status, 403);
    checkEnvelope(t, mismatch.error, 403, 'logout_token_mismatch', 'wrong logout token');

    const missing = await failure(frontendJson.updateLogoutFlow({ cookie }));
    t.equal(missing.status, 400);
    checkEnvelope(t, missing.error, 400, 'logout_token_missing', 'no logout token');

    // A server-side app asking for JSON: 204 and the cookie-clearing header to relay.
    const done = await frontendJson.updateLogoutFlowRaw({ token: flow.logout_token, cookie });
    t.equal(done.raw.status, 204);
    t.ok(done.raw.headers.getSetCookie().some((c) => /^ory_kratos_session=;/.test(c) && /Max-Age=0/i.test(c)), 'the session cookie is cleared');
    t.equal((await failure(frontend.toSession({ cookie }))).status, 401, 'the session is gone');
  });

  await t.test('updateLogoutFlow with the default Accept: the 303, followed or not', async (t) => {
    // Not followed (what a relaying server does): the SDK reports the 303 as a ResponseError whose
    // response carries the Location and Set-Cookie for the browser.
    const cookie = await browserLogin(base, email);
    const flow = await frontend.createBrowserLogoutFlow({ cookie, returnTo: `${base}/app` });
    const hop = await failure(frontend.updateLogoutFlow({ token: flow.logout_token, returnTo: `${base}/app`, cookie }, { redirect: 'manual' }));
    t.equal(hop.status, 303);
    t.equal(hop.response.headers.get('location'), `${base}/app`);
    t.ok(hop.response.headers.getSetCookie().some((c) => /^ory_kratos_session=;/.test(c)), 'the cookie-clearing header is there to relay');
    t.equal((await failure(frontend.toSession({ cookie }))).status, 401, 'the session is gone');

    // Followed (fetch's default): the call resolves once the signed-out page answers.
    const cookie2 = await browserLogin(base, email);
    const flow2 = await frontend.createBrowserLogoutFlow({ cookie: cookie2 });
    await frontend.updateLogoutFlow({ token: flow2.logout_token, cookie: cookie2 });
    t.equal((await failure(frontend.toSession({ cookie: cookie2 }))).status, 401, 'logged out');
  });

  await t.test('performNativeLogout and its repeat', async (t) => {
    const login = await nativeLogin();
    const token = login.session_token as string;
    const first = await frontend.performNativeLogoutRaw({ performNativeLogoutBody: { session_token: token } });
    t.equal(first.raw.status, 204);
    const repeat = await frontend.performNativeLogoutRaw({ performNativeLogoutBody: { session_token: token } });
    t.equal(repeat.raw.status, 204, 'idempotent');
    t.equal((await failure(frontend.toSession({ xSessionToken: token }))).status, 401);

    const unknown = await failure(frontend.performNativeLogout({ performNativeLogoutBody: { session_token: 'ory_st_thisTokenDoesNotExistAnywhere000000000' } }));
    t.equal(unknown.status, 403);
    checkEnvelope(t, unknown.error, 403, undefined, 'unknown native token');
  });

  await t.test('listMySessions, disableMySession, disableMyOtherSessions', async (t) => {
    await identityApi.deleteIdentitySessions({ id: identityId });
    const a = await nativeLogin();
    const b = await nativeLogin();
    const c = await nativeLogin();
    const me = c.session_token as string;

    const raw = await frontend.listMySessionsRaw({ xSessionToken: me });
    t.equal(raw.raw.headers.get('x-total-count'), '2');
    t.match(raw.raw.headers.get('link'), /rel="first"/);
    const list = await raw.value();
    t.same(list.map((s) => s.id).sort(), [a.session.id, b.session.id].sort(), 'the other active sessions');
    list.forEach((s, i) => checkSession(t, s, `listMySessions[${i}]`));

    const current = await failure(frontend.disableMySession({ id: c.session.id, xSessionToken: me }));
    t.equal(current.status, 400);
    checkEnvelope(t, current.error, 400, 'invalid_request', 'disable current session');
    const unknown = await failure(frontend.disableMySession({ id: '00000000-0000-4000-8000-000000000000', xSessionToken: me }));
    t.equal(unknown.status, 404);
    checkEnvelope(t, unknown.error, 404, undefined, 'disable unknown session');

    const one = await frontend.disableMySessionRaw({ id: a.session.id, xSessionToken: me });
    t.equal(one.raw.status, 204);
    t.equal((await failure(frontend.toSession({ xSessionToken: a.session_token as string }))).status, 401, 'a is revoked');

    const others = await frontend.disableMyOtherSessions({ xSessionToken: me });
    t.same(others, { count: 1 }, 'DeleteMySessionsCount');
    t.equal((await failure(frontend.toSession({ xSessionToken: b.session_token as string }))).status, 401, 'b is revoked');
    checkSession(t, await frontend.toSession({ xSessionToken: me }), 'the caller is still signed in');
  });

  await t.test('getFlowError', async (t) => {
    const id = await forwardedErrorId(base);
    const fe: FlowError = await frontend.getFlowError({ id });
    t.equal(fe.id, id);
    t.ok(isDate(fe.created_at) && isDate(fe.updated_at), 'dates parse');
    const error = fe.error as Record<string, unknown>;
    t.equal(error.code, 401);
    t.equal(error.id, 'session_inactive');
    t.type(error.message, 'string');

    const unknown = await failure(frontend.getFlowError({ id: 'no-such-error' }));
    t.equal(unknown.status, 404);
    checkEnvelope(t, unknown.error, 404, undefined, 'unknown flow error');
  });

  await t.test('IdentityApi sessions: getSession, listSessions, listIdentitySessions, extendSession, disableSession, deleteIdentitySessions', async (t) => {
    const login = await nativeLogin();
    const sid = login.session.id;

    const got = await identityApi.getSession({ id: sid, expand: ['identity'] });
    checkSession(t, got, 'getSession', { email });
    const unknown = await failure(identityApi.getSession({ id: '00000000-0000-4000-8000-000000000000' }));
    t.equal(unknown.status, 404);
    checkEnvelope(t, unknown.error, 404, undefined, 'getSession unknown');

    const all = await identityApi.listSessions({ active: true, expand: ['identity', 'devices'] });
    t.ok(all.some((s) => s.id === sid), 'listSessions includes the session');
    all.forEach((s, i) => checkSession(t, s, `listSessions[${i}]`, { email }));
    const firstPage = await identityApi.listSessionsRaw({ pageSize: 1 });
    t.equal((await firstPage.value()).length, 1);
    t.match(firstPage.raw.headers.get('link'), /rel="first"/);

    const mine = await identityApi.listIdentitySessions({ id: identityId, active: true });
    t.ok(mine.some((s) => s.id === sid), 'listIdentitySessions includes the session');
    mine.forEach((s, i) => checkSession(t, s, `listIdentitySessions[${i}]`, { email }));

    await sleep(5);
    // The SDK types this call's result as `Session | null | undefined` (a 204 is allowed); logoutd sends 200.
    const extendedRaw = await identityApi.extendSessionRaw({ id: sid });
    t.equal(extendedRaw.raw.status, 200);
    const extended = (await extendedRaw.value()) as Session;
    checkSession(t, extended, 'extendSession', { email });
    t.ok((extended.expires_at as Date).getTime() > (got.expires_at as Date).getTime(), 'expires_at moved forward');
    t.equal((await failure(identityApi.extendSession({ id: '00000000-0000-4000-8000-000000000000' }))).status, 404, 'extend unknown → 404');

    const disabled = await identityApi.disableSessionRaw({ id: sid });
    t.equal(disabled.raw.status, 204);
    t.equal((await identityApi.disableSessionRaw({ id: sid })).raw.status, 204, 'already revoked → 204');
    t.equal((await failure(frontend.toSession({ xSessionToken: login.session_token as string }))).status, 401);
    t.equal((await identityApi.getSession({ id: sid })).active, false, 'a revoked session reads as inactive');
    const missing = await failure(identityApi.disableSession({ id: '00000000-0000-4000-8000-000000000000' }));
    t.equal(missing.status, 404);
    checkEnvelope(t, missing.error, 404, undefined, 'disableSession unknown');

    const x = await nativeLogin();
    const y = await nativeLogin();
    const wiped = await identityApi.deleteIdentitySessionsRaw({ id: identityId });
    t.equal(wiped.raw.status, 204);
    for (const s of [x, y]) t.equal((await failure(frontend.toSession({ xSessionToken: s.session_token as string }))).status, 401);
    t.same(await identityApi.listIdentitySessions({ id: identityId, active: true }), [], 'no active sessions left');
  });
});

t.test('@ory/client-fetch: an expired login flow → 410 self_service_flow_expired', async (t) => {
  const server = await startServer({ selfservice: { flows: { login: { lifespan: '1s' } } } });
  t.teardown(() => server.close());
  const frontend = new FrontendApi(new Configuration({ basePath: server.base }));
  const identityApi = new IdentityApi(new Configuration({ basePath: server.adminBase }));
  await identityApi.createIdentity({ createIdentityBody: { schema_id: 'default', traits: { email: 'expiry@example.com' }, credentials: { password: { config: { password: PASSWORD } } } } });

  const flow = await frontend.createNativeLoginFlow();
  await sleep(1100);
  const expired = await failure(frontend.updateLoginFlow({ flow: flow.id, updateLoginFlowBody: { method: 'password', identifier: 'expiry@example.com', password: PASSWORD } }));
  t.equal(expired.status, 410);
  checkEnvelope(t, expired.error, 410, 'self_service_flow_expired', 'expired flow');
  t.equal((await failure(frontend.getLoginFlow({ id: flow.id }))).status, 410, 'getLoginFlow → 410 too');
});
