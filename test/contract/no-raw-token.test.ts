// SPEC §2: tokens are never stored in clear. Drive the Redis store through every write path a
// session takes, then read back every key name and every value of the private server and look
// for any session token, its random part, or its derived logout token.

import t from 'tap';
import { Redis } from 'ioredis';
import { digestToken, generateSessionToken, logoutTokenFor, SESSION_TOKEN_PREFIX, LOGOUT_TOKEN_PREFIX } from '../../src/sessions/tokens.js';
import { createRedisStore } from '../../src/store/redis-store.js';
import type { SessionRecord } from '../../src/store/store.js';
import { startRedis } from '../helpers/redis-server.js';

/** Every key and value on the server, as text (SCAN is fine in a test; never in the store). */
async function dump(client: Redis): Promise<string[]> {
  const out: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      out.push(key);
      const type = await client.type(key);
      if (type === 'string') out.push((await client.get(key)) ?? '');
      else if (type === 'hash') out.push(...Object.entries(await client.hgetall(key)).flat());
      else if (type === 'zset') out.push(...(await client.zrange(key, 0, -1, 'WITHSCORES')));
      else if (type === 'set') out.push(...(await client.smembers(key)));
      else if (type === 'list') out.push(...(await client.lrange(key, 0, -1)));
      else if (type === 'stream') for (const [id, fields] of await client.xrange(key, '-', '+')) out.push(id, ...fields);
      else out.push(`<unchecked type ${type}>`);
    }
  } while (cursor !== '0');
  return out;
}

t.test('no session or logout token is stored anywhere in Redis', async (t) => {
  const server = await startRedis();
  t.teardown(() => server.stop());
  const store = await createRedisStore({ url: server.url, keyPrefix: 'logoutd:' });
  t.teardown(() => store.close());
  const reader = new Redis(server.url);
  t.teardown(() => reader.quit());

  const now = Date.now();
  const ctx = { ip: '203.0.113.5', userAgent: 'Mozilla/5.0 test', now };
  const identityId = 'b5a1c7e2-0d3f-4e5a-9c1b-2f6e8d7a4c30';
  await store.createIdentity(
    { id: identityId, schemaId: 'default', state: 'active', traits: { email: 'ada@example.com' }, passwordHash: 'scrypt$N=16384$salt$hash', createdAt: now, updatedAt: now },
    'ada@example.com',
  );
  const tokens = Array.from({ length: 6 }, () => generateSessionToken());
  const records: SessionRecord[] = tokens.map((token) => {
    const { id, check } = digestToken(token);
    return { id, check, identityId, issuedAt: now, authenticatedAt: now, expiresAt: now + 60_000, revokedAt: null, ip: '198.51.100.7', userAgent: 'Mozilla/5.0 test' };
  });
  for (const r of records) await store.createSession(r, ctx);
  const [first, second, third] = records as [SessionRecord, SessionRecord, SessionRecord];
  t.equal((await store.revokeSession(first.id, first.check, 'logout_browser', ctx)).status, 'revoked');
  t.equal((await store.revokeSession(second.id, null, 'admin', ctx)).status, 'revoked');
  t.ok(await store.extendSession(third.id, now + 120_000, now));
  t.equal((await store.revokeIdentitySessions(identityId, third.id, 'revoke_others', ctx)).length, 3);
  // Rate limiting is keyed by the token digest (what a route can know), never by the token.
  await store.hit(`logout_api:digest:${first.id}`, 60_000, now);

  const everything = await dump(reader);
  t.ok(everything.length > 10, `read ${everything.length} keys and values`);
  const text = everything.join('\n');
  t.ok(text.includes(first.id), 'sanity: the dump does contain session ids');
  let leaks = 0;
  for (const token of tokens) {
    const logout = logoutTokenFor(token);
    for (const secret of [token, token.slice(SESSION_TOKEN_PREFIX.length), logout, logout.slice(LOGOUT_TOKEN_PREFIX.length)]) {
      if (text.includes(secret)) leaks++;
    }
  }
  t.equal(leaks, 0, 'no token, token body, logout token or logout token body in any key or value');
  t.notOk(text.includes(SESSION_TOKEN_PREFIX), 'no ory_st_ prefix anywhere');
  t.notOk(text.includes(LOGOUT_TOKEN_PREFIX), 'no ory_lo_ prefix anywhere');
});
