// SPEC §5.3: performNativeLogout, every malformed body with its own reason, idempotent repeats,
// Bearer fallback and the rate limit.

import t from 'tap';
import { LOGOUT_API_PATH } from '../../src/flows/logout/routes.js';
import { ErrorIds } from '../../src/errors/http-error.js';
import { WHOAMI_PATH } from '../../src/sessions/routes.js';
import { createIdentity, loginBrowser, loginNative, testApp, testClock } from '../helpers/app.js';
import type { App } from '../../src/app.js';

async function setup(raw: Record<string, unknown> = {}) {
  const clock = testClock(Date.now());
  const app = await testApp(raw, { clock: clock.now });
  await createIdentity(app, 'nat@example.com');
  return { app, clock };
}

const del = (app: App, payload?: unknown, headers: Record<string, string> = {}) =>
  app.public.inject({
    method: 'DELETE',
    url: LOGOUT_API_PATH,
    headers: payload === undefined ? headers : { 'content-type': 'application/json', ...headers },
    ...(payload === undefined ? {} : { payload: typeof payload === 'string' ? payload : JSON.stringify(payload) }),
  });

const alive = async (app: App, token: string) =>
  (await app.public.inject({ method: 'GET', url: WHOAMI_PATH, headers: { 'x-session-token': token } })).statusCode === 200;

t.test('revokes the session: 204, then repeats are 204 too', async (t) => {
  const { app } = await setup();
  t.teardown(() => app.close());
  const { session_token } = await loginNative(app, 'nat@example.com');
  const res = await del(app, { session_token, unknown_field: 1 });
  t.equal(res.statusCode, 204);
  t.equal(res.body, '');
  t.notOk(res.headers['set-cookie'], 'cookies untouched');
  t.notOk(await alive(app, session_token));
  t.equal((await del(app, { session_token })).statusCode, 204, 'idempotent');
});

t.test('Bearer is used when the body has no session_token', async (t) => {
  const { app } = await setup();
  t.teardown(() => app.close());
  const { session_token } = await loginNative(app, 'nat@example.com');
  t.equal((await del(app, undefined, { authorization: `Bearer ${session_token}` })).statusCode, 204);
  t.notOk(await alive(app, session_token));
  const other = await loginNative(app, 'nat@example.com');
  t.equal((await del(app, {}, { authorization: `Bearer ${other.session_token}` })).statusCode, 204, 'an empty object falls back too');
  t.notOk(await alive(app, other.session_token));
});

t.test('the body token wins over Bearer and only that session ends', async (t) => {
  const { app } = await setup();
  t.teardown(() => app.close());
  const a = await loginNative(app, 'nat@example.com');
  const b = await loginNative(app, 'nat@example.com');
  t.equal((await del(app, { session_token: a.session_token }, { authorization: `Bearer ${b.session_token}` })).statusCode, 204);
  t.notOk(await alive(app, a.session_token));
  t.ok(await alive(app, b.session_token));
});

t.test('malformed requests: each 400 with its reason; nothing revoked', async (t) => {
  const { app } = await setup();
  t.teardown(() => app.close());
  const { session_token } = await loginNative(app, 'nat@example.com');
  const cases: Array<[string, () => ReturnType<typeof del>, string, RegExp]> = [
    ['malformed JSON', () => del(app, '{"session_token":'), ErrorIds.invalidRequest, /not valid JSON/],
    ['an array', () => del(app, [session_token]), ErrorIds.invalidRequest, /JSON object/],
    ['a string', () => del(app, JSON.stringify(session_token)), ErrorIds.invalidRequest, /JSON object/],
    ['a number token', () => del(app, { session_token: 12 }), ErrorIds.invalidRequest, /must be a string/],
    ['an object token', () => del(app, { session_token: { a: 1 } }), ErrorIds.invalidRequest, /must be a string/],
    [
      'not JSON (form)',
      () =>
        app.public.inject({
          method: 'DELETE',
          url: LOGOUT_API_PATH,
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          payload: `session_token=${session_token}`,
        }),
      ErrorIds.invalidRequest,
      /must be JSON/,
    ],
    [
      'not JSON (text/plain)',
      () => app.public.inject({ method: 'DELETE', url: LOGOUT_API_PATH, headers: { 'content-type': 'text/plain' }, payload: session_token }),
      ErrorIds.invalidRequest,
      /Content-Type/,
    ],
    ['no body, no Bearer', () => del(app), ErrorIds.sessionTokenMissing, /No session token/],
    ['empty session_token', () => del(app, { session_token: '' }), ErrorIds.sessionTokenMissing, /empty/],
    ['empty Bearer', () => del(app, undefined, { authorization: 'Bearer ' }), ErrorIds.sessionTokenMissing, /Bearer value is empty/],
  ];
  for (const [name, send, id, reason] of cases) {
    const res = await send();
    t.equal(res.statusCode, 400, `${name}: 400`);
    const err = res.json().error;
    t.equal(err.id, id, `${name}: id`);
    t.match(err.reason, reason, `${name}: reason`);
    t.equal(err.code, 400);
  }
  t.ok(await alive(app, session_token), 'nothing was revoked');
});

t.test('unknown token: 403 without an id, as in Kratos', async (t) => {
  const { app } = await setup();
  t.teardown(() => app.close());
  for (const token of ['ory_st_doesnotexistdoesnotexistdoesnotex', 'garbage', 'x'.repeat(5000)]) {
    const res = await del(app, { session_token: token });
    t.equal(res.statusCode, 403);
    t.equal(res.json().error.id, undefined);
    t.equal(res.json().error.reason, 'The provided Ory Session Token could not be found, is invalid, or otherwise malformed.');
  }
});

t.test('an expired session is still known (204) within the marker window, then unknown', async (t) => {
  const { app, clock } = await setup();
  t.teardown(() => app.close());
  const { session_token } = await loginNative(app, 'nat@example.com');
  clock.advance(24 * 3600 * 1000 + 1000);
  t.notOk(await alive(app, session_token), 'expired');
  t.equal((await del(app, { session_token })).statusCode, 204);
  clock.advance(2 * 3600 * 1000);
  t.equal((await del(app, { session_token })).statusCode, 403, 'marker gone after an hour past expiry');
});

t.test('a revoked session stays recognised for at least an hour', async (t) => {
  const { app, clock } = await setup();
  t.teardown(() => app.close());
  const { session_token } = await loginNative(app, 'nat@example.com');
  t.equal((await del(app, { session_token })).statusCode, 204);
  clock.advance(59 * 60 * 1000);
  t.equal((await del(app, { session_token })).statusCode, 204);
});

t.test('browser cookies are untouched by a native logout of another session', async (t) => {
  const { app } = await setup();
  t.teardown(() => app.close());
  const browser = await loginBrowser(app, 'nat@example.com');
  const { session_token } = await loginNative(app, 'nat@example.com');
  const res = await del(app, { session_token }, { cookie: browser.cookie });
  t.equal(res.statusCode, 204);
  t.notOk(res.headers['set-cookie']);
  t.equal((await app.public.inject({ method: 'GET', url: WHOAMI_PATH, headers: { cookie: browser.cookie } })).statusCode, 200);
});

t.test('rate limit: per IP and per token, with headers and a 429 envelope', async (t) => {
  const { app, clock } = await setup({ rate_limit: { enabled: true, logout_api: { max: 3, window: '1m' } } });
  t.teardown(() => app.close());
  const statuses: number[] = [];
  let last;
  for (let i = 0; i < 4; i++) {
    last = await del(app, { session_token: 'ory_st_unknownunknownunknownunknown' });
    statuses.push(last.statusCode);
    t.equal(last.headers['x-ratelimit-limit'], '3');
  }
  t.same(statuses, [403, 403, 403, 429]);
  t.equal(last?.headers['x-ratelimit-remaining'], '0');
  t.ok(Number(last?.headers['retry-after']) > 0 && Number(last?.headers['retry-after']) <= 60);
  t.equal(last?.json().error.id, ErrorIds.rateLimitExceeded);
  t.equal(last?.json().error.code, 429);
  clock.advance(61_000);
  t.equal((await del(app, { session_token: 'ory_st_unknownunknownunknownunknown' })).statusCode, 403, 'the window resets');
  t.equal((await del(app)).headers['x-ratelimit-limit'], '3', 'headers on a 400 too');
});

t.test('rate limit can be disabled', async (t) => {
  const { app } = await setup({ rate_limit: { enabled: false, logout_api: { max: 1 } } });
  t.teardown(() => app.close());
  for (let i = 0; i < 3; i++) t.equal((await del(app, { session_token: 'ory_st_unknownunknownunknownunknown' })).statusCode, 403);
});

t.test('updateLogoutFlow and login are rate limited too', async (t) => {
  const { app } = await setup({ rate_limit: { enabled: true, logout_api: { max: 2, window: '1m' }, login: { max: 2, window: '1m' } } });
  t.teardown(() => app.close());
  const statuses: number[] = [];
  for (let i = 0; i < 3; i++) {
    const res = await app.public.inject({ method: 'GET', url: '/self-service/logout?token=ory_lo_x', headers: { accept: 'application/json' } });
    statuses.push(res.statusCode);
    t.equal(res.headers['x-ratelimit-limit'], '2');
  }
  t.same(statuses, [401, 401, 429]);

  const flow = (await app.public.inject({ method: 'GET', url: '/self-service/login/api' })).json();
  const login = () => app.public.inject({ method: 'POST', url: `/self-service/login?flow=${flow.id}`, payload: { method: 'password', identifier: 'nat@example.com', password: 'wrong' } });
  t.same([(await login()).statusCode, (await login()).statusCode, (await login()).statusCode], [400, 400, 429]);
  const limited = await login();
  t.equal(limited.json().error.id, ErrorIds.rateLimitExceeded);
  t.ok(Number(limited.headers['retry-after']) > 0);
});
