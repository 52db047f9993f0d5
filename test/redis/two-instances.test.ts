// Two logoutd processes on one Redis, end to end over real listeners: whatever one instance does,
// the other sees (SPEC §1: everything shared lives in the store).

import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { freePort, startRedis } from '../helpers/redis-server.js';

const SECRET = 'two-instances-secret-of-at-least-32-chars';

async function startInstance(redisUrl: string): Promise<{ base: string; admin: string; child: ChildProcess }> {
  const [pub, adm] = [await freePort(), await freePort()];
  const base = `http://127.0.0.1:${pub}`;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: {
      PATH: process.env.PATH ?? '',
      LOGOUTD_DEV: 'false',
      LOGOUTD_SERVE_PUBLIC_PORT: String(pub),
      LOGOUTD_SERVE_ADMIN_PORT: String(adm),
      LOGOUTD_SERVE_PUBLIC_BASE_URL: base,
      LOGOUTD_SELFSERVICE_DEFAULT_BROWSER_RETURN_URL: `${base}/`,
      LOGOUTD_SELFSERVICE_ALLOWED_RETURN_URLS: `${base}/`,
      LOGOUTD_SELFSERVICE_FLOWS_LOGOUT_AFTER_DEFAULT_BROWSER_RETURN_URL: `${base}/signed-out`,
      LOGOUTD_SECRETS_DEFAULT: SECRET,
      LOGOUTD_SESSION_COOKIE_SECURE: 'false',
      LOGOUTD_STORE_KIND: 'redis',
      LOGOUTD_STORE_REDIS_URL: redisUrl,
      LOGOUTD_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ok = await fetch(`${base}/health/ready`).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline || child.exitCode !== null) throw new Error('instance did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  return { base, admin: `http://127.0.0.1:${adm}`, child };
}

const json = { accept: 'application/json' };

t.test('sign in through A, act through B', async (t) => {
  const redis = await startRedis();
  t.teardown(() => redis.stop());
  const [a, b] = await Promise.all([startInstance(redis.url), startInstance(redis.url)]);
  t.teardown(() => {
    a.child.kill('SIGTERM');
    b.child.kill('SIGTERM');
  });

  const created = await fetch(`${a.admin}/admin/identities`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ traits: { email: 'two@example.com' }, credentials: { password: { config: { password: 'two-instances' } } } }),
  });
  t.equal(created.status, 201);

  // A browser login through A (an SPA doing the browser flow as JSON).
  const start = await fetch(`${a.base}/self-service/login/browser`, { headers: json });
  const flow = (await start.json()) as { id: string; ui: { nodes: Array<{ attributes: { name: string; value?: string } }> } };
  const csrf = flow.ui.nodes.find((n) => n.attributes.name === 'csrf_token')?.attributes.value as string;
  const csrfCookie = (start.headers.getSetCookie()[0] as string).split(';')[0] as string;
  const login = await fetch(`${a.base}/self-service/login?flow=${flow.id}`, {
    method: 'POST',
    headers: { ...json, 'content-type': 'application/json', cookie: csrfCookie },
    body: JSON.stringify({ csrf_token: csrf, method: 'password', identifier: 'two@example.com', password: 'two-instances' }),
  });
  t.equal(login.status, 200);
  const cookie = login.headers.getSetCookie().find((c) => c.startsWith('ory_kratos_session='))?.split(';')[0] as string;
  t.ok(cookie, 'session cookie from A');

  t.equal((await fetch(`${b.base}/sessions/whoami`, { headers: { cookie, ...json } })).status, 200, 'B knows the session A issued');
  const logout = (await (await fetch(`${b.base}/self-service/logout/browser`, { headers: { cookie, ...json } })).json()) as { logout_url: string };
  t.ok(logout.logout_url.startsWith(b.base));
  t.equal((await fetch(logout.logout_url, { headers: { cookie, ...json } })).status, 204, 'logged out through B');
  t.equal((await fetch(`${a.base}/sessions/whoami`, { headers: { cookie, ...json } })).status, 401, 'and A agrees at once');

  // Revoke-all through B ends sessions created through A.
  const native = async () => {
    const f = (await (await fetch(`${a.base}/self-service/login/api`)).json()) as { id: string };
    const r = await fetch(`${a.base}/self-service/login?flow=${f.id}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ method: 'password', identifier: 'two@example.com', password: 'two-instances' }),
    });
    return ((await r.json()) as { session_token: string }).session_token;
  };
  const [t1, t2, t3] = [await native(), await native(), await native()];
  const revoked = await fetch(`${b.base}/sessions`, { method: 'DELETE', headers: { 'x-session-token': t1 } });
  t.same(await revoked.json(), { count: 2 });
  for (const token of [t2, t3]) t.equal((await fetch(`${a.base}/sessions/whoami`, { headers: { 'x-session-token': token } })).status, 401);
  t.equal((await fetch(`${a.base}/sessions/whoami`, { headers: { 'x-session-token': t1 } })).status, 200);

  // An error stored by A is readable through B.
  const forwarded = await fetch(`${a.base}/self-service/logout/browser`, { headers: { accept: 'text/html' }, redirect: 'manual' });
  t.equal(forwarded.status, 303);
  const id = new URL(forwarded.headers.get('location') as string).searchParams.get('id') as string;
  const stored = await fetch(`${b.base}/self-service/errors?id=${id}`);
  t.equal(stored.status, 200);
  t.equal(((await stored.json()) as { error: { id: string } }).error.id, 'session_inactive');

  // The audit trail is shared too.
  const events = (await (await fetch(`${b.admin}/admin/events?page_size=100`)).json()) as Array<{ type: string; reason?: string }>;
  t.equal(events.filter((e) => e.reason === 'logout_browser').length, 1);
  t.equal(events.filter((e) => e.reason === 'revoke_others').length, 2);
});
