// logoutd with the Redis store, as a benchmark contender (the compiled build, as in production).
// argv: <redis url> <public port> <admin port>

import { existsSync } from 'node:fs';
import type { buildApp as BuildApp } from '../../../src/app.js';
import { benchConfig } from '../lib/logoutd-config.js';
import { announceReady, arg, exitOnStop } from './child.js';

const config = benchConfig({ redisUrl: arg(0, 'redis url'), publicPort: Number(arg(1, 'public port')), adminPort: Number(arg(2, 'admin port')) });
// The production build (what `npm start` runs), which `npm run bench` compiles first; the
// TypeScript sources through tsx only when there is no build.
const dist = new URL('../../../dist/app.js', import.meta.url);
const { buildApp } = (await import(existsSync(dist) ? dist.href : '../../../src/app.js')) as { buildApp: typeof BuildApp };
const app = await buildApp(config);
exitOnStop(() => app.close());
await app.public.listen({ host: config.serve.public.host, port: config.serve.public.port });
await app.admin.listen({ host: config.serve.admin.host, port: config.serve.admin.port });
announceReady(config.serve.public.port);
