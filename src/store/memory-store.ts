// The embedded store: zero setup, single process, bounded. For development, tests and demos.
// It keeps the same semantics as the Redis store (the contract suite runs against both), with
// time taken from an injected clock so expiry tests never sleep.

import type {
  EventContext,
  IdentityRecord,
  LoginFlowRecord,
  LogoutEvent,
  Page,
  RevocationReason,
  RevokeOutcome,
  SessionRecord,
  Store,
  StoredError,
} from './store.js';
import { loginFlowExpiry, markerExpiry } from './session-lifetime.js';
import { MemoryWebhookQueue } from '../events/memory-webhook-queue.js';

interface Expiring<T> {
  value: T;
  expiresAt: number;
}

export interface MemoryStoreOptions {
  /** Upper bound per collection (sessions, flows, errors, counters); the oldest are evicted past it. */
  maxEntries: number;
  clock?: () => number;
  /** Events kept in the ring buffer. */
  maxEvents?: number;
}

export class MemoryStore implements Store {
  readonly kind = 'memory' as const;
  private readonly sessions = new Map<string, Expiring<SessionRecord>>();
  private readonly identitySessions = new Map<string, Set<string>>();
  private readonly identities = new Map<string, IdentityRecord>();
  private readonly emails = new Map<string, string>();
  private readonly flows = new Map<string, Expiring<LoginFlowRecord>>();
  private readonly errors = new Map<string, Expiring<StoredError>>();
  private readonly counters = new Map<string, Expiring<number>>();
  private readonly events: LogoutEvent[] = [];
  private eventSeq = 0;
  private readonly maxEntries: number;
  private readonly maxEvents: number;
  private readonly clock: () => number;
  private webhooks: MemoryWebhookQueue | undefined;

  constructor(options: MemoryStoreOptions) {
    this.maxEntries = options.maxEntries;
    this.maxEvents = options.maxEvents ?? 10_000;
    this.clock = options.clock ?? Date.now;
  }

  /** Sizes of the bounded collections, for tests and metrics. */
  sizes(): { sessions: number; flows: number; errors: number; counters: number; events: number } {
    return { sessions: this.sessions.size, flows: this.flows.size, errors: this.errors.size, counters: this.counters.size, events: this.events.length };
  }

  async createSession(session: SessionRecord, ctx: EventContext): Promise<void> {
    this.put(this.sessions, session.id, { ...session }, markerExpiry(session), (id, s) => this.unindex(s.identityId, id));
    let set = this.identitySessions.get(session.identityId);
    if (!set) this.identitySessions.set(session.identityId, (set = new Set()));
    set.add(session.id);
    this.pushEvent('session.created', session, undefined, ctx);
  }

  async getSession(id: string): Promise<SessionRecord | null> {
    const s = this.live(this.sessions, id);
    return s ? { ...s } : null;
  }

  async revokeSession(id: string, check: string | null, reason: RevocationReason, ctx: EventContext): Promise<RevokeOutcome> {
    const entry = this.sessions.get(id);
    const s = this.live(this.sessions, id);
    if (!entry || !s || (check !== null && s.check !== check)) return { status: 'not_found' };
    if (s.revokedAt !== null || s.expiresAt <= ctx.now) return { status: 'inactive', session: { ...s } };
    s.revokedAt = ctx.now;
    entry.expiresAt = markerExpiry(s);
    this.pushEvent('session.revoked', s, reason, ctx);
    return { status: 'revoked', session: { ...s } };
  }

  async revokeIdentitySessions(identityId: string, exceptId: string | null, reason: RevocationReason, ctx: EventContext): Promise<SessionRecord[]> {
    const revoked: SessionRecord[] = [];
    for (const id of [...(this.identitySessions.get(identityId) ?? [])]) {
      if (id === exceptId) continue;
      const outcome = await this.revokeSession(id, null, reason, ctx);
      if (outcome.status === 'revoked') revoked.push(outcome.session);
    }
    return revoked;
  }

  async listIdentitySessions(identityId: string, _now: number): Promise<SessionRecord[]> {
    const out: SessionRecord[] = [];
    for (const id of [...(this.identitySessions.get(identityId) ?? [])]) {
      const s = this.live(this.sessions, id);
      if (s) out.push({ ...s });
    }
    return out.sort((a, b) => b.issuedAt - a.issuedAt || (a.id < b.id ? -1 : 1));
  }

  async extendSession(id: string, expiresAt: number, now: number): Promise<SessionRecord | null> {
    const entry = this.sessions.get(id);
    const s = this.live(this.sessions, id);
    if (!entry || !s || s.revokedAt !== null || s.expiresAt <= now) return null;
    s.expiresAt = expiresAt;
    entry.expiresAt = markerExpiry(s);
    return { ...s };
  }

  async createIdentity(identity: IdentityRecord, emailKey: string): Promise<boolean> {
    if (this.emails.has(emailKey)) return false;
    this.emails.set(emailKey, identity.id);
    this.identities.set(identity.id, structuredClone(identity));
    return true;
  }

  async getIdentity(id: string): Promise<IdentityRecord | null> {
    const i = this.identities.get(id);
    return i ? structuredClone(i) : null;
  }

  async findIdentityByEmail(emailKey: string): Promise<IdentityRecord | null> {
    const id = this.emails.get(emailKey);
    return id === undefined ? null : this.getIdentity(id);
  }

  async deleteIdentity(id: string, emailKey: string): Promise<boolean> {
    if (!this.identities.delete(id)) return false;
    if (this.emails.get(emailKey) === id) this.emails.delete(emailKey);
    return true;
  }

  async listIdentityIds(cursor: string | null, limit: number): Promise<Page<string>> {
    // Maps iterate in insertion order, which is creation order here.
    const ids = [...this.identities.keys()];
    const start = cursor === null ? 0 : Math.max(0, ids.indexOf(cursor) + 1);
    const items = ids.slice(start, start + limit);
    const last = items[items.length - 1];
    return { items, next: start + limit < ids.length && last !== undefined ? last : null, total: ids.length };
  }

  async putLoginFlow(flow: LoginFlowRecord): Promise<void> {
    // Kept past expiry so the routes can answer 410 rather than 404 (see loginFlowExpiry).
    this.put(this.flows, flow.id, structuredClone(flow), loginFlowExpiry(flow));
  }

  async getLoginFlow(id: string): Promise<LoginFlowRecord | null> {
    const f = this.live(this.flows, id);
    return f ? structuredClone(f) : null;
  }

  async putError(error: StoredError, ttlMs: number): Promise<void> {
    this.put(this.errors, error.id, structuredClone(error), this.clock() + ttlMs);
  }

  async getError(id: string): Promise<StoredError | null> {
    const e = this.live(this.errors, id);
    return e ? structuredClone(e) : null;
  }

  async appendEvent(event: Omit<LogoutEvent, 'id'>): Promise<string> {
    const id = this.nextEventId();
    this.events.push({ id, ...event });
    if (this.events.length > this.maxEvents) this.events.splice(0, this.events.length - this.maxEvents);
    return id;
  }

  async readEvents(after: string | null, limit: number): Promise<LogoutEvent[]> {
    if (after === null) return this.events.slice(-limit).map((e) => ({ ...e }));
    const afterSeq = eventSeqOf(after);
    const start = this.events.findIndex((e) => eventSeqOf(e.id) > afterSeq);
    return start < 0 ? [] : this.events.slice(start, start + limit).map((e) => ({ ...e }));
  }

  webhookQueue(): MemoryWebhookQueue {
    // One per store, so dispatchers sharing this store share leases; it starts after the newest
    // event, so history is never replayed to webhooks.
    return (this.webhooks ??= new MemoryWebhookQueue({
      readEvents: (after, limit) => this.readEvents(after, limit),
      startAfter: this.events[this.events.length - 1]?.id ?? '0-0',
    }));
  }

  async hit(key: string, windowMs: number, now: number): Promise<{ count: number; resetMs: number }> {
    const entry = this.counters.get(key);
    if (!entry || entry.expiresAt <= now) {
      this.put(this.counters, key, 1, now + windowMs);
      return { count: 1, resetMs: windowMs };
    }
    entry.value++;
    return { count: entry.value, resetMs: entry.expiresAt - now };
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {}

  private nextEventId(): string {
    // Same shape as a Redis stream id, so cursors look alike whichever store is behind the API.
    this.eventSeq++;
    return `${this.clock()}-${this.eventSeq}`;
  }

  private pushEvent(type: LogoutEvent['type'], s: SessionRecord, reason: RevocationReason | undefined, ctx: EventContext): void {
    const event: Omit<LogoutEvent, 'id'> = {
      type,
      time: new Date(ctx.now).toISOString(),
      session_id: s.id,
      identity_id: s.identityId,
      ...(reason ? { reason } : {}),
      ip: ctx.ip,
      user_agent: ctx.userAgent,
    };
    void this.appendEvent(event);
  }

  /** Returns the value unless it has expired (then it is dropped, as a Redis TTL would). */
  private live<T>(map: Map<string, Expiring<T>>, key: string): T | null {
    const entry = map.get(key);
    if (!entry) return null;
    if (entry.expiresAt <= this.clock()) {
      map.delete(key);
      if (map === (this.sessions as Map<string, unknown>)) this.unindex((entry.value as SessionRecord).identityId, key);
      return null;
    }
    return entry.value;
  }

  /**
   * Inserts and keeps the map bounded: past maxEntries, expired entries go first, then the oldest
   * (Maps iterate in insertion order, so the first entries are the oldest).
   */
  private put<T>(map: Map<string, Expiring<T>>, key: string, value: T, expiresAt: number, onEvict?: (key: string, value: T) => void): void {
    map.delete(key);
    map.set(key, { value, expiresAt });
    if (map.size <= this.maxEntries) return;
    const now = this.clock();
    for (const [k, e] of map) {
      if (map.size <= this.maxEntries) return;
      if (e.expiresAt <= now) {
        map.delete(k);
        onEvict?.(k, e.value);
      }
    }
    for (const [k, e] of map) {
      if (map.size <= this.maxEntries) return;
      map.delete(k);
      onEvict?.(k, e.value);
    }
  }

  private unindex(identityId: string, sessionId: string): void {
    const set = this.identitySessions.get(identityId);
    if (!set) return;
    set.delete(sessionId);
    if (set.size === 0) this.identitySessions.delete(identityId);
  }
}

function eventSeqOf(id: string): number {
  const seq = Number(id.slice(id.indexOf('-') + 1));
  return Number.isFinite(seq) ? seq : -1;
}

export function createMemoryStore(options: MemoryStoreOptions): MemoryStore {
  return new MemoryStore(options);
}
