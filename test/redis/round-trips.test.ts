// The round-trip budget per operation, through HTTP against a real Redis (SPEC §13): one round
// trip for whoami and createBrowserLogoutFlow, at most two for each revocation. Counted at the
// socket: commands written before any reply came back travel together, so they are one trip.

import t from 'tap';
import { Redis } from 'ioredis';
import { RedisStore } from '../../src/store/redis-store.js';
import { startRedis } from '../helpers/redis-server.js';
import { createIdentity, loginBrowser, loginNative, testApp } from '../helpers/app.js';
import { LOGOUT_API_PATH, LOGOUT_BROWSER_PATH, LOGOUT_PATH } from '../../src/flows/logout/routes.js';
import { WHOAMI_PATH } from '../../src/sessions/routes.js';

t.test('round trips per request', async (t) => {
  const redis = await startRedis();
  t.teardown(() => redis.stop());
  const client = new Redis(redis.url);
  t.teardown(() => client.quit());
  const store = new RedisStore(client, { keyPrefix: 'rt:' });
  await store.loadScripts();

  // A round trip starts with the first write after a reply came back: commands written before any
  // reply (concurrent ones) share a trip; a command that needed an earlier answer starts a new one.
  let trips = 0;
  let commands = 0;
  let replied = true;
  client.stream.on('data', () => (replied = true));
  const write = client.stream.write.bind(client.stream) as (...a: unknown[]) => boolean;
  client.stream.write = ((...a: unknown[]) => {
    commands++;
    if (replied) {
      trips++;
      replied = false;
    }
    return write(...a);
  }) as typeof client.stream.write;
  const measure = async (fn: () => Promise<{ statusCode: number }>, expectStatus: number) => {
    trips = 0;
    commands = 0;
    replied = true;
    const res = await fn();
    t.equal(res.statusCode, expectStatus);
    return { trips, commands };
  };

  for (const rateLimited of [false, true]) {
    const app = await testApp({ rate_limit: { enabled: rateLimited } }, { store });
    t.teardown(() => app.close());
    const email = `rt-${rateLimited}@example.com`;
    await createIdentity(app, email);
    const { cookie } = await loginBrowser(app, email);
    const native = await loginNative(app, email);
    // Warm the identity cache, as any running instance has.
    await app.public.inject({ method: 'GET', url: WHOAMI_PATH, headers: { cookie } });
    const label = rateLimited ? ' (rate limiting on)' : '';

    const whoami = await measure(() => app.public.inject({ method: 'GET', url: WHOAMI_PATH, headers: { cookie } }), 200);
    t.equal(whoami.trips, 1, `whoami: 1 round trip${label}`);
    t.equal(whoami.commands, 1, `whoami: 1 command${label}`);

    const flow = await measure(() => app.public.inject({ method: 'GET', url: LOGOUT_BROWSER_PATH, headers: { cookie } }), 200);
    t.equal(flow.trips, 1, `createBrowserLogoutFlow: 1 round trip${label}`);
    const token = (await app.public.inject({ method: 'GET', url: LOGOUT_BROWSER_PATH, headers: { cookie } })).json().logout_token;

    const update = await measure(() => app.public.inject({ method: 'GET', url: `${LOGOUT_PATH}?token=${token}`, headers: { cookie, accept: 'application/json' } }), 204);
    t.ok(update.trips <= 2, `updateLogoutFlow: ${update.trips} round trip(s) ≤ 2${label}`);
    t.equal(update.trips, rateLimited ? 2 : 1, rateLimited ? 'rate counters (together), then one script' : 'one: the check, the revocation and the event are one script');

    const nativeLogout = await measure(() => app.public.inject({ method: 'DELETE', url: LOGOUT_API_PATH, payload: { session_token: native.session_token } }), 204);
    t.ok(nativeLogout.trips <= 2, `performNativeLogout: ${nativeLogout.trips} round trip(s) ≤ 2${label}`);
    t.equal(nativeLogout.trips, rateLimited ? 2 : 1, `${rateLimited ? 'rate counters (together), then the revocation' : 'the revocation alone'}: ${JSON.stringify(nativeLogout)}`);
  }
});
