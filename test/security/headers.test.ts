// Response headers as a security boundary (SPEC §2, §4, §6 rule 6, §10):
// - user input (return_to, token, X-Request-Id, flow and error ids, Host) never reaches a response
//   header unencoded: no raw CR/LF, no injected header or cookie;
// - every response that carries or reveals a session or a token is `Cache-Control: no-store`;
// - HTML pages send a strict CSP (no 'unsafe-inline', frame-ancestors 'none'), nosniff and
//   no-referrer, contain no inline script, and escape user data.

import t from 'tap';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { ErrorIds } from '../../src/errors/http-error.js';
import { FLOW_ERROR_PATH } from '../../src/errors/routes.js';
import { LOGOUT_API_PATH, LOGOUT_BROWSER_PATH, LOGOUT_PATH } from '../../src/flows/logout/routes.js';
import { LOGIN_API_PATH, LOGIN_BROWSER_PATH, LOGIN_FLOWS_PATH } from '../../src/flows/login/routes.js';
import { LOGIN_PATH } from '../../src/flows/login/login-flow.js';
import { ERROR_UI_PATH, HOME_PATH, LOGIN_UI_PATH, SIGNED_OUT_PATH } from '../../src/pages/routes.js';
import { WHOAMI_PATH } from '../../src/sessions/routes.js';
import { logoutTokenFor } from '../../src/sessions/tokens.js';
import { BASE, PASSWORD, cookieHeader, cookiesOf, createIdentity, loginBrowser, loginNative, testApp } from '../helpers/app.js';

type Test = Parameters<Parameters<typeof t.test>[0]>[0];

const EMAIL = 'headers@example.com';
const HTML = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };
const JSON_ACCEPT = { accept: 'application/json' };
const INJECTION = '\r\nSet-Cookie: injected=1\r\nX-Injected: 1';

const shared = (async () => {
  const app = await testApp({ rate_limit: { enabled: false } });
  await createIdentity(app, EMAIL);
  return app;
})();
t.teardown(async () => (await shared).close());

/** No raw CR/LF in any header, and no header or cookie the request made up. */
function assertNoInjection(t: Test, res: LightMyRequestResponse, label: string): void {
  t.ok(res.statusCode < 500, `${label}: no server error (${res.statusCode})`);
  for (const [name, value] of Object.entries(res.headers)) {
    t.notMatch(name, /injected/i, `${label}: no injected header (${name})`);
    for (const v of Array.isArray(value) ? value : [String(value)]) t.notMatch(v, /[\r\n]/, `${label}: ${name} has no raw CR/LF`);
  }
  const setCookies = ([] as unknown[]).concat(res.headers['set-cookie'] ?? []).map(String);
  t.notOk(setCookies.some((c) => /^\s*injected=/i.test(c)), `${label}: no injected cookie`);
  t.notOk(cookiesOf(res).injected, `${label}: no injected cookie (parsed)`);
}

function enc(v: string): string {
  return encodeURIComponent(v);
}

t.test('CRLF in X-Request-Id is never echoed; a well-formed one is', async (t) => {
  const app = await shared;
  for (const bad of [`req${INJECTION}`, 'a\rb', 'a\nb', 'a b', '<script>', 'x'.repeat(129), 'é']) {
    const res = await app.public.inject({ method: 'GET', url: WHOAMI_PATH, headers: { 'x-request-id': bad } });
    assertNoInjection(t, res, `X-Request-Id ${JSON.stringify(bad).slice(0, 40)}`);
    t.not(res.headers['x-request-id'], bad, 'a malformed X-Request-Id is replaced');
    t.not((res.json() as { error: { request: string } }).error.request, bad, 'and not echoed in the envelope');
  }
  const good = await app.public.inject({ method: 'GET', url: WHOAMI_PATH, headers: { 'x-request-id': 'trace-123.abc:@-_' } });
  t.equal(good.headers['x-request-id'], 'trace-123.abc:@-_', 'a well-formed X-Request-Id is echoed (positive control)');
  const admin = await app.admin.inject({ method: 'GET', url: '/health/alive', headers: { 'x-request-id': `r${INJECTION}` } });
  assertNoInjection(t, admin, 'admin X-Request-Id');
});

t.test('CRLF in return_to never reaches Location', async (t) => {
  const app = await shared;
  const { cookie } = await loginBrowser(app, EMAIL);
  const session = (await app.public.inject({ method: 'GET', url: WHOAMI_PATH, headers: { cookie } })).json() as { identity: { id: string } };
  const nativeToken = (await loginNative(app, EMAIL)).session_token;
  const returnTos = [
    `https://app.example.com/${INJECTION}`,
    `/signed-out${INJECTION}`,
    `https://evil.example/${INJECTION}`,
    // Percent-encoded CRLF is allowed in a path; it must stay encoded in the Location.
    'https://app.example.com/%0d%0aSet-Cookie:%20injected=1',
    'https://app.example.com/%0D%0AX-Injected:%201',
  ];
  for (const rt of returnTos) {
    const label = `return_to ${JSON.stringify(rt)}`;
    const flow = await app.public.inject({ method: 'GET', url: `${LOGOUT_BROWSER_PATH}?return_to=${enc(rt)}`, headers: { cookie, ...HTML } });
    assertNoInjection(t, flow, `createBrowserLogoutFlow ${label}`);
    if (flow.statusCode === 200) t.notMatch((flow.json() as { logout_url: string }).logout_url, /[\r\n]/, 'logout_url carries no raw CR/LF');

    // A wrong logout token, so the session survives every case.
    const logout = await app.public.inject({ method: 'GET', url: `${LOGOUT_PATH}?token=ory_lo_wrong&return_to=${enc(rt)}`, headers: { cookie, ...HTML } });
    assertNoInjection(t, logout, `updateLogoutFlow ${label}`);
    const post = await app.public.inject({
      method: 'POST',
      url: LOGOUT_PATH,
      headers: { cookie, ...HTML, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ token: 'ory_lo_wrong', return_to: rt }).toString(),
    });
    assertNoInjection(t, post, `POST logout ${label}`);
    const login = await app.public.inject({ method: 'GET', url: `${LOGIN_BROWSER_PATH}?return_to=${enc(rt)}`, headers: HTML });
    assertNoInjection(t, login, `login/browser ${label}`);
  }

  // A successful logout to an allowed URL with encoded CRLF: the Location keeps it encoded.
  const s = await app.context.sessions.create(session.identity.id, { ip: '127.0.0.1', userAgent: 'headers-test', now: Date.now() });
  const ok = await app.public.inject({
    method: 'GET',
    url: `${LOGOUT_PATH}?token=${logoutTokenFor(s.token)}&return_to=${enc('https://app.example.com/%0d%0aSet-Cookie:%20injected=1')}`,
    headers: { cookie: `ory_kratos_session=${app.public.signCookie(s.token)}`, ...HTML },
  });
  t.equal(ok.statusCode, 303, 'the logout itself succeeded');
  t.equal(ok.headers.location, 'https://app.example.com/%0d%0aSet-Cookie:%20injected=1', 'Location is the re-serialised URL, CRLF still percent-encoded');
  assertNoInjection(t, ok, 'successful logout');

  // The native session is untouched by all of the above.
  t.equal((await app.public.inject({ method: 'GET', url: WHOAMI_PATH, headers: { 'x-session-token': nativeToken } })).statusCode, 200, 'native session alive');
});

t.test('CRLF in tokens, flow ids and error ids never reaches a header', async (t) => {
  const app = await shared;
  const { cookie } = await loginBrowser(app, EMAIL);
  const bad = `x${INJECTION}`;
  const requests: Array<[string, InjectOptions]> = [
    ['logout token (GET, browser)', { method: 'GET', url: `${LOGOUT_PATH}?token=${enc(bad)}`, headers: { cookie, ...HTML } }],
    ['logout token (GET, JSON)', { method: 'GET', url: `${LOGOUT_PATH}?token=${enc(bad)}`, headers: { cookie, ...JSON_ACCEPT } }],
    ['logout token (POST)', { method: 'POST', url: LOGOUT_PATH, headers: { cookie, ...HTML, 'content-type': 'application/x-www-form-urlencoded' }, payload: `token=${enc(bad)}` }],
    ['native logout body token', { method: 'DELETE', url: LOGOUT_API_PATH, headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ session_token: `ory_st_${bad}` }) }],
    ['native logout bearer', { method: 'DELETE', url: LOGOUT_API_PATH, headers: { authorization: `Bearer ory_st_x${INJECTION}` } }],
    ['X-Session-Token', { method: 'GET', url: WHOAMI_PATH, headers: { 'x-session-token': `ory_st_${bad}` } }],
    ['session cookie', { method: 'GET', url: WHOAMI_PATH, headers: { cookie: `ory_kratos_session=ory_st_${enc(bad)}.sig` } }],
    ['login flow id (submit)', { method: 'POST', url: `${LOGIN_PATH}?flow=${enc(bad)}`, headers: { ...HTML, 'content-type': 'application/x-www-form-urlencoded' }, payload: 'method=password' }],
    ['login flow id (get)', { method: 'GET', url: `${LOGIN_FLOWS_PATH}?id=${enc(bad)}` }],
    ['login UI flow id', { method: 'GET', url: `${LOGIN_UI_PATH}?flow=${enc(bad)}`, headers: HTML }],
    ['error id (API)', { method: 'GET', url: `${FLOW_ERROR_PATH}?id=${enc(bad)}` }],
    ['error UI id', { method: 'GET', url: `${ERROR_UI_PATH}?id=${enc(bad)}`, headers: HTML }],
    ['unknown path', { method: 'GET', url: `/nope/${enc(bad)}` }],
  ];
  for (const [label, req] of requests) assertNoInjection(t, await app.public.inject(req), label);
});

t.test('the Host header never shapes URLs the server hands out', async (t) => {
  const app = await shared;
  const { cookie } = await loginBrowser(app, EMAIL);
  const flow = await app.public.inject({ method: 'GET', url: LOGOUT_BROWSER_PATH, headers: { cookie, host: 'evil.example', 'x-forwarded-host': 'evil.example', ...JSON_ACCEPT } });
  t.equal(flow.statusCode, 200);
  t.ok((flow.json() as { logout_url: string }).logout_url.startsWith(`${BASE}${LOGOUT_PATH}?`), 'logout_url is built from serve.public.base_url');
  const login = await app.public.inject({ method: 'GET', url: LOGIN_BROWSER_PATH, headers: { host: 'evil.example', 'x-forwarded-host': 'evil.example', ...HTML } });
  t.ok(String(login.headers.location).startsWith(`${BASE}${LOGIN_UI_PATH}?`), 'the login UI redirect is built from config');
  const api = await app.public.inject({ method: 'GET', url: LOGIN_API_PATH, headers: { host: 'evil.example' } });
  t.ok((api.json() as { ui: { action: string } }).ui.action.startsWith(`${BASE}${LOGIN_PATH}?`), 'ui.action is built from config');
});

/** Cache-Control must forbid storing; `no-store` is the one directive that does. */
function assertNoStore(t: Test, res: LightMyRequestResponse, label: string): void {
  const cc = String(res.headers['cache-control'] ?? '');
  t.ok(cc.split(',').map((d) => d.trim().toLowerCase()).includes('no-store'), `${label} (${res.statusCode}): Cache-Control "${cc}" has no-store`);
}

t.test('every response that carries or reveals a session or token is no-store', async (t) => {
  const app = await shared;
  // Native login: flow, submit (session_token in the body).
  const apiFlow = await app.public.inject({ method: 'GET', url: LOGIN_API_PATH });
  assertNoStore(t, apiFlow, 'createNativeLoginFlow');
  const apiFlowId = (apiFlow.json() as { id: string }).id;
  const nativeLogin = await app.public.inject({
    method: 'POST',
    url: `${LOGIN_PATH}?flow=${apiFlowId}`,
    payload: { method: 'password', identifier: EMAIL, password: PASSWORD },
  });
  t.equal(nativeLogin.statusCode, 200);
  assertNoStore(t, nativeLogin, 'native login (session_token)');
  const token = (nativeLogin.json() as { session_token: string }).session_token;
  assertNoStore(t, await app.public.inject({ method: 'GET', url: `${LOGIN_FLOWS_PATH}?id=${apiFlowId}` }), 'getLoginFlow');
  const failed = await app.public.inject({ method: 'POST', url: `${LOGIN_PATH}?flow=${apiFlowId}`, payload: { method: 'password', identifier: EMAIL, password: 'wrong' } });
  assertNoStore(t, failed, 'failed login (flow)');

  // Browser login: the flow (CSRF cookie and token), the submit (session cookie), the SPA variant.
  const start = await app.public.inject({ method: 'GET', url: LOGIN_BROWSER_PATH, headers: HTML });
  assertNoStore(t, start, 'createBrowserLoginFlow (303 + CSRF cookie)');
  const startJson = await app.public.inject({ method: 'GET', url: LOGIN_BROWSER_PATH, headers: JSON_ACCEPT });
  assertNoStore(t, startJson, 'createBrowserLoginFlow (JSON, carries the CSRF token)');
  const flowId = new URL(String(start.headers.location)).searchParams.get('flow') as string;
  const csrf = (await app.context.store.getLoginFlow(flowId))?.csrfToken as string;
  assertNoStore(t, await app.public.inject({ method: 'GET', url: `${LOGIN_UI_PATH}?flow=${flowId}`, headers: { ...HTML, cookie: cookieHeader(cookiesOf(start)) } }), 'login page (CSRF token)');
  const browserLogin = await app.public.inject({
    method: 'POST',
    url: `${LOGIN_PATH}?flow=${flowId}`,
    headers: { cookie: cookieHeader(cookiesOf(start)), ...HTML, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ csrf_token: csrf, method: 'password', identifier: EMAIL, password: PASSWORD }).toString(),
  });
  t.equal(browserLogin.statusCode, 303);
  assertNoStore(t, browserLogin, 'browser login (Set-Cookie)');
  const cookie = `ory_kratos_session=${cookiesOf(browserLogin).ory_kratos_session}`;
  const spaStart = await app.public.inject({ method: 'GET', url: LOGIN_BROWSER_PATH, headers: JSON_ACCEPT });
  const spaFlow = spaStart.json() as { id: string; ui: { nodes: Array<{ attributes: { name: string; value?: string } }> } };
  const spaLogin = await app.public.inject({
    method: 'POST',
    url: `${LOGIN_PATH}?flow=${spaFlow.id}`,
    headers: { cookie: cookieHeader(cookiesOf(spaStart)), 'content-type': 'application/json' },
    payload: { csrf_token: spaFlow.ui.nodes.find((n) => n.attributes.name === 'csrf_token')?.attributes.value, method: 'password', identifier: EMAIL, password: PASSWORD },
  });
  t.equal(spaLogin.statusCode, 200);
  assertNoStore(t, spaLogin, 'SPA login (session + cookie)');

  // Whoami by each credential, and its 401.
  assertNoStore(t, await app.public.inject({ method: 'GET', url: WHOAMI_PATH, headers: { cookie } }), 'whoami (cookie)');
  assertNoStore(t, await app.public.inject({ method: 'GET', url: WHOAMI_PATH, headers: { 'x-session-token': token } }), 'whoami (X-Session-Token)');
  assertNoStore(t, await app.public.inject({ method: 'GET', url: WHOAMI_PATH, headers: { authorization: `Bearer ${token}` } }), 'whoami (Bearer)');
  assertNoStore(t, await app.public.inject({ method: 'GET', url: WHOAMI_PATH }), 'whoami (401)');
  assertNoStore(t, await app.public.inject({ method: 'GET', url: HOME_PATH, headers: { cookie, ...HTML } }), 'home page (shows the session and a logout link)');

  // createBrowserLogoutFlow (the logout token), JSON and browser.
  const flow = await app.public.inject({ method: 'GET', url: LOGOUT_BROWSER_PATH, headers: { cookie, ...JSON_ACCEPT } });
  assertNoStore(t, flow, 'createBrowserLogoutFlow (JSON)');
  assertNoStore(t, await app.public.inject({ method: 'GET', url: LOGOUT_BROWSER_PATH, headers: { cookie, ...HTML } }), 'createBrowserLogoutFlow (browser)');
  const logoutUrl = new URL((flow.json() as { logout_url: string }).logout_url);

  // Logout: mismatch, success (cookie cleared), graceful repeat; POST; native.
  assertNoStore(t, await app.public.inject({ method: 'GET', url: `${LOGOUT_PATH}?token=ory_lo_wrong`, headers: { cookie, ...JSON_ACCEPT } }), 'updateLogoutFlow (403)');
  const logout = await app.public.inject({ method: 'GET', url: `${logoutUrl.pathname}${logoutUrl.search}`, headers: { cookie, ...HTML } });
  t.equal(logout.statusCode, 303);
  assertNoStore(t, logout, 'updateLogoutFlow (303, clears the cookie)');
  assertNoStore(t, await app.public.inject({ method: 'GET', url: `${logoutUrl.pathname}${logoutUrl.search}`, headers: { cookie, ...HTML } }), 'updateLogoutFlow (graceful repeat)');
  const { cookie: cookie2, sessionCookie } = await loginBrowser(app, EMAIL);
  const token2 = logoutTokenFor(app.public.unsignCookie(sessionCookie).value as string);
  const post = await app.public.inject({
    method: 'POST',
    url: LOGOUT_PATH,
    headers: { cookie: cookie2, ...JSON_ACCEPT, 'content-type': 'application/json' },
    payload: { token: token2 },
  });
  t.equal(post.statusCode, 204);
  assertNoStore(t, post, 'POST updateLogoutFlow (204)');
  const native = await app.public.inject({ method: 'DELETE', url: LOGOUT_API_PATH, payload: { session_token: token } });
  t.equal(native.statusCode, 204);
  assertNoStore(t, native, 'performNativeLogout (204)');
  assertNoStore(t, await app.public.inject({ method: 'DELETE', url: LOGOUT_API_PATH, payload: { session_token: 'ory_st_unknown' } }), 'performNativeLogout (403)');
});

/** Parses a CSP header into directive → sources. */
function parseCsp(header: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const part of header.split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (name) out.set(name.toLowerCase(), sources);
  }
  return out;
}

function assertHtmlHeaders(t: Test, res: LightMyRequestResponse, label: string): void {
  t.match(String(res.headers['content-type']), /^text\/html/, `${label}: is HTML`);
  const header = String(res.headers['content-security-policy'] ?? '');
  t.not(header, '', `${label}: has a Content-Security-Policy`);
  t.notMatch(header, /unsafe-inline|unsafe-eval|unsafe-hashes/i, `${label}: CSP allows no inline code`);
  const csp = parseCsp(header);
  t.same(csp.get('frame-ancestors'), ["'none'"], `${label}: frame-ancestors 'none'`);
  // Scripts: either no script-src and default-src 'none', or a script-src without wildcards.
  const scripts = csp.get('script-src') ?? csp.get('default-src');
  t.ok(scripts, `${label}: script-src or default-src is set`);
  t.notOk(scripts?.some((s) => s === '*' || s === 'data:' || s === 'http:' || s === 'https:'), `${label}: scripts are not allowed from anywhere`);
  t.ok(csp.has('base-uri') || csp.get('default-src')?.includes("'none'"), `${label}: base-uri is constrained`);
  t.equal(res.headers['x-content-type-options'], 'nosniff', `${label}: nosniff`);
  t.equal(res.headers['referrer-policy'], 'no-referrer', `${label}: no-referrer`);
  t.notMatch(res.body, /<script\b/i, `${label}: no script element`);
  t.notMatch(res.body, /\son[a-z]+\s*=/i, `${label}: no inline event handler`);
  t.notMatch(res.body, /javascript:/i, `${label}: no javascript: URL`);
}

t.test('HTML pages: strict CSP, nosniff, no-referrer, no inline script', async (t) => {
  const app = await shared;
  const signedOutHome = await app.public.inject({ method: 'GET', url: HOME_PATH, headers: HTML });
  assertHtmlHeaders(t, signedOutHome, 'home (signed out)');
  const { cookie } = await loginBrowser(app, EMAIL);
  const home = await app.public.inject({ method: 'GET', url: HOME_PATH, headers: { cookie, ...HTML } });
  t.match(home.body, /id="logout"/, 'the signed-in home page has its logout link (positive control)');
  assertHtmlHeaders(t, home, 'home (signed in)');

  const start = await app.public.inject({ method: 'GET', url: LOGIN_BROWSER_PATH, headers: HTML });
  const login = await app.public.inject({ method: 'GET', url: String(start.headers.location).replace(BASE, ''), headers: { cookie: cookieHeader(cookiesOf(start)), ...HTML } });
  t.equal(login.statusCode, 200, 'login page rendered');
  assertHtmlHeaders(t, login, 'login');

  const forwarded = await app.public.inject({ method: 'GET', url: `${LOGOUT_BROWSER_PATH}`, headers: HTML });
  t.equal(forwarded.statusCode, 303, 'an error forwarded to the error UI');
  const error = await app.public.inject({ method: 'GET', url: String(forwarded.headers.location).replace(BASE, ''), headers: HTML });
  t.equal(error.statusCode, 200, 'error page rendered');
  assertHtmlHeaders(t, error, 'error');
  const missing = await app.public.inject({ method: 'GET', url: `${ERROR_UI_PATH}?id=unknown`, headers: HTML });
  assertHtmlHeaders(t, missing, 'error (unknown id)');
  assertHtmlHeaders(t, await app.public.inject({ method: 'GET', url: SIGNED_OUT_PATH, headers: HTML }), 'signed-out');
});

t.test('templates escape user data', async (t) => {
  const app = await shared;
  // A disallowed return_to carrying markup: its error reason quotes it, and the error UI shows the reason.
  const payload = 'https://evil.example/"><script>alert(1)</script><img src=x onerror=alert(2)>\'`=';
  const forwarded = await app.public.inject({ method: 'GET', url: `${LOGIN_BROWSER_PATH}?return_to=${enc(payload)}`, headers: HTML });
  t.equal(forwarded.statusCode, 303);
  const id = new URL(String(forwarded.headers.location)).searchParams.get('id') as string;
  const stored = (await app.public.inject({ method: 'GET', url: `${FLOW_ERROR_PATH}?id=${enc(id)}` })).json() as { error: { id: string; reason: string } };
  t.equal(stored.error.id, ErrorIds.returnToForbidden);
  t.match(stored.error.reason, '<script>alert(1)</script>', 'the stored reason really contains the markup (the test is live)');
  const page = await app.public.inject({ method: 'GET', url: `${ERROR_UI_PATH}?id=${enc(id)}`, headers: HTML });
  t.equal(page.statusCode, 200);
  t.notMatch(page.body, /<script/i, 'no live script element');
  t.notMatch(page.body, /<img/i, 'no live img element');
  t.match(page.body, '&lt;script&gt;alert(1)&lt;/script&gt;', 'the markup is shown escaped');
  t.notMatch(page.body, /"><script|' onerror/, 'quotes are escaped too');
  assertHtmlHeaders(t, page, 'error page with markup');

  // The home page shows the device's user agent, which the client chose at login.
  const agent = '<script>alert(3)</script>"onmouseover="alert(4)';
  const start = await app.public.inject({ method: 'GET', url: LOGIN_BROWSER_PATH, headers: { ...HTML, 'user-agent': agent } });
  const flowId = new URL(String(start.headers.location)).searchParams.get('flow') as string;
  const csrf = (await app.context.store.getLoginFlow(flowId))?.csrfToken as string;
  const login = await app.public.inject({
    method: 'POST',
    url: `${LOGIN_PATH}?flow=${flowId}`,
    headers: { cookie: cookieHeader(cookiesOf(start)), ...HTML, 'user-agent': agent, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ csrf_token: csrf, method: 'password', identifier: EMAIL, password: PASSWORD }).toString(),
  });
  const cookie = `ory_kratos_session=${cookiesOf(login).ory_kratos_session}`;
  const home = await app.public.inject({ method: 'GET', url: HOME_PATH, headers: { cookie, ...HTML } });
  t.match(home.body, '&lt;script&gt;alert(3)&lt;/script&gt;', 'the user agent is shown, escaped');
  t.notMatch(home.body, /<script/i, 'no live script element on the home page');
  t.notMatch(home.body, /"onmouseover=/, 'no attribute breakout');

  // A hostile X-Request-Id is replaced before it could reach the error page.
  const viaHeader = await app.public.inject({ method: 'GET', url: LOGOUT_BROWSER_PATH, headers: { ...HTML, 'x-request-id': '<b>x</b>' } });
  const errorPage = await app.public.inject({ method: 'GET', url: String(viaHeader.headers.location).replace(BASE, ''), headers: HTML });
  t.notMatch(errorPage.body, /<b>x<\/b>/, 'request id markup never rendered');
});
