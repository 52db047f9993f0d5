// The built-in pages and the error UI: stored errors readable through getFlowError and rendered,
// escaped, by /error; the home page's logout link comes from createBrowserLogoutFlow.

import t from 'tap';
import { FLOW_ERROR_PATH } from '../../src/errors/routes.js';
import { LOGOUT_BROWSER_PATH } from '../../src/flows/logout/routes.js';
import { ErrorIds } from '../../src/errors/http-error.js';
import { DEMO_IDENTITY } from '../../src/identities/demo.js';
import { BASE, createIdentity, loginBrowser, testApp, testClock } from '../helpers/app.js';

t.test('errors are stored for browsers and readable by id', async (t) => {
  const clock = testClock(Date.now());
  const app = await testApp({}, { clock: clock.now });
  t.teardown(() => app.close());
  const res = await app.public.inject({ method: 'GET', url: LOGOUT_BROWSER_PATH, headers: { accept: 'text/html' } });
  t.equal(res.statusCode, 303);
  const location = new URL(res.headers.location as string);
  t.equal(`${location.origin}${location.pathname}`, `${BASE}/error`);
  const id = location.searchParams.get('id') as string;
  t.ok(id.length >= 32, 'an unguessable id');

  const stored = await app.public.inject({ method: 'GET', url: `${FLOW_ERROR_PATH}?id=${id}` });
  t.equal(stored.statusCode, 200);
  const body = stored.json();
  t.equal(body.id, id);
  t.match(body.error, { id: ErrorIds.sessionInactive, code: 401, status: 'Unauthorized', message: String, request: String });
  t.notOk('error' in body.error, 'the stored object is not wrapped');
  t.match(body.created_at, /Z$/);

  const page = await app.public.inject({ method: 'GET', url: `/error?id=${id}` });
  t.equal(page.statusCode, 200);
  t.match(page.headers['content-type'], /text\/html/);
  t.match(page.body, /You are not signed in/);
  t.match(page.body, /No active session was found/);

  for (const url of [`${FLOW_ERROR_PATH}?id=unknown`, FLOW_ERROR_PATH]) {
    const missing = await app.public.inject({ method: 'GET', url });
    t.equal(missing.statusCode, 404);
    t.equal(missing.json().error.code, 404);
  }
  t.equal((await app.public.inject({ method: 'GET', url: '/error?id=unknown' })).statusCode, 404);

  clock.advance(61 * 60 * 1000);
  t.equal((await app.public.inject({ method: 'GET', url: `${FLOW_ERROR_PATH}?id=${id}` })).statusCode, 404, 'stored errors expire after an hour');
});

t.test('the error UI URL keeps its own query', async (t) => {
  const app = await testApp({ selfservice: { flows: { error: { ui_url: 'https://app.example.com/oops?lang=de' } } } });
  t.teardown(() => app.close());
  const res = await app.public.inject({ method: 'GET', url: '/self-service/logout/browser', headers: { accept: 'text/html' } });
  const location = new URL(res.headers.location as string);
  t.equal(location.origin + location.pathname, 'https://app.example.com/oops');
  t.equal(location.searchParams.get('lang'), 'de');
  t.ok(location.searchParams.get('id'));
});

t.test('the error page escapes everything it renders', async (t) => {
  const app = await testApp();
  t.teardown(() => app.close());
  await createIdentity(app, 'gus@example.com');
  const { cookie } = await loginBrowser(app, 'gus@example.com');
  const res = await app.public.inject({
    method: 'GET',
    url: `${LOGOUT_BROWSER_PATH}?return_to=${encodeURIComponent('https://evil.com/"><script>alert(1)</script>')}`,
    headers: { cookie, accept: 'text/html' },
  });
  const page = await app.public.inject({ method: 'GET', url: new URL(res.headers.location as string).pathname + new URL(res.headers.location as string).search });
  t.notMatch(page.body, /<script>/);
  t.match(page.body, /&lt;script&gt;/);
  t.match(page.headers['content-security-policy'], /default-src 'none'/);
  t.notMatch(page.headers['content-security-policy'], /unsafe-inline/);
});

t.test('home page: signed out, then signed in with a server-rendered logout link', async (t) => {
  const app = await testApp();
  t.teardown(() => app.close());
  await createIdentity(app, 'hal@example.com');
  const anon = await app.public.inject({ method: 'GET', url: '/' });
  t.equal(anon.statusCode, 200);
  t.match(anon.body, /You are not signed in/);

  const { cookie } = await loginBrowser(app, 'hal@example.com');
  const home = await app.public.inject({ method: 'GET', url: '/', headers: { cookie } });
  t.match(home.body, /hal@example.com/);
  const flow = (await app.public.inject({ method: 'GET', url: LOGOUT_BROWSER_PATH, headers: { cookie } })).json();
  const href = /<a id="logout" class="button" href="([^"]+)"/.exec(home.body)?.[1]?.replace(/&amp;/g, '&').replace(/&#x3D;/g, '=');
  t.equal(href, flow.logout_url, 'the link is the one createBrowserLogoutFlow returns');
  t.equal(home.headers['referrer-policy'], 'no-referrer', 'the token-bearing link never leaks via Referer');
  t.match(home.headers['content-security-policy'], /frame-ancestors 'none'/);
});

t.test('login page shows the demo credentials in dev mode only', async (t) => {
  const dev = await testApp({ dev: true });
  const prod = await testApp();
  t.teardown(async () => {
    await dev.close();
    await prod.close();
  });
  for (const [app, shown] of [
    [dev, true],
    [prod, false],
  ] as const) {
    const start = await app.public.inject({ method: 'GET', url: '/self-service/login/browser', headers: { accept: 'text/html' } });
    const page = await app.public.inject({ method: 'GET', url: new URL(start.headers.location as string).pathname + new URL(start.headers.location as string).search });
    t.equal(page.statusCode, 200);
    t.match(page.body, /<form id="login-form" method="POST"/);
    t.equal(page.body.includes(DEMO_IDENTITY.password), shown, shown ? 'dev shows the demo account' : 'production never does');
  }
  const signedOut = await dev.public.inject({ method: 'GET', url: '/signed-out' });
  t.match(signedOut.body, /You are signed out/);
  t.equal((await dev.public.inject({ method: 'GET', url: '/login' })).statusCode, 303, 'no flow: start one');
});

t.test('health, version and not-found', async (t) => {
  const app = await testApp();
  t.teardown(() => app.close());
  for (const server of [app.public, app.admin]) {
    t.same((await server.inject({ method: 'GET', url: '/health/alive' })).json(), { status: 'ok' });
    t.same((await server.inject({ method: 'GET', url: '/health/ready' })).json(), { status: 'ok' });
  }
  t.match((await app.admin.inject({ method: 'GET', url: '/version' })).json(), { version: /^\d+\.\d+\.\d+/ });
  const nf = await app.public.inject({ method: 'GET', url: '/nope' });
  t.equal(nf.statusCode, 404);
  t.match(nf.json(), { error: { code: 404, status: 'Not Found', message: 'The requested resource could not be found' } });
  t.equal((await app.public.inject({ method: 'GET', url: '/version' })).statusCode, 404, 'version is admin-only');
  t.equal((await app.public.inject({ method: 'POST', url: '/admin/identities', payload: { traits: { email: 'a@b.co' } } })).statusCode, 404, 'admin routes are not on the public port');
});
