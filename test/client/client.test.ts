// logoutd/client against a real logoutd on a free port (memory store): the fetch client's flows and
// the refine auth provider's results, in Node with a cookie-jar fetch standing in for a browser.

import t from 'tap';
import type { App } from '../../src/app.js';
import { freePort } from '../helpers/redis-server.js';
import { createAuthProvider, createLogoutdClient, csrfTokenOf, IDENTITY_STORAGE_KEY, LogoutdError, memoryStorage, statusOf, type FetchLike } from '../../src/client/index.js';
import { createIdentity, listeningApp, PASSWORD } from '../helpers/app.js';
import { cookieJarFetch } from '../helpers/cookie-jar.js';

const EMAIL = 'client@example.com';



async function startLogoutd(): Promise<{ app: App; base: string }> {
  const started = await listeningApp();
  await createIdentity(started.app, EMAIL);
  return started;
}

t.test('fetch client', async (t) => {
  const { app, base } = await startLogoutd();
  t.teardown(() => app.close());

  t.test('browser login, whoami, logout flow, whoami 401', async (t) => {
    const browser = cookieJarFetch();
    const client = createLogoutdClient({ baseUrl: `${base}/`, fetch: browser.fetch });

    const flow = await client.createBrowserLoginFlow();
    t.equal(flow.type, 'browser');
    t.ok(csrfTokenOf(flow), 'the flow carries a CSRF token');
    t.ok(browser.jar.has('logoutd_csrf'), 'and sets the CSRF cookie');

    const wrong = await client.updateLoginFlow(flow.id, { identifier: EMAIL, password: 'wrong password', csrf_token: csrfTokenOf(flow) }).catch((e: unknown) => e);
    t.ok(wrong instanceof LogoutdError);
    t.equal((wrong as LogoutdError).statusCode, 400);
    t.match((wrong as LogoutdError).message, /credentials are invalid/);
    t.equal((wrong as LogoutdError).flow?.id, flow.id, 'a failed login returns the flow');

    const noCsrf = await client.updateLoginFlow(flow.id, { identifier: EMAIL, password: PASSWORD, csrf_token: 'forged' }).catch((e: unknown) => e);
    t.equal((noCsrf as LogoutdError).statusCode, 403);
    t.equal((noCsrf as LogoutdError).id, 'security_csrf_violation', 'the envelope id is parsed');

    const { session } = await client.updateLoginFlow(flow.id, { identifier: EMAIL, password: PASSWORD, csrf_token: csrfTokenOf(flow) });
    t.equal(session.identity?.traits.email, EMAIL);
    t.ok(browser.jar.has('ory_kratos_session'));

    const me = await client.whoami();
    t.equal(me.id, session.id);
    t.equal(me.active, true);

    const logout = await client.createBrowserLogoutFlow({ returnTo: `${base}/signed-out` });
    t.match(logout.logout_token, /^ory_lo_/);
    const url = new URL(logout.logout_url);
    t.equal(url.searchParams.get('token'), logout.logout_token);
    t.equal(url.searchParams.get('return_to'), `${base}/signed-out`);

    const forbidden = await client.createBrowserLogoutFlow({ returnTo: 'https://evil.example/' }).catch((e: unknown) => e);
    t.equal((forbidden as LogoutdError).statusCode, 400);
    t.equal((forbidden as LogoutdError).id, 'self_service_flow_return_to_forbidden');
    t.match((forbidden as LogoutdError).reason, /is not allowed/);

    await client.updateLogoutFlow(logout.logout_token, { returnTo: `${base}/signed-out` });
    t.notOk(browser.jar.has('ory_kratos_session'), 'the session cookie is cleared');

    const after = await client.whoami().catch((e: unknown) => e);
    t.ok(after instanceof LogoutdError);
    t.equal((after as LogoutdError).statusCode, 401);
    t.equal((after as LogoutdError).id, 'session_inactive');

    // A JSON client gets no graceful repeat: the session is gone, and it says so.
    const again = await client.updateLogoutFlow(logout.logout_token).catch((e: unknown) => e);
    t.equal((again as LogoutdError).statusCode, 401);
  });

  t.test('native login, whoami by token, performNativeLogout and its repeat', async (t) => {
    const client = createLogoutdClient({ baseUrl: base });
    const flow = await client.createNativeLoginFlow();
    t.equal(flow.type, 'api');
    const { session_token: token } = await client.updateLoginFlow(flow.id, { identifier: EMAIL, password: PASSWORD });
    t.match(token, /^ory_st_/);
    t.equal((await client.whoami({ sessionToken: token as string })).identity?.traits.email, EMAIL);

    await client.performNativeLogout(token as string);
    t.equal((await client.whoami({ sessionToken: token as string }).catch((e: unknown) => e) as LogoutdError).statusCode, 401);
    await t.resolves(client.performNativeLogout(token as string), 'a repeat is still 204');

    const unknown = await client.performNativeLogout('ory_st_thisTokenWasNeverIssuedByThisServer0').catch((e: unknown) => e);
    t.equal((unknown as LogoutdError).statusCode, 403);
    t.match((unknown as LogoutdError).message, /could not be found/);
  });

  t.test('an unreachable server is a LogoutdError with status 0', async (t) => {
    const client = createLogoutdClient({ baseUrl: `http://127.0.0.1:${await freePort()}` });
    const err = await client.whoami().catch((e: unknown) => e);
    t.ok(err instanceof LogoutdError);
    t.equal((err as LogoutdError).statusCode, 0);
    t.ok((err as LogoutdError).cause, 'the network error is kept as cause');
  });
});

t.test('auth provider', async (t) => {
  const { app, base } = await startLogoutd();
  t.teardown(() => app.close());

  t.test('login, check, getIdentity, logout, check again', async (t) => {
    const browser = cookieJarFetch();
    const storage = memoryStorage();
    const auth = createAuthProvider({ baseUrl: base, fetch: browser.fetch, storage });

    t.same(await auth.check(), { authenticated: false, logout: true, redirectTo: '/login' }, 'signed out at first');
    t.equal(await auth.getIdentity(), null);

    const bad = await auth.login({ email: EMAIL, password: 'nope' });
    t.equal(bad.success, false);
    t.match(bad.error?.message, /credentials are invalid/);

    t.same(await auth.login({ email: EMAIL, password: PASSWORD }), { success: true, redirectTo: '/' });
    t.match(JSON.parse(storage.getItem(IDENTITY_STORAGE_KEY) as string), { traits: { email: EMAIL } }, 'the identity is cached');
    t.same(await auth.check(), { authenticated: true });
    t.match(await auth.getIdentity(), { traits: { email: EMAIL } });

    t.same(await auth.logout(), { success: true, redirectTo: '/login' });
    t.equal(storage.getItem(IDENTITY_STORAGE_KEY), null, 'local state is cleared');
    t.notOk(browser.jar.has('ory_kratos_session'));
    t.same(await auth.check(), { authenticated: false, logout: true, redirectTo: '/login' });
    t.equal(await auth.getIdentity(), null);

    // Logging out with no session left is still a success: the person is signed out.
    t.same(await auth.logout(), { success: true, redirectTo: '/login' });
  });

  t.test('a session revoked elsewhere: check says log out, local state goes', async (t) => {
    const browser = cookieJarFetch();
    const storage = memoryStorage();
    const auth = createAuthProvider({ baseUrl: base, fetch: browser.fetch, storage, loginPath: '/sign-in' });
    t.equal((await auth.login({ email: EMAIL, password: PASSWORD })).success, true);
    // Revoke through the public API as another tab would: createBrowserLogoutFlow + updateLogoutFlow.
    const other = createLogoutdClient({ baseUrl: base, fetch: browser.fetch });
    await other.updateLogoutFlow((await other.createBrowserLogoutFlow()).logout_token);
    t.same(await auth.check(), { authenticated: false, logout: true, redirectTo: '/sign-in' });
    t.equal(storage.getItem(IDENTITY_STORAGE_KEY), null);
  });

  t.test('onError: 401 from any common error shape means log out', async (t) => {
    const auth = createAuthProvider({ baseUrl: base, loginPath: '/sign-in' });
    const out = { logout: true, redirectTo: '/sign-in' };
    t.same(await auth.onError({ statusCode: 401 }), out, 'refine HttpError');
    t.same(await auth.onError({ status: 401 }), out, 'fetch-style');
    t.same(await auth.onError({ response: { status: 401 } }), out, 'axios-style');
    t.same(await auth.onError(new LogoutdError(401, 'The request could not be authorized')), out, 'LogoutdError');
    t.same(await auth.onError({ statusCode: 403 }), {});
    t.same(await auth.onError({ status: 500 }), {});
    t.same(await auth.onError(new Error('boom')), {});
    t.same(await auth.onError(null), {});
    t.same(await auth.onError('401'), {}, 'a bare string is not a status');
    t.equal(statusOf({ status: 'Unauthorized', error: { code: 401 } }), 401, 'the envelope code is read');
  });

  t.test('logout clears local state even when the server is unreachable', async (t) => {
    const storage = memoryStorage();
    storage.setItem(IDENTITY_STORAGE_KEY, JSON.stringify({ id: 'x', traits: { email: EMAIL } }));
    const auth = createAuthProvider({ baseUrl: `http://127.0.0.1:${await freePort()}`, storage });
    const result = await auth.logout();
    t.equal(result.success, false);
    t.ok(result.error instanceof LogoutdError);
    t.equal(statusOf(result.error), 0);
    t.equal(storage.getItem(IDENTITY_STORAGE_KEY), null, 'local state is gone anyway');

    storage.setItem(IDENTITY_STORAGE_KEY, '{}');
    const check = await auth.check();
    t.equal(check.authenticated, false);
    t.equal(check.redirectTo, '/login');
    t.notOk(check.logout, 'an outage is not proof that the session ended');
    t.equal(storage.getItem(IDENTITY_STORAGE_KEY), '{}');
    t.equal(await auth.getIdentity(), null);
    t.same(await auth.onError(result.error), {});
  });

  t.test('a storage that throws never breaks a flow', async (t) => {
    const broken = {
      getItem: () => null,
      setItem: () => {
        throw new Error('QuotaExceededError');
      },
      removeItem: () => {
        throw new Error('SecurityError');
      },
    };
    const auth = createAuthProvider({ baseUrl: base, fetch: cookieJarFetch().fetch, storage: broken });
    t.equal((await auth.login({ email: EMAIL, password: PASSWORD })).success, true);
    t.same(await auth.logout(), { success: true, redirectTo: '/login' });
  });
});
