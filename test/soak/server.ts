// A logoutd process for soak runs: Redis store, real listener, and a stats line every second
// (RSS, heap, event-loop delay) on stdout for the parent to read.

import { monitorEventLoopDelay } from 'node:perf_hooks';
import { buildApp } from '../../src/app.js';
import { testConfig } from '../helpers/app.js';

const [redisUrl, portArg] = process.argv.slice(2);
const port = Number(portArg);
const base = `http://127.0.0.1:${port}`;
const app = await buildApp(
  testConfig({
    serve: { public: { base_url: base } },
    store: { kind: 'redis', redis: { url: redisUrl, key_prefix: 'soak:' } },
    rate_limit: { enabled: false },
    session: { cookie: { secure: false } },
  }),
);
await app.public.listen({ host: '127.0.0.1', port });
await app.admin.listen({ host: '127.0.0.1', port: 0 });

const delay = monitorEventLoopDelay({ resolution: 10 });
delay.enable();
setInterval(() => {
  const m = process.memoryUsage();
  process.stdout.write(`${JSON.stringify({ stats: { rss: m.rss, heapUsed: m.heapUsed, p99DelayMs: delay.percentile(99) / 1e6, maxDelayMs: delay.max / 1e6 } })}\n`);
  delay.reset();
}, 1000).unref();
const adminPort = (app.admin.server.address() as { port: number }).port;
process.stdout.write(`ready ${port} ${adminPort}\n`);
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
