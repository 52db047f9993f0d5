// The "mandated-work floors" (SPEC §13 asks why a target is out of reach, with evidence): bare
// fastify routes, built like the revoke ceiling (no logger, no hooks, no schemas), that do only
// what the contract makes a revocation do, with logoutd's own token and store code. Comparing them
// with the ceiling in the same run separates what the contract costs from what logoutd's HTTP
// layer (validation, error envelope, headers, metrics, request ids) adds on top.
//   DELETE /revoke-json               the ceiling's DEL, but the key arrives as a JSON body
//                                     {"session_token": …}, as the Ory SDK sends a native logout
//   DELETE /self-service/logout/api   JSON body → SHA-256 (digestToken) → RedisStore.revokeSession
//                                     (one atomic check + revoke + event script) → 204
//   GET    /self-service/logout       signed cookie (HMAC) → logout token (HMAC) compared in
//                                     constant time → RedisStore.revokeSession → clearing
//                                     Set-Cookie → 204
// Each answers 404 when there was nothing to revoke (403 on a wrong logout token), so reused or
// mismatched sessions show up as non-2xx instead of flattering the floor.
// argv: <redis url>

import { existsSync } from 'node:fs';
import Fastify from 'fastify';
import fastifyCookie from '@fastify/cookie';
import { Redis } from 'ioredis';
import type * as StoreModule from '../../../src/store/create-store.js';
import type * as TokensModule from '../../../src/sessions/tokens.js';
import { CEILING_PREFIX } from '../lib/constants.js';
import { benchConfig } from '../lib/logoutd-config.js';
import { announceReady, arg, exitOnStop } from './child.js';

const redisUrl = arg(0, 'redis url');
// The same build logoutd's contender runs (see logoutd.ts), so both use identical store code.
const root = existsSync(new URL('../../../dist/app.js', import.meta.url)) ? '../../../dist' : '../../../src';
const { createStore } = (await import(`${root}/store/create-store.js`)) as typeof StoreModule;
const { digestToken, logoutTokenFor, safeEqual } = (await import(`${root}/sessions/tokens.js`)) as typeof TokensModule;

// Only the store section and the cookie settings are used; the ports are never listened on.
const config = benchConfig({ redisUrl, publicPort: 1, adminPort: 2 });
const store = await createStore(config.store, { clock: Date.now });
const redis = new Redis(redisUrl);
const cookieName = config.session.cookie.name;
const clearing = `${cookieName}=; Max-Age=0; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax`;

const app = Fastify({ logger: false });
await app.register(fastifyCookie, { secret: config.secrets.cookie });

function eventContext(request: { ip: string; headers: Record<string, string | string[] | undefined> }): { ip: string; userAgent: string; now: number } {
  const ua = request.headers['user-agent'];
  return { ip: request.ip, userAgent: typeof ua === 'string' ? ua : '', now: Date.now() };
}

app.delete<{ Body: { session_token?: string } }>('/revoke-json', async (request, reply) => {
  const sid = request.body?.session_token;
  const deleted = typeof sid === 'string' ? await redis.del(CEILING_PREFIX + sid) : 0;
  return reply.code(deleted === 1 ? 204 : 404).send();
});

app.delete<{ Body: { session_token?: string } }>('/self-service/logout/api', async (request, reply) => {
  const token = request.body?.session_token;
  if (typeof token !== 'string') return reply.code(400).send();
  const digest = digestToken(token);
  const outcome = await store.revokeSession(digest.id, digest.check, 'logout_api', eventContext(request));
  return reply.code(outcome.status === 'not_found' ? 404 : 204).send();
});

app.get<{ Querystring: { token?: string } }>('/self-service/logout', async (request, reply) => {
  const raw = request.cookies[cookieName];
  const unsigned = raw === undefined ? null : request.unsignCookie(raw);
  const token = unsigned?.valid ? unsigned.value : null;
  if (!token) return reply.code(404).send();
  if (!safeEqual(logoutTokenFor(token), request.query.token ?? '')) return reply.code(403).send();
  const digest = digestToken(token);
  const outcome = await store.revokeSession(digest.id, digest.check, 'logout_browser', eventContext(request));
  if (outcome.status === 'not_found') return reply.code(404).send();
  return reply.code(204).header('set-cookie', clearing).send();
});

exitOnStop(async () => {
  await app.close();
  await store.close();
  redis.disconnect();
});
await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address();
announceReady(typeof address === 'object' && address ? address.port : 0);
