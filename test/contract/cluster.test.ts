// The storage contract against a private 3-master Redis Cluster: the same behaviour with every
// key family in its own hash slot (no CROSSSLOT), and the cluster variants of the scripts.

import t from 'tap';
import { Cluster } from 'ioredis';
import { digestToken, generateSessionToken } from '../../src/sessions/tokens.js';
import { createRedisStore, RedisStore } from '../../src/store/redis-store.js';
import { startRedisCluster } from '../helpers/redis-server.js';
import { runStoreContract } from './store-contract.js';

const MARKER_MS = 500;

const cluster = await startRedisCluster(3);
t.teardown(() => cluster.stop());

let n = 0;
runStoreContract(
  t,
  'cluster',
  async () => {
    const store = await createRedisStore({ clusterNodes: cluster.nodes, keyPrefix: `contract${++n}:`, markerMs: MARKER_MS });
    return {
      store,
      cleanup: () => store.close(),
      kill: async () => {
        await Promise.all(cluster.servers.map((s) => s.kill()));
      },
      revive: async () => {
        await Promise.all(cluster.servers.map((s) => s.restart()));
      },
    };
  },
  // A restarted master refuses to serve until ~2 s after boot (Redis Cluster's
  // CLUSTER_WRITABLE_DELAY), so a whole-cluster restart cannot meet the standalone 2 s bound.
  { prefixIsolation: true, markerMs: MARKER_MS, recoveryMs: 3500 },
);

t.test('round trips per operation (cluster)', async (t) => {
  const client = new Cluster(cluster.nodes.map((n) => ({ host: n.split(':')[0] as string, port: Number(n.split(':')[1]) })));
  t.teardown(() => client.quit());
  await new Promise((resolve) => client.once('ready', resolve));
  const store = new RedisStore(client, { keyPrefix: 'rt:' });
  await store.loadScripts();
  let sent = 0;
  // In a Cluster every command goes through Cluster#sendCommand once (routing happens inside).
  const send = client.sendCommand.bind(client);
  client.sendCommand = ((...a: Parameters<typeof send>) => {
    sent++;
    return send(...a);
  }) as typeof client.sendCommand;
  const count = async (fn: () => Promise<unknown>): Promise<number> => {
    sent = 0;
    await fn();
    return sent;
  };
  const ctx = { ip: '203.0.113.9', userAgent: 'cluster-test', now: Date.now() };
  const { id, check } = digestToken(generateSessionToken());
  const s = { id, check, identityId: 'rt-identity', issuedAt: ctx.now, authenticatedAt: ctx.now, expiresAt: ctx.now + 60_000, revokedAt: null, ip: '::1', userAgent: 'UA' };
  t.equal(await count(() => store.createSession(s, ctx)), 3, 'createSession: index, session, event');
  t.equal(await count(() => store.getSession(id)), 1, 'getSession: 1');
  t.equal(await count(() => store.revokeSession(id, check, 'logout_api', ctx)), 2, 'revokeSession: script + event');
  t.equal(await count(() => store.revokeSession(id, check, 'logout_api', ctx)), 1, 'repeat revoke: script only');
  t.equal(await count(() => store.hit('k', 1000, Date.now())), 1, 'hit: 1');
  await store.close();
  t.equal(client.status, 'ready', 'close() leaves a borrowed client open');
});
