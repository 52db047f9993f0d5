// Prometheus metrics (prom-client) on a registry of the app's own — never the global default
// registry, so two apps in one process (tests, several instances) never mix their figures.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { HttpError } from './errors/http-error.js';

export const METRICS_PATH = '/metrics';

export type LogoutKind = 'browser' | 'api';

export interface DeliveryCounters {
  delivered: number;
  failedAttempts: number;
  dropped: number;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the logout handlers on success; errors are classified from the status. */
    logoutOutcome: string | null;
  }
  interface FastifyContextConfig {
    /** Marks a logout route: its responses are also counted in logoutd_logouts_total. */
    logoutKind?: LogoutKind;
  }
}

export class Metrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'server' | 'route' | 'method' | 'status'>;
  private readonly latency: Histogram<'server' | 'route' | 'method'>;
  private readonly logouts: Counter<'kind' | 'outcome'>;
  private readonly storeErrors: Counter;
  /** Labelled children by "kind outcome" (a handful), so a logout does not hash labels. */
  private readonly logoutChildren = new Map<string, { inc(): void }>();
  /** Filled in once the webhook dispatcher exists (it starts after the routes). */
  deliveries: (() => DeliveryCounters) | null = null;

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'logoutd_' });
    this.requests = new Counter({ name: 'logoutd_http_requests_total', help: 'HTTP requests by route and status', labelNames: ['server', 'route', 'method', 'status'], registers });
    this.latency = new Histogram({
      name: 'logoutd_http_request_duration_seconds',
      help: 'HTTP request latency by route',
      labelNames: ['server', 'route', 'method'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.logouts = new Counter({ name: 'logoutd_logouts_total', help: 'Logout attempts by kind and outcome', labelNames: ['kind', 'outcome'], registers });
    this.storeErrors = new Counter({ name: 'logoutd_store_errors_total', help: 'Requests that failed because the store was unavailable', registers });
    const self = this;
    for (const [name, help, key] of [
      ['logoutd_webhook_deliveries_total', 'Webhook deliveries that succeeded', 'delivered'],
      ['logoutd_webhook_failed_attempts_total', 'Webhook delivery attempts that failed (and will be retried)', 'failedAttempts'],
      ['logoutd_webhook_dropped_total', 'Webhook deliveries given up after the retry period', 'dropped'],
    ] as const) {
      new Counter({
        name,
        help,
        registers,
        collect() {
          this.reset();
          const counters = self.deliveries?.();
          if (counters) this.inc(counters[key]);
        },
      });
    }
  }

  /**
   * Counts and times every request of a server, labelled by its route template, and counts the
   * logouts of routes whose config names a `logoutKind`. One callback-style hook for all of it:
   * each async hook costs a promise and a microtask on every response.
   */
  instrument(app: FastifyInstance, server: 'public' | 'admin'): void {
    // Labelled children are looked up once per (route, method, status): prom-client hashes the
    // label object on every call otherwise, which showed up in the profile.
    const counters = new Map<string, { inc(): void }>();
    const timers = new Map<string, { observe(v: number): void }>();
    app.addHook('onResponse', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
      // routeOptions is a getter that builds a new object on every read: read it once.
      const { url, config } = request.routeOptions;
      const route = url ?? 'unmatched';
      const method = request.method;
      const key = `${route} ${method}`;
      const countKey = `${key} ${reply.statusCode}`;
      let counter = counters.get(countKey);
      if (!counter) counters.set(countKey, (counter = this.requests.labels({ server, route, method, status: String(reply.statusCode) })));
      counter.inc();
      let timer = timers.get(key);
      if (!timer) timers.set(key, (timer = this.latency.labels({ server, route, method })));
      timer.observe(reply.elapsedTime / 1000);
      const logoutKind = config.logoutKind;
      if (logoutKind) this.observeLogout(logoutKind, request, reply.statusCode);
      done();
    });
  }

  /** The logout routes' outcome: what the handler recorded, else what the status says. */
  observeLogout(kind: LogoutKind, request: FastifyRequest, status: number): void {
    const outcome = request.logoutOutcome ?? outcomeOf(status);
    const key = `${kind} ${outcome}`;
    let counter = this.logoutChildren.get(key);
    if (!counter) this.logoutChildren.set(key, (counter = this.logouts.labels({ kind, outcome })));
    counter.inc();
  }

  observeError(error: HttpError): void {
    if (error.errorId === 'store_unavailable') this.storeErrors.inc();
  }
}

function outcomeOf(status: number): string {
  if (status === 400) return 'invalid';
  if (status === 401) return 'no_session';
  if (status === 403) return 'forbidden';
  if (status === 429) return 'rate_limited';
  if (status === 503) return 'store_unavailable';
  if (status === 303) return 'error_ui';
  return status < 400 ? 'revoked' : 'error';
}

export function metricsRoute(app: FastifyInstance, metrics: Metrics): void {
  app.get(METRICS_PATH, { schema: { hide: true } }, async (_request, reply) => {
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
}
