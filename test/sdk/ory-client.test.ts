// The official axios SDK (@ory/client), unchanged, against a running logoutd: only `basePath` is
// configured, as a user would. Every call either succeeds with a body that satisfies the SDK's
// model (required fields present, right types, enum values the SDK knows) or fails with the
// documented status and our error envelope in `error.response.data.error`.

import t from 'tap';
import { Configuration, FrontendApi, IdentityApi } from '@ory/client';
import type { FlowError, Identity, LoginFlow, LogoutFlow, Session, SuccessfulNativeLogin, UiNode, UiText } from '@ory/client';
import { PASSWORD, RFC3339, UUID, browserLogin, forwardedErrorId, sleep, startServer } from './harness.js';

/** A (sub)test's `t`, as tap passes it to a test callback. */
type Test = Parameters<Parameters<typeof t.test>[0]>[0];

/** What axios rejects with, narrowed to what a caller reads. */
interface AxiosFailure {
  isAxiosError?: boolean;
  response?: { status: number; data: unknown; headers: Record<string, unknown> };
}

/** Awaits a call that must fail; returns the HTTP status and the error envelope's `error`. */
async function failure(p: Promise<unknown>): Promise<{ status: number; error: Record<string, unknown>; data: unknown }> {
  try {
    await p;
  } catch (err) {
    const e = err as AxiosFailure;
    if (!e.isAxiosError || !e.response) throw err;
    const data = e.response.data as { error?: Record<string, unknown> } | undefined;
    return { status: e.response.status, error: data?.error ?? {}, data };
  }
  throw new Error('expected the call to fail');
}

/** The envelope of SPEC §4 as the SDK's GenericError sees it. */
function checkEnvelope(t: Test, error: Record<string, unknown>, code: number, id: string | undefined, what: string): void {
  t.equal(error.code, code, `${what}: error.code`);
  t.type(error.status, 'string', `${what}: error.status`);
  t.type(error.message, 'string', `${what}: error.message (required by GenericError)`);
  t.type(error.request, 'string', `${what}: error.request`);
  if (id === undefined) t.notOk('id' in error, `${what}: no error.id`);
  else t.equal(error.id, id, `${what}: error.id`);
}

function isDate(value: unknown): boolean {
  return typeof value === 'string' && RFC3339.test(value) && !Number.isNaN(Date.parse(value));
}

function checkUiText(t: Test, text: UiText, what: string): void {
  t.type(text.id, 'number', `${what}.id`);
  t.type(text.text, 'string', `${what}.text`);
  t.ok(['info', 'error', 'success'].includes(text.type), `${what}.type is a UiTextTypeEnum`);
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
  t.ok(isDate(identity.created_at) && isDate(identity.updated_at), `${what} dates`);
  t.notOk('credentials' in identity, `${what} never carries credentials`);
}

function checkSession(t: Test, s: Session, what: string, expect: { active?: boolean; email?: string } = {}): void {
  t.match(s.id, UUID, `${what}.id`);
  t.equal(s.active, expect.active ?? true, `${what}.active`);
  t.ok(isDate(s.expires_at) && isDate(s.authenticated_at) && isDate(s.issued_at), `${what} dates are RFC 3339`);
  t.equal(s.authenticator_assurance_level, 'aal1', `${what}.authenticator_assurance_level`);
  t.ok(Array.isArray(s.authentication_methods) && s.authentication_methods.length > 0, `${what}.authentication_methods`);
  for (const m of s.authentication_methods ?? []) {
    t.equal(m.method, 'password', `${what} method`);
    t.equal(m.aal, 'aal1', `${what} method aal`);
    t.ok(isDate(m.completed_at), `${what} method completed_at`);
  }
  t.ok(Array.isArray(s.devices) && s.devices.length > 0, `${what}.devices`);
  for (const d of s.devices ?? []) {
    t.type(d.id, 'string', `${what} device id (required)`);
    t.type(d.ip_address, 'string', `${what} device ip_address`);
    t.type(d.user_agent, 'string', `${what} device user_agent`);
  }
  if (expect.email !== undefined) checkIdentity(t, s.identity, expect.email, `${what}.identity`);
  const raw = JSON.stringify(s);
  t.notMatch(raw, /ory_st_/, `${what} carries no session token`);
}

function checkNode(t: Test, node: UiNode, what: string): void {
  t.equal(node.type, 'input', `${what}.type`);
  t.ok(['default', 'password'].includes(node.group), `${what}.group is a UiNodeGroupEnum`);
  t.ok(Array.isArray(node.messages), `${what}.messages (required)`);
  t.type(node.meta, 'object', `${what}.meta (required)`);
  if (node.meta.label) checkUiText(t, node.meta.label, `${what}.meta.label`);
  const a = node.attributes;
  t.equal(a.node_type, 'input', `${what}.attributes.node_type`);
  if (a.node_type !== 'input') return;
  t.type(a.name, 'string', `${what}.attributes.name`);
  t.ok(['hidden', 'text', 'password', 'submit', 'email'].includes(a.type), `${what}.attributes.type is a UiNodeInputAttributesTypeEnum`);
  t.type(a.disabled, 'boolean', `${what}.attributes.disabled (required)`);
  if (a.autocomplete !== undefined) t.ok(['username', 'current-password', 'email'].includes(a.autocomplete), `${what}.attributes.autocomplete`);
}

function checkLoginFlow(t: Test, flow: LoginFlow, base: string, type: 'api' | 'browser'): void {
  t.match(flow.id, UUID, 'flow.id');
  t.equal(flow.type, type, 'flow.type');
  t.ok(isDate(flow.expires_at) && isDate(flow.issued_at), 'flow dates');
  t.ok(Date.parse(flow.expires_at) > Date.parse(flow.issued_at), 'expires after issue');
  t.type(flow.request_url, 'string', 'flow.request_url');
  t.equal(flow.state, 'choose_method', 'flow.state');
  t.equal(flow.ui.action, `${base}/self-service/login?flow=${flow.id}`, 'ui.action');
  t.equal(flow.ui.method, 'POST', 'ui.method');
  t.ok(Array.isArray(flow.ui.nodes), 'ui.nodes');
  flow.ui.nodes.forEach((n, i) => checkNode(t, n, `ui.nodes[${i}]`));
  const names = flow.ui.nodes.map((n) => (n.attributes.node_type === 'input' ? n.attributes.name : ''));
  t.same(names.sort(), ['csrf_token', 'identifier', 'method', 'password'], 'the password form nodes');
  for (const m of flow.ui.messages ?? []) checkUiText(t, m, 'ui.messages[]');
}

t.test('@ory/client (axios) against a running logoutd', async (t) => {
  const server = await startServer();
  t.teardown(() => server.close());
  const { base, adminBase } = server;
  const frontend = new FrontendApi(new Configuration({ basePath: base }));
  const identityApi = new IdentityApi(new Configuration({ basePath: adminBase }));

  const email = 'sdk-axios@example.com';
  let identityId = '';

  await t.test('IdentityApi.createIdentity / getIdentity', async (t) => {
    const created = await identityApi.createIdentity({
      createIdentityBody: { schema_id: 'default', traits: { email }, credentials: { password: { config: { password: PASSWORD } } } },
    });
    t.equal(created.status, 201);
    checkIdentity(t, created.data, email, 'created identity');
    identityId = created.data.id;

    const got = await identityApi.getIdentity({ id: identityId });
    t.equal(got.status, 200);
    checkIdentity(t, got.data, email, 'got identity');

    const dup = await failure(identityApi.createIdentity({ createIdentityBody: { schema_id: 'default', traits: { email: email.toUpperCase() } } }));
    t.equal(dup.status, 409);
    checkEnvelope(t, dup.error, 409, undefined, 'duplicate identity');

    const missing = await failure(identityApi.getIdentity({ id: '00000000-0000-4000-8000-000000000000' }));
    t.equal(missing.status, 404);
    checkEnvelope(t, missing.error, 404, undefined, 'unknown identity');
  });

  /** Native login through the SDK: createNativeLoginFlow + updateLoginFlow. */
  async function nativeLogin(): Promise<SuccessfulNativeLogin> {
    const flow = await frontend.createNativeLoginFlow();
    const res = await frontend.updateLoginFlow({ flow: flow.data.id, updateLoginFlowBody: { method: 'password', identifier: email, password: PASSWORD } });
    return res.data;
  }

  await t.test('createNativeLoginFlow + getLoginFlow + updateLoginFlow (password) → session_token', async (t) => {
    const flow = await frontend.createNativeLoginFlow();
    t.equal(flow.status, 200);
    checkLoginFlow(t, flow.data, base, 'api');

    const again = await frontend.getLoginFlow({ id: flow.data.id });
    t.equal(again.status, 200);
    t.equal(again.data.id, flow.data.id, 'getLoginFlow returns the same flow');

    const bad = await failure(
      frontend.updateLoginFlow({ flow: flow.data.id, updateLoginFlowBody: { method: 'password', identifier: email, password: 'wrong password' } }),
    );
    t.equal(bad.status, 400, 'bad credentials → 400');
    const badFlow = bad.data as LoginFlow;
    checkLoginFlow(t, badFlow, base, 'api');
    t.equal(badFlow.ui.messages?.[0]?.type, 'error', 'the 400 body is the flow with an error message');

    const res = await frontend.updateLoginFlow({ flow: flow.data.id, updateLoginFlowBody: { method: 'password', identifier: email, password: PASSWORD } });
    t.equal(res.status, 200);
    t.match(res.data.session_token, /^ory_st_[A-Za-z0-9_-]{32,}$/, 'session_token');
    checkSession(t, res.data.session, 'login session', { email });

    const unknown = await failure(
      frontend.updateLoginFlow({ flow: '00000000-0000-4000-8000-000000000000', updateLoginFlowBody: { method: 'password', identifier: email, password: PASSWORD } }),
    );
    t.equal(unknown.status, 404, 'unknown flow → 404');
    checkEnvelope(t, unknown.error, 404, undefined, 'unknown flow');
  });

  await t.test('createBrowserLoginFlow + updateLoginFlow from a server-side app (cookies relayed)', async (t) => {
    const flow = await frontend.createBrowserLoginFlow({ returnTo: `${base}/app` });
    t.equal(flow.status, 200, 'axios asks for JSON, so no redirect');
    checkLoginFlow(t, flow.data, base, 'browser');
    t.equal(flow.data.return_to, `${base}/app`);
    const csrfNode = flow.data.ui.nodes.find((n) => n.attributes.node_type === 'input' && n.attributes.name === 'csrf_token');
    const csrfToken = csrfNode?.attributes.node_type === 'input' ? (csrfNode.attributes.value as string) : '';
    t.ok(csrfToken, 'the csrf_token node has a value');
    const csrfCookie = ([] as string[]).concat((flow.headers['set-cookie'] as string[] | undefined) ?? []).map((c) => c.split(';')[0]).join('; ');
    t.ok(csrfCookie, 'a CSRF cookie to relay');

    const noCookie = await failure(
      frontend.updateLoginFlow({ flow: flow.data.id, updateLoginFlowBody: { csrf_token: csrfToken, method: 'password', identifier: email, password: PASSWORD } }),
    );
    t.equal(noCookie.status, 403);
    checkEnvelope(t, noCookie.error, 403, 'security_csrf_violation', 'browser flow without the CSRF cookie');

    const res = await frontend.updateLoginFlow({
      flow: flow.data.id,
      cookie: csrfCookie,
      updateLoginFlowBody: { csrf_token: csrfToken, method: 'password', identifier: email, password: PASSWORD },
    });
    t.equal(res.status, 200);
    t.equal(res.data.session_token, undefined, 'browser flows get a cookie, not a token');
    checkSession(t, res.data.session, 'browser login session', { email });
    const session = ([] as string[]).concat((res.headers['set-cookie'] as string[] | undefined) ?? []).find((c) => c.startsWith('ory_kratos_session='));
    t.ok(session, 'the session cookie');
    t.equal((await frontend.toSession({ cookie: (session as string).split(';')[0] })).data.id, res.data.session.id);
  });

  await t.test('toSession with X-Session-Token, with a forwarded cookie, and without a session', async (t) => {
    const login = await nativeLogin();
    const byToken = await frontend.toSession({ xSessionToken: login.session_token as string });
    t.equal(byToken.status, 200);
    checkSession(t, byToken.data, 'whoami (token)', { email });
    t.equal(byToken.data.id, login.session.id);
    t.equal(byToken.headers['x-kratos-authenticated-identity-id'], identityId);

    const cookie = await browserLogin(base, email);
    const byCookie = await frontend.toSession({ cookie });
    t.equal(byCookie.status, 200);
    checkSession(t, byCookie.data, 'whoami (cookie)', { email });

    const none = await failure(frontend.toSession());
    t.equal(none.status, 401);
    checkEnvelope(t, none.error, 401, 'session_inactive', 'whoami without session');

    const bogus = await failure(frontend.toSession({ xSessionToken: 'ory_st_thisTokenDoesNotExistAnywhere000000000' }));
    t.equal(bogus.status, 401, 'unknown token → 401');
  });

  await t.test('createBrowserLogoutFlow + updateLogoutFlow with a forwarded cookie', async (t) => {
    const cookie = await browserLogin(base, email);
    const flow = await frontend.createBrowserLogoutFlow({ cookie });
    t.equal(flow.status, 200);
    const data: LogoutFlow = flow.data;
    t.match(data.logout_token, /^ory_lo_[A-Za-z0-9_-]+$/, 'logout_token');
    t.equal(data.logout_url, `${base}/self-service/logout?token=${data.logout_token}`, 'logout_url from the configured base URL');

    const withReturn = await frontend.createBrowserLogoutFlow({ cookie, returnTo: `${base}/app` });
    t.equal(new URL(withReturn.data.logout_url).searchParams.get('return_to'), `${base}/app`);

    const forbidden = await failure(frontend.createBrowserLogoutFlow({ cookie, returnTo: 'https://evil.example.net/' }));
    t.equal(forbidden.status, 400);
    checkEnvelope(t, forbidden.error, 400, 'self_service_flow_return_to_forbidden', 'return_to not allowed');

    // axios sends `Accept: application/json, text/plain, */*`: a JSON request, so errors are JSON.
    const none = await failure(frontend.createBrowserLogoutFlow());
    t.equal(none.status, 401);
    checkEnvelope(t, none.error, 401, 'session_inactive', 'logout flow without session');

    const mismatch = await failure(frontend.updateLogoutFlow({ token: 'ory_lo_notTheRightToken', cookie }));
    t.equal(mismatch.status, 403);
    checkEnvelope(t, mismatch.error, 403, 'logout_token_mismatch', 'wrong logout token');

    const missing = await failure(frontend.updateLogoutFlow({ cookie }));
    t.equal(missing.status, 400);
    checkEnvelope(t, missing.error, 400, 'logout_token_missing', 'no logout token');

    // A server-side app calling the SDK (JSON Accept) gets 204 and the cookie-clearing header.
    const done = await frontend.updateLogoutFlow({ token: data.logout_token, cookie });
    t.equal(done.status, 204);
    t.equal(done.data, '', 'empty body');
    const cleared = ([] as string[]).concat((done.headers['set-cookie'] as string[] | undefined) ?? []);
    t.ok(cleared.some((c) => /^ory_kratos_session=;/.test(c) && /Max-Age=0/i.test(c)), 'the session cookie is cleared');
    t.equal((await failure(frontend.toSession({ cookie }))).status, 401, 'the session is gone');
  });

  await t.test('updateLogoutFlow as a browser hop: 303, not followed', async (t) => {
    const cookie = await browserLogin(base, email);
    const flow = await frontend.createBrowserLogoutFlow({ cookie, returnTo: `${base}/app` });
    // A server-side app relaying the browser's own request passes its Accept and must not follow
    // the redirect itself: the Location (and the Set-Cookie) are for the browser.
    const res = await frontend.updateLogoutFlow(
      { token: flow.data.logout_token, returnTo: `${base}/app`, cookie },
      { headers: { Accept: 'text/html,application/xhtml+xml,*/*;q=0.8' }, maxRedirects: 0, validateStatus: (s) => s === 303 },
    );
    t.equal(res.status, 303);
    t.equal(res.headers.location, `${base}/app`);
    t.equal((await failure(frontend.toSession({ cookie }))).status, 401, 'the session is gone');

    // Followed (axios's default), the redirect lands on the destination page: still a success.
    const cookie2 = await browserLogin(base, email);
    const flow2 = await frontend.createBrowserLogoutFlow({ cookie: cookie2 });
    const followed = await frontend.updateLogoutFlow({ token: flow2.data.logout_token, cookie: cookie2 }, { headers: { Accept: 'text/html' } });
    t.equal(followed.status, 200, 'followed to the signed-out page');
    t.equal((await failure(frontend.toSession({ cookie: cookie2 }))).status, 401);
  });

  await t.test('performNativeLogout and its repeat', async (t) => {
    const login = await nativeLogin();
    const token = login.session_token as string;
    const first = await frontend.performNativeLogout({ performNativeLogoutBody: { session_token: token } });
    t.equal(first.status, 204);
    const repeat = await frontend.performNativeLogout({ performNativeLogoutBody: { session_token: token } });
    t.equal(repeat.status, 204, 'idempotent');
    t.equal((await failure(frontend.toSession({ xSessionToken: token }))).status, 401);

    const unknown = await failure(frontend.performNativeLogout({ performNativeLogoutBody: { session_token: 'ory_st_thisTokenDoesNotExistAnywhere000000000' } }));
    t.equal(unknown.status, 403);
    checkEnvelope(t, unknown.error, 403, undefined, 'unknown native token');

    const empty = await failure(frontend.performNativeLogout({ performNativeLogoutBody: { session_token: '' } }));
    t.equal(empty.status, 400);
    checkEnvelope(t, empty.error, 400, 'session_token_missing', 'empty native token');
  });

  await t.test('listMySessions, disableMySession, disableMyOtherSessions', async (t) => {
    // Start clean: only the sessions made here count.
    await identityApi.deleteIdentitySessions({ id: identityId });
    const a = await nativeLogin();
    const b = await nativeLogin();
    const c = await nativeLogin();
    const me = c.session_token as string;

    const list = await frontend.listMySessions({ xSessionToken: me });
    t.equal(list.status, 200);
    t.same(list.data.map((s) => s.id).sort(), [a.session.id, b.session.id].sort(), 'the other active sessions');
    list.data.forEach((s, i) => checkSession(t, s, `listMySessions[${i}]`));
    const issued = list.data.map((s) => Date.parse(s.issued_at as string));
    t.ok(issued.every((v, i) => i === 0 || (issued[i - 1] as number) >= v), 'newest first');
    t.equal(list.headers['x-total-count'], '2');
    t.match(String(list.headers.link), /rel="first"/);

    const paged = await frontend.listMySessions({ xSessionToken: me, pageSize: 1 });
    t.equal(paged.data.length, 1);
    const next = /<([^>]+)>; rel="next"/.exec(String(paged.headers.link))?.[1];
    t.ok(next, 'Link rel="next"');
    const pageToken = new URL(next as string).searchParams.get('page_token') as string;
    const page2 = await frontend.listMySessions({ xSessionToken: me, pageSize: 1, pageToken });
    t.equal(page2.data.length, 1);
    t.not(page2.data[0]?.id, paged.data[0]?.id, 'the second page is another session');

    const current = await failure(frontend.disableMySession({ id: c.session.id, xSessionToken: me }));
    t.equal(current.status, 400, 'the current session cannot be disabled here');
    checkEnvelope(t, current.error, 400, 'invalid_request', 'disable current session');

    const unknown = await failure(frontend.disableMySession({ id: '00000000-0000-4000-8000-000000000000', xSessionToken: me }));
    t.equal(unknown.status, 404);
    checkEnvelope(t, unknown.error, 404, undefined, 'disable unknown session');

    const one = await frontend.disableMySession({ id: a.session.id, xSessionToken: me });
    t.equal(one.status, 204);
    t.equal((await failure(frontend.toSession({ xSessionToken: a.session_token as string }))).status, 401, 'a is revoked');

    const others = await frontend.disableMyOtherSessions({ xSessionToken: me });
    t.equal(others.status, 200);
    t.same(others.data, { count: 1 }, 'DeleteMySessionsCount');
    t.equal((await failure(frontend.toSession({ xSessionToken: b.session_token as string }))).status, 401, 'b is revoked');
    t.equal((await frontend.toSession({ xSessionToken: me })).status, 200, 'the caller is still signed in');

    const none = await failure(frontend.listMySessions());
    t.equal(none.status, 401);
    checkEnvelope(t, none.error, 401, 'session_inactive', 'listMySessions without session');
  });

  await t.test('getFlowError', async (t) => {
    const id = await forwardedErrorId(base);
    const res = await frontend.getFlowError({ id });
    t.equal(res.status, 200);
    const fe: FlowError = res.data;
    t.equal(fe.id, id);
    t.ok(isDate(fe.created_at) && isDate(fe.updated_at), 'dates');
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
    t.equal(got.status, 200);
    checkSession(t, got.data, 'getSession', { email });
    const unknown = await failure(identityApi.getSession({ id: '00000000-0000-4000-8000-000000000000' }));
    t.equal(unknown.status, 404);
    checkEnvelope(t, unknown.error, 404, undefined, 'getSession unknown');

    const all = await identityApi.listSessions({ active: true, expand: ['identity', 'devices'] });
    t.equal(all.status, 200);
    t.ok(all.data.some((s) => s.id === sid), 'listSessions includes the session');
    all.data.forEach((s, i) => checkSession(t, s, `listSessions[${i}]`, { email }));
    const first = await identityApi.listSessions({ pageSize: 1 });
    t.equal(first.data.length, 1);
    t.match(String(first.headers.link), /rel="first"/);

    const mine = await identityApi.listIdentitySessions({ id: identityId, active: true });
    t.equal(mine.status, 200);
    t.ok(mine.data.some((s) => s.id === sid), 'listIdentitySessions includes the session');
    mine.data.forEach((s, i) => checkSession(t, s, `listIdentitySessions[${i}]`, { email }));

    const before = Date.parse(got.data.expires_at as string);
    await sleep(5);
    const extended = await identityApi.extendSession({ id: sid });
    t.equal(extended.status, 200);
    checkSession(t, extended.data, 'extendSession', { email });
    t.ok(Date.parse(extended.data.expires_at as string) > before, 'expires_at moved forward');
    t.equal((await failure(identityApi.extendSession({ id: '00000000-0000-4000-8000-000000000000' }))).status, 404, 'extend unknown → 404');

    const disabled = await identityApi.disableSession({ id: sid });
    t.equal(disabled.status, 204);
    t.equal((await identityApi.disableSession({ id: sid })).status, 204, 'already revoked → 204');
    t.equal((await failure(frontend.toSession({ xSessionToken: login.session_token as string }))).status, 401);
    const revoked = await identityApi.getSession({ id: sid });
    t.equal(revoked.data.active, false, 'a revoked session reads as inactive');
    const missing = await failure(identityApi.disableSession({ id: '00000000-0000-4000-8000-000000000000' }));
    t.equal(missing.status, 404);
    checkEnvelope(t, missing.error, 404, undefined, 'disableSession unknown');
    t.equal((await failure(identityApi.extendSession({ id: sid }))).status, 404, 'extend revoked → 404');

    const x = await nativeLogin();
    const y = await nativeLogin();
    const wiped = await identityApi.deleteIdentitySessions({ id: identityId });
    t.equal(wiped.status, 204);
    for (const s of [x, y]) t.equal((await failure(frontend.toSession({ xSessionToken: s.session_token as string }))).status, 401);
    const inactive = await identityApi.listIdentitySessions({ id: identityId, active: true });
    t.same(inactive.data, [], 'no active sessions left');
  });
});

t.test('@ory/client: an expired login flow → 410 self_service_flow_expired', async (t) => {
  const server = await startServer({ selfservice: { flows: { login: { lifespan: '1s' } } } });
  t.teardown(() => server.close());
  const frontend = new FrontendApi(new Configuration({ basePath: server.base }));
  const identityApi = new IdentityApi(new Configuration({ basePath: server.adminBase }));
  await identityApi.createIdentity({ createIdentityBody: { schema_id: 'default', traits: { email: 'expiry@example.com' }, credentials: { password: { config: { password: PASSWORD } } } } });

  const flow = await frontend.createNativeLoginFlow();
  await sleep(1100);
  const expired = await failure(
    frontend.updateLoginFlow({ flow: flow.data.id, updateLoginFlowBody: { method: 'password', identifier: 'expiry@example.com', password: PASSWORD } }),
  );
  t.equal(expired.status, 410);
  checkEnvelope(t, expired.error, 410, 'self_service_flow_expired', 'expired flow');
  t.equal((expired.error.details as { flow_id?: string } | undefined)?.flow_id, flow.data.id);
  t.equal((await failure(frontend.getLoginFlow({ id: flow.data.id }))).status, 410, 'getLoginFlow → 410 too');
});
