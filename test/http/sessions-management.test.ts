// SPEC §5.5, §5.6 and §9 through HTTP: listing and revoking my sessions, the admin session API,
// the audit trail (one event per revocation path, no tokens) and Clear-Site-Data.

import t from 'tap';
import { MY_SESSIONS_PATH } from '../../src/sessions/routes.js';
import { ADMIN_EVENTS_PATH, ADMIN_SESSIONS_PATH } from '../../src/admin/session-routes.js';
import { LOGOUT_API_PATH, LOGOUT_BROWSER_PATH, LOGOUT_PATH } from '../../src/flows/logout/routes.js';
import { ErrorIds } from '../../src/errors/http-error.js';
import type { App } from '../../src/app.js';
import { createIdentity, loginBrowser, loginNative, testApp, testClock } from '../helpers/app.js';

const whoami = async (app: App, token: string) =>
  (await app.public.inject({ method: 'GET', url: '/sessions/whoami', headers: { 'x-session-token': token } })).statusCode;

t.test('my sessions: list others newest first, paged, revoke one, revoke others', async (t) => {
  const clock = testClock(Date.now());
  const app = await testApp({}, { clock: clock.now });
  t.teardown(() => app.close());
  await createIdentity(app, 'ivy@example.com');
  await createIdentity(app, 'jon@example.com');
  const mine: Array<Awaited<ReturnType<typeof loginNative>>> = [];
  for (let i = 0; i < 4; i++) {
    mine.push(await loginNative(app, 'ivy@example.com'));
    clock.advance(1000);
  }
  const jon = await loginNative(app, 'jon@example.com');
  const current = mine[0] as (typeof mine)[number];
  const headers = { 'x-session-token': current.session_token };

  const list = await app.public.inject({ method: 'GET', url: MY_SESSIONS_PATH, headers });
  t.equal(list.statusCode, 200);
  t.same(
    list.json().map((s: { id: string }) => s.id),
    [mine[3], mine[2], mine[1]].map((m) => m?.session.id),
    'the other three, newest first, not the current one',
  );
  t.equal(list.headers['x-total-count'], '3');
  t.match(list.headers.link, /rel="first"/);

  const page1 = await app.public.inject({ method: 'GET', url: `${MY_SESSIONS_PATH}?page_size=2`, headers });
  t.equal(page1.json().length, 2);
  const next = /<([^>]+)>; rel="next"/.exec(page1.headers.link as string)?.[1] as string;
  t.ok(next, 'a next link');
  const page2 = await app.public.inject({ method: 'GET', url: new URL(next).pathname + new URL(next).search, headers });
  t.same(page2.json().map((s: { id: string }) => s.id), [mine[1]?.session.id]);
  t.notMatch(page2.headers.link as string, /rel="next"/, 'last page has no next');
  t.equal((await app.public.inject({ method: 'GET', url: `${MY_SESSIONS_PATH}?page_token=%%%`, headers })).statusCode, 400);
  t.equal((await app.public.inject({ method: 'GET', url: `${MY_SESSIONS_PATH}?page_size=5000`, headers })).statusCode, 400);

  t.test('DELETE /sessions/{id}', async (t) => {
    const del = (id: string) => app.public.inject({ method: 'DELETE', url: `${MY_SESSIONS_PATH}/${id}`, headers });
    t.equal((await del(current.session.id)).statusCode, 400, 'not the current session');
    const other = await del(jon.session.id);
    t.equal(other.statusCode, 404, "someone else's session is not found");
    t.equal(await whoami(app, jon.session_token), 200, 'and untouched');
    t.equal((await del(mine[3]?.session.id as string)).statusCode, 204);
    t.equal(await whoami(app, mine[3]?.session_token as string), 401);
    t.equal((await del(mine[3]?.session.id as string)).statusCode, 204, 'already revoked → 204');
    t.equal((await del('00000000-0000-4000-8000-000000000000')).statusCode, 404);
  });

  t.test('DELETE /sessions revokes all the others and counts them', async (t) => {
    const res = await app.public.inject({ method: 'DELETE', url: MY_SESSIONS_PATH, headers });
    t.equal(res.statusCode, 200);
    t.same(res.json(), { count: 2 });
    t.equal(await whoami(app, current.session_token), 200, 'the current one survives');
    t.equal(await whoami(app, mine[1]?.session_token as string), 401);
    t.equal(await whoami(app, jon.session_token), 200, 'other identities untouched');
    t.same((await app.public.inject({ method: 'DELETE', url: MY_SESSIONS_PATH, headers })).json(), { count: 0 }, 'never counted twice');
  });

  t.test('without a session: 401', async (t) => {
    for (const method of ['GET', 'DELETE'] as const) {
      const res = await app.public.inject({ method, url: MY_SESSIONS_PATH });
      t.equal(res.statusCode, 401);
      t.equal(res.json().error.id, ErrorIds.sessionInactive);
    }
  });
});

t.test('admin sessions API', async (t) => {
  const clock = testClock(Date.now());
  const app = await testApp({}, { clock: clock.now });
  t.teardown(() => app.close());
  const kim = await createIdentity(app, 'kim@example.com');
  const lee = await createIdentity(app, 'lee@example.com');
  const a = await loginNative(app, 'kim@example.com');
  const b = await loginNative(app, 'kim@example.com');
  const c = await loginNative(app, 'lee@example.com');

  const get = (url: string) => app.admin.inject({ method: 'GET', url });
  const all = await get(`${ADMIN_SESSIONS_PATH}?page_size=2`);
  t.equal(all.statusCode, 200);
  t.equal(all.json().length, 2);
  t.ok(all.json()[0].identity, 'identity embedded');
  const next = /<([^>]+)>; rel="next"/.exec(all.headers.link as string)?.[1] as string;
  const rest = await get(new URL(next).pathname + new URL(next).search);
  const ids = [...all.json(), ...rest.json()].map((s: { id: string }) => s.id).sort();
  t.same(ids, [a, b, c].map((x) => x.session.id).sort(), 'paging covers every session once');

  const one = await get(`${ADMIN_SESSIONS_PATH}/${a.session.id}`);
  t.equal(one.statusCode, 200);
  t.equal(one.json().identity.id, kim.id);
  t.equal((await get(`${ADMIN_SESSIONS_PATH}/nope`)).statusCode, 404);

  t.test('extend', async (t) => {
    clock.advance(3600_000);
    const res = await app.admin.inject({ method: 'PATCH', url: `${ADMIN_SESSIONS_PATH}/${a.session.id}/extend` });
    t.equal(res.statusCode, 200);
    t.equal(Date.parse(res.json().expires_at), clock.now() + 24 * 3600_000);
    t.equal((await app.admin.inject({ method: 'PATCH', url: `${ADMIN_SESSIONS_PATH}/nope/extend` })).statusCode, 404);
  });

  t.test('revoke, idempotently', async (t) => {
    const del = () => app.admin.inject({ method: 'DELETE', url: `${ADMIN_SESSIONS_PATH}/${b.session.id}` });
    t.equal((await del()).statusCode, 204);
    t.equal(await whoami(app, b.session_token), 401);
    t.equal((await del()).statusCode, 204);
    t.equal((await app.admin.inject({ method: 'DELETE', url: `${ADMIN_SESSIONS_PATH}/00000000-0000-4000-8000-000000000000` })).statusCode, 404);
    t.equal((await app.admin.inject({ method: 'PATCH', url: `${ADMIN_SESSIONS_PATH}/${b.session.id}/extend` })).statusCode, 404, 'a revoked session cannot be extended');
  });

  t.test('active filter and identity sessions', async (t) => {
    const active = await get(`${ADMIN_SESSIONS_PATH}?active=true`);
    t.notOk(active.json().some((s: { id: string }) => s.id === b.session.id));
    const inactive = await get(`${ADMIN_SESSIONS_PATH}?active=false`);
    t.same(inactive.json().map((s: { id: string }) => s.id), [b.session.id]);
    const kims = await get(`/admin/identities/${kim.id}/sessions`);
    t.equal(kims.json().length, 2);
    t.equal(kims.headers['x-total-count'], '2');
    t.equal((await get(`/admin/identities/nope/sessions`)).statusCode, 404);
  });

  t.test('revoke all of an identity', async (t) => {
    t.equal((await app.admin.inject({ method: 'DELETE', url: `/admin/identities/${kim.id}/sessions` })).statusCode, 204);
    t.equal(await whoami(app, a.session_token), 401);
    t.equal(await whoami(app, c.session_token), 200, "lee's session lives");
    t.equal((await app.admin.inject({ method: 'DELETE', url: `/admin/identities/nope/sessions` })).statusCode, 404);
    t.ok(lee.id);
  });

  t.test('the admin API is not on the public port', async (t) => {
    for (const url of [ADMIN_SESSIONS_PATH, `${ADMIN_SESSIONS_PATH}/${c.session.id}`, ADMIN_EVENTS_PATH]) {
      t.equal((await app.public.inject({ method: 'GET', url })).statusCode, 404, url);
    }
    t.equal((await app.public.inject({ method: 'DELETE', url: `${ADMIN_SESSIONS_PATH}/${c.session.id}` })).statusCode, 404);
    t.equal(await whoami(app, c.session_token), 200);
  });
});

t.test('audit trail: one event per revocation path, with the request details and no token', async (t) => {
  const clock = testClock(Date.now());
  const app = await testApp({}, { clock: clock.now });
  t.teardown(() => app.close());
  const id = await createIdentity(app, 'max@example.com');
  const ua = { 'user-agent': 'AuditAgent/2.0' };
  const tokens: string[] = [];
  const native = async () => {
    const s = await loginNative(app, 'max@example.com');
    tokens.push(s.session_token);
    return s;
  };

  // browser (GET link)
  const browser = await loginBrowser(app, 'max@example.com');
  const lo = (await app.public.inject({ method: 'GET', url: LOGOUT_BROWSER_PATH, headers: { cookie: browser.cookie } })).json().logout_token;
  await app.public.inject({ method: 'GET', url: `${LOGOUT_PATH}?token=${lo}`, headers: { cookie: browser.cookie, accept: 'text/html', ...ua } });
  // native
  const n1 = await native();
  await app.public.inject({ method: 'DELETE', url: LOGOUT_API_PATH, headers: ua, payload: { session_token: n1.session_token } });
  // revoke-others and revoke-one
  const keep = await native();
  const other1 = await native();
  await app.public.inject({ method: 'DELETE', url: `${MY_SESSIONS_PATH}/${other1.session.id}`, headers: { 'x-session-token': keep.session_token, ...ua } });
  await native();
  await app.public.inject({ method: 'DELETE', url: MY_SESSIONS_PATH, headers: { 'x-session-token': keep.session_token, ...ua } });
  // admin and identity deletion
  const adm = await native();
  await app.admin.inject({ method: 'DELETE', url: `${ADMIN_SESSIONS_PATH}/${adm.session.id}`, headers: ua });
  await app.admin.inject({ method: 'DELETE', url: `/admin/identities/${id.id}`, headers: ua });

  const res = await app.admin.inject({ method: 'GET', url: `${ADMIN_EVENTS_PATH}?page_size=1000` });
  t.equal(res.statusCode, 200);
  const events = res.json() as Array<Record<string, string>>;
  const revoked = events.filter((e) => e.type === 'session.revoked');
  t.same(
    revoked.map((e) => e.reason),
    ['logout_browser', 'logout_api', 'revoke_one', 'revoke_others', 'admin', 'identity_deleted'],
    'one event per path, in order',
  );
  t.equal(events.filter((e) => e.type === 'session.created').length, 6, 'one per login');
  for (const e of revoked) {
    t.equal(e.identity_id, id.id);
    t.equal(e.user_agent, 'AuditAgent/2.0');
    t.equal(e.ip, '127.0.0.1');
    t.match(e.time, /Z$/);
  }
  const body = res.body;
  for (const token of tokens) t.notOk(body.includes(token), 'no session token in the trail');
  t.notMatch(body, /ory_st_|ory_lo_/);

  t.test('paging: oldest first after a cursor, next cursor in Link', async (t) => {
    const first = await app.admin.inject({ method: 'GET', url: `${ADMIN_EVENTS_PATH}?page_size=3&page_token=${Buffer.from(events[0]?.id as string).toString('base64url')}` });
    t.same(first.json().map((e: { id: string }) => e.id), events.slice(1, 4).map((e) => e.id));
    const next = /<([^>]+)>; rel="next"/.exec(first.headers.link as string)?.[1] as string;
    const second = await app.admin.inject({ method: 'GET', url: new URL(next).pathname + new URL(next).search });
    t.same(second.json().map((e: { id: string }) => e.id), events.slice(4, 7).map((e) => e.id));
    const latest = await app.admin.inject({ method: 'GET', url: `${ADMIN_EVENTS_PATH}?page_size=2` });
    t.same(latest.json().map((e: { id: string }) => e.id), events.slice(-2).map((e) => e.id), 'default: the latest page');
    t.equal((await app.admin.inject({ method: 'GET', url: `${ADMIN_EVENTS_PATH}?page_token=${Buffer.from('junk').toString('base64url')}` })).statusCode, 400);
  });
});

t.test('Clear-Site-Data on https logouts only', async (t) => {
  const raw = { serve: { public: { trust_proxy: true } }, selfservice: { flows: { logout: { clear_site_data: ['cookies', 'storage'] } } } };
  const app = await testApp(raw);
  t.teardown(() => app.close());
  await createIdentity(app, 'ned@example.com');
  const logout = async (headers: Record<string, string>) => {
    const { session_token } = await loginNative(app, 'ned@example.com');
    const lo = (await app.public.inject({ method: 'GET', url: LOGOUT_BROWSER_PATH, headers: { 'x-session-token': session_token } })).json().logout_token;
    return app.public.inject({ method: 'GET', url: `${LOGOUT_PATH}?token=${lo}`, headers: { 'x-session-token': session_token, accept: 'application/json', ...headers } });
  };
  const https = await logout({ 'x-forwarded-proto': 'https' });
  t.equal(https.statusCode, 204);
  t.equal(https.headers['clear-site-data'], '"cookies", "storage"');
  t.notOk((await logout({})).headers['clear-site-data'], 'not on plain http');

  const untrusted = await testApp({ selfservice: { flows: { logout: { clear_site_data: ['cookies'] } } } });
  t.teardown(() => untrusted.close());
  await createIdentity(untrusted, 'ned@example.com');
  const { session_token } = await loginNative(untrusted, 'ned@example.com');
  const lo = (await untrusted.public.inject({ method: 'GET', url: LOGOUT_BROWSER_PATH, headers: { 'x-session-token': session_token } })).json().logout_token;
  const res = await untrusted.public.inject({
    method: 'GET',
    url: `${LOGOUT_PATH}?token=${lo}`,
    headers: { 'x-session-token': session_token, accept: 'application/json', 'x-forwarded-proto': 'https' },
  });
  t.equal(res.statusCode, 204);
  t.notOk(res.headers['clear-site-data'], 'X-Forwarded-Proto is ignored without trust_proxy');

  const graceful = await app.public.inject({ method: 'GET', url: `${LOGOUT_PATH}?token=ory_lo_x`, headers: { 'x-forwarded-proto': 'https', accept: 'text/html' } });
  t.equal(graceful.statusCode, 303);
  t.equal(graceful.headers['clear-site-data'], '"cookies", "storage"', 'graceful repeat clears site data too');
});
