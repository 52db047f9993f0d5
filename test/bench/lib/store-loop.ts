// The measured loop of store-instructions.ts: seeds sessions through RedisStore, warms up, then
// makes N calls of one store operation, 50 at a time, as concurrent requests would.
// argv: <redis url> <revokeSession|getSession> <N> <sessions to seed>
// Both runs of a pair seed the same number of sessions, so seeding cancels out of the difference.

import { existsSync } from 'node:fs';
import type * as StoreModule from '../../../src/store/redis-store.js';
import type * as TokensModule from '../../../src/sessions/tokens.js';
import type { EventContext } from '../../../src/store/store.js';

const [redisUrl, op, nText, seedText] = process.argv.slice(2) as [string, string, string, string];
const n = Number(nText);
const total = Number(seedText);
const WARMUP = 5000;
const CONCURRENCY = 50;
const USER_AGENT = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0'.slice(0, 120);

// The compiled build when there is one (what production and the benchmarks run).
const root = existsSync(new URL('../../../dist/app.js', import.meta.url)) ? '../../../dist' : '../../../src';
const { createRedisStore } = (await import(`${root}/store/redis-store.js`)) as typeof StoreModule;
const { digestToken, generateSessionToken } = (await import(`${root}/sessions/tokens.js`)) as typeof TokensModule;

const store = await createRedisStore({ url: redisUrl, keyPrefix: `loop${process.pid}:` });
const ctx = (): EventContext => ({ ip: '203.0.113.7', userAgent: USER_AGENT, now: Date.now() });

if (!(total >= WARMUP + n)) throw new Error(`seed at least ${WARMUP + n} sessions, not ${seedText}`);
const digests: Array<{ id: string; check: string }> = [];
const now = Date.now();
for (let i = 0; i < total; i += 500) {
  await Promise.all(
    Array.from({ length: Math.min(500, total - i) }, () => {
      const d = digestToken(generateSessionToken());
      digests.push(d);
      const session = { id: d.id, check: d.check, identityId: '0b5c1a6e-1111-4222-8333-444455556666', issuedAt: now, authenticatedAt: now, expiresAt: now + 86_400_000, revokedAt: null, ip: '203.0.113.7', userAgent: USER_AGENT };
      return store.createSession(session, ctx());
    }),
  );
}

let next = 0;
async function call(): Promise<void> {
  const d = digests[next++] as { id: string; check: string };
  if (op === 'revokeSession') {
    const outcome = await store.revokeSession(d.id, d.check, 'logout_api', ctx());
    if (outcome.status !== 'revoked') throw new Error(`expected revoked, got ${outcome.status}`);
  } else {
    if ((await store.getSession(d.id)) === null) throw new Error('session not found');
  }
}
async function run(calls: number): Promise<void> {
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, w) => {
      for (let i = w; i < calls; i += CONCURRENCY) await call();
    }),
  );
}

await run(WARMUP);
await run(n);
await store.close();
