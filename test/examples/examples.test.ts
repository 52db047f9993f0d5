// Runs the README's examples against a running logoutd, and checks the README shows them verbatim.

import t from 'tap';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { PASSWORD, listeningApp } from '../helpers/app.js';
import { logoutLink } from './server-rendered.js';
import { makeAuthProvider } from './spa.js';
import { signIn, signOut } from './native.js';
import { verifySignature, webhookReceiver } from './webhook-receiver.js';
import { cookieJarFetch } from '../helpers/cookie-jar.js';

const EXAMPLES = ['server-rendered.ts', 'spa.ts', 'native.ts', 'webhook-receiver.ts'];

t.test('the README shows each example as it is', async (t) => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  for (const file of EXAMPLES) {
    const code = readFileSync(new URL(`./${file}`, import.meta.url), 'utf8').trim();
    t.ok(readme.includes(code), `README contains test/examples/${file}`);
  }
});

t.test('the examples work against a running logoutd', async (t) => {
  const secret = 'example-webhook-secret';
  const events: Array<{ type: string; reason?: string }> = [];
  const receiver = webhookReceiver(secret, (e) => events.push(e));
  receiver.listen(0, '127.0.0.1');
  await once(receiver, 'listening');
  t.teardown(() => receiver.close());
  const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/logoutd`;

  const { app, base } = await listeningApp({ webhooks: [{ url: hookUrl, secret, events: ['session.revoked'] }] });
  t.teardown(() => app.close());
  await app.admin.inject({ method: 'POST', url: '/admin/identities', payload: { traits: { email: 'ex@example.com' }, credentials: { password: { config: { password: PASSWORD } } } } });

  // Native
  const token = await signIn(base, 'ex@example.com', PASSWORD);
  t.match(token, /^ory_st_/);
  await signOut(base, token);
  await signOut(base, token); // idempotent
  t.equal((await fetch(`${base}/sessions/whoami`, { headers: { 'x-session-token': token } })).status, 401);

  // Server-rendered: the link comes from the SDK and logs out when followed.
  t.equal(await logoutLink(base, 'ory_kratos_session=nope'), null, 'not signed in → no link');
  const flow = (await (await fetch(`${base}/self-service/login/browser`, { headers: { accept: 'application/json' } })).json()) as { id: string; ui: { nodes: Array<{ attributes: { name: string; value?: string } }> } };
  const csrf = flow.ui.nodes[0]?.attributes.value as string;
  const start = await fetch(`${base}/self-service/login/browser`, { headers: { accept: 'application/json' } });
  const f2 = (await start.json()) as typeof flow;
  const login = await fetch(`${base}/self-service/login?flow=${f2.id}`, {
    method: 'POST',
    headers: { accept: 'application/json', 'content-type': 'application/json', cookie: (start.headers.getSetCookie()[0] as string).split(';')[0] as string },
    body: JSON.stringify({ csrf_token: f2.ui.nodes[0]?.attributes.value, method: 'password', identifier: 'ex@example.com', password: PASSWORD }),
  });
  t.ok(csrf);
  const cookie = login.headers.getSetCookie().find((c) => c.startsWith('ory_kratos_session='))?.split(';')[0] as string;
  const link = await logoutLink(base, cookie, `${base}/`);
  t.ok(link?.startsWith(`${base}/self-service/logout?token=ory_lo_`), 'a logout link');
  const click = await fetch(link as string, { headers: { cookie }, redirect: 'manual' });
  t.equal(click.status, 303);
  t.equal(click.headers.get('location'), `${base}/`);

  // SPA: the auth provider, with a cookie jar standing in for the browser.
  const { fetch: browserFetch } = cookieJarFetch();
  const auth = makeAuthProvider(base, browserFetch);
  t.match(await auth.login({ email: 'ex@example.com', password: PASSWORD }), { success: true });
  t.match(await auth.check(), { authenticated: true });
  t.match(await auth.getIdentity(), { traits: { email: 'ex@example.com' } });
  t.match(await auth.logout({}), { success: true });
  t.match(await auth.check(), { authenticated: false });

  // Webhooks: the receiver got signed revocation events (native, link, SPA).
  const deadline = Date.now() + 10_000;
  while (events.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  t.same(events.map((e) => e.reason).sort(), ['logout_api', 'logout_browser', 'logout_browser']);
  t.notOk(verifySignature(secret, 't=1,v1=00', '{}'), 'a stale or forged signature is refused');
});
