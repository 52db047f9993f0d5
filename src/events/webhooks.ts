// Starts webhook delivery for an app (SPEC §9): nothing when no webhook is configured, otherwise
// the store's queue, prepared before the app serves its first request, and a dispatcher.

import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { WebhookConfig } from '../config/schema.js';
import type { Store } from '../store/store.js';
import { startWebhookDispatcher, type DispatcherLog, type WebhookDispatcher, type WebhookDispatcherOptions } from './dispatcher.js';

/** Dispatcher settings an embedder or a test may override; the defaults are the production ones. */
export type WebhookTuning = Partial<Omit<WebhookDispatcherOptions, 'queue' | 'webhooks' | 'log' | 'clock'>>;

export interface StartWebhooksOptions {
  webhooks: WebhookConfig[];
  store: Store;
  clock: () => number;
  log: DispatcherLog;
  tuning?: WebhookTuning;
}

export async function startWebhooks(opts: StartWebhooksOptions): Promise<WebhookDispatcher | null> {
  if (opts.webhooks.length === 0) return null;
  const queue = opts.store.webhookQueue();
  // Awaited at boot: the Redis consumer group must exist before the first event, or it is skipped.
  await queue.init();
  return startWebhookDispatcher({
    // Unique per process and app, so a restarted instance never inherits a dead one's identity.
    consumerName: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
    ...opts.tuning,
    queue,
    webhooks: opts.webhooks,
    clock: opts.clock,
    log: opts.log,
  });
}
