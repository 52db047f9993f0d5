// SPEC §5.1 and §5.2 through the HTTP surface: createBrowserLogoutFlow and updateLogoutFlow, for
// JSON clients and for browsers, in every case the issue names.

import t from 'tap';
import { LOGOUT_BROWSER_PATH, LOGOUT_PATH } from '../../src/flows/logout/routes.js';
import { ErrorIds } from '../../src/errors/http-error.js';
import { WHOAMI_PATH } from '../../src/sessions/routes.js';
import { FLOW_ERROR_PATH } from '../../src/errors/routes.js';
import { logoutTokenFor } from '../../src/sessions/tokens.js';
import { BASE, createIdentity, loginBrowser, loginNative, testApp, testClock } from '../helpers/app.js';
import type { App } from '../../src/app.js';

const JSON_ACCEPT = { accept: 'application/json' };
const BROWSER_ACCEPT = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };

async function setup(raw: Record<string, unknown> = {}) {
  const clock = testClock(Date.now());
  const app = await testApp(raw, { clock: clock.now });
  await createIdentity(app, 'alice@example.com');
  await createIdentity(app, 'bob@example.com');
  return { app, clock };
}

async function whoami(app: App, headers: Record<string, string>) {
  return (await app.public.inject({ method: 'GET', url: WHOAMI_PATH, headers })).statusCode;
}

async function logoutFlow(app: App, cookie: string, query = '') {
  return app.public.inject({ method: 'GET', url: `${LOGOUT_BROWSER_PATH}${query}`, headers: { cookie, ...JSON_ACCEPT } });
}

/** The stored error behind an error-UI redirect. */
async function forwardedError(app: App, location: string | undefined) {
  const url = new URL(location ?? '', BASE);
  if (url.pathname !== '/error') throw new Error(`not an error UI redirect: ${location}`);
  const res = await app.public.inject({ method: 'GET', url: `${FLOW_ERROR_PATH}?id=${url.searchParams.get('id')}` });
  return res.json().error as { id?: string; code: number; reason?: string };
}

t.test('createBrowserLogoutFlow', async (t) => {
  const { app } = await setup();
  t.teardown(() => app.close());
  const { cookie, sessionCookie } = await loginBrowser(app, 'alice@example.com');

  t.test('returns a logout URL built from the configured base URL and the derived token', async (t) => {
    const res = await app.public.inject({ method: 'GET', url: LOGOUT_BROWSER_PATH, headers: { cookie, host: 'evil.example', ...BROWSER_ACCEPT } });
    t.equal(res.statusCode, 200, 'browsers get 200 JSON too');
    const body = res.json();
    const token = decodeURIComponent(sessionCookie).split('.')[0] as string;
    t.equal(body.logout_token, logoutTokenFor(token));
    t.match(body.logout_token, /^ory_lo_[A-Za-z0-9_-]{43}$/);
    const url = new URL(body.logout_url);
    t.equal(url.origin, BASE, 'never built from the Host header');
    t.equal(url.pathname, LOGOUT_PATH);
    t.equal(url.searchParams.get('token'), body.logout_token);
    t.notOk(url.searchParams.has('return_to'));
    t.equal(res.headers['cache-control'], 'no-store');
  });

  t.test('the token is fixed for the session', async (t) => {
    const a = (await logoutFlow(app, cookie)).json();
    const b = (await logoutFlow(app, cookie)).json();
    t.equal(a.logout_token, b.logout_token);
  });

  t.test('an allowed return_to is normalised into the URL', async (t) => {
    const res = await logoutFlow(app, cookie, `?return_to=${encodeURIComponent('https://APP.example.com/a/./b/../c?x=1')}`);
    t.equal(res.statusCode, 200);
    t.equal(new URL(res.json().logout_url).searchParams.get('return_to'), 'https://app.example.com/a/c?x=1');
  });

  t.test('a disallowed return_to is 400 with the stable id and reason', async (t) => {
    const res = await logoutFlow(app, cookie, `?return_to=${encodeURIComponent('https://evil.com/')}`);
    t.equal(res.statusCode, 400);
    const err = res.json().error;
    t.equal(err.id, ErrorIds.returnToForbidden);
    t.equal(err.reason, 'Requested return_to URL "https://evil.com/" is not allowed.');
    t.equal(err.status, 'Bad Request');
    t.equal(err.message, 'The request was malformed or contained invalid parameters');
  });

  t.test('a disallowed return_to from a browser is forwarded to the error UI', async (t) => {
    const res = await app.public.inject({
      method: 'GET',
      url: `${LOGOUT_BROWSER_PATH}?return_to=${encodeURIComponent('//evil.com')}`,
      headers: { cookie, ...BROWSER_ACCEPT },
    });
    t.equal(res.statusCode, 303);
    const err = await forwardedError(app, res.headers.location as string);
    t.equal(err.id, ErrorIds.returnToForbidden);
  });

  t.test('no session: 401 session_inactive for JSON, error UI for browsers', async (t) => {
    const json = await app.public.inject({ method: 'GET', url: LOGOUT_BROWSER_PATH, headers: JSON_ACCEPT });
    t.equal(json.statusCode, 401);
    t.equal(json.json().error.id, ErrorIds.sessionInactive);
    const browser = await app.public.inject({ method: 'GET', url: LOGOUT_BROWSER_PATH, headers: BROWSER_ACCEPT });
    t.equal(browser.statusCode, 303);
    t.equal((await forwardedError(app, browser.headers.location as string)).id, ErrorIds.sessionInactive);
  });

  t.test('no session outranks a bad return_to (checked in SPEC order)', async (t) => {
    const res = await app.public.inject({ method: 'GET', url: `${LOGOUT_BROWSER_PATH}?return_to=https://evil.com`, headers: JSON_ACCEPT });
    t.equal(res.json().error.id, ErrorIds.sessionInactive);
  });

  t.test('a forged cookie is no session', async (t) => {
    const res = await logoutFlow(app, 'ory_kratos_session=ory_st_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.forgedsignature');
    t.equal(res.statusCode, 401);
  });

  t.test('works for a native token too (X-Session-Token)', async (t) => {
    const { session_token } = await loginNative(app, 'alice@example.com');
    const res = await app.public.inject({ method: 'GET', url: LOGOUT_BROWSER_PATH, headers: { 'x-session-token': session_token } });
    t.equal(res.statusCode, 200);
    t.equal(res.json().logout_token, logoutTokenFor(session_token));
  });
});

t.test('updateLogoutFlow (GET link)', async (t) => {
  const { app, clock } = await setup();
  t.teardown(() => app.close());

  async function freshSession() {
    const { cookie } = await loginBrowser(app, 'alice@example.com');
    const token = (await logoutFlow(app, cookie)).json().logout_token as string;
    return { cookie, token };
  }

  t.test('browser: 303 to the logout default, cookie cleared, session revoked', async (t) => {
    const { cookie, token } = await freshSession();
    const res = await app.public.inject({ method: 'GET', url: `${LOGOUT_PATH}?token=${token}`, headers: { cookie, ...BROWSER_ACCEPT } });
    t.equal(res.statusCode, 303);
    t.equal(res.headers.location, `${BASE}/signed-out`);
    const setCookie = String(res.headers['set-cookie']);
    t.match(setCookie, /^ory_kratos_session=;/);
    t.match(setCookie, /Max-Age=0/);
    t.match(setCookie, /Expires=Thu, 01 Jan 1970 00:00:00 GMT/);
    t.match(setCookie, /Path=\//);
    t.match(setCookie, /HttpOnly/);
    t.equal(await whoami(app, { cookie }), 401, 'the session is gone');
  });

  t.test('browser: 303 to an allowed return_to, re-serialised', async (t) => {
    const { cookie, token } = await freshSession();
    const res = await app.public.inject({
      method: 'GET',
      url: `${LOGOUT_PATH}?token=${token}&return_to=${encodeURIComponent('https://a.b.example.org/dashboard/x/../y')}`,
      headers: { cookie, ...BROWSER_ACCEPT },
    });
    t.equal(res.statusCode, 303);
    t.equal(res.headers.location, 'https://a.b.example.org/dashboard/y');
  });

  t.test('relative return_to resolves against the logout default', async (t) => {
    const { cookie, token } = await freshSession();
    const res = await app.public.inject({ method: 'GET', url: `${LOGOUT_PATH}?token=${token}&return_to=/bye`, headers: { cookie, ...BROWSER_ACCEPT } });
    t.equal(res.headers.location, `${BASE}/bye`);
  });

  t.test('JSON: 204, empty body, cookie cleared', async (t) => {
    const { cookie, token } = await freshSession();
    const res = await app.public.inject({ method: 'GET', url: `${LOGOUT_PATH}?token=${token}`, headers: { cookie, ...JSON_ACCEPT } });
    t.equal(res.statusCode, 204);
    t.equal(res.body, '');
    t.match(String(res.headers['set-cookie']), /Max-Age=0/);
    t.equal(await whoami(app, { cookie }), 401);
  });

  t.test('missing or empty token: 400 logout_token_missing, nothing revoked', async (t) => {
    const { cookie } = await freshSession();
    for (const url of [LOGOUT_PATH, `${LOGOUT_PATH}?token=`]) {
      const res = await app.public.inject({ method: 'GET', url, headers: { cookie, ...JSON_ACCEPT } });
      t.equal(res.statusCode, 400);
      t.equal(res.json().error.id, ErrorIds.logoutTokenMissing);
      t.equal(res.json().error.reason, 'Please include a token in the URL query.');
    }
    const browser = await app.public.inject({ method: 'GET', url: LOGOUT_PATH, headers: { cookie, ...BROWSER_ACCEPT } });
    t.equal(browser.statusCode, 303);
    t.equal((await forwardedError(app, browser.headers.location as string)).id, ErrorIds.logoutTokenMissing);
    t.equal(await whoami(app, { cookie }), 200);
  });

  t.test('wrong token: 403 logout_token_mismatch, nothing revoked', async (t) => {
    const { cookie } = await freshSession();
    const res = await app.public.inject({ method: 'GET', url: `${LOGOUT_PATH}?token=ory_lo_wrong`, headers: { cookie, ...JSON_ACCEPT } });
    t.equal(res.statusCode, 403);
    t.equal(res.json().error.id, ErrorIds.logoutTokenMismatch);
    t.equal(res.json().error.reason, 'Unable to log out because the logout token in the URL query does not match the session cookie.');
    t.equal(await whoami(app, { cookie }), 200);
  });

  t.test("another user's logout token cannot end my session (CSRF logout)", async (t) => {
    const mine = await freshSession();
    const { cookie: bobCookie } = await loginBrowser(app, 'bob@example.com');
    const bobToken = (await logoutFlow(app, bobCookie)).json().logout_token;
    const res = await app.public.inject({ method: 'GET', url: `${LOGOUT_PATH}?token=${bobToken}`, headers: { cookie: mine.cookie, ...BROWSER_ACCEPT } });
    t.equal(res.statusCode, 303);
    t.equal((await forwardedError(app, res.headers.location as string)).id, ErrorIds.logoutTokenMismatch);
    t.equal(await whoami(app, { cookie: mine.cookie }), 200, 'mine survives');
    t.equal(await whoami(app, { cookie: bobCookie }), 200, "bob's survives");
  });

  t.test('disallowed return_to: 400, and the session is NOT revoked', async (t) => {
    const { cookie, token } = await freshSession();
    const res = await app.public.inject({
      method: 'GET',
      url: `${LOGOUT_PATH}?token=${token}&return_to=${encodeURIComponent('https://app.example.com.evil.com/')}`,
      headers: { cookie, ...JSON_ACCEPT },
    });
    t.equal(res.statusCode, 400);
    t.equal(res.json().error.id, ErrorIds.returnToForbidden);
    t.notOk(res.headers['set-cookie'], 'cookie untouched');
    t.equal(await whoami(app, { cookie }), 200);
  });

  t.test('no session: JSON 401; browser graceful repeat to the destination with the cookie cleared', async (t) => {
    const { cookie, token } = await freshSession();
    const first = await app.public.inject({ method: 'GET', url: `${LOGOUT_PATH}?token=${token}`, headers: { cookie, ...BROWSER_ACCEPT } });
    t.equal(first.statusCode, 303);
    // Past the window in which a repeat counts as a concurrent duplicate of the same logout.
    clock.advance(5000);
    const json = await app.public.inject({ method: 'GET', url: `${LOGOUT_PATH}?token=${token}`, headers: { cookie, ...JSON_ACCEPT } });
    t.equal(json.statusCode, 401);
    t.equal(json.json().error.id, ErrorIds.sessionInactive);
    const again = await app.public.inject({
      method: 'GET',
      url: `${LOGOUT_PATH}?token=${token}&return_to=${encodeURIComponent('https://app.example.com/x')}`,
      headers: { cookie, ...BROWSER_ACCEPT },
    });
    t.equal(again.statusCode, 303, 'a stale link lands where it should');
    t.equal(again.headers.location, 'https://app.example.com/x');
    t.match(String(again.headers['set-cookie']), /Max-Age=0/);
    const noCookie = await app.public.inject({ method: 'GET', url: `${LOGOUT_PATH}?token=${token}`, headers: BROWSER_ACCEPT });
    t.equal(noCookie.statusCode, 303);
    t.equal(noCookie.headers.location, `${BASE}/signed-out`);
  });

  t.test('HEAD never logs anyone out', async (t) => {
    const { cookie, token } = await freshSession();
    const res = await app.public.inject({ method: 'HEAD', url: `${LOGOUT_PATH}?token=${token}`, headers: { cookie } });
    t.equal(res.statusCode, 405);
    t.equal(await whoami(app, { cookie }), 200);
  });

  t.test('revokes exactly the session of the credential used', async (t) => {
    const a = await freshSession();
    const b = await freshSession();
    await app.public.inject({ method: 'GET', url: `${LOGOUT_PATH}?token=${a.token}`, headers: { cookie: a.cookie, ...JSON_ACCEPT } });
    t.equal(await whoami(app, { cookie: a.cookie }), 401);
    t.equal(await whoami(app, { cookie: b.cookie }), 200, 'the same identity\u2019s other session lives on');
  });

  t.test('a native session logged out via X-Session-Token keeps cookies alone', async (t) => {
    const { session_token } = await loginNative(app, 'alice@example.com');
    const res = await app.public.inject({
      method: 'GET',
      url: `${LOGOUT_PATH}?token=${logoutTokenFor(session_token)}`,
      headers: { 'x-session-token': session_token, ...JSON_ACCEPT },
    });
    t.equal(res.statusCode, 204);
    t.notOk(res.headers['set-cookie']);
    t.equal(await whoami(app, { 'x-session-token': session_token }), 401);
  });
});

t.test('updateLogoutFlow: POST form and JSON variants', async (t) => {
  const { app } = await setup();
  t.teardown(() => app.close());

  t.test('form POST with token and return_to fields', async (t) => {
    const { cookie } = await loginBrowser(app, 'alice@example.com');
    const token = (await logoutFlow(app, cookie)).json().logout_token;
    const res = await app.public.inject({
      method: 'POST',
      url: LOGOUT_PATH,
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', ...BROWSER_ACCEPT },
      payload: new URLSearchParams({ token, return_to: 'https://app.example.com/bye' }).toString(),
    });
    t.equal(res.statusCode, 303);
    t.equal(res.headers.location, 'https://app.example.com/bye');
    t.equal(await whoami(app, { cookie }), 401);
  });

  t.test('JSON POST → 204; the query string is the fallback', async (t) => {
    const { cookie } = await loginBrowser(app, 'alice@example.com');
    const token = (await logoutFlow(app, cookie)).json().logout_token;
    const res = await app.public.inject({ method: 'POST', url: `${LOGOUT_PATH}?token=${token}`, headers: { cookie, ...JSON_ACCEPT }, payload: {} });
    t.equal(res.statusCode, 204);
    t.equal(await whoami(app, { cookie }), 401);
  });

  t.test('POST without token → 400 logout_token_missing', async (t) => {
    const { cookie } = await loginBrowser(app, 'alice@example.com');
    const res = await app.public.inject({ method: 'POST', url: LOGOUT_PATH, headers: { cookie, ...JSON_ACCEPT }, payload: { return_to: '/x' } });
    t.equal(res.statusCode, 400);
    t.equal(res.json().error.id, ErrorIds.logoutTokenMissing);
  });
});

t.test('default post-logout redirect chain', async (t) => {
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['logout default', {}, `${BASE}/signed-out`],
    [
      'falls back to selfservice.default_browser_return_url',
      { selfservice: { flows: { logout: { after: { default_browser_return_url: null } } } } },
      `${BASE}/`,
    ],
    [
      'custom default_browser_return_url',
      { selfservice: { default_browser_return_url: 'https://app.example.com/home', flows: { logout: { after: { default_browser_return_url: null } } } } },
      'https://app.example.com/home',
    ],
  ];
  for (const [name, raw, expected] of cases) {
    const { app } = await setup(raw);
    const { cookie } = await loginBrowser(app, 'alice@example.com');
    const token = (await logoutFlow(app, cookie)).json().logout_token;
    const res = await app.public.inject({ method: 'GET', url: `${LOGOUT_PATH}?token=${token}`, headers: { cookie, ...BROWSER_ACCEPT } });
    t.equal(res.headers.location, expected, name);
    await app.close();
  }
});

t.test('graceful_without_session: false forwards the 401 to the error UI', async (t) => {
  const { app } = await setup({ selfservice: { flows: { logout: { graceful_without_session: false } } } });
  t.teardown(() => app.close());
  const res = await app.public.inject({ method: 'GET', url: `${LOGOUT_PATH}?token=ory_lo_x`, headers: BROWSER_ACCEPT });
  t.equal(res.statusCode, 303);
  t.equal((await forwardedError(app, res.headers.location as string)).id, ErrorIds.sessionInactive);
});

t.test('an expired session cannot log out, and the stale link degrades gracefully', async (t) => {
  const { app, clock } = await setup();
  t.teardown(() => app.close());
  const { cookie } = await loginBrowser(app, 'alice@example.com');
  const token = (await logoutFlow(app, cookie)).json().logout_token;
  clock.advance(25 * 3600 * 1000);
  const json = await app.public.inject({ method: 'GET', url: `${LOGOUT_PATH}?token=${token}`, headers: { cookie, ...JSON_ACCEPT } });
  t.equal(json.statusCode, 401);
  const browser = await app.public.inject({ method: 'GET', url: `${LOGOUT_PATH}?token=${token}`, headers: { cookie, ...BROWSER_ACCEPT } });
  t.equal(browser.statusCode, 303);
  t.equal(browser.headers.location, `${BASE}/signed-out`);
});

t.test('concurrent logouts of one session all succeed and revoke once', async (t) => {
  const { app } = await setup();
  t.teardown(() => app.close());
  const { cookie } = await loginBrowser(app, 'alice@example.com');
  const token = (await logoutFlow(app, cookie)).json().logout_token;
  const before = (await app.context.store.readEvents(null, 1000)).filter((e) => e.type === 'session.revoked').length;
  const results = await Promise.all(
    Array.from({ length: 50 }, () => app.public.inject({ method: 'GET', url: `${LOGOUT_PATH}?token=${token}`, headers: { cookie, ...JSON_ACCEPT } })),
  );
  t.same([...new Set(results.map((r) => r.statusCode))], [204]);
  const after = (await app.context.store.readEvents(null, 1000)).filter((e) => e.type === 'session.revoked').length;
  t.equal(after - before, 1, 'exactly one revocation event');
});
