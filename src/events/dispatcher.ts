// The webhook dispatcher (SPEC §9): a background loop that moves new events into deliveries,
// leases the ones that are due and POSTs them, signed, to each webhook. It never runs on a request's
// path — events are already committed by the store when the request answers — so a slow or dead
// receiver can delay only its own deliveries.
//
// Policy: at-least-once. A failed attempt (network error, timeout, non-2xx) is retried after an
// exponential backoff with full jitter (uniform in [0, min(cap, base * 2^(n-1))]: the first retry
// within `base`, later ones spread out so a recovering receiver is not hit by every instance at
// once), until the delivery is older than `maxAgeMs`; then it is dropped with an error log.
// A lease longer than one attempt keeps every delivery with one instance at a time; an instance
// that dies mid-attempt lets its lease run out, and another takes the delivery over.

import { createHash } from 'node:crypto';
import type { WebhookConfig } from '../config/schema.js';
import type { LogoutEvent } from '../store/store.js';
import { EVENT_ID_HEADER, SIGNATURE_HEADER, sign } from './signature.js';
import type { WebhookDelivery, WebhookQueue } from './webhook-queue.js';

/** The subset of pino the dispatcher logs through. */
export interface DispatcherLog {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface RetryPolicy {
  /** Backoff ceiling of the first retry (ms). */
  baseMs: number;
  /** Longest wait between two attempts (ms). */
  capMs: number;
  /** Keep retrying at least this long after the event was enqueued (ms); then drop. */
  maxAgeMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { baseMs: 1000, capMs: 60 * 60 * 1000, maxAgeMs: 24 * 60 * 60 * 1000 };
export const DEFAULT_TIMEOUT_MS = 5000;
export const DEFAULT_LEASE_MS = 30_000;
export const DEFAULT_POLL_MS = 250;

export interface WebhookDispatcherOptions {
  queue: WebhookQueue;
  webhooks: WebhookConfig[];
  log: DispatcherLog;
  /** Unique per instance (the consumer name in the Redis group, and part of every lease token). */
  consumerName: string;
  clock?: () => number;
  /** Pause between polls when there is nothing to do. */
  pollMs?: number;
  /** How long a leased delivery stays with this instance; must exceed timeoutMs. */
  leaseMs?: number;
  /** Budget of one attempt, response headers included. */
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** Concurrent attempts per webhook. */
  concurrency?: number;
  /** Events pulled per poll. */
  batch?: number;
  /** How long stop() waits for attempts in flight before aborting them. */
  stopTimeoutMs?: number;
  fetch?: typeof fetch;
  random?: () => number;
}

export interface WebhookStats {
  delivered: number;
  failedAttempts: number;
  dropped: number;
  inFlight: number;
}

export interface WebhookDispatcher {
  /** Stops polling and waits (bounded) for attempts in flight; what is left is retried later. */
  stop(): Promise<void>;
  /** Counters since start, for metrics. */
  stats(): WebhookStats;
}

interface Hook extends WebhookConfig {
  id: string;
  /** Origin and path only: webhook URLs may carry credentials in their query. */
  label: string;
}

/**
 * Stable id of each webhook, the same on every instance with the same config: a digest of the
 * URL (so reordering the list keeps pending deliveries with their webhook), numbered when the
 * same URL is listed twice.
 */
export function hookIds(webhooks: WebhookConfig[]): string[] {
  const seen = new Map<string, number>();
  return webhooks.map((h) => {
    const base = createHash('sha256').update(h.url).digest('hex').slice(0, 16);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    return n === 0 ? base : `${base}-${n}`;
  });
}

/** Full-jitter backoff before retry number `attempts` (1 = the first retry). */
export function backoffMs(attempts: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** Math.min(attempts - 1, 52));
  return Math.floor(random() * ceiling);
}

function label(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return '(invalid url)';
  }
}

export function startWebhookDispatcher(opts: WebhookDispatcherOptions): WebhookDispatcher {
  const { queue, log, consumerName } = opts;
  const clock = opts.clock ?? Date.now;
  const pollMs = opts.pollMs ?? DEFAULT_POLL_MS;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const leaseMs = opts.leaseMs ?? DEFAULT_LEASE_MS;
  const retry: RetryPolicy = { ...DEFAULT_RETRY, ...opts.retry };
  const concurrency = opts.concurrency ?? 8;
  const batch = opts.batch ?? 100;
  const stopTimeoutMs = opts.stopTimeoutMs ?? timeoutMs + 1000;
  const doFetch = opts.fetch ?? fetch;
  const random = opts.random ?? Math.random;
  // Otherwise a lease could run out during an attempt and a second instance would send the same
  // delivery concurrently.
  if (leaseMs <= timeoutMs) throw new Error(`webhook leaseMs (${leaseMs}) must exceed timeoutMs (${timeoutMs})`);

  const ids = hookIds(opts.webhooks);
  const hooks: Hook[] = opts.webhooks.map((h, i) => ({ ...h, id: ids[i] as string, label: label(h.url) }));
  const byId = new Map(hooks.map((h) => [h.id, h]));
  const route = (event: LogoutEvent): string[] => hooks.filter((h) => h.events.length === 0 || h.events.includes(event.type)).map((h) => h.id);

  const stats = { delivered: 0, failedAttempts: 0, dropped: 0 };
  const inFlight = new Map<Promise<void>, AbortController>();
  const busy = new Map<string, number>(hooks.map((h) => [h.id, 0]));
  let stopping = false;
  let storeDown = false;
  /** Hooks whose last lease filled every free slot: more may be due as soon as a slot frees. */
  const saturated = new Set<string>();
  let wake: (() => void) | null = null;
  let poked = false;

  /** Ends the current pause now, or skips the next one if the loop is mid-tick. */
  function poke(): void {
    poked = true;
    wake?.();
  }

  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        wake = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      wake = done;
    });
  }

  async function attempt(hook: Hook, d: WebhookDelivery, stopSignal: AbortSignal): Promise<void> {
    let failure: Record<string, unknown> | null = null;
    const signal = AbortSignal.any([stopSignal, AbortSignal.timeout(timeoutMs)]);
    try {
      const res = await doFetch(hook.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [EVENT_ID_HEADER]: d.eventId,
          [SIGNATURE_HEADER]: sign(hook.secret, d.body, Math.floor(clock() / 1000)),
        },
        body: d.body,
        // A redirect is a failure, not a reason to send a signed event somewhere else.
        redirect: 'manual',
        signal,
      });
      // Release the connection; receivers' bodies mean nothing to us.
      await res.body?.cancel().catch(() => undefined);
      if (res.status < 200 || res.status > 299) failure = { status: res.status };
    } catch (err) {
      failure = { err: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
    }
    const ctx = { webhook: hook.label, event_id: d.eventId, attempt: d.attempts + 1 };
    try {
      if (failure === null) {
        stats.delivered++;
        if (!(await queue.complete(d))) log.warn(ctx, 'webhook delivered after its lease was taken over; it may be delivered again');
        else log.debug(ctx, 'webhook delivered');
        return;
      }
      stats.failedAttempts++;
      const now = clock();
      if (now - d.firstAt >= retry.maxAgeMs) {
        stats.dropped++;
        await queue.complete(d);
        log.error({ ...ctx, ...failure, age_ms: now - d.firstAt }, 'webhook delivery dropped: retries exhausted');
        return;
      }
      const delay = backoffMs(d.attempts + 1, retry, random);
      await queue.retry(d, now + delay);
      log.warn({ ...ctx, ...failure, retry_in_ms: delay }, 'webhook attempt failed');
    } catch (err) {
      // The store is down: the lease runs out and this or another instance tries again.
      log.warn({ ...ctx, err: String(err) }, 'webhook delivery state not saved; it will be retried after its lease');
    }
  }

  function launch(hook: Hook, d: WebhookDelivery): void {
    const controller = new AbortController();
    busy.set(hook.id, (busy.get(hook.id) ?? 0) + 1);
    const run = attempt(hook, d, controller.signal).finally(() => {
      busy.set(hook.id, (busy.get(hook.id) ?? 1) - 1);
      inFlight.delete(run);
      // Under a backlog, throughput is bounded by attempts, not by the poll interval.
      if (saturated.has(hook.id)) poke();
    });
    inFlight.set(run, controller);
  }

  async function tick(): Promise<boolean> {
    const pulled = await queue.pull(route, clock(), consumerName, { batch, claimIdleMs: leaseMs });
    for (const d of pulled.evicted) {
      stats.dropped++;
      log.error({ webhook: byId.get(d.hookId)?.label, event_id: d.eventId }, 'webhook delivery dropped: queue full');
    }
    const requests = hooks.map((h) => ({ hookId: h.id, limit: concurrency - (busy.get(h.id) ?? 0) })).filter((r) => r.limit > 0);
    const leased = requests.length > 0 ? await queue.lease(requests, clock(), leaseMs, consumerName) : [];
    for (const r of requests) {
      if (leased.filter((d) => d.hookId === r.hookId).length >= r.limit) saturated.add(r.hookId);
      else saturated.delete(r.hookId);
    }
    for (const d of leased) {
      const hook = byId.get(d.hookId);
      if (hook) launch(hook, d);
    }
    // A full batch of events means more are probably waiting in the stream.
    return pulled.events >= batch;
  }

  async function loop(): Promise<void> {
    while (!stopping) {
      poked = false;
      let more = false;
      try {
        more = await tick();
        if (storeDown) log.info({}, 'webhook dispatcher: store reachable again');
        storeDown = false;
      } catch (err) {
        // Logged once per outage; the loop keeps polling and resumes on its own.
        if (!storeDown) log.warn({ err: String(err) }, 'webhook dispatcher: store unavailable, retrying');
        storeDown = true;
      }
      if (!stopping && !more && !poked) await sleep(pollMs);
    }
  }

  const running = loop();

  let stopped: Promise<void> | null = null;
  async function stop(): Promise<void> {
    stopping = true;
    poke();
    await running;
    const settled = (): Promise<unknown> => Promise.allSettled([...inFlight.keys()]);
    let timer: NodeJS.Timeout | undefined;
    const deadline = (ms: number) => new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
    await Promise.race([settled(), deadline(stopTimeoutMs)]);
    clearTimeout(timer);
    if (inFlight.size === 0) return;
    // Out of patience: abort, so each records a retry instead of waiting out its lease.
    for (const controller of inFlight.values()) controller.abort();
    await Promise.race([settled(), deadline(1000)]);
    clearTimeout(timer);
  }

  return {
    stop: () => (stopped ??= stop()),
    stats: () => ({ ...stats, inFlight: inFlight.size }),
  };
}
