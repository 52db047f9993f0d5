// The webhook queue contract (events/webhook-queue.ts), run against the memory store's queue and
// the Redis store's queue on a private redis-server and a private Redis Cluster (every script's
// keys must share a slot): routing, leases, completion, retries, and (Redis only) taking over
// stream entries a dead reader never enqueued.

import t from 'tap';
import { Redis } from 'ioredis';
import { createMemoryStore } from '../../src/store/memory-store.js';
import { createRedisStore } from '../../src/store/redis-store.js';
import type { LogoutEvent, Store } from '../../src/store/store.js';
import { eventBody, type WebhookQueue } from '../../src/events/webhook-queue.js';
import { WEBHOOK_GROUP } from '../../src/events/redis-webhook-queue.js';
import { startRedis, startRedisCluster } from '../helpers/redis-server.js';

const server = await startRedis();
t.teardown(() => server.stop());
const cluster = await startRedisCluster();
t.teardown(() => cluster.stop());

const NOW = 1_767_225_600_000;
const LEASE = 10_000;
const PULL = { batch: 100, claimIdleMs: 200 };

function event(n: number, type: LogoutEvent['type'] = 'session.revoked'): Omit<LogoutEvent, 'id'> {
  return {
    type,
    time: new Date(NOW).toISOString(),
    session_id: `s${n}`,
    identity_id: `i${n}`,
    ...(type === 'session.revoked' ? { reason: 'logout_api' as const } : {}),
    ip: '127.0.0.1',
    user_agent: `ua ${n}`,
  };
}

/** h1 wants everything, h2 only session.created. */
const route = (e: LogoutEvent): string[] => (e.type === 'session.created' ? ['h1', 'h2'] : ['h1']);

let n = 0;
const backends: Array<[string, () => Promise<{ store: Store; queue: WebhookQueue; cleanup: () => Promise<void> }>]> = [
  [
    'memory',
    async () => {
      const store = createMemoryStore({ maxEntries: 1000 });
      return { store, queue: store.webhookQueue(), cleanup: async () => undefined };
    },
  ],
  [
    'redis',
    async () => {
      const store = await createRedisStore({ url: server.url, keyPrefix: `whq${++n}:` });
      return { store, queue: store.webhookQueue(), cleanup: () => store.close() };
    },
  ],
  [
    'redis cluster',
    async () => {
      const store = await createRedisStore({ clusterNodes: cluster.nodes, keyPrefix: `whq${++n}:` });
      return { store, queue: store.webhookQueue(), cleanup: () => store.close() };
    },
  ],
];

for (const [name, make] of backends) {
  t.test(name, async (t) => {
    t.test('one delivery per routed hook, leased to one holder at a time', async (t) => {
      const { store, queue, cleanup } = await make();
      t.teardown(cleanup);
      await queue.init();
      t.equal(store.webhookQueue(), queue, 'one queue per store');
      const revokedId = await store.appendEvent(event(1));
      const createdId = await store.appendEvent(event(2, 'session.created'));
      const pulled = await queue.pull(route, NOW, 'a', PULL);
      t.equal(pulled.events, 2);
      t.equal((await queue.pull(route, NOW, 'a', PULL)).events, 0, 'nothing twice');

      const leased = await queue.lease([{ hookId: 'h1', limit: 10 }, { hookId: 'h2', limit: 10 }], NOW, LEASE, 'a');
      t.same(leased.map((d) => `${d.hookId}:${d.eventId}`).sort(), [`h1:${createdId}`, `h1:${revokedId}`, `h2:${createdId}`].sort());
      const d = leased.find((x) => x.hookId === 'h1' && x.eventId === revokedId)!;
      const [stored] = await store.readEvents(null, 2);
      t.equal(d.body, eventBody(stored!), 'the body is the event as stored');
      t.equal(d.attempts, 0);
      t.equal(d.firstAt, NOW);

      t.same(await queue.lease([{ hookId: 'h1', limit: 10 }], NOW + LEASE - 1, LEASE, 'b'), [], 'leased work is invisible to others');
      const again = await queue.lease([{ hookId: 'h1', limit: 10 }], NOW + LEASE, LEASE, 'b');
      t.equal(again.length, 2, 'an expired lease can be taken over');
      const d2 = again.find((x) => x.eventId === revokedId)!;
      t.not(d2.lease, d.lease);
      t.equal(await queue.complete(d), false, 'the old holder cannot complete');
      t.equal(await queue.retry(d, NOW), false, 'nor reschedule');
      t.equal(await queue.complete(d2), true);
      t.equal(await queue.complete(d2), false, 'completing twice is a no-op');
      t.same(
        (await queue.lease([{ hookId: 'h1', limit: 10 }], NOW + 10 * LEASE, LEASE, 'c')).map((x) => x.eventId),
        [createdId],
        'a completed delivery is gone',
      );
    });

    t.test('retry counts the attempt and waits until dueAt', async (t) => {
      const { store, queue, cleanup } = await make();
      t.teardown(cleanup);
      await queue.init();
      await store.appendEvent(event(1));
      await queue.pull(route, NOW, 'a', PULL);
      const [d] = await queue.lease([{ hookId: 'h1', limit: 1 }], NOW, LEASE, 'a');
      t.equal(await queue.retry(d!, NOW + 500), true);
      t.same(await queue.lease([{ hookId: 'h1', limit: 1 }], NOW + 499, LEASE, 'a'), []);
      const [r] = await queue.lease([{ hookId: 'h1', limit: 1 }], NOW + 500, LEASE, 'a');
      t.equal(r?.id, d!.id);
      t.equal(r?.attempts, 1);
      t.equal(r?.firstAt, NOW, 'the age counts from the first enqueue');
      t.equal(r?.body, d!.body, 'every attempt sends the same bytes');
    });

    t.test('limits are per hook, oldest due first', async (t) => {
      const { store, queue, cleanup } = await make();
      t.teardown(cleanup);
      await queue.init();
      const ids = [];
      for (let i = 0; i < 3; i++) ids.push(await store.appendEvent(event(i, 'session.created')));
      await queue.pull(route, NOW, 'a', PULL);
      const first = await queue.lease([{ hookId: 'h1', limit: 2 }, { hookId: 'h2', limit: 0 }], NOW, LEASE, 'a');
      t.same(first.map((d) => d.hookId), ['h1', 'h1']);
      const second = await queue.lease([{ hookId: 'h1', limit: 5 }, { hookId: 'h2', limit: 5 }], NOW, LEASE, 'a');
      t.equal(second.filter((d) => d.hookId === 'h1').length, 1);
      t.equal(second.filter((d) => d.hookId === 'h2').length, 3);
    });
  });
}

t.test('redis: stream entries a dead reader took but never enqueued are claimed after claimIdleMs', async (t) => {
  const store = await createRedisStore({ url: server.url, keyPrefix: 'whq-claim:' });
  const raw = new Redis(server.url);
  t.teardown(async () => {
    raw.disconnect();
    await store.close();
  });
  const queue = store.webhookQueue();
  await queue.init();
  await queue.init(); // idempotent (BUSYGROUP ignored)
  const id = await store.appendEvent(event(1));
  // The "dead" instance reads the entry and crashes before enqueueing or acknowledging it.
  const read = (await raw.xreadgroup('GROUP', WEBHOOK_GROUP, 'dead', 'COUNT', 10, 'STREAMS', store.eventStreamKey, '>')) as unknown[];
  t.equal(read.length, 1);
  t.equal((await queue.pull(route, Date.now(), 'alive', PULL)).events, 0, 'not idle long enough yet');
  await new Promise((r) => setTimeout(r, 250));
  t.equal((await queue.pull(route, Date.now(), 'alive', PULL)).events, 1, 'claimed from the dead reader');
  const [d] = await queue.lease([{ hookId: 'h1', limit: 10 }], Date.now(), LEASE, 'alive');
  t.equal(d?.eventId, id);
  const pending = (await raw.xpending(store.eventStreamKey, WEBHOOK_GROUP)) as [number, ...unknown[]];
  t.equal(pending[0], 0, 'acknowledged once enqueued');
});

t.test('redis: a lost consumer group is recreated and new events still flow', async (t) => {
  const store = await createRedisStore({ url: server.url, keyPrefix: 'whq-nogroup:' });
  const raw = new Redis(server.url);
  t.teardown(async () => {
    raw.disconnect();
    await store.close();
  });
  const queue = store.webhookQueue();
  await queue.init();
  await raw.xgroup('DESTROY', store.eventStreamKey, WEBHOOK_GROUP);
  const id = await store.appendEvent(event(1));
  t.equal((await queue.pull(route, NOW, 'a', PULL)).events, 0, 'the failing pull recreates the group');
  t.equal((await queue.pull(route, NOW, 'a', PULL)).events, 1, 'from the start of the stream');
  const [d] = await queue.lease([{ hookId: 'h1', limit: 10 }], NOW, LEASE, 'a');
  t.equal(d?.eventId, id);
});
