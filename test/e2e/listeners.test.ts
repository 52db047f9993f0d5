// End to end on real listeners with a cookie jar, as a browser would: login → createBrowserLogoutFlow
// → updateLogoutFlow → whoami 401. Also checks that admin routes exist only on the admin port.

import t from 'tap';
import type { AddressInfo } from 'node:net';
import { buildApp } from '../../src/app.js';
import { testConfig, PASSWORD } from '../helpers/app.js';

/** A minimal cookie jar over fetch: stores Set-Cookie, sends Cookie, never follows redirects. */
function browser() {
  const jar = new Map<string, string>();
  return {
    jar,
    async fetch(url: string, init: RequestInit = {}) {
      const headers = new Headers(init.headers);
      if (jar.size) headers.set('cookie', [...jar].map(([k, v]) => `${k}=${v}`).join('; '));
      if (!headers.has('accept')) headers.set('accept', 'text/html,application/xhtml+xml,*/*;q=0.8');
      const res = await fetch(url, { ...init, headers, redirect: 'manual' });
      for (const c of res.headers.getSetCookie()) {
        const [pair] = c.split(';');
        const i = (pair as string).indexOf('=');
        const name = (pair as string).slice(0, i);
        const value = (pair as string).slice(i + 1);
        if (/Max-Age=0/i.test(c) || value === '') jar.delete(name);
        else jar.set(name, value);
      }
      return res;
    },
  };
}

t.test('login, logout link, whoami 401 on real listeners', async (t) => {
  // Port 0: the OS picks free ports; base_url is fixed up after listening.
  const probe = await buildApp(testConfig({ dev: true, serve: { public: { port: 0 }, admin: { port: 0 } } }));
  await probe.public.listen({ host: '127.0.0.1', port: 0 });
  const port = (probe.public.server.address() as AddressInfo).port;
  await probe.close();

  const base = `http://127.0.0.1:${port}`;
  const app = await buildApp(
    testConfig({
      dev: true,
      serve: { public: { base_url: base } },
      selfservice: { default_browser_return_url: `${base}/`, allowed_return_urls: [`${base}/`], flows: { logout: { after: { default_browser_return_url: `${base}/signed-out` } } } },
    }),
  );
  t.teardown(() => app.close());
  await app.public.listen({ host: '127.0.0.1', port });
  await app.admin.listen({ host: '127.0.0.1', port: 0 });
  const adminBase = `http://127.0.0.1:${(app.admin.server.address() as AddressInfo).port}`;

  await fetch(`${adminBase}/admin/identities`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ schema_id: 'default', traits: { email: 'e2e@example.com' }, credentials: { password: { config: { password: PASSWORD } } } }),
  });
  t.equal((await fetch(`${base}/admin/identities`)).status, 404, 'admin API is not on the public port');

  const b = browser();
  const start = await b.fetch(`${base}/self-service/login/browser?return_to=${encodeURIComponent(`${base}/`)}`);
  t.equal(start.status, 303);
  const loginPage = await b.fetch(new URL(start.headers.get('location') as string, base).href);
  const html = await loginPage.text();
  const action = /<form id="login-form" method="POST" action="([^"]+)"/.exec(html)?.[1]?.replace(/&amp;/g, '&').replace(/&#x3D;/g, '=') as string;
  const csrf = /name="csrf_token" value="([^"]+)"/.exec(html)?.[1] as string;
  t.ok(action && csrf, 'the login page renders a form with the CSRF token');

  const login = await b.fetch(action, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ csrf_token: csrf, method: 'password', identifier: 'e2e@example.com', password: PASSWORD }),
  });
  t.equal(login.status, 303);
  t.equal(login.headers.get('location'), `${base}/`);
  t.ok(b.jar.has('ory_kratos_session'));

  const whoami = await b.fetch(`${base}/sessions/whoami`, { headers: { accept: 'application/json' } });
  t.equal(whoami.status, 200);

  const flow = await b.fetch(`${base}/self-service/logout/browser`, { headers: { accept: 'application/json' } });
  t.equal(flow.status, 200);
  const { logout_url } = (await flow.json()) as { logout_url: string };
  t.ok(logout_url.startsWith(`${base}/self-service/logout?token=ory_lo_`));

  const logout = await b.fetch(logout_url);
  t.equal(logout.status, 303);
  t.equal(logout.headers.get('location'), `${base}/signed-out`);
  t.notOk(b.jar.has('ory_kratos_session'), 'the cookie is gone');

  const after = await b.fetch(`${base}/sessions/whoami`, { headers: { accept: 'application/json' } });
  t.equal(after.status, 401);
  const signedOut = await b.fetch(`${base}/signed-out`);
  t.match(await signedOut.text(), /You are signed out/);
});
