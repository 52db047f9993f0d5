// The storage contract against a private standalone redis-server, plus what only Redis has:
// fail-fast startup, round-trip counts, and durability of revocations across an AOF restart.

import t from 'tap';
import { Redis } from 'ioredis';
import { digestToken, generateSessionToken } from '../../src/sessions/tokens.js';
import { compactSessionId, createRedisStore, expandSessionId, RedisStore } from '../../src/store/redis-store.js';
import { freePort, startRedis, startSentinel } from '../helpers/redis-server.js';
import { runStoreContract } from './store-contract.js';

// Short markers so the suite can watch expired sessions disappear in real time.
const MARKER_MS = 500;

const server = await startRedis();
t.teardown(() => server.stop());

let n = 0;
runStoreContract(
  t,
  'redis',
  async () => {
    const store = await createRedisStore({ url: server.url, keyPrefix: `contract${++n}:`, markerMs: MARKER_MS });
    return { store, cleanup: () => store.close(), kill: () => server.kill(), revive: () => server.restart() };
  },
  { prefixIsolation: true, markerMs: MARKER_MS },
);

const ctx = (): { ip: string; userAgent: string; now: number } => ({ ip: '203.0.113.9', userAgent: 'redis-test', now: Date.now() });

function session(identityId: string, expiresIn = 3_600_000) {
  const { id, check } = digestToken(generateSessionToken());
  const now = Date.now();
  return { id, check, identityId, issuedAt: now, authenticatedAt: now, expiresAt: now + expiresIn, revokedAt: null, ip: '198.51.100.1', userAgent: 'UA/1.0' };
}

t.test('startup fails fast, naming the target and the cause (never the password)', async (t) => {
  const port = await freePort();
  const started = Date.now();
  const err = await createRedisStore({ url: `redis://user:s3cret@127.0.0.1:${port}`, keyPrefix: 'x:', connectTimeoutMs: 500 }).then(
    () => null,
    (e: unknown) => e as Error,
  );
  t.ok(err, 'rejects');
  t.match(err?.message, `127.0.0.1:${port}`, 'names the target');
  t.match(err?.message, /ECONNREFUSED/, 'names the cause');
  t.notMatch(err?.message, /s3cret/, 'no password in the message');
  t.ok(Date.now() - started < 1500, `within the connect budget (${Date.now() - started} ms)`);
});

t.test('round trips per operation (standalone)', async (t) => {
  const client = new Redis(server.url);
  t.teardown(() => client.quit());
  const store = new RedisStore(client, { keyPrefix: 'rt:' });
  await store.loadScripts();
  let writes = 0;
  // Every command or pipeline ioredis sends is one socket write: count them.
  const write = client.stream.write.bind(client.stream) as (...a: unknown[]) => boolean;
  client.stream.write = ((...a: unknown[]) => {
    writes++;
    return write(...a);
  }) as typeof client.stream.write;
  const count = async (fn: () => Promise<unknown>): Promise<number> => {
    writes = 0;
    await fn();
    return writes;
  };
  const identityId = 'rt-identity';
  const sessions = [session(identityId), session(identityId), session(identityId)];
  t.equal(await count(() => store.createSession(sessions[0]!, ctx())), 1, 'createSession: 1');
  for (const s of sessions.slice(1)) await store.createSession(s, ctx());
  t.equal(await count(() => store.getSession(sessions[0]!.id)), 1, 'getSession: 1');
  t.equal(await count(() => store.revokeSession(sessions[0]!.id, sessions[0]!.check, 'logout_api', ctx())), 1, 'revokeSession: 1');
  t.equal(await count(() => store.revokeSession(sessions[0]!.id, sessions[0]!.check, 'logout_api', ctx())), 1, 'repeat revoke: 1');
  t.equal(await count(() => store.listIdentitySessions(identityId, Date.now())), 2, 'listIdentitySessions: 2');
  t.equal(await count(() => store.revokeIdentitySessions(identityId, null, 'admin', ctx())), 2, 'revokeIdentitySessions: 2 (index + one pipeline)');
  t.equal(await count(() => store.hit('k', 1000, Date.now())), 1, 'hit: 1');
  await store.close();
  t.equal(client.status, 'ready', 'close() leaves a borrowed client open');
});

t.test('key layout: compact values, TTLs on everything that should expire', async (t) => {
  const client = new Redis(server.url);
  t.teardown(() => client.quit());
  const store = new RedisStore(client, { keyPrefix: 'layout:' });
  const s = { ...session('layout-identity'), userAgent: 'M'.repeat(120), ip: '203.0.113.195' };
  await store.createSession(s, ctx());
  await store.createIdentity({ id: 'layout-identity', schemaId: 'default', state: 'active', traits: { email: 'a@b.c' }, passwordHash: null, createdAt: 1, updatedAt: 1 }, 'a@b.c');
  await store.putLoginFlow({ id: 'f1', type: 'api', issuedAt: Date.now(), expiresAt: Date.now() + 60_000, requestUrl: 'http://x/', returnTo: null, csrfToken: '', messages: [] });
  await store.putError({ id: 'e1', error: { code: 500 }, createdAt: Date.now() }, 60_000);
  await store.hit('ip:1', 60_000, Date.now());
  const keys = (await client.keys('layout:*')).sort();
  t.same(keys, ['layout:e:a@b.c', 'layout:err:e1', 'layout:events', 'layout:f:f1', 'layout:i:layout-identity', 'layout:ids', 'layout:is:layout-identity', 'layout:rl:ip:1', `layout:s:${compactSessionId(s.id)}`].sort());
  const sk = `layout:s:${compactSessionId(s.id)}`;
  t.equal(sk.length, 'layout:s:'.length + 22, 'the session id is 22 characters in the key');
  const value = (await client.get(sk)) ?? '';
  t.ok(value.length <= 220, `session value is ${value.length} bytes (≤ 220 keeps it in a 224-byte allocation)`);
  t.notMatch(value, /identityId|userAgent|expiresAt/, 'no field names stored');
  t.equal(await client.object('ENCODING', `layout:is:layout-identity`), 'listpack', 'identity index stays a listpack');
  const expiry = s.expiresAt + 3_600_000;
  t.ok(Math.abs((await client.pexpiretime(sk)) - expiry) <= 1, 'session key lives until expiresAt + 1 h');
  t.ok(Math.abs((await client.pexpiretime('layout:is:layout-identity')) - expiry) <= 1, 'the index lives as long as its newest entry');
  t.same(await client.zrange('layout:is:layout-identity', 0, -1, 'WITHSCORES'), [compactSessionId(s.id), String(expiry)], 'index score = session key expiry');
  for (const k of ['layout:f:f1', 'layout:err:e1', 'layout:rl:ip:1']) t.ok((await client.pttl(k)) > 0, `${k} has a TTL`);
});

t.test('a revocation survives a crash and restart with AOF', async (t) => {
  const aof = await startRedis({ appendonly: true, appendfsync: 'always' });
  t.teardown(() => aof.stop());
  const store = await createRedisStore({ url: aof.url, keyPrefix: 'aof:' });
  t.teardown(() => store.close());
  const revoked = session('aof-identity');
  const kept = session('aof-identity');
  await store.createSession(revoked, ctx());
  await store.createSession(kept, ctx());
  t.equal((await store.revokeSession(revoked.id, revoked.check, 'logout_api', ctx())).status, 'revoked');
  await aof.kill();
  await aof.restart();
  let after = null;
  for (let i = 0; i < 50 && after === null; i++) {
    after = await store.getSession(revoked.id).catch(() => null);
    if (after === null) await new Promise((r) => setTimeout(r, 50));
  }
  t.ok(after && after.revokedAt !== null, 'still revoked after the restart');
  t.equal((await store.getSession(kept.id))?.revokedAt, null, 'the other session is still active');
  t.equal((await store.revokeSession(revoked.id, revoked.check, 'logout_api', ctx())).status, 'inactive', 'and a repeat is inactive');
  const events = (await store.readEvents(null, 100)).filter((e) => e.session_id === revoked.id && e.type === 'session.revoked');
  t.equal(events.length, 1, 'its event survived too');
});

t.test('connects through Redis Sentinel', async (t) => {
  const sentinel = await startSentinel(server.port, 'logoutd-master');
  t.teardown(() => sentinel.stop());
  const store = await createRedisStore({ sentinels: [sentinel.address], sentinelName: 'logoutd-master', keyPrefix: 'sentinel:' });
  t.teardown(() => store.close());
  const s = session('sentinel-identity');
  await store.createSession(s, ctx());
  t.equal((await store.revokeSession(s.id, s.check, 'logout_api', ctx())).status, 'revoked');
  const missing = await createRedisStore({ sentinels: [sentinel.address], sentinelName: 'no-such-master', keyPrefix: 'x:', connectTimeoutMs: 500 }).then(
    () => null,
    (e: unknown) => e as Error,
  );
  t.match(missing?.message, /no-such-master/, 'an unknown master name fails at startup, naming it');
});

t.test('session ids that are not canonical UUIDs still map one-to-one onto keys', async (t) => {
  const store = await createRedisStore({ url: server.url, keyPrefix: 'ids:' });
  t.teardown(() => store.close());
  const base = session('ids-identity');
  const variants = [base.id, base.id.toUpperCase(), compactSessionId(base.id), `~${compactSessionId(base.id)}`, 'plain id with spaces {and} braces'];
  t.equal(expandOk(variants), true, 'compact form round-trips');
  for (const [i, id] of variants.entries()) await store.createSession({ ...base, id, issuedAt: base.issuedAt + i }, ctx());
  for (const id of variants) t.equal((await store.getSession(id))?.id, id, `found under its own id: ${id}`);
  t.same((await store.listIdentitySessions('ids-identity', Date.now())).map((s) => s.id), [...variants].reverse(), 'five distinct sessions');
  t.equal((await store.revokeSession(variants[1]!, base.check, 'admin', ctx())).status, 'revoked');
  t.equal((await store.getSession(variants[0]!))?.revokedAt, null, 'revoking the upper-case twin leaves the original alone');
  t.equal((await store.revokeIdentitySessions('ids-identity', variants[4]!, 'admin', ctx())).length, 3, 'revoke-all handles every form');
});

function expandOk(ids: string[]): boolean {
  return ids.every((id) => expandSessionId(compactSessionId(id)) === id);
}

t.test('an ip with a newline is the caller’s error (TypeError), never an outage, and revokes nothing', async (t) => {
  // The revoke script takes the event's fields packed and "\n"-separated; a newline in the ip
  // would shift them, so it is refused the way createSession refuses it.
  const store = await createRedisStore({ url: server.url, keyPrefix: 'nlip:' });
  t.teardown(() => store.close());
  const s = session('nlip-identity');
  await store.createSession(s, ctx());
  const bad = { ...ctx(), ip: '203.0.113.9\nforged' };
  await t.rejects(store.revokeSession(s.id, s.check, 'logout_api', bad), TypeError);
  await t.rejects(store.revokeIdentitySessions('nlip-identity', null, 'admin', bad), TypeError);
  t.equal((await store.getSession(s.id))?.revokedAt, null, 'still active');
  t.equal((await store.revokeSession(s.id, s.check, 'logout_api', ctx())).status, 'revoked', 'a clean ip revokes');
});
