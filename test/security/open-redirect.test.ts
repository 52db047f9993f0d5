// SPEC §6 and §13: an open-redirect corpus sent through every flow that takes a return_to —
// createBrowserLogoutFlow (the return_to inside logout_url), updateLogoutFlow by GET (JSON and
// browser) and by POST (form and JSON), and the browser login flow up to the Location after a
// successful form login. For every payload each flow either rejects it (400
// self_service_flow_return_to_forbidden for JSON, 303 to the error UI for browsers — and a logout
// then revokes nothing), or the URL it finally sends the browser to, resolved with
// `new URL(location, base)`, lies inside the allow list (support.ts models it from SPEC §6).
//
// Payloads marked `reject` must be rejected outright (SPEC §6 rules 1–5 say so); `inside` must be
// accepted (so the corpus proves the flows do redirect when they should); `either` may go both
// ways (e.g. full-width dots that normalise to an allowed host) but must never leave the list.

import t from 'tap';
import type { App } from '../../src/app.js';
import { ErrorIds } from '../../src/errors/http-error.js';
import { FLOW_ERROR_PATH } from '../../src/errors/routes.js';
import { LOGOUT_BROWSER_PATH, LOGOUT_PATH } from '../../src/flows/logout/routes.js';
import { LOGIN_BROWSER_PATH } from '../../src/flows/login/routes.js';
import { LOGIN_PATH } from '../../src/flows/login/login-flow.js';
import { ERROR_UI_PATH, LOGIN_UI_PATH } from '../../src/pages/routes.js';
import { WHOAMI_PATH } from '../../src/sessions/routes.js';
import { logoutTokenFor } from '../../src/sessions/tokens.js';
import { BASE, PASSWORD, cookieHeader, cookiesOf, createIdentity, testApp } from '../helpers/app.js';
import { insideAllowList } from './support.js';

type Expect = 'reject' | 'inside' | 'either';
interface Payload {
  name: string;
  value: string;
  expect: Expect;
}

/** A subtest (the last overload of t.test takes just the callback). */
type Test = Parameters<Parameters<typeof t.test>[0]>[0];

const P = (name: string, value: string, expect: Expect): Payload => ({ name, value, expect });

const CORPUS: Payload[] = [
  // Protocol-relative and slash games.
  P('protocol-relative', '//evil.example', 'reject'),
  P('protocol-relative with allowed path', '//evil.example/dashboard', 'reject'),
  P('triple slash', '///evil.example', 'reject'),
  P('quadruple slash', '////evil.example/', 'reject'),
  P('empty authority', 'https:///evil.example', 'reject'),
  P('empty authority, four slashes', 'https:////evil.example', 'reject'),
  P('sloppy https:host', 'https:evil.example', 'reject'),
  P('sloppy https:/host', 'https:/evil.example', 'reject'),
  P('relative escaping with /..//', '/..//evil.example', 'either'),
  P('relative double slash after dot', '/.//evil.example', 'either'),
  P('encoded slashes, relative', '/%2f%2fevil.example', 'either'),
  P('encoded slashes, no leading slash', '%2F%2Fevil.example', 'reject'),
  P('bare host', 'evil.example', 'reject'),
  P('dot-slash host', './/evil.example', 'reject'),
  // Backslashes.
  P('slash-backslash', '/\\evil.example', 'reject'),
  P('double backslash', '\\\\evil.example', 'reject'),
  P('https backslashes', 'https:\\\\evil.example', 'reject'),
  P('http backslashes', 'http:\\\\evil.example', 'reject'),
  P('backslash before @', 'https://app.example.com\\@evil.example', 'reject'),
  P('backslash in wildcard host', 'https://evil.example\\.example.org/dashboard', 'reject'),
  P('backslash as path separator', 'https://a.example.org\\dashboard', 'reject'),
  P('encoded backslash, relative', '/%5cevil.example', 'either'),
  // Control characters and whitespace.
  P('tab inside //', '/\t/evil.example', 'reject'),
  P('CR LF inside //', '/\r\n/evil.example', 'reject'),
  P('CRLF header injection', 'https://app.example.com/\r\nSet-Cookie: injected=1', 'reject'),
  P('LF only', 'https://app.example.com/\nx', 'reject'),
  P('NUL', 'https://app.example.com/\u0000', 'reject'),
  P('DEL', 'https://app.example.com/\u007f', 'reject'),
  P('C1 NEL', 'https://app.example.com/\u0085', 'reject'),
  P('line separator U+2028', 'https://app.example.com/\u2028', 'reject'),
  P('encoded CRLF stays encoded', 'https://app.example.com/%0d%0aSet-Cookie:%20injected=1', 'either'),
  P('encoded tab, relative', '/%09/evil.example', 'either'),
  P('leading space', ' https://evil.example', 'reject'),
  P('leading space, allowed target', ' https://app.example.com/', 'reject'),
  P('trailing space', 'https://app.example.com/ ', 'reject'),
  P('leading space, relative', ' /signed-out', 'reject'),
  P('leading ideographic space', '\u3000https://evil.example', 'reject'),
  P('leading tab, protocol-relative', '\t//evil.example', 'reject'),
  // Userinfo.
  P('userinfo on allowed host', 'https://user@app.example.com/', 'reject'),
  P('user:pass on allowed host', 'https://user:pass@app.example.com/', 'reject'),
  P('allowed host as userinfo', 'https://app.example.com@evil.example/', 'reject'),
  P('empty userinfo', 'https://@app.example.com/', 'reject'),
  P('colon-at', 'https://app.example.com:@evil.example', 'reject'),
  P('encoded slash then @', 'https://app.example.com%2f@evil.example', 'reject'),
  P('encoded @ in host', 'https://app.example.com%40evil.example/', 'reject'),
  P('@ after fragment is not userinfo', 'https://evil.example#@app.example.com', 'reject'),
  P('@ after query is not userinfo', 'https://evil.example?@app.example.com', 'reject'),
  // Hosts: IDNA, full-width, lookalikes, trailing dots, IP spellings.
  P('full-width dots', 'https://app．example．com/', 'either'),
  P('full-width letters and dots', 'https://ａｐｐ．ｅｘａｍｐｌｅ．ｃｏｍ/', 'either'),
  P('ideographic full stop', 'https://app。example。com/', 'either'),
  P('full-width solidus in host', 'https://app.example.com／evil.example', 'either'),
  P('ideographic stop joins evil host', 'https://evil.example。app.example.com/', 'reject'),
  P('Cyrillic lookalike', 'https://аpp.example.com/', 'reject'),
  P('punycode lookalike', 'https://xn--pp-8kc.example.com/', 'reject'),
  P('trailing dot host', 'https://app.example.com./', 'reject'),
  P('allowed host as subdomain of evil', 'https://app.example.com.evil.example/', 'reject'),
  P('encoded slash in host', 'https://evil.example%2f.app.example.com/', 'reject'),
  P('decimal IP for base host', 'http://2130706433:4433/', 'either'),
  P('hex IP for base host', 'http://0x7f.1:4433/', 'either'),
  P('IPv6 loopback', 'http://[::1]:4433/', 'reject'),
  // Wildcard-suffix tricks (entry https://*.example.org/dashboard).
  P('suffix without dot', 'https://evilexample.org/dashboard', 'reject'),
  P('bare wildcard domain', 'https://example.org/dashboard', 'reject'),
  P('label ending in the suffix', 'https://a.evilexample.org/dashboard', 'reject'),
  P('allowed host as prefix of evil', 'https://a.example.org.evil.example/dashboard', 'reject'),
  P('literal star host', 'https://*.example.org/dashboard', 'either'),
  // Path-prefix tricks.
  P('path prefix without boundary', 'https://a.example.org/dashboard-evil', 'reject'),
  P('path prefix glued', 'https://a.example.org/dashboardevil', 'reject'),
  P('outside the allowed path', 'https://a.example.org/', 'reject'),
  P('dot segments leave the path', 'https://a.example.org/dashboard/../admin', 'reject'),
  P('encoded dot segments leave the path', 'https://a.example.org/dashboard/%2e%2e/admin', 'reject'),
  P('mixed encoded dot segments', 'https://a.example.org/dashboard/.%2E/admin', 'reject'),
  P('encoded slash dot-dot', 'https://a.example.org/dashboard/..%2fadmin', 'reject'),
  P('encoded slash after path', 'https://a.example.org/dashboard%2f..%2fadmin', 'reject'),
  P('encoded letter in path', 'https://a.example.org/%64ashboard', 'reject'),
  P('relative path-prefix trick', '/dashboard-evil', 'either'),
  // Other schemes.
  P('javascript:', 'javascript:alert(1)', 'reject'),
  P('JavaScript: mixed case', 'JavaScript:alert(document.cookie)', 'reject'),
  P('javascript: with authority', 'javascript://app.example.com/%0aalert(1)', 'reject'),
  P('javascript: after space', ' javascript:alert(1)', 'reject'),
  P('data:', 'data:text/html,<script>alert(1)</script>', 'reject'),
  P('data: base64', 'data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==', 'reject'),
  P('vbscript:', 'vbscript:msgbox(1)', 'reject'),
  P('ftp:', 'ftp://app.example.com/', 'reject'),
  P('file:', 'file:///etc/passwd', 'reject'),
  // Ports and schemes against allowed hosts.
  P('port mismatch', 'https://app.example.com:8443/', 'reject'),
  P('port 80 on https', 'https://app.example.com:80/', 'reject'),
  P('scheme downgrade', 'http://app.example.com/', 'reject'),
  P('scheme downgrade on wildcard', 'http://a.example.org/dashboard', 'reject'),
  P('scheme upgrade on base URL', 'https://127.0.0.1:4433/', 'reject'),
  P('admin port', 'http://127.0.0.1:4434/', 'reject'),
  P('base host without port', 'http://127.0.0.1/', 'reject'),
  P('default port spelled out', 'https://app.example.com:443/', 'inside'),
  P('default port with leading zero', 'https://app.example.com:0443/', 'either'),
  // Plain foreign hosts.
  P('plain evil', 'https://evil.example', 'reject'),
  P('evil with allowed URL in path', 'https://evil.example/https://app.example.com/', 'reject'),
  // Over-long values (2048 is the limit).
  P('over-long absolute', `https://app.example.com/${'a'.repeat(2100)}`, 'reject'),
  P('over-long relative', `/${'a'.repeat(3000)}`, 'reject'),
  P('over-long evil', `https://evil.example/${'a'.repeat(5000)}`, 'reject'),
  // Allowed: the flows must redirect to these, re-serialised.
  P('allowed origin root', 'https://app.example.com/', 'inside'),
  P('allowed origin deep path', 'https://app.example.com/account/settings?tab=1#top', 'inside'),
  P('allowed with evil-looking query', 'https://app.example.com/x?next=//evil.example', 'inside'),
  P('allowed with evil-looking fragment', 'https://app.example.com/x#//evil.example', 'inside'),
  P('allowed with markup in path', 'https://app.example.com/<script>alert(1)</script>', 'inside'),
  P('wildcard entry', 'https://a.example.org/dashboard', 'inside'),
  P('wildcard entry, two labels, deeper', 'https://a.b.example.org/dashboard/deep', 'inside'),
  P('wildcard with default port', 'https://a.example.org:443/dashboard', 'inside'),
  P('upper-case scheme and host', 'HTTPS://A.EXAMPLE.ORG/dashboard/x', 'inside'),
  P('dot segments staying inside', 'https://a.example.org/dashboard/x/../y', 'inside'),
  P('base URL', 'http://127.0.0.1:4433/signed-out', 'inside'),
  P('relative', '/signed-out', 'inside'),
];

const EMAIL = 'redirect@example.com';
const HTML = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };
const JSON_ACCEPT = { accept: 'application/json' };

interface Outcome {
  /** The payload was refused by this flow. */
  rejected: boolean;
  /** Where the browser finally goes (absolute or relative), when it was accepted. */
  target?: string;
}

/**
 * One app for the whole corpus (every payload uses its own sessions, so they cannot interfere);
 * rate limiting off, since dozens of logins from one address are the point here.
 */
const shared = (async () => {
  const app = await testApp({ rate_limit: { enabled: false } });
  const { id } = await createIdentity(app, EMAIL);
  return { app, identityId: id };
})();
t.teardown(async () => (await shared).app.close());

/**
 * A fresh session through the same manager login uses, without paying for scrypt on every one
 * (accepted logouts use up a session each).
 */
async function newSession(app: App, identityId: string): Promise<{ token: string; cookie: string }> {
  const { token } = await app.context.sessions.create(identityId, { ip: '127.0.0.1', userAgent: 'open-redirect-test', now: Date.now() });
  return { token, cookie: `ory_kratos_session=${app.public.signCookie(token)}` };
}

async function alive(app: App, cookie: string): Promise<boolean> {
  return (await app.public.inject({ method: 'GET', url: WHOAMI_PATH, headers: { cookie } })).statusCode === 200;
}

/** The payload for a test name: quoted, shortened, everything outside printable ASCII escaped. */
function printable(v: string): string {
  const short = v.length > 80 ? `${v.slice(0, 80)}...` : v;
  return JSON.stringify(short).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function enc(v: string): string {
  return encodeURIComponent(v);
}

t.test('the corpus is big enough and covers both outcomes', async (t) => {
  t.ok(CORPUS.length >= 60, `${CORPUS.length} payloads`);
  t.ok(CORPUS.filter((p) => p.expect === 'reject').length >= 40, 'at least 40 must-reject payloads');
  t.ok(CORPUS.filter((p) => p.expect === 'inside').length >= 8, 'at least 8 must-accept payloads');
  t.equal(new Set(CORPUS.map((p) => p.name)).size, CORPUS.length, 'names are unique');
});

t.test('the allow-list model agrees with SPEC §6 on its own fixtures', async (t) => {
  // Guards the oracle itself: if insideAllowList said yes to everything, every test here would pass.
  for (const inside of ['https://app.example.com/', 'https://a.example.org/dashboard/x', `${BASE}/signed-out`, '/signed-out']) t.ok(insideAllowList(inside), inside);
  for (const outside of ['https://evil.example/', 'https://example.org/dashboard', 'https://a.example.org/dashboard-evil', 'http://app.example.com/', 'https://u@app.example.com/', '//evil.example', 'https://app.example.com:8443/']) {
    t.notOk(insideAllowList(outside), outside);
  }
});

/** Checks one flow's outcome against the payload's expectation and the allow list. */
function judge(t: Test, p: Payload, flow: string, outcome: Outcome): void {
  if (outcome.rejected) {
    t.not(p.expect, 'inside', `${flow}: an allowed return_to was rejected`);
    return;
  }
  t.not(p.expect, 'reject', `${flow}: must be rejected, but was accepted → ${String(outcome.target)}`);
  t.type(outcome.target, 'string', `${flow}: accepted with a target`);
  t.ok(insideAllowList(outcome.target as string), `${flow}: target ${String(outcome.target)} is inside the allow list`);
  t.notMatch(outcome.target as string, /[\r\n\t\u0000 ]/, `${flow}: target is re-serialised (no raw control characters or spaces)`);
}

/** Expects a forwarded browser error: 303 to the error UI, whose stored error is return_to_forbidden. */
async function expectForwarded(t: Test, app: App, res: { statusCode: number; headers: Record<string, unknown> }, flow: string): Promise<void> {
  t.equal(res.statusCode, 303, `${flow}: browser rejection is a 303`);
  const location = new URL(String(res.headers.location), BASE);
  t.equal(`${location.origin}${location.pathname}`, `${BASE}${ERROR_UI_PATH}`, `${flow}: to the error UI`);
  const stored = await app.public.inject({ method: 'GET', url: `${FLOW_ERROR_PATH}?id=${enc(location.searchParams.get('id') ?? '')}` });
  t.equal((stored.json() as { error?: { id?: string } }).error?.id, ErrorIds.returnToForbidden, `${flow}: the stored error is ${ErrorIds.returnToForbidden}`);
}

function isForbiddenJson(res: { statusCode: number; body: string }): boolean {
  if (res.statusCode !== 400) return false;
  const body = JSON.parse(res.body) as { error?: { id?: string } };
  return body.error?.id === ErrorIds.returnToForbidden;
}

for (const p of CORPUS) {
  t.test(`${p.name}: ${printable(p.value)}`, async (t) => {
    const { app, identityId } = await shared;
    const q = `return_to=${enc(p.value)}`;

    // createBrowserLogoutFlow, JSON: the return_to inside logout_url.
    {
      const s = await newSession(app, identityId);
      const res = await app.public.inject({ method: 'GET', url: `${LOGOUT_BROWSER_PATH}?${q}`, headers: { cookie: s.cookie, ...JSON_ACCEPT } });
      if (res.statusCode === 200) {
        const logoutUrl = new URL((res.json() as { logout_url: string }).logout_url);
        t.equal(`${logoutUrl.origin}${logoutUrl.pathname}`, `${BASE}${LOGOUT_PATH}`, 'logout_url points at the configured base URL');
        const inner = logoutUrl.searchParams.get('return_to');
        t.not(inner, null, 'an accepted return_to is carried in logout_url');
        judge(t, p, 'createBrowserLogoutFlow', { rejected: false, target: inner ?? undefined });
      } else {
        t.ok(isForbiddenJson(res), `createBrowserLogoutFlow: rejected as 400 ${ErrorIds.returnToForbidden}, got ${res.statusCode} ${res.body.slice(0, 200)}`);
        judge(t, p, 'createBrowserLogoutFlow', { rejected: true });
      }
      // The browser variant answers 200 JSON too when accepted (SPEC §5.1), else forwards.
      const browser = await app.public.inject({ method: 'GET', url: `${LOGOUT_BROWSER_PATH}?${q}`, headers: { cookie: s.cookie, ...HTML } });
      if (res.statusCode === 200) t.equal(browser.statusCode, 200, 'createBrowserLogoutFlow (browser): same decision');
      else await expectForwarded(t, app, browser, 'createBrowserLogoutFlow (browser)');
      t.ok(await alive(app, s.cookie), 'createBrowserLogoutFlow never ends the session');
    }

    // updateLogoutFlow by GET, JSON client: 204 or 400; a rejection revokes nothing.
    {
      const s = await newSession(app, identityId);
      const res = await app.public.inject({ method: 'GET', url: `${LOGOUT_PATH}?token=${logoutTokenFor(s.token)}&${q}`, headers: { cookie: s.cookie, ...JSON_ACCEPT } });
      if (res.statusCode === 204) {
        judge(t, p, 'updateLogoutFlow GET (JSON)', { rejected: false, target: new URL(p.value, `${BASE}/signed-out`).href });
        t.notOk(await alive(app, s.cookie), 'updateLogoutFlow GET (JSON): accepted → session revoked');
      } else {
        t.ok(isForbiddenJson(res), `updateLogoutFlow GET (JSON): 400 ${ErrorIds.returnToForbidden}, got ${res.statusCode} ${res.body.slice(0, 200)}`);
        judge(t, p, 'updateLogoutFlow GET (JSON)', { rejected: true });
        t.ok(await alive(app, s.cookie), 'updateLogoutFlow GET (JSON): rejected → session NOT revoked');
      }
    }

    // updateLogoutFlow by GET, browser: 303 to the target, or to the error UI.
    {
      const s = await newSession(app, identityId);
      const res = await app.public.inject({ method: 'GET', url: `${LOGOUT_PATH}?token=${logoutTokenFor(s.token)}&${q}`, headers: { cookie: s.cookie, ...HTML } });
      t.equal(res.statusCode, 303, 'updateLogoutFlow GET (browser): always a 303');
      const location = String(res.headers.location);
      if (location.startsWith(`${BASE}${ERROR_UI_PATH}?`)) {
        await expectForwarded(t, app, res, 'updateLogoutFlow GET (browser)');
        judge(t, p, 'updateLogoutFlow GET (browser)', { rejected: true });
        t.ok(await alive(app, s.cookie), 'updateLogoutFlow GET (browser): rejected → session NOT revoked');
      } else {
        judge(t, p, 'updateLogoutFlow GET (browser)', { rejected: false, target: location });
        t.notOk(await alive(app, s.cookie), 'updateLogoutFlow GET (browser): accepted → session revoked');
      }
    }

    // POST /self-service/logout, form fields and JSON fields.
    for (const variant of ['form', 'json'] as const) {
      const s = await newSession(app, identityId);
      const fields = { token: logoutTokenFor(s.token), return_to: p.value };
      const res = await app.public.inject({
        method: 'POST',
        url: LOGOUT_PATH,
        headers:
          variant === 'form'
            ? { cookie: s.cookie, ...HTML, 'content-type': 'application/x-www-form-urlencoded' }
            : { cookie: s.cookie, ...JSON_ACCEPT, 'content-type': 'application/json' },
        payload: variant === 'form' ? new URLSearchParams(fields).toString() : JSON.stringify(fields),
      });
      const flow = `POST logout (${variant})`;
      if (variant === 'form') {
        t.equal(res.statusCode, 303, `${flow}: always a 303`);
        const location = String(res.headers.location);
        if (location.startsWith(`${BASE}${ERROR_UI_PATH}?`)) {
          await expectForwarded(t, app, res, flow);
          judge(t, p, flow, { rejected: true });
          t.ok(await alive(app, s.cookie), `${flow}: rejected → session NOT revoked`);
        } else {
          judge(t, p, flow, { rejected: false, target: location });
          t.notOk(await alive(app, s.cookie), `${flow}: accepted → session revoked`);
        }
      } else if (res.statusCode === 204) {
        judge(t, p, flow, { rejected: false, target: new URL(p.value, `${BASE}/signed-out`).href });
        t.notOk(await alive(app, s.cookie), `${flow}: accepted → session revoked`);
      } else {
        t.ok(isForbiddenJson(res), `${flow}: 400 ${ErrorIds.returnToForbidden}, got ${res.statusCode} ${res.body.slice(0, 200)}`);
        judge(t, p, flow, { rejected: true });
        t.ok(await alive(app, s.cookie), `${flow}: rejected → session NOT revoked`);
      }
    }

    // Browser login: the flow stores the return_to; the Location after a successful login is the test.
    {
      const start = await app.public.inject({ method: 'GET', url: `${LOGIN_BROWSER_PATH}?${q}`, headers: HTML });
      t.equal(start.statusCode, 303, 'login/browser: a 303 either way');
      const location = new URL(String(start.headers.location), BASE);
      if (location.pathname === ERROR_UI_PATH) {
        await expectForwarded(t, app, start, 'login/browser');
        judge(t, p, 'browser login', { rejected: true });
        const json = await app.public.inject({ method: 'GET', url: `${LOGIN_BROWSER_PATH}?${q}`, headers: JSON_ACCEPT });
        t.ok(isForbiddenJson(json), 'login/browser (JSON): rejected the same way');
      } else {
        t.equal(`${location.origin}${location.pathname}`, `${BASE}${LOGIN_UI_PATH}`, 'login/browser: to the login UI');
        const flowId = location.searchParams.get('flow') ?? '';
        const flow = await app.context.store.getLoginFlow(flowId);
        t.ok(flow, 'the login flow exists');
        const done = await app.public.inject({
          method: 'POST',
          url: `${LOGIN_PATH}?flow=${enc(flowId)}`,
          headers: { cookie: cookieHeader(cookiesOf(start)), ...HTML, 'content-type': 'application/x-www-form-urlencoded' },
          payload: new URLSearchParams({ csrf_token: flow?.csrfToken ?? '', method: 'password', identifier: EMAIL, password: PASSWORD }).toString(),
        });
        t.equal(done.statusCode, 303, 'login: 303 after a successful form login');
        t.ok(cookiesOf(done).ory_kratos_session, 'login: the session cookie was set');
        judge(t, p, 'browser login', { rejected: false, target: String(done.headers.location) });
      }
    }
  });
}

t.test('a duplicated return_to never picks the evil one', async (t) => {
  const { app, identityId } = await shared;
  const s = await newSession(app, identityId);
  for (const order of [['https://app.example.com/', 'https://evil.example/'], ['https://evil.example/', 'https://app.example.com/']]) {
    const q = order.map((v) => `return_to=${enc(v)}`).join('&');
    const res = await app.public.inject({ method: 'GET', url: `${LOGOUT_PATH}?token=${logoutTokenFor(s.token)}&${q}`, headers: { cookie: s.cookie, ...HTML } });
    t.equal(res.statusCode, 303, 'a 303');
    t.ok(insideAllowList(String(res.headers.location)), `Location ${String(res.headers.location)} is inside`);
    t.not(new URL(String(res.headers.location)).hostname, 'evil.example', 'never the evil host');
  }
  const login = await app.public.inject({ method: 'GET', url: `${LOGIN_BROWSER_PATH}?return_to=${enc('https://app.example.com/')}&return_to=${enc('https://evil.example/')}`, headers: HTML });
  t.ok(insideAllowList(String(login.headers.location)), 'login/browser with two return_to stays inside');
});
