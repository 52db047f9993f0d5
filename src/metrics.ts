// Prometheus metrics (prom-client) on a registry of the app's own — never the global default
// registry, so two apps in one process (tests, several instances) never mix their figures.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Counter, Registry, collectDefaultMetrics, type Metric } from 'prom-client';
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

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/** What one (server, route, method) has seen: plain numbers, turned into samples at scrape time. */
interface RouteStats {
  labels: { server: string; route: string; method: string };
  statuses: Map<number, number>;
  /** Observations per latency bucket (not cumulative); the last slot is +Inf. */
  buckets: number[];
  sum: number;
  count: number;
}

export class Metrics {
  readonly registry = new Registry();
  private readonly logouts: Counter<'kind' | 'outcome'>;
  private readonly storeErrors: Counter;
  /** Every (server, route, method) seen so far; a few dozen at most (route templates, not URLs). */
  private readonly routeStats: RouteStats[] = [];
  /** Labelled children by "kind outcome" (a handful), so a logout does not hash labels. */
  private readonly logoutChildren = new Map<string, { inc(): void }>();
  /** Filled in once the webhook dispatcher exists (it starts after the routes). */
  deliveries: (() => DeliveryCounters) | null = null;

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'logoutd_' });
    const routes = this.routeStats;
    new Counter({
      name: 'logoutd_http_requests_total',
      help: 'HTTP requests by route and status',
      labelNames: ['server', 'route', 'method', 'status'],
      registers,
      collect() {
        this.reset();
        for (const r of routes) for (const [status, n] of r.statuses) this.inc({ ...r.labels, status: String(status) }, n);
      },
    });
    this.registry.registerMetric(latencyHistogram(routes));
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
   * logouts of routes whose config names a `logoutKind`. One callback-style hook for all of it
   * (each async hook costs a promise and a microtask on every response), and plain numbers rather
   * than prom-client's labelled metrics, which validate and hash the label set on every call
   * (about 5 % of a whoami's instructions under callgrind); scrapes turn them into samples.
   */
  instrument(app: FastifyInstance, server: 'public' | 'admin'): void {
    /** route template → method → stats: two map lookups, no key strings built per request. */
    const byRoute = new Map<string, Map<string, RouteStats>>();
    app.addHook('onResponse', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
      // routeOptions is a getter that builds a new object on every read: read it once.
      const { url, config } = request.routeOptions;
      const route = url ?? 'unmatched';
      const method = request.method;
      let byMethod = byRoute.get(route);
      if (!byMethod) byRoute.set(route, (byMethod = new Map()));
      let stats = byMethod.get(method);
      if (!stats) {
        stats = { labels: { server, route, method }, statuses: new Map(), buckets: new Array<number>(LATENCY_BUCKETS.length + 1).fill(0), sum: 0, count: 0 };
        byMethod.set(method, stats);
        this.routeStats.push(stats);
      }
      const status = reply.statusCode;
      stats.statuses.set(status, (stats.statuses.get(status) ?? 0) + 1);
      const seconds = reply.elapsedTime / 1000;
      let bucket = 0;
      while (bucket < LATENCY_BUCKETS.length && seconds > (LATENCY_BUCKETS[bucket] as number)) bucket++;
      (stats.buckets[bucket] as number)++;
      stats.sum += seconds;
      stats.count++;
      const logoutKind = config.logoutKind;
      if (logoutKind) this.observeLogout(logoutKind, request, status);
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

/**
 * logoutd_http_request_duration_seconds as a registry metric of its own, read from the route stats
 * at scrape time: the samples prom-client's Histogram would write (cumulative buckets with `le`
 * first, then _sum and _count).
 */
function latencyHistogram(routes: RouteStats[]): Metric {
  const name = 'logoutd_http_request_duration_seconds';
  const help = 'HTTP request latency by route';
  const metric = {
    name,
    help,
    type: 'histogram',
    aggregator: 'sum',
    get() {
      const values: Array<{ metricName: string; labels: Record<string, string | number>; value: number }> = [];
      for (const r of routes) {
        let cumulative = 0;
        r.buckets.forEach((n, i) => {
          cumulative += n;
          values.push({ metricName: `${name}_bucket`, labels: { le: i < LATENCY_BUCKETS.length ? (LATENCY_BUCKETS[i] as number) : '+Inf', ...r.labels }, value: cumulative });
        });
        values.push({ metricName: `${name}_sum`, labels: { ...r.labels }, value: r.sum });
        values.push({ metricName: `${name}_count`, labels: { ...r.labels }, value: r.count });
      }
      return { name, help, type: 'histogram', aggregator: 'sum', values };
    },
    reset(): void {
      for (const r of routes) {
        r.statuses.clear();
        r.buckets.fill(0);
        r.sum = 0;
        r.count = 0;
      }
    },
  };
  // prom-client's types describe its own classes; the registry itself only reads these members.
  return metric as unknown as Metric;
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
