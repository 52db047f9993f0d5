// Secrets (SPEC §2): session-token format and entropy, the derived logout token, cookie-secret
// rotation, and that no credential ever reaches the logs.
//
// Oracles are computed here with node:crypto rather than taken from src/sessions/tokens.ts, so a
// wrong derivation there cannot agree with itself.

import t from 'tap';
import { createHmac } from 'node:crypto';
import { LOGOUT_API_PATH, LOGOUT_BROWSER_PATH, LOGOUT_PATH } from '../../src/flows/logout/routes.js';
import { LOGIN_API_PATH, LOGIN_BROWSER_PATH } from '../../src/flows/login/routes.js';
import { LOGIN_PATH } from '../../src/flows/login/login-flow.js';
import { WHOAMI_PATH } from '../../src/sessions/routes.js';
import { generateSessionToken } from '../../src/sessions/tokens.js';
import { PASSWORD, TEST_SECRET, cookieHeader, cookiesOf, createIdentity, loginBrowser, loginNative, testApp } from '../helpers/app.js';
import { lineCollector } from './support.js';

const URL_SAFE = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const SESSION_TOKEN = /^ory_st_([A-Za-z0-9_-]{32,})$/;
const LOGOUT_TOKEN = /^ory_lo_[A-Za-z0-9_-]{43}$/;
const JSON_ACCEPT = { accept: 'application/json' };
const HTML = { accept: 'text/html' };

/** SPEC §2, computed independently: ory_lo_ + base64url(HMAC-SHA256(key = session token, "logout")). */
function expectedLogoutToken(sessionToken: string): string {
  return `ory_lo_${createHmac('sha256', sessionToken).update('logout').digest('base64url')}`;
}

/** @fastify/cookie's signature format (cookie-signature): value + "." + base64(HMAC-SHA256(secret, value)) without padding. */
function signedWith(secret: string, value: string): string {
  return `${value}.${createHmac('sha256', secret).update(value).digest('base64').replace(/=+$/, '')}`;
}

/** Pearson's chi-square statistic of observed counts against a uniform expectation. */
function chiSquare(counts: number[], total: number): number {
  const expected = total / counts.length;
  return counts.reduce((sum, c) => sum + ((c - expected) ** 2) / expected, 0);
}

t.test('session tokens issued over HTTP: ory_st_ + ≥ 32 URL-safe characters, distinct', async (t) => {
  const app = await testApp({ rate_limit: { enabled: false } });
  t.teardown(() => app.close());
  await createIdentity(app, 'tokens@example.com');
  const tokens = new Set<string>();
  for (let i = 0; i < 10; i++) {
    const { session_token: token, session } = await loginNative(app, 'tokens@example.com');
    t.match(token, SESSION_TOKEN, `native login token ${i} has the format`);
    t.notOk(JSON.stringify(session).includes(token), 'the Session JSON never contains the token');
    tokens.add(token);
  }
  const { sessionCookie } = await loginBrowser(app, 'tokens@example.com');
  const browserToken = app.public.unsignCookie(sessionCookie).value as string;
  t.match(browserToken, SESSION_TOKEN, 'the token inside the browser cookie has the format');
  tokens.add(browserToken);
  t.equal(tokens.size, 11, 'every login got a new token');
});

t.test('session token entropy: 1 000 distinct, alphabet of 64, roughly uniform per character and position', async (t) => {
  // 1 000 logins would spend minutes in scrypt; the manager issues exactly what this generator returns.
  const N = 1000;
  const tokens = Array.from({ length: N }, () => generateSessionToken());
  t.equal(new Set(tokens).size, N, 'all distinct');
  const randoms = tokens.map((tok) => SESSION_TOKEN.exec(tok)?.[1] ?? '');
  t.ok(randoms.every((r) => r.length >= 32), 'each has ≥ 32 random characters');
  const length = Math.min(...randoms.map((r) => r.length));

  const counts = new Map<string, number>();
  for (const r of randoms) for (const c of r) counts.set(c, (counts.get(c) ?? 0) + 1);
  t.same([...counts.keys()].sort(), [...URL_SAFE].sort(), 'exactly the 64-symbol URL-safe alphabet is used (≥ 190 bits over 32 characters)');
  t.ok(Math.log2(counts.size) * length >= 190, `${length} characters × log2(${counts.size}) ≥ 190 bits`);

  // Over all characters: 63 degrees of freedom, mean 63, sd ≈ 11; 140 is p < 1e-6.
  const total = randoms.reduce((n, r) => n + r.length, 0);
  const overall = chiSquare([...URL_SAFE].map((c) => counts.get(c) ?? 0), total);
  t.ok(overall < 140, `per-character distribution is uniform (χ² = ${overall.toFixed(1)}, 63 dof)`);

  // Per position (a stuck or biased position would hide in the total): 1 000 samples over 64 symbols each.
  let worst = 0;
  for (let pos = 0; pos < length; pos++) {
    const perPos = new Map<string, number>();
    for (const r of randoms) perPos.set(r[pos] as string, (perPos.get(r[pos] as string) ?? 0) + 1);
    worst = Math.max(worst, chiSquare([...URL_SAFE].map((c) => perPos.get(c) ?? 0), N));
  }
  // The maximum of 32 χ²(63) values: 150 is still p < 1e-6 for the lot.
  t.ok(worst < 150, `every position is uniform (worst χ² = ${worst.toFixed(1)})`);

  // A sanity check of the statistic itself: a biased sample must fail the same threshold.
  const biased = randoms.map((r) => r.replace(/[A-F]/g, 'a'));
  const biasedCounts = new Map<string, number>();
  for (const r of biased) for (const c of r) biasedCounts.set(c, (biasedCounts.get(c) ?? 0) + 1);
  t.ok(chiSquare([...URL_SAFE].map((c) => biasedCounts.get(c) ?? 0), total) > 140, 'a biased alphabet would be caught');
});

t.test('logout token: ory_lo_ + 43 base64url characters = HMAC-SHA256(session token, "logout")', async (t) => {
  const app = await testApp({ rate_limit: { enabled: false } });
  t.teardown(() => app.close());
  await createIdentity(app, 'logout-token@example.com');

  const { session_token: nativeToken } = await loginNative(app, 'logout-token@example.com');
  const byHeader = await app.public.inject({ method: 'GET', url: LOGOUT_BROWSER_PATH, headers: { 'x-session-token': nativeToken, ...JSON_ACCEPT } });
  t.equal(byHeader.statusCode, 200);
  const native = byHeader.json() as { logout_url: string; logout_token: string };
  t.match(native.logout_token, LOGOUT_TOKEN, 'format');
  t.equal(native.logout_token, expectedLogoutToken(nativeToken), 'equals the HMAC of the session token');
  t.equal(new URL(native.logout_url).searchParams.get('token'), native.logout_token, 'logout_url carries the same token');

  const { cookie, sessionCookie } = await loginBrowser(app, 'logout-token@example.com');
  const browserToken = app.public.unsignCookie(sessionCookie).value as string;
  const first = (await app.public.inject({ method: 'GET', url: LOGOUT_BROWSER_PATH, headers: { cookie, ...JSON_ACCEPT } })).json() as { logout_token: string };
  const again = (await app.public.inject({ method: 'GET', url: LOGOUT_BROWSER_PATH, headers: { cookie, ...JSON_ACCEPT } })).json() as { logout_token: string };
  t.equal(first.logout_token, expectedLogoutToken(browserToken), 'browser session: equals the HMAC of the token in the cookie');
  t.equal(again.logout_token, first.logout_token, 'fixed for the session’s life');
  t.not(first.logout_token, native.logout_token, 'different sessions, different logout tokens');
  t.notOk(first.logout_token.includes(browserToken.slice(7)), 'the logout token does not contain the session token');
});

t.test('cookie secret rotation: the first signs, all verify', async (t) => {
  const OLD = 'old-cookie-secret-0123456789-abcdefghijklmnop';
  const NEW = 'new-cookie-secret-0123456789-abcdefghijklmnop';
  const EMAIL = 'rotation@example.com';
  const whoami = async (app: Awaited<ReturnType<typeof testApp>>, cookie: string) =>
    (await app.public.inject({ method: 'GET', url: WHOAMI_PATH, headers: { cookie } })).statusCode;

  const app1 = await testApp({ secrets: { cookie: [OLD] }, rate_limit: { enabled: false } });
  t.teardown(() => app1.close());
  await createIdentity(app1, EMAIL);
  const old = await loginBrowser(app1, EMAIL);
  const oldToken = app1.public.unsignCookie(old.sessionCookie).value as string;
  t.equal(old.sessionCookie, signedWith(OLD, oldToken), 'app1 signs with its only secret');

  const deps = { store: app1.context.store };
  const app2 = await testApp({ secrets: { cookie: [NEW, OLD] }, rate_limit: { enabled: false } }, deps);
  t.teardown(() => app2.close());
  t.equal(await whoami(app2, old.cookie), 200, '[new, old]: the old cookie still authenticates');
  const fresh = await loginBrowser(app2, EMAIL);
  const freshToken = app2.public.unsignCookie(fresh.sessionCookie).value as string;
  t.equal(fresh.sessionCookie, signedWith(NEW, freshToken), '[new, old]: a new login is signed with the first (new) secret');
  t.not(fresh.sessionCookie, signedWith(OLD, freshToken), 'and not with the old one');
  t.equal(await whoami(app2, fresh.cookie), 200, '[new, old]: the new cookie authenticates');

  const onlyOld = await testApp({ secrets: { cookie: [OLD] } }, deps);
  t.teardown(() => onlyOld.close());
  t.equal(await whoami(onlyOld, fresh.cookie), 401, '[old] alone cannot verify the new cookie');

  const onlyNew = await testApp({ secrets: { cookie: [NEW] } }, deps);
  t.teardown(() => onlyNew.close());
  t.equal(await whoami(onlyNew, fresh.cookie), 200, '[new] verifies the new cookie');
  t.equal(await whoami(onlyNew, old.cookie), 401, '[new] rejects the old cookie');
  t.equal(await whoami(onlyNew, `ory_kratos_session=${oldToken}`), 401, 'an unsigned token in the cookie is rejected');
  t.equal(await whoami(onlyNew, `ory_kratos_session=${signedWith(TEST_SECRET, oldToken)}`), 401, 'a cookie signed with secrets.default is rejected when secrets.cookie is set');
});

t.test('no credential ever appears in the logs (level trace)', async (t) => {
  const logs = lineCollector();
  const app = await testApp({ log: { level: 'trace' }, rate_limit: { enabled: false } }, { logStream: logs.stream });
  t.teardown(() => app.close());
  const EMAIL = 'logs@example.com';
  const WRONG_PASSWORD = 'wrong-password-that-must-not-be-logged';
  const secrets: Array<[string, string]> = [
    ['password', PASSWORD],
    ['wrong password', WRONG_PASSWORD],
    ['cookie secret', TEST_SECRET],
  ];
  await createIdentity(app, EMAIL);

  // Native: flow, a failed and a good login, whoami three ways, createBrowserLogoutFlow, native logout (body).
  const apiFlow = (await app.public.inject({ method: 'GET', url: LOGIN_API_PATH })).json() as { id: string };
  await app.public.inject({ method: 'POST', url: `${LOGIN_PATH}?flow=${apiFlow.id}`, payload: { method: 'password', identifier: EMAIL, password: WRONG_PASSWORD } });
  const native = await loginNative(app, EMAIL);
  secrets.push(['native session token', native.session_token]);
  for (const headers of [{ 'x-session-token': native.session_token }, { authorization: `Bearer ${native.session_token}` }]) {
    t.equal((await app.public.inject({ method: 'GET', url: WHOAMI_PATH, headers })).statusCode, 200);
  }
  const nativeFlow = (await app.public.inject({ method: 'GET', url: LOGOUT_BROWSER_PATH, headers: { 'x-session-token': native.session_token, ...JSON_ACCEPT } })).json() as {
    logout_token: string;
  };
  secrets.push(['native logout token', nativeFlow.logout_token]);

  // Browser: flow with CSRF cookie and token, form login, whoami, createBrowserLogoutFlow, logout by the GET link.
  const start = await app.public.inject({ method: 'GET', url: LOGIN_BROWSER_PATH, headers: HTML });
  const csrfCookies = cookiesOf(start);
  const flowId = new URL(String(start.headers.location)).searchParams.get('flow') as string;
  const csrfToken = (await app.context.store.getLoginFlow(flowId))?.csrfToken as string;
  for (const [name, value] of Object.entries(csrfCookies)) secrets.push([`cookie ${name}`, value]);
  secrets.push(['CSRF token', csrfToken]);
  const login = await app.public.inject({
    method: 'POST',
    url: `${LOGIN_PATH}?flow=${flowId}`,
    headers: { cookie: cookieHeader(csrfCookies), ...HTML, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ csrf_token: csrfToken, method: 'password', identifier: EMAIL, password: PASSWORD }).toString(),
  });
  t.equal(login.statusCode, 303, 'browser login');
  const sessionCookie = cookiesOf(login).ory_kratos_session as string;
  const browserToken = app.public.unsignCookie(sessionCookie).value as string;
  secrets.push(['session cookie', sessionCookie], ['browser session token', browserToken]);
  const cookie = `ory_kratos_session=${sessionCookie}`;
  t.equal((await app.public.inject({ method: 'GET', url: WHOAMI_PATH, headers: { cookie } })).statusCode, 200);
  const flow = (await app.public.inject({ method: 'GET', url: LOGOUT_BROWSER_PATH, headers: { cookie, ...JSON_ACCEPT } })).json() as { logout_url: string; logout_token: string };
  secrets.push(['browser logout token', flow.logout_token]);
  // A wrong token first (an error path), then the real link.
  await app.public.inject({ method: 'GET', url: `${LOGOUT_PATH}?token=${nativeFlow.logout_token}`, headers: { cookie, ...HTML } });
  const link = new URL(flow.logout_url);
  const logout = await app.public.inject({ method: 'GET', url: `${link.pathname}${link.search}`, headers: { cookie, ...HTML } });
  t.equal(logout.statusCode, 303, 'browser logout by the link');

  // Native logout, by body and by Bearer (a second session), and a repeat of each.
  t.equal((await app.public.inject({ method: 'DELETE', url: LOGOUT_API_PATH, payload: { session_token: native.session_token } })).statusCode, 204);
  t.equal((await app.public.inject({ method: 'DELETE', url: LOGOUT_API_PATH, payload: { session_token: native.session_token } })).statusCode, 204);
  const second = await loginNative(app, EMAIL);
  secrets.push(['second native session token', second.session_token]);
  t.equal((await app.public.inject({ method: 'DELETE', url: LOGOUT_API_PATH, headers: { authorization: `Bearer ${second.session_token}` } })).statusCode, 204);
  // A malformed body that quotes a token back must not put it in the logs either.
  await app.public.inject({ method: 'DELETE', url: LOGOUT_API_PATH, headers: { 'content-type': 'application/json' }, payload: `{"session_token": "${second.session_token}"` });

  const text = logs.lines.join('\n');
  t.ok(logs.lines.length >= 20, `logs are not empty (${logs.lines.length} lines)`);
  t.ok(logs.lines.every((l) => typeof (JSON.parse(l) as { level?: unknown }).level === 'number'), 'every line is a pino JSON line');
  t.match(text, /session created/, 'the audit trail is logged (positive control: the logger saw the logins)');
  t.match(text, /session revoked/, 'revocations are logged');
  t.match(text, new RegExp(`${LOGOUT_PATH.replace(/\//g, '\\/')}\\?token=\\[Redacted\\]`), 'the logout link was logged, with its token redacted');
  for (const [name, value] of secrets) {
    t.notOk(text.includes(value), `${name} is not in the logs`);
    // Also the random part alone and its URL-encoded form, in case something reformats it.
    const core = value.replace(/^ory_(?:st|lo)_/, '');
    if (core !== value) t.notOk(text.includes(core), `${name} (without prefix) is not in the logs`);
    if (encodeURIComponent(value) !== value) t.notOk(text.includes(encodeURIComponent(value)), `${name} (URL-encoded) is not in the logs`);
  }
});
