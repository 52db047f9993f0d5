// Fixed-window rate limits kept in the store, so every instance behind a load balancer shares
// them. Written here rather than with @fastify/rate-limit because one request is limited by
// several keys at once (client IP and token digest, or IP and identifier) and the counters must
// live behind the Store interface like everything else shared.

import type { FastifyReply } from 'fastify';
import type { Store } from '../store/store.js';
import { errors } from '../errors/http-error.js';

export interface RateRule {
  max: number;
  windowMs: number;
}

export class RateLimiter {
  private readonly store: Store;
  private readonly clock: () => number;
  readonly enabled: boolean;

  constructor(options: { store: Store; clock: () => number; enabled: boolean }) {
    this.store = options.store;
    this.clock = options.clock;
    this.enabled = options.enabled;
  }

  /**
   * Counts one hit on every key (concurrently: one round trip of latency), sets the x-ratelimit-*
   * headers from the most constrained key, and throws 429 when any key is over its limit.
   * Callers test `enabled` first: awaiting even a no-op costs a microtask on every logout.
   */
  async consume(reply: FastifyReply, rule: RateRule, keys: string[]): Promise<void> {
    if (!this.enabled) return;
    const now = this.clock();
    const results = await Promise.all(keys.map((key) => this.store.hit(key, rule.windowMs, now)));
    let worst = { count: 0, resetMs: 0 };
    for (const r of results) if (r.count > worst.count || (r.count === worst.count && r.resetMs > worst.resetMs)) worst = r;
    const resetSeconds = Math.max(1, Math.ceil(worst.resetMs / 1000));
    reply.header('x-ratelimit-limit', String(rule.max));
    reply.header('x-ratelimit-remaining', String(Math.max(0, rule.max - worst.count)));
    reply.header('x-ratelimit-reset', String(resetSeconds));
    if (worst.count > rule.max) throw errors.rateLimited(resetSeconds);
  }
}
