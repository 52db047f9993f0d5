// The logoutd configuration every benchmark uses, built with the real loader (resolveConfig) so
// the benchmark runs exactly what production would with these values. The orchestrator builds
// the same config to sign cookies and write sessions the way the server reads them.

import { resolveConfig } from '../../../src/config/load.js';
import type { Config } from '../../../src/config/schema.js';

export const BENCH_SECRET = 'logoutd-benchmark-secret-0123456789abcdef';

export interface BenchPorts {
  redisUrl: string;
  publicPort: number;
  adminPort: number;
}

export function benchConfig({ redisUrl, publicPort, adminPort }: BenchPorts): Config {
  return resolveConfig({
    raw: {
      dev: false,
      serve: {
        public: { host: '127.0.0.1', port: publicPort, base_url: `http://127.0.0.1:${publicPort}` },
        admin: { host: '127.0.0.1', port: adminPort },
      },
      store: { kind: 'redis', redis: { url: redisUrl } },
      secrets: { default: [BENCH_SECRET] },
      session: { cookie: { secure: false } },
      // Off for the throughput runs: every request comes from one IP, and the limiter's counters
      // would otherwise turn the benchmark into a 429 benchmark. The run prints that it is off.
      rate_limit: { enabled: false },
      log: { level: 'silent' },
    },
  }).config;
}
