// Bare fastify "ceilings" (SPEC §13): the least work a route of each kind can do against Redis.
//   read   GET /read     cookie `sid` → one ioredis GET → JSON (401 when unknown)
//   revoke DELETE /revoke cookie `sid` → one ioredis DEL → 204 (404 when the key was not there,
//          so a benchmark that reuses keys shows up as non-2xx instead of flattering the ceiling)
// argv: <read|revoke> <redis url>

import Fastify from 'fastify';
import fastifyCookie from '@fastify/cookie';
import { Redis } from 'ioredis';
import { CEILING_PREFIX } from '../lib/constants.js';
import { announceReady, arg, exitOnStop } from './child.js';

const mode = arg(0, 'read|revoke');
const redis = new Redis(arg(1, 'redis url'));
const app = Fastify({ logger: false });
await app.register(fastifyCookie);

if (mode === 'read') {
  app.get('/read', async (request, reply) => {
    const sid = request.cookies.sid;
    const value = sid ? await redis.get(CEILING_PREFIX + sid) : null;
    if (value === null) return reply.code(401).send({ error: 'no session' });
    return { id: sid, session: value };
  });
} else if (mode === 'revoke') {
  app.delete('/revoke', async (request, reply) => {
    const sid = request.cookies.sid;
    const deleted = sid ? await redis.del(CEILING_PREFIX + sid) : 0;
    return reply.code(deleted === 1 ? 204 : 404).send();
  });
} else {
  process.stderr.write(`unknown ceiling mode ${mode}\n`);
  process.exit(2);
}

exitOnStop(async () => {
  await app.close();
  redis.disconnect();
});
await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address();
announceReady(typeof address === 'object' && address ? address.port : 0);
