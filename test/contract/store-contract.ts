// The one storage contract every Store implementation must pass (memory, Redis, Redis Cluster).
// Each backend's *.test.ts calls runStoreContract with a factory; every subtest gets a fresh
// store. Time: with an injected clock the suite moves virtual time (memory, never sleeps); without
// one it uses the wall clock and short real expiries (Redis).

import type tap from 'tap';
import { digestToken, generateSessionToken, logoutTokenFor } from '../../src/sessions/tokens.js';
import { REVOKED_MARKER_MS } from '../../src/store/session-lifetime.js';
import {
  StoreUnavailableError,
  type EventContext,
  type IdentityRecord,
  type LoginFlowRecord,
  type LogoutEvent,
  type SessionRecord,
  type Store,
} from '../../src/store/store.js';

export type Tap = Parameters<Parameters<typeof tap.test>[0]>[0];

export interface ContractFixture {
  store: Store;
  /** Virtual clock the store reads; when absent the suite runs on real time. */
  clock?: { set(ms: number): void; advance(ms: number): void };
  cleanup(): Promise<void>;
  /** Makes the backend stop answering (kill the server); absent for in-process stores. */
  kill?(): Promise<void>;
  /** Brings the killed backend back, to check the store recovers without being rebuilt. */
  revive?(): Promise<void>;
}

export interface ContractOptions {
  /** Stores from two makeStore() calls share one backend under different key prefixes. */
  prefixIsolation?: boolean;
  /** How long the store keeps an expired/revoked session (its markerMs); default SPEC's 1 h. */
  markerMs?: number;
  /** Allowed time from revive() to the first successful answer; default SPEC §13's 2 s. */
  recoveryMs?: number;
}

/** Expiry used for "short-lived" records: small enough to sleep through on real Redis. */
const SHORT_MS = 300;
/** Margin for real-time waits (Redis expires keys lazily/actively within a few ms). */
const SLACK_MS = 150;
const UA = `Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36 | ünïcode ✓ ${'x'.repeat(8)}`;

interface Time {
  now(): number;
  pass(ms: number): Promise<void>;
}

function timeFor(fx: ContractFixture): Time {
  const clock = fx.clock;
  if (!clock) return { now: () => Date.now(), pass: (ms) => new Promise((r) => setTimeout(r, ms)) };
  let now = 1_700_000_000_000;
  clock.set(now);
  return {
    now: () => now,
    pass: async (ms) => {
      now += ms;
      clock.advance(ms);
    },
  };
}

let seq = 0;
function uid(tag: string): string {
  seq++;
  return `${tag}-${process.pid}-${seq}-${Math.random().toString(36).slice(2, 8)}`;
}

function ctx(time: Time, ip = '203.0.113.7'): EventContext {
  return { ip, userAgent: 'contract-test-agent/1.0', now: time.now() };
}

function makeSession(identityId: string, time: Time, over: Partial<SessionRecord> = {}): { token: string; record: SessionRecord } {
  const token = generateSessionToken();
  const { id, check } = digestToken(token);
  const now = time.now();
  return {
    token,
    record: { id, check, identityId, issuedAt: now, authenticatedAt: now, expiresAt: now + 3_600_000, revokedAt: null, ip: '198.51.100.23', userAgent: UA, ...over },
  };
}

function makeIdentity(email: string, createdAt: number): IdentityRecord {
  return {
    id: uid('ident'),
    schemaId: 'default',
    state: 'active',
    traits: { email, name: { first: 'Ada' } },
    passwordHash: 'scrypt$fake$hash',
    createdAt,
    updatedAt: createdAt,
  };
}

async function eventsFor(store: Store, sessionId: string, type?: LogoutEvent['type']): Promise<LogoutEvent[]> {
  const all = await store.readEvents(null, 10_000);
  return all.filter((e) => e.session_id === sessionId && (type === undefined || e.type === type));
}

export function runStoreContract(t: Tap, name: string, makeStore: () => Promise<ContractFixture>, options: ContractOptions = {}): void {
  const markerMs = options.markerMs ?? REVOKED_MARKER_MS;

  /** A subtest with its own store, cleaned up whatever happens. */
  const test = (title: string, fn: (t: Tap, fx: ContractFixture, time: Time) => Promise<void>): void => {
    void t.test(`${name}: ${title}`, async (t) => {
      const fx = await makeStore();
      t.teardown(() => fx.cleanup());
      await fn(t, fx, timeFor(fx));
    });
  };

  test('createSession and getSession round-trip every field', async (t, { store }, time) => {
    const { record } = makeSession(uid('id'), time, { authenticatedAt: time.now() - 5000 });
    await store.createSession(record, ctx(time));
    t.same(await store.getSession(record.id), record, 'same record back, check half included');
    const got = await store.getSession(record.id);
    t.equal(got?.check, record.check, 'the check half is stored');
    t.equal(got?.userAgent, UA, 'a long user agent with separators and unicode survives');
    t.equal(await store.getSession(digestToken(generateSessionToken()).id), null, 'unknown id → null');
  });

  test('an expired session stays known (inactive) until its marker lapses', async (t, { store }, time) => {
    const { record } = makeSession(uid('id'), time, { expiresAt: time.now() + SHORT_MS });
    await store.createSession(record, ctx(time));
    await time.pass(SHORT_MS + SLACK_MS);
    const expired = await store.getSession(record.id);
    t.ok(expired, 'still returned after expiry');
    t.ok(expired && expired.expiresAt <= time.now(), 'and reads as expired');
    t.equal(expired?.revokedAt, null);
    const again = await store.revokeSession(record.id, record.check, 'logout_api', ctx(time));
    t.equal(again.status, 'inactive', 'revoking an expired session is inactive, not not_found');
    t.equal(await store.extendSession(record.id, time.now() + 60_000, time.now()), null, 'an expired session cannot be extended');
    t.same(await eventsFor(store, record.id, 'session.revoked'), [], 'no revoke event for an expired session');
    await time.pass(markerMs);
    t.equal(await store.getSession(record.id), null, 'gone once the marker lapses');
    t.same(await store.revokeSession(record.id, record.check, 'logout_api', ctx(time)), { status: 'not_found' });
  });

  test('the revoked event carries the request details verbatim, whatever they contain', async (t, { store }, time) => {
    // The redis store packs these into two script arguments; nothing may shift between fields.
    const userAgent = 'Mozilla/5.0 (X11; Linux x86_64) "quoted" \\ back\tslash; ü日本 🚪 {"json":1}  trailing ';
    const { record } = makeSession(uid('id'), time);
    await store.createSession(record, ctx(time));
    const revokeCtx = { ip: '2001:db8::1', userAgent, now: time.now() };
    t.equal((await store.revokeSession(record.id, record.check, 'revoke_one', revokeCtx)).status, 'revoked');
    const [event] = await eventsFor(store, record.id, 'session.revoked');
    t.same(
      { session_id: event?.session_id, identity_id: event?.identity_id, reason: event?.reason, ip: event?.ip, user_agent: event?.user_agent, time: event?.time },
      { session_id: record.id, identity_id: record.identityId, reason: 'revoke_one', ip: '2001:db8::1', user_agent: userAgent, time: new Date(revokeCtx.now).toISOString() },
    );
    const empty = makeSession(uid('id'), time).record;
    await store.createSession(empty, ctx(time));
    t.equal((await store.revokeSession(empty.id, empty.check, 'logout_api', { ip: '', userAgent: '', now: time.now() })).status, 'revoked', 'empty ip and user agent');
    t.match((await eventsFor(store, empty.id, 'session.revoked'))[0], { ip: '', user_agent: '' });
    t.same(await store.revokeSession(`${record.id}\nx`, null, 'admin', ctx(time)), { status: 'not_found' }, 'an id no session can have');
  });

  test('revokeSession is idempotent and records revokedAt', async (t, { store }, time) => {
    const { record } = makeSession(uid('id'), time);
    await store.createSession(record, ctx(time));
    const revokeCtx = ctx(time, '192.0.2.1');
    const first = await store.revokeSession(record.id, record.check, 'logout_browser', revokeCtx);
    t.equal(first.status, 'revoked');
    const revokedAt = first.status === 'revoked' ? first.session.revokedAt : null;
    t.equal(revokedAt, revokeCtx.now, 'revokedAt = the request time');
    t.equal((await store.getSession(record.id))?.revokedAt, revokedAt, 'getSession reports revokedAt');
    await time.pass(5);
    const second = await store.revokeSession(record.id, record.check, 'logout_browser', ctx(time));
    t.equal(second.status, 'inactive', 'second revoke → inactive');
    t.equal(second.status === 'inactive' ? second.session.revokedAt : null, revokedAt, 'revokedAt never changes');
    const events = await eventsFor(store, record.id, 'session.revoked');
    t.equal(events.length, 1, 'exactly one revoked event');
    t.match(events[0], { type: 'session.revoked', session_id: record.id, identity_id: record.identityId, reason: 'logout_browser', ip: '192.0.2.1', user_agent: 'contract-test-agent/1.0', time: new Date(revokeCtx.now).toISOString() });
    t.equal(await store.extendSession(record.id, time.now() + 60_000, time.now()), null, 'a revoked session cannot be extended');
  });

  test('revoke with a wrong check is not_found and changes nothing', async (t, { store }, time) => {
    const { record } = makeSession(uid('id'), time);
    await store.createSession(record, ctx(time));
    const other = digestToken(generateSessionToken()).check;
    t.same(await store.revokeSession(record.id, other, 'logout_api', ctx(time)), { status: 'not_found' }, 'wrong check');
    t.same(await store.revokeSession(record.id, '', 'logout_api', ctx(time)), { status: 'not_found' }, 'empty check is a check, not a bypass');
    t.equal((await store.getSession(record.id))?.revokedAt, null, 'still active');
    t.same(await eventsFor(store, record.id, 'session.revoked'), [], 'no event');
    const admin = await store.revokeSession(record.id, null, 'admin', ctx(time));
    t.equal(admin.status, 'revoked', 'null check (admin path) skips the check');
  });

  test('revokeIdentitySessions counts only what it revoked', async (t, { store }, time) => {
    const identityId = uid('id');
    const current = makeSession(identityId, time).record;
    const b = makeSession(identityId, time).record;
    const c = makeSession(identityId, time).record;
    const expiring = makeSession(identityId, time, { expiresAt: time.now() + SHORT_MS }).record;
    const revoked = makeSession(identityId, time).record;
    const stranger = makeSession(uid('id'), time).record;
    for (const s of [current, b, c, expiring, revoked, stranger]) await store.createSession(s, ctx(time));
    t.equal((await store.revokeSession(revoked.id, null, 'revoke_one', ctx(time))).status, 'revoked');
    await time.pass(SHORT_MS + SLACK_MS);

    const revokedNow = await store.revokeIdentitySessions(identityId, current.id, 'revoke_others', ctx(time));
    t.same(revokedNow.map((s) => s.id).sort(), [b.id, c.id].sort(), 'b and c only');
    t.ok(revokedNow.every((s) => s.revokedAt !== null && s.identityId === identityId), 'returned as revoked records');
    t.same(await store.revokeIdentitySessions(identityId, current.id, 'revoke_others', ctx(time)), [], 'never counted twice');
    t.equal((await store.getSession(current.id))?.revokedAt, null, 'exceptId stays active');
    t.equal((await store.getSession(stranger.id))?.revokedAt, null, "another identity's session is untouched");
    t.not((await store.getSession(b.id))?.revokedAt, null);
    t.equal((await store.getSession(expiring.id))?.revokedAt, null, 'an expired session is not revoked');
    for (const s of [b, c]) {
      const ev = await eventsFor(store, s.id, 'session.revoked');
      t.equal(ev.length, 1, 'one event per revoked session');
      t.equal(ev[0]?.reason, 'revoke_others');
    }
    t.same(await eventsFor(store, expiring.id, 'session.revoked'), [], 'no event for the expired one');
    t.same((await store.revokeIdentitySessions(identityId, null, 'identity_deleted', ctx(time))).map((s) => s.id), [current.id], 'null exceptId revokes the rest');
    t.same(await store.revokeIdentitySessions(uid('nobody'), null, 'admin', ctx(time)), [], 'unknown identity → none');
  });

  test('concurrent revoke-all calls never double count', async (t, { store }, time) => {
    const identityId = uid('id');
    const sessions = Array.from({ length: 8 }, () => makeSession(identityId, time).record);
    for (const s of sessions) await store.createSession(s, ctx(time));
    const results = await Promise.all(Array.from({ length: 5 }, () => store.revokeIdentitySessions(identityId, null, 'admin', ctx(time))));
    const ids = results.flat().map((s) => s.id);
    t.equal(ids.length, sessions.length, 'the results add up to the sessions');
    t.same([...ids].sort(), sessions.map((s) => s.id).sort(), 'each session reported by exactly one call');
  });

  test('listIdentitySessions: newest first, inactive included, others excluded', async (t, { store }, time) => {
    const identityId = uid('id');
    const made: SessionRecord[] = [];
    for (let i = 0; i < 4; i++) {
      made.push(makeSession(identityId, time).record);
      await store.createSession(made[i] as SessionRecord, ctx(time));
      await time.pass(3);
    }
    await store.createSession(makeSession(uid('id'), time).record, ctx(time));
    await store.revokeSession((made[1] as SessionRecord).id, null, 'admin', ctx(time));
    const listed = await store.listIdentitySessions(identityId, time.now());
    t.same(listed.map((s) => s.id), [...made].reverse().map((s) => s.id), 'newest first');
    t.not(listed.find((s) => s.id === made[1]?.id)?.revokedAt, null, 'the revoked one is listed with revokedAt');
    t.same(await store.listIdentitySessions(uid('nobody'), time.now()), []);
  });

  test('extendSession moves expiry and keeps the session findable', async (t, { store }, time) => {
    const identityId = uid('id');
    const { record } = makeSession(identityId, time, { expiresAt: time.now() + SHORT_MS });
    await store.createSession(record, ctx(time));
    const newExpiry = time.now() + SHORT_MS + markerMs + 60_000;
    const extended = await store.extendSession(record.id, newExpiry, time.now());
    t.equal(extended?.expiresAt, newExpiry, 'returns the updated record');
    t.equal(extended?.check, record.check, 'other fields unchanged');
    t.equal((await store.getSession(record.id))?.expiresAt, newExpiry, 'persisted');
    // Past the original expiry and marker: only the new expiry keeps it alive and indexed.
    await time.pass(SHORT_MS + markerMs + SLACK_MS);
    const s = await store.getSession(record.id);
    t.ok(s && s.expiresAt > time.now() && s.revokedAt === null, 'still active');
    t.same((await store.listIdentitySessions(identityId, time.now())).map((x) => x.id), [record.id], 'still in the identity index');
    t.equal((await store.revokeIdentitySessions(identityId, null, 'admin', ctx(time))).length, 1, 'revoke-all still finds it');
    t.equal(await store.extendSession(digestToken(generateSessionToken()).id, newExpiry, time.now()), null, 'unknown → null');
  });

  test('identities: create, duplicate email, get, find, delete', async (t, { store }, time) => {
    const email = `${uid('ada')}@example.com`;
    const ada = makeIdentity(email, time.now());
    t.equal(await store.createIdentity(ada, email), true);
    t.equal(await store.createIdentity(makeIdentity(email, time.now()), email), false, 'duplicate email → false');
    t.same(await store.getIdentity(ada.id), ada);
    t.same(await store.findIdentityByEmail(email), ada);
    t.equal(await store.getIdentity(uid('nobody')), null);
    t.equal(await store.findIdentityByEmail(`${uid('nobody')}@example.com`), null);
    t.equal(await store.deleteIdentity(ada.id, email), true);
    t.equal(await store.deleteIdentity(ada.id, email), false, 'second delete → false');
    t.equal(await store.getIdentity(ada.id), null);
    t.equal(await store.findIdentityByEmail(email), null);
    t.equal(await store.createIdentity(makeIdentity(email, time.now()), email), true, 'the email is free again');
  });

  test('listIdentityIds pages in creation order', async (t, { store }, time) => {
    const made: IdentityRecord[] = [];
    for (let i = 0; i < 7; i++) {
      const email = `${uid('p')}@example.com`;
      const identity = makeIdentity(email, time.now() + i);
      made.push(identity);
      t.equal(await store.createIdentity(identity, email), true);
    }
    const gone = made.splice(3, 1)[0] as IdentityRecord;
    await store.deleteIdentity(gone.id, String(gone.traits.email));
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: Awaited<ReturnType<Store['listIdentityIds']>> = await store.listIdentityIds(cursor, 2);
      t.equal(page.total, 6, 'total counts every identity');
      t.ok(page.items.length <= 2, 'respects the limit');
      seen.push(...page.items);
      cursor = page.next;
      pages++;
    } while (cursor !== null && pages < 10);
    t.same(seen, made.map((i) => i.id), 'every id once, in creation order');
    t.equal(pages, 3);
  });

  test('login flows: put, get, expire', async (t, { store }, time) => {
    const flow: LoginFlowRecord = {
      id: uid('flow'),
      type: 'browser',
      issuedAt: time.now(),
      expiresAt: time.now() + SHORT_MS,
      requestUrl: 'https://auth.example.com/self-service/login/browser?return_to=https%3A%2F%2Fapp.example.com',
      returnTo: 'https://app.example.com/',
      csrfToken: 'csrf-token-value',
      messages: [{ id: 4000006, text: 'The provided credentials are invalid.', type: 'error' }],
    };
    await store.putLoginFlow(flow);
    t.same(await store.getLoginFlow(flow.id), flow);
    t.equal(await store.getLoginFlow(uid('flow')), null);
    await time.pass(SHORT_MS + SLACK_MS);
    // Kept LOGIN_FLOW_RETENTION_MS past expiresAt, so the routes answer 410 rather than 404.
    t.same(await store.getLoginFlow(flow.id), flow, 'still readable just after expiresAt');
  });

  test('stored errors expire after their ttl', async (t, { store }, time) => {
    const error = { id: uid('err'), error: { code: 401, status: 'Unauthorized', id: 'session_inactive', message: 'x' }, createdAt: time.now() };
    await store.putError(error, SHORT_MS);
    t.same(await store.getError(error.id), error);
    t.equal(await store.getError(uid('err')), null);
    await time.pass(SHORT_MS + SLACK_MS);
    t.equal(await store.getError(error.id), null, 'gone after ttl');
  });

  test('events: appended once, paged oldest first, no tokens', async (t, { store }, time) => {
    const identityId = uid('id');
    const a = makeSession(identityId, time);
    const b = makeSession(identityId, time);
    const createCtx = ctx(time);
    await store.createSession(a.record, createCtx);
    await store.createSession(b.record, ctx(time));
    await store.revokeSession(a.record.id, a.record.check, 'logout_api', ctx(time));
    t.equal((await eventsFor(store, a.record.id, 'session.created')).length, 1, 'one created event per session');
    t.equal((await eventsFor(store, b.record.id, 'session.created')).length, 1);
    const created = (await eventsFor(store, a.record.id, 'session.created'))[0];
    t.equal(created?.reason, undefined, 'created events have no reason');
    t.match(created, { identity_id: identityId, ip: '203.0.113.7', user_agent: 'contract-test-agent/1.0', time: new Date(createCtx.now).toISOString() });

    const appended: string[] = [];
    for (let i = 0; i < 5; i++) {
      appended.push(
        await store.appendEvent({ type: 'session.revoked', time: new Date(time.now()).toISOString(), session_id: `s${i}`, identity_id: identityId, reason: 'identity_deleted', ip: '::1', user_agent: 'admin' }),
      );
    }
    const all = await store.readEvents(null, 100);
    t.equal(all.length, 8, '3 session events + 5 appended');
    t.same(all.slice(-5).map((e) => e.id), appended, 'appendEvent returns the id readEvents reports; oldest first');
    t.equal(new Set(all.map((e) => e.id)).size, all.length, 'ids are unique');
    t.same((await store.readEvents(null, 2)).map((e) => e.id), appended.slice(-2), 'null cursor → the latest page, oldest first');
    const paged: string[] = [];
    let cursor = (all[0] as LogoutEvent).id;
    for (;;) {
      const page = await store.readEvents(cursor, 2);
      if (page.length === 0) break;
      t.ok(page.length <= 2);
      paged.push(...page.map((e) => e.id));
      cursor = (page[page.length - 1] as LogoutEvent).id;
    }
    t.same(paged, all.slice(1).map((e) => e.id), 'strictly after the cursor, no gaps, no repeats');
    const text = JSON.stringify(all);
    for (const token of [a.token, b.token]) {
      t.notOk(text.includes(token), 'no session token in events');
      t.notOk(text.includes(logoutTokenFor(token)), 'no logout token in events');
      t.notOk(text.includes(token.slice(7)), 'not even the random part');
    }
  });

  test('50 concurrent revokes of one session → exactly one revocation and one event', async (t, { store }, time) => {
    const { record } = makeSession(uid('id'), time);
    await store.createSession(record, ctx(time));
    const outcomes = await Promise.all(Array.from({ length: 50 }, () => store.revokeSession(record.id, record.check, 'logout_api', ctx(time))));
    t.equal(outcomes.filter((o) => o.status === 'revoked').length, 1, 'one revoked');
    t.equal(outcomes.filter((o) => o.status === 'inactive').length, 49, 'the rest inactive');
    t.equal((await eventsFor(store, record.id, 'session.revoked')).length, 1, 'one event');
  });

  test('hit counts within a window and resets after it', async (t, { store }, time) => {
    const key = uid('rl');
    const window = SHORT_MS;
    const first = await store.hit(key, window, time.now());
    t.equal(first.count, 1);
    t.ok(first.resetMs > 0 && first.resetMs <= window, `resetMs within the window (${first.resetMs})`);
    t.equal((await store.hit(key, window, time.now())).count, 2);
    const third = await store.hit(key, window, time.now());
    t.equal(third.count, 3);
    t.ok(third.resetMs <= first.resetMs, 'the window does not slide');
    t.equal((await store.hit(uid('rl'), window, time.now())).count, 1, 'keys are independent');
    await time.pass(window + SLACK_MS);
    t.equal((await store.hit(key, window, time.now())).count, 1, 'a new window starts from 1');
  });

  if (options.prefixIsolation) {
    void t.test(`${name}: stores with different key prefixes do not see each other`, async (t) => {
      const one = await makeStore();
      t.teardown(() => one.cleanup());
      const two = await makeStore();
      t.teardown(() => two.cleanup());
      const time = timeFor(one);
      const { record } = makeSession(uid('id'), time);
      await one.store.createSession(record, ctx(time));
      const email = `${uid('iso')}@example.com`;
      const identity = makeIdentity(email, time.now());
      await one.store.createIdentity(identity, email);
      await one.store.hit('shared-key', 60_000, time.now());
      t.equal(await two.store.getSession(record.id), null, 'session invisible');
      t.same(await two.store.revokeSession(record.id, record.check, 'admin', ctx(time)), { status: 'not_found' });
      t.same(await two.store.revokeIdentitySessions(record.identityId, null, 'admin', ctx(time)), []);
      t.equal(await two.store.findIdentityByEmail(email), null, 'identity invisible');
      t.equal(await two.store.createIdentity(makeIdentity(email, time.now()), email), true, 'email not taken there');
      t.same(await two.store.readEvents(null, 100), [], "no events from the other prefix");
      t.equal((await two.store.hit('shared-key', 60_000, time.now())).count, 1, 'separate counters');
      t.equal((await one.store.getSession(record.id))?.revokedAt, null, 'the first store is untouched');
    });
  }

  // Last: it may take the backend down for good.
  void t.test(`${name}: a store failure is StoreUnavailableError, never "not found"`, async (t) => {
    const fx = await makeStore();
    t.teardown(() => fx.cleanup());
    if (!fx.kill) {
      void t.skip('in-process store: there is no backend to lose', () => undefined);
      return;
    }
    const time = timeFor(fx);
    const { record } = makeSession(uid('id'), time);
    await fx.store.createSession(record, ctx(time));
    await fx.kill();
    const started = Date.now();
    await t.rejects(fx.store.getSession(record.id), StoreUnavailableError, 'getSession rejects');
    await t.rejects(fx.store.revokeSession(record.id, record.check, 'logout_api', ctx(time)), StoreUnavailableError, 'revokeSession rejects');
    await t.rejects(fx.store.revokeIdentitySessions(record.identityId, null, 'admin', ctx(time)), StoreUnavailableError);
    await t.rejects(fx.store.hit('k', 1000, time.now()), StoreUnavailableError, 'hit rejects');
    await t.rejects(fx.store.ping(), StoreUnavailableError, 'ping rejects');
    t.ok(Date.now() - started < 10_000, `failures surface quickly (${Date.now() - started} ms for 5 calls)`);
    if (!fx.revive) return;
    await fx.revive();
    const back = Date.now();
    let answer: SessionRecord | null | undefined;
    const recoveryMs = options.recoveryMs ?? 2000;
    while (Date.now() - back < recoveryMs + 3000) {
      try {
        answer = await fx.store.getSession(record.id);
        break;
      } catch (err) {
        if (!(err instanceof StoreUnavailableError)) throw err;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    const recovery = Date.now() - back;
    t.ok(recovery <= recoveryMs, `serves again within ${recoveryMs} ms of the backend returning (${recovery} ms)`);
    t.not(answer, undefined, 'answered after recovery');
  });
}
