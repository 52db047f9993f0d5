// logoutd with the Redis store, as a benchmark contender.
// argv: <redis url> <public port> <admin port>

import { buildApp } from '../../../src/app.js';
import { benchConfig } from '../lib/logoutd-config.js';
import { announceReady, arg, exitOnStop } from './child.js';

const config = benchConfig({ redisUrl: arg(0, 'redis url'), publicPort: Number(arg(1, 'public port')), adminPort: Number(arg(2, 'admin port')) });
const app = await buildApp(config);
exitOnStop(() => app.close());
await app.public.listen({ host: config.serve.public.host, port: config.serve.public.port });
await app.admin.listen({ host: config.serve.admin.host, port: config.serve.admin.port });
announceReady(config.serve.public.port);
