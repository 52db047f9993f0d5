// The webhook queue of the memory store: single process, bounded. It follows the store's event
// ring with its own cursor and keeps deliveries in a Map; leases still matter because several
// dispatchers may share one store in a process (tests, embedded use).

import type { LogoutEvent } from '../store/store.js';
import { deliveryId, eventBody, type LeaseRequest, type PullOptions, type PullResult, type WebhookDelivery, type WebhookQueue } from './webhook-queue.js';

interface Entry {
  hookId: string;
  eventId: string;
  body: string;
  attempts: number;
  firstAt: number;
  /** Due time, or lease expiry while leased. */
  dueAt: number;
  lease: string | null;
}

export interface MemoryWebhookQueueOptions {
  readEvents: (after: string | null, limit: number) => Promise<LogoutEvent[]>;
  /** Cursor to start after: the newest event when the queue was made, so history is not replayed. */
  startAfter: string;
  /** Bound on pending deliveries; past it the oldest are evicted (and reported as dropped). */
  maxDeliveries?: number;
}

export class MemoryWebhookQueue implements WebhookQueue {
  private cursor: string;
  private readonly entries = new Map<string, Entry>();
  private readonly readEvents: MemoryWebhookQueueOptions['readEvents'];
  private readonly maxDeliveries: number;
  private leaseSeq = 0;
  /** pull() calls run one after another, so two dispatchers never read the same events. */
  private pulling: Promise<unknown> = Promise.resolve();

  constructor(options: MemoryWebhookQueueOptions) {
    this.readEvents = options.readEvents;
    this.cursor = options.startAfter;
    this.maxDeliveries = options.maxDeliveries ?? 10_000;
  }

  async init(): Promise<void> {}

  pull(route: (event: LogoutEvent) => string[], now: number, _consumer: string, options: PullOptions): Promise<PullResult> {
    const run = this.pulling.then(() => this.pullNow(route, now, options.batch));
    this.pulling = run.catch(() => undefined);
    return run;
  }

  private async pullNow(route: (event: LogoutEvent) => string[], now: number, batch: number): Promise<PullResult> {
    const events = await this.readEvents(this.cursor, batch);
    const evicted: WebhookDelivery[] = [];
    for (const event of events) {
      const body = eventBody(event);
      for (const hookId of route(event)) {
        const id = deliveryId(hookId, event.id);
        if (this.entries.has(id)) continue;
        this.entries.set(id, { hookId, eventId: event.id, body, attempts: 0, firstAt: now, dueAt: now, lease: null });
      }
      this.cursor = event.id;
    }
    // Maps iterate in insertion order: the first entries are the oldest.
    for (const [id, e] of this.entries) {
      if (this.entries.size <= this.maxDeliveries) break;
      this.entries.delete(id);
      evicted.push(toDelivery(id, e, ''));
    }
    return { events: events.length, evicted };
  }

  async lease(requests: LeaseRequest[], now: number, leaseMs: number, consumer: string): Promise<WebhookDelivery[]> {
    const out: WebhookDelivery[] = [];
    for (const { hookId, limit } of requests) {
      if (limit <= 0) continue;
      const due = [...this.entries].filter(([, e]) => e.hookId === hookId && e.dueAt <= now).sort((a, b) => a[1].dueAt - b[1].dueAt);
      for (const [id, e] of due.slice(0, limit)) {
        e.lease = `${consumer}#${++this.leaseSeq}`;
        e.dueAt = now + leaseMs;
        out.push(toDelivery(id, e, e.lease));
      }
    }
    return out;
  }

  async complete(d: WebhookDelivery): Promise<boolean> {
    if (!this.holds(d)) return false;
    this.entries.delete(d.id);
    return true;
  }

  async retry(d: WebhookDelivery, dueAt: number): Promise<boolean> {
    const e = this.entries.get(d.id);
    if (!e || !this.holds(d)) return false;
    e.attempts = d.attempts + 1;
    e.dueAt = dueAt;
    e.lease = null;
    return true;
  }

  /** Pending deliveries (leased or not), for tests. */
  size(): number {
    return this.entries.size;
  }

  private holds(d: WebhookDelivery): boolean {
    return this.entries.get(d.id)?.lease === d.lease;
  }
}

function toDelivery(id: string, e: Entry, lease: string): WebhookDelivery {
  return { id, hookId: e.hookId, eventId: e.eventId, body: e.body, attempts: e.attempts, firstAt: e.firstAt, lease };
}
