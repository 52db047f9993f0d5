// One autocannon run against one contender: a fixed number of connections for a fixed time, each
// request taken from a source (rotating over prepared sessions for reads, consuming fresh ones for
// revocations). Only 2xx responses count: req/s is 2xx per second and the latency percentiles are
// computed here, exactly, from autocannon's per-response timings of 2xx responses (its own
// histogram rounds to whole milliseconds, too coarse for a ±10 % comparison).

import autocannon from 'autocannon';

export interface RequestSpec {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/** The next request to send, or null when a pool of single-use sessions is used up. */
export type Source = () => RequestSpec | null;

export interface LoadResult {
  /** 2xx responses per second. */
  rps: number;
  /** Latency of 2xx responses, ms. */
  p50: number;
  p99: number;
  mean: number;
  ok: number;
  /** Non-2xx responses (the exhaustion sentinel's 404s excluded). */
  non2xx: number;
  /** Connection errors and timeouts. */
  errors: number;
  timeouts: number;
  statusCounts: Record<string, number>;
  durationS: number;
  /** The source ran dry before the time was up (the run was cut short; sized too small). */
  exhausted: boolean;
  /** Share of the machine's CPU used by processes outside the benchmark meanwhile (0..1; NaN if unknown). */
  foreignCpu?: number;
  /** CPU time per 2xx response, µs: the server process, and its redis-server (10 ms tick resolution). */
  serverCpuUs?: number;
  redisCpuUs?: number;
}

export interface LoadOptions {
  port: number;
  connections: number;
  durationS: number;
  source: Source;
  /** Fixed offered load, req/s in total (autocannon overallRate); unset = as fast as it goes. */
  rate?: number;
}

/** Where requests go once a single-use pool is empty: 404 everywhere, and the run is stopped. */
const EXHAUSTED_PATH = '/__bench_pool_exhausted__';

export function runLoad({ port, connections, durationS, source, rate }: LoadOptions): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    let latencies = new Float64Array(1 << 16);
    let ok = 0;
    let exhaustedAt = 0;
    let sentinels = 0;
    let lastOkAt = 0;
    const startedAt = performance.now();
    let instance: autocannon.Instance | undefined;

    const setupRequest = (req: autocannon.Request): autocannon.Request => {
      const next = source();
      if (next === null) {
        sentinels++;
        if (exhaustedAt === 0) {
          exhaustedAt = performance.now();
          setImmediate(() => instance?.stop());
        }
        return { ...req, method: 'GET', path: EXHAUSTED_PATH, headers: {}, body: '' };
      }
      return { ...req, method: next.method, path: next.path, headers: next.headers, body: next.body ?? '' };
    };

    instance = autocannon(
      { url: `http://127.0.0.1:${port}`, connections, duration: durationS, requests: [{ setupRequest }], ...(rate ? { overallRate: rate } : {}) },
      (err, result) => {
        if (err) return reject(err);
        const sorted = latencies.subarray(0, ok).sort();
        const pct = (p: number): number => (ok === 0 ? NaN : (sorted[Math.min(ok - 1, Math.floor((p / 100) * ok))] as number));
        let sum = 0;
        for (let i = 0; i < ok; i++) sum += sorted[i] as number;
        const statusCounts: Record<string, number> = {};
        for (const [code, { count }] of Object.entries(result.statusCodeStats)) statusCounts[code] = count;
        const sentinel404 = Math.min(sentinels, statusCounts['404'] ?? 0);
        if (sentinel404 > 0) {
          statusCounts['404'] = (statusCounts['404'] ?? 0) - sentinel404;
          if (statusCounts['404'] === 0) delete statusCounts['404'];
        }
        // When cut short, rate over the time in which real requests were answered.
        const durationS2 = exhaustedAt > 0 ? Math.max(0.001, (lastOkAt - startedAt) / 1000) : result.duration;
        resolve({
          rps: ok / durationS2,
          p50: pct(50),
          p99: pct(99),
          mean: ok === 0 ? NaN : sum / ok,
          ok,
          non2xx: result.non2xx - sentinel404,
          errors: result.errors - result.timeouts,
          timeouts: result.timeouts,
          statusCounts,
          durationS: durationS2,
          exhausted: exhaustedAt > 0,
        });
      },
    );
    instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
      if (statusCode < 200 || statusCode >= 300) return;
      if (ok === latencies.length) {
        const bigger = new Float64Array(latencies.length * 2);
        bigger.set(latencies);
        latencies = bigger;
      }
      latencies[ok++] = responseTime;
      lastOkAt = performance.now();
    });
  });
}

export function median(values: number[]): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? (v[mid] as number) : ((v[mid - 1] as number) + (v[mid] as number)) / 2;
}

/** Cycles forever over prepared requests (read benchmarks: sessions are reused). */
export function rotating(items: RequestSpec[]): Source {
  if (items.length === 0) throw new Error('rotating() needs at least one request');
  let i = 0;
  return () => items[i++ % items.length] as RequestSpec;
}

/** Hands out each prepared request once (revocation benchmarks: every request a fresh session). */
export function consuming(items: RequestSpec[]): Source & { used(): number } {
  let i = 0;
  const next = (() => (i < items.length ? (items[i++] as RequestSpec) : null)) as Source & { used(): number };
  next.used = () => i;
  return next;
}
