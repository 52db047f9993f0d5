// Logout webhooks end to end (SPEC §9): real apps (memory store, and Redis on a private
// redis-server) POSTing to a real HTTP receiver on 127.0.0.1. Backoff, polls and leases are
// shortened through AppDeps.webhooks; the production defaults are checked separately.

import t from 'tap';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import { Writable } from 'node:stream';
import type { App } from '../../src/app.js';
import { LOGOUT_API_PATH, LOGOUT_BROWSER_PATH } from '../../src/flows/logout/routes.js';
import { verify, SIGNATURE_HEADER, EVENT_ID_HEADER } from '../../src/events/signature.js';
import { backoffMs, DEFAULT_LEASE_MS, DEFAULT_POLL_MS, DEFAULT_RETRY, DEFAULT_TIMEOUT_MS } from '../../src/events/dispatcher.js';
import type { WebhookTuning } from '../../src/events/webhooks.js';
import { createIdentity, loginBrowser, loginNative, testApp } from '../helpers/app.js';
import { freePort, startRedis } from '../helpers/redis-server.js';

const SECRET = 'webhook-secret-0123456789';
const FAST: WebhookTuning = { pollMs: 20, leaseMs: 2000, timeoutMs: 1000, retry: { baseMs: 50, capMs: 200 } };
const NO_LIMITS = { rate_limit: { enabled: false } };

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

type Answer = number | 'hang';

/** A webhook receiver on 127.0.0.1; `answer` picks the status (or holds the request open). */
async function startReceiver(answer: (r: Received, index: number) => Answer = () => 200, port = 0) {
  const received: Received[] = [];
  const held: ServerResponse[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      const r = { path: req.url ?? '', headers: req.headers, body, at: Date.now() };
      received.push(r);
      const a = answer(r, received.length - 1);
      if (a === 'hang') held.push(res);
      else res.writeHead(a).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const addr = server.address();
  const actualPort = typeof addr === 'object' && addr ? addr.port : port;
  return {
    url: `http://127.0.0.1:${actualPort}`,
    received,
    /** Answers every held request with 200. */
    release() {
      for (const res of held.splice(0)) res.writeHead(200).end();
    },
    async close() {
      for (const res of held.splice(0)) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// Generous deadlines: these tests share the machine with benchmarks; the assertions that matter
// compare against what the wrong behaviour would take, not against tight wall-clock budgets.
async function waitFor(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Browser logout through the link createBrowserLogoutFlow gives. */
async function logoutBrowser(app: App, email: string): Promise<void> {
  const { cookie } = await loginBrowser(app, email);
  const flow = await app.public.inject({ method: 'GET', url: LOGOUT_BROWSER_PATH, headers: { cookie, accept: 'application/json' } });
  const url = new URL(flow.json().logout_url as string);
  const res = await app.public.inject({ method: 'GET', url: url.pathname + url.search, headers: { cookie, accept: 'text/html', 'user-agent': 'browser-ua/1.0' } });
  if (res.statusCode !== 303) throw new Error(`browser logout: ${res.statusCode} ${res.body}`);
}

async function logoutNative(app: App, email: string): Promise<string> {
  const { session_token } = await loginNative(app, email);
  const res = await app.public.inject({ method: 'DELETE', url: LOGOUT_API_PATH, headers: { 'user-agent': 'native-ua/2.0' }, payload: { session_token } });
  if (res.statusCode !== 204) throw new Error(`native logout: ${res.statusCode} ${res.body}`);
  return session_token;
}

const eventIdOf = (r: Received) => r.headers[EVENT_ID_HEADER] as string;
const bodyOf = (r: Received) => JSON.parse(r.body) as Record<string, unknown>;

t.test('production defaults', async (t) => {
  t.same(DEFAULT_RETRY, { baseMs: 1000, capMs: 3_600_000, maxAgeMs: 86_400_000 }, 'first retry within 1 s, at most 1 h apart, for 24 h');
  t.equal(DEFAULT_TIMEOUT_MS, 5000);
  t.ok(DEFAULT_LEASE_MS > DEFAULT_TIMEOUT_MS);
  t.ok(DEFAULT_POLL_MS <= 1000);
  t.ok(backoffMs(1, DEFAULT_RETRY, () => 0.999) < 1000, 'first retry within ~1 s');
  t.equal(backoffMs(40, DEFAULT_RETRY, () => 0.999), Math.floor(0.999 * 3_600_000), 'capped at 1 h');
  t.equal(backoffMs(3, DEFAULT_RETRY, () => 0), 0, 'full jitter starts at zero');
});

t.test('memory store', async (t) => {
  t.test('browser and native logouts: one signed POST each, §9 fields, no token; filters respected', async (t) => {
    const rx = await startReceiver();
    const app = await testApp(
      {
        ...NO_LIMITS,
        webhooks: [
          { url: `${rx.url}/revoked`, secret: SECRET, events: ['session.revoked'] },
          { url: `${rx.url}/created`, secret: 'other-secret-0123456789', events: ['session.created'] },
        ],
      },
      { webhooks: FAST },
    );
    t.teardown(async () => {
      await app.close();
      await rx.close();
    });
    await createIdentity(app, 'alice@example.com');
    await logoutBrowser(app, 'alice@example.com');
    const token = await logoutNative(app, 'alice@example.com');
    await waitFor('4 deliveries', () => rx.received.length >= 4);
    await sleep(200);

    const revoked = rx.received.filter((r) => r.path === '/revoked');
    const created = rx.received.filter((r) => r.path === '/created');
    t.equal(revoked.length, 2, 'one POST per revocation');
    t.equal(created.length, 2, "events: ['session.created'] gets the logins only");
    t.same(created.map((r) => bodyOf(r).type), ['session.created', 'session.created']);
    t.notOk(created.some((r) => 'reason' in bodyOf(r)), 'session.created has no reason');

    const byReason = new Map(revoked.map((r) => [bodyOf(r).reason, r]));
    for (const [reason, ua] of [['logout_browser', 'browser-ua/1.0'], ['logout_api', 'native-ua/2.0']] as const) {
      const r = byReason.get(reason);
      if (!r) {
        t.fail(`no ${reason} delivery`);
        continue;
      }
      const body = bodyOf(r);
      t.same(Object.keys(body), ['id', 'type', 'time', 'session_id', 'identity_id', 'reason', 'ip', 'user_agent'], `${reason}: exactly the §9 fields`);
      t.equal(body.type, 'session.revoked');
      t.equal(body.user_agent, ua, 'the user agent of the request that caused it');
      t.equal(body.ip, '127.0.0.1');
      t.match(body.session_id, /^[0-9a-f-]{36}$/);
      t.equal(eventIdOf(r), body.id, 'logoutd-event-id is the event id');
      t.equal(r.headers['content-type'], 'application/json');
      t.ok(verify(SECRET, r.headers[SIGNATURE_HEADER] as string, r.body), 'signed with the webhook secret');
      t.notOk(verify('other-secret-0123456789', r.headers[SIGNATURE_HEADER] as string, r.body), 'not with another');
      t.notMatch(r.body, /ory_st_|ory_lo_/, 'no token in the body');
    }
    t.notOk(revoked.some((r) => r.body.includes(token)));
    t.same(app.webhooks?.stats(), { delivered: 4, failedAttempts: 0, dropped: 0, inFlight: 0 });
  });

  t.test('500 then 200: delivered exactly once after a retry, same id and body', async (t) => {
    const rx = await startReceiver((_r, i) => (i === 0 ? 500 : 200));
    const app = await testApp({ ...NO_LIMITS, webhooks: [{ url: rx.url, secret: SECRET, events: ['session.revoked'] }] }, { webhooks: FAST });
    t.teardown(async () => {
      await app.close();
      await rx.close();
    });
    await createIdentity(app, 'bob@example.com');
    await logoutNative(app, 'bob@example.com');
    await waitFor('the retry', () => rx.received.length >= 2);
    await sleep(200);
    t.equal(rx.received.length, 2, 'no further attempt after the 200');
    const [first, second] = rx.received as [Received, Received];
    t.equal(eventIdOf(second), eventIdOf(first), 'stable logoutd-event-id');
    t.equal(second.body, first.body);
    t.ok(verify(SECRET, second.headers[SIGNATURE_HEADER] as string, second.body));
    t.same(app.webhooks?.stats(), { delivered: 1, failedAttempts: 1, dropped: 0, inFlight: 0 });
  });

  t.test('receiver down, then up: delivered', async (t) => {
    const port = await freePort();
    const app = await testApp({ ...NO_LIMITS, webhooks: [{ url: `http://127.0.0.1:${port}/hook`, secret: SECRET, events: [] }] }, { webhooks: FAST });
    t.teardown(() => app.close());
    await createIdentity(app, 'carol@example.com');
    await logoutNative(app, 'carol@example.com');
    await waitFor('failed attempts', () => (app.webhooks?.stats().failedAttempts ?? 0) >= 4);
    const rx = await startReceiver(() => 200, port);
    t.teardown(() => rx.close());
    await waitFor('both events', () => rx.received.length >= 2);
    await sleep(300);
    t.same(rx.received.map((r) => bodyOf(r).type).sort(), ['session.created', 'session.revoked'], 'events omitted/empty = every type, each once');
    t.equal(app.webhooks?.stats().delivered, 2);
  });

  t.test('retries stop after maxAgeMs: dropped with an error log', async (t) => {
    const rx = await startReceiver(() => 503);
    const lines: string[] = [];
    const logStream = new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) });
    const app = await testApp(
      { ...NO_LIMITS, log: { level: 'error' }, webhooks: [{ url: rx.url, secret: SECRET, events: ['session.revoked'] }] },
      { logStream, webhooks: { ...FAST, retry: { baseMs: 20, capMs: 50, maxAgeMs: 300 } } },
    );
    t.teardown(async () => {
      await app.close();
      await rx.close();
    });
    await createIdentity(app, 'dave@example.com');
    await logoutNative(app, 'dave@example.com');
    await waitFor('the drop', () => app.webhooks?.stats().dropped === 1);
    const attempts = rx.received.length;
    t.ok(attempts >= 2, `retried (${attempts} attempts) before dropping`);
    await sleep(150);
    t.equal(rx.received.length, attempts, 'no attempt after the drop');
    const log = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => String(l.msg).includes('dropped'));
    t.equal(log?.level, 50, 'logged as an error');
    t.equal(log?.event_id, eventIdOf(rx.received[0]!));
    t.equal(log?.status, 503);
  });

  t.test('a backlog drains at the pace of attempts, not of polls', async (t) => {
    const rx = await startReceiver();
    const app = await testApp({ ...NO_LIMITS, webhooks: [{ url: rx.url, secret: SECRET, events: [] }] }, { webhooks: { ...FAST, pollMs: 1000, concurrency: 2 } });
    t.teardown(async () => {
      await app.close();
      await rx.close();
    });
    // Appended straight to the store: the backlog, not how it was produced, is the point here.
    for (let i = 0; i < 20; i++) {
      await app.context.store.appendEvent({ type: 'session.revoked', time: new Date().toISOString(), session_id: `s${i}`, identity_id: 'i', reason: 'admin', ip: '127.0.0.1', user_agent: 'test' });
    }
    const done = Date.now();
    await waitFor('20 deliveries', () => rx.received.length === 20);
    // Two slots and a 1 s poll would need ~10 s if each freed slot waited for the next poll.
    t.ok(Date.now() - done < 5000, `drained in ${Date.now() - done} ms after the last event`);
    t.equal(new Set(rx.received.map(eventIdOf)).size, 20);
  });

  t.test('a hanging receiver neither delays the logout response nor other webhooks', async (t) => {
    const stuck = await startReceiver(() => 'hang');
    const rx = await startReceiver();
    const app = await testApp(
      {
        ...NO_LIMITS,
        webhooks: [
          { url: `${stuck.url}/stuck`, secret: SECRET, events: ['session.revoked'] },
          { url: `${rx.url}/ok`, secret: SECRET, events: ['session.revoked'] },
        ],
      },
      { webhooks: { ...FAST, timeoutMs: 6000, leaseMs: 12_000 } },
    );
    t.teardown(async () => {
      await stuck.close();
      await app.close();
      await rx.close();
    });
    await createIdentity(app, 'erin@example.com');
    await logoutNative(app, 'erin@example.com');
    await waitFor('the stuck receiver to hold one', () => stuck.received.length === 1);
    const started = Date.now();
    await logoutNative(app, 'erin@example.com');
    // Waiting for the delivery would take the full 6 s attempt timeout.
    t.ok(Date.now() - started < 3000, `the logout answered while a delivery hangs (${Date.now() - started} ms)`);
    await waitFor('the healthy receiver', () => rx.received.length === 2, 5500);
    t.ok(Date.now() - started < 5500, 'other webhooks are not held up');
  });
});

t.test('redis store', async (t) => {
  const redis = await startRedis();
  t.teardown(() => redis.stop());
  let n = 0;
  const redisApp = (webhooks: unknown[], tuning: WebhookTuning, prefix = `wh${++n}:`) =>
    testApp({ ...NO_LIMITS, store: { kind: 'redis', redis: { url: redis.url, key_prefix: prefix } }, webhooks }, { webhooks: tuning });

  t.test('a logout is delivered, signed, through the consumer group', async (t) => {
    const rx = await startReceiver();
    const app = await redisApp([{ url: rx.url, secret: SECRET, events: ['session.revoked'] }], FAST);
    t.teardown(async () => {
      await app.close();
      await rx.close();
    });
    await createIdentity(app, 'alice@example.com');
    await logoutBrowser(app, 'alice@example.com');
    await waitFor('the delivery', () => rx.received.length === 1);
    const r = rx.received[0]!;
    t.equal(bodyOf(r).reason, 'logout_browser');
    t.equal(eventIdOf(r), bodyOf(r).id);
    t.match(eventIdOf(r), /^\d+-\d+$/, 'the stream entry id');
    t.ok(verify(SECRET, r.headers[SIGNATURE_HEADER] as string, r.body));
  });

  t.test('two instances on one Redis: each of 20 events delivered once', async (t) => {
    const rx = await startReceiver();
    const hooks = [{ url: rx.url, secret: SECRET, events: [] }];
    const prefix = `wh-pair${++n}:`;
    const a = await redisApp(hooks, FAST, prefix);
    const b = await redisApp(hooks, FAST, prefix);
    t.teardown(async () => {
      await Promise.all([a.close(), b.close()]);
      await rx.close();
    });
    await createIdentity(a, 'pair@example.com');
    for (let i = 0; i < 10; i++) await logoutNative(i % 2 === 0 ? a : b, 'pair@example.com');
    await waitFor('20 distinct events', () => new Set(rx.received.map(eventIdOf)).size === 20);
    await sleep(300);
    const counts = new Map<string, number>();
    for (const r of rx.received) counts.set(eventIdOf(r), (counts.get(eventIdOf(r)) ?? 0) + 1);
    t.same([...counts.values()].filter((c) => c !== 1), [], 'no event delivered twice');
    t.equal(rx.received.length, 20);
    const sa = a.webhooks!.stats();
    const sb = b.webhooks!.stats();
    t.equal(sa.delivered + sb.delivered, 20, `shared: a delivered ${sa.delivered}, b ${sb.delivered}`);
  });

  t.test('Redis crashes and comes back (AOF): pending deliveries survive, the dispatcher resumes by itself', async (t) => {
    const own = await startRedis({ appendonly: true });
    let up = false;
    const rx = await startReceiver(() => (up ? 200 : 500));
    const app = await testApp(
      { ...NO_LIMITS, store: { kind: 'redis', redis: { url: own.url, key_prefix: 'wh-crash:' } }, webhooks: [{ url: rx.url, secret: SECRET, events: ['session.revoked'] }] },
      { webhooks: FAST },
    );
    t.teardown(async () => {
      await app.close();
      await rx.close();
      await own.stop();
    });
    await createIdentity(app, 'crash@example.com');
    await logoutNative(app, 'crash@example.com');
    await waitFor('a failed attempt', () => rx.received.length >= 1);
    await own.kill();
    await sleep(300);
    await own.restart();
    up = true;
    await waitFor('the delivery after the restart', () => app.webhooks!.stats().delivered === 1);
    const first = eventIdOf(rx.received[0]!);
    t.equal(eventIdOf(rx.received[rx.received.length - 1]!), first, 'the pending delivery, not a new one');
    // The delivery above already went through Redis again, so the app is back too.
    await logoutNative(app, 'crash@example.com');
    await waitFor('a new event after the restart', () => app.webhooks!.stats().delivered === 2);
    const ok = rx.received.filter((r) => r.headers[EVENT_ID_HEADER] !== first);
    t.equal(ok.length, 1, 'the new event, once');
  });

  t.test('an instance killed mid-delivery: another delivers after the lease expires', async (t) => {
    const rx = await startReceiver((_r, i) => (i === 0 ? 'hang' : 200));
    const hooks = [{ url: rx.url, secret: SECRET, events: ['session.revoked'] }];
    const prefix = `wh-kill${++n}:`;
    // A's attempt outlives the moment we kill it; B may take over once A's 2.5 s lease runs out.
    const tuning: WebhookTuning = { ...FAST, leaseMs: 2500, timeoutMs: 2000 };
    const a = await redisApp(hooks, tuning, prefix);
    let b: App | undefined;
    t.teardown(async () => {
      rx.release();
      await Promise.all([a.close(), b?.close()]);
      await rx.close();
    });
    await createIdentity(a, 'kill@example.com');
    await logoutNative(a, 'kill@example.com');
    await waitFor('instance A to start the delivery', () => rx.received.length === 1);
    const leasedAt = rx.received[0]!.at;
    // "Kill" A: its Redis connection goes away, so it can neither finish nor reschedule.
    await a.context.store.close();
    b = await redisApp(hooks, tuning, prefix);
    await waitFor('instance B to take it over', () => rx.received.length === 2);
    const [first, second] = rx.received as [Received, Received];
    t.equal(eventIdOf(second), eventIdOf(first), 'the same delivery');
    t.equal(second.body, first.body);
    t.ok(second.at - leasedAt >= 2400, `only after the lease ran out (${second.at - leasedAt} ms)`);
    await waitFor('B to record it', () => b!.webhooks!.stats().delivered === 1);
    await sleep(300);
    t.equal(rx.received.length, 2, 'delivered once by B, no further attempts');
  });
});
