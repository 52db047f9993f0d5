// The embedded store is bounded: at its maximum it evicts expired entries first, then the oldest,
// and never grows past the bound however much is written.

import t from 'tap';
import { createMemoryStore } from '../../src/store/memory-store.js';
import { digestToken, generateSessionToken } from '../../src/sessions/tokens.js';
import type { SessionRecord } from '../../src/store/store.js';

function session(now: number, lifespan: number, identityId = 'i-1'): SessionRecord {
  const d = digestToken(generateSessionToken());
  return { id: d.id, check: d.check, identityId, issuedAt: now, authenticatedAt: now, expiresAt: now + lifespan, revokedAt: null, ip: '127.0.0.1', userAgent: 'ua' };
}

t.test('sessions: expired entries are evicted before live ones, then the oldest', async (t) => {
  let now = 1_000_000;
  const store = createMemoryStore({ maxEntries: 10, clock: () => now });
  const ctx = () => ({ ip: '127.0.0.1', userAgent: 'ua', now });
  const shortLived: SessionRecord[] = [];
  const longLived: SessionRecord[] = [];
  for (let i = 0; i < 5; i++) {
    const s = session(now, 1000);
    shortLived.push(s);
    await store.createSession(s, ctx());
  }
  for (let i = 0; i < 5; i++) {
    const s = session(now, 86_400_000);
    longLived.push(s);
    await store.createSession(s, ctx());
  }
  t.equal(store.sizes().sessions, 10);
  // The short-lived ones are past even their revoked-marker window now.
  now += 2 * 3_600_000;
  for (let i = 0; i < 5; i++) await store.createSession(session(now, 86_400_000), ctx());
  t.equal(store.sizes().sessions, 10, 'never past the bound');
  for (const s of longLived) t.ok(await store.getSession(s.id), 'live sessions survived: expired ones went first');
  for (const s of shortLived) t.equal(await store.getSession(s.id), null);

  // Now everything is live: the oldest go.
  const newest: SessionRecord[] = [];
  for (let i = 0; i < 3; i++) {
    const s = session(now, 86_400_000);
    newest.push(s);
    await store.createSession(s, ctx());
  }
  t.equal(store.sizes().sessions, 10);
  for (const s of longLived.slice(0, 3)) t.equal(await store.getSession(s.id), null, 'oldest evicted');
  for (const s of [...longLived.slice(3), ...newest]) t.ok(await store.getSession(s.id));
  t.same(
    (await store.listIdentitySessions('i-1', now)).length,
    10,
    'the identity index forgets evicted sessions too',
  );
});

t.test('a flood of writes stays bounded in every collection', async (t) => {
  let now = 5_000_000;
  const store = createMemoryStore({ maxEntries: 1000, maxEvents: 500, clock: () => now });
  for (let i = 0; i < 20_000; i++) {
    now += 1;
    await store.createSession(session(now, 60_000, `id-${i % 50}`), { ip: '1.2.3.4', userAgent: 'x', now });
    await store.putError({ id: `e${i}`, error: { code: 400 }, createdAt: now }, 3_600_000);
    await store.putLoginFlow({ id: `f${i}`, type: 'api', issuedAt: now, expiresAt: now + 3_600_000, requestUrl: '/', returnTo: null, csrfToken: '', messages: [] });
    await store.hit(`k${i}`, 60_000, now);
  }
  const sizes = store.sizes();
  t.ok(sizes.sessions <= 1000, `sessions ${sizes.sessions}`);
  t.ok(sizes.errors <= 1000, `errors ${sizes.errors}`);
  t.ok(sizes.flows <= 1000, `flows ${sizes.flows}`);
  t.ok(sizes.counters <= 1000, `counters ${sizes.counters}`);
  t.ok(sizes.events <= 500, `events ${sizes.events}`);
  t.ok(await store.getError('e19999'), 'the newest entries are kept');
  t.equal(await store.getError('e0'), null);
});
