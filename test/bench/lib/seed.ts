// Sessions for the benchmarks, written the way each contender writes them itself, so the reads
// and revocations under load hit real records:
// - logoutd: SessionManager.create over a RedisStore (the store's own createSession script), many
//   in flight at once on an auto-pipelining client (bulk creation; logging in over HTTP would
//   spend most of the time in scrypt);
// - express: connect-redis's own store.set (what express-session calls), signed cookies as
//   express-session signs them; the read sessions come from its real login route;
// - ceilings: plain SETs of a value about the size of a logoutd record.

import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { sign as signCookie } from '@fastify/cookie';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { RedisStore as ConnectRedisStore } from 'connect-redis';
import type { Config } from '../../../src/config/schema.js';
import { RedisStore } from '../../../src/store/redis-store.js';
import { SessionManager } from '../../../src/sessions/manager.js';
import { logoutTokenFor } from '../../../src/sessions/tokens.js';
import { CEILING_PREFIX, EXPRESS_COOKIE, EXPRESS_MAX_AGE_MS, EXPRESS_PREFIX, EXPRESS_SECRET, USER_AGENT_120 } from './constants.js';

/** How many creations are in flight at once (they share pipelined round trips). */
const BATCH = 2000;

export interface LogoutdSession {
  token: string;
  /** `Cookie` header value carrying the signed session cookie. */
  cookie: string;
  logoutToken: string;
}

export interface LogoutdSeeder {
  store: RedisStore;
  create(n: number, identityIds: string[]): Promise<LogoutdSession[]>;
  /** Creates sessions without keeping their tokens (filling Redis for the scale test). */
  fill(n: number, sessionsPerIdentity: number, onProgress?: (done: number) => void): Promise<void>;
  close(): Promise<void>;
}

export function logoutdSeeder(config: Config, redisUrl: string): LogoutdSeeder {
  const client = new Redis(redisUrl, { enableAutoPipelining: true, maxRetriesPerRequest: 0 });
  const store = new RedisStore(client, { keyPrefix: config.store.redis.key_prefix, closeClient: true });
  const manager = new SessionManager({ store, config, clock: Date.now });
  const secret = config.secrets.cookie[0] as string;
  const cookieName = config.session.cookie.name;
  const ctx = () => ({ ip: '127.0.0.1', userAgent: USER_AGENT_120, now: Date.now() });

  return {
    store,
    async create(n, identityIds) {
      const out: LogoutdSession[] = [];
      for (let done = 0; done < n; done += BATCH) {
        const batch = await Promise.all(
          Array.from({ length: Math.min(BATCH, n - done) }, (_, i) => manager.create(identityIds[(done + i) % identityIds.length] as string, ctx())),
        );
        for (const { token } of batch) {
          out.push({ token, cookie: `${cookieName}=${encodeURIComponent(signCookie(token, secret))}`, logoutToken: logoutTokenFor(token) });
        }
      }
      return out;
    },
    async fill(n, sessionsPerIdentity, onProgress) {
      let identity = randomUUID();
      for (let done = 0; done < n; ) {
        const size = Math.min(BATCH / 2, n - done);
        const jobs: Array<Promise<unknown>> = [];
        for (let i = 0; i < size; i++) {
          if ((done + i) % sessionsPerIdentity === 0) identity = randomUUID();
          jobs.push(manager.create(identity, ctx()));
        }
        await Promise.all(jobs);
        done += size;
        onProgress?.(done);
      }
    },
    async close() {
      await store.close();
    },
  };
}

// -- express ---------------------------------------------------------------------------------

/** express-session's cookie: `s:` + cookie-signature(sid), URL-encoded by its serializer. */
export function expressCookie(sid: string): string {
  const signed = `${sid}.${createHmac('sha256', EXPRESS_SECRET).update(sid).digest('base64').replace(/=+$/, '')}`;
  return `${EXPRESS_COOKIE}=${encodeURIComponent(`s:${signed}`)}`;
}

export interface ExpressSeeder {
  /** Sessions written through connect-redis's store.set; returns their Cookie header values. */
  create(n: number): Promise<string[]>;
  close(): Promise<void>;
}

export async function expressSeeder(redisUrl: string): Promise<ExpressSeeder> {
  const client = createClient({ url: redisUrl });
  client.on('error', () => undefined);
  await client.connect();
  const store = new ConnectRedisStore({ client, prefix: EXPRESS_PREFIX });
  return {
    async create(n) {
      const out: string[] = [];
      for (let done = 0; done < n; done += BATCH) {
        const size = Math.min(BATCH, n - done);
        const sids = Array.from({ length: size }, () => randomBytes(24).toString('base64url'));
        const now = Date.now();
        await Promise.all(
          sids.map((sid, i) =>
            store.set(sid, {
              // The shape express-session itself stores (Cookie#toJSON), then the app's data.
              cookie: { originalMaxAge: EXPRESS_MAX_AGE_MS, expires: new Date(now + EXPRESS_MAX_AGE_MS).toISOString(), secure: false, httpOnly: true, path: '/', sameSite: 'lax' },
              user: { id: `u${done + i}`, email: `u${done + i}@example.com`, ip: '127.0.0.1', userAgent: USER_AGENT_120, authenticatedAt: new Date(now).toISOString() },
            }),
          ),
        );
        for (const sid of sids) out.push(expressCookie(sid));
      }
      return out;
    },
    async close() {
      await client.quit();
    },
  };
}

/** Logs in through the express app's own route; returns the Cookie header values it set. */
export async function expressLogins(port: number, n: number, concurrency = 20): Promise<string[]> {
  const out: string[] = new Array(n);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < n; i = next++) {
      const res = await fetch(`http://127.0.0.1:${port}/login?user=u${i}`, { method: 'POST', headers: { 'user-agent': USER_AGENT_120 } });
      const setCookie = res.headers.get('set-cookie') ?? '';
      const m = new RegExp(`${EXPRESS_COOKIE.replace('.', '\\.')}=[^;]+`).exec(setCookie);
      if (res.status !== 204 || !m) throw new Error(`express login failed: ${res.status} ${setCookie}`);
      out[i] = m[0];
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return out;
}

// -- ceilings --------------------------------------------------------------------------------

/** A value shaped and sized like a logoutd session record (~215 bytes with a 120-char UA). */
function ceilingValue(): string {
  const t = Date.now().toString(36);
  return [t, '', randomBytes(16).toString('base64url'), randomUUID(), t, '', '127.0.0.1', USER_AGENT_120].join('\n');
}

export interface CeilingSeeder {
  /** Keys written with pipelined SETs; returns their `sid` cookie header values. */
  create(n: number): Promise<string[]>;
  close(): Promise<void>;
}

export function ceilingSeeder(redisUrl: string): CeilingSeeder {
  const client = new Redis(redisUrl, { maxRetriesPerRequest: 0 });
  return {
    async create(n) {
      const out: string[] = [];
      for (let done = 0; done < n; done += BATCH * 5) {
        const p = client.pipeline();
        const size = Math.min(BATCH * 5, n - done);
        for (let i = 0; i < size; i++) {
          const sid = randomBytes(16).toString('hex');
          p.set(CEILING_PREFIX + sid, ceilingValue(), 'PX', 86_400_000);
          out.push(`sid=${sid}`);
        }
        const res = await p.exec();
        const failed = res?.find(([err]) => err);
        if (!res || failed) throw new Error(`ceiling seed failed: ${String(failed?.[0] ?? 'pipeline aborted')}`);
      }
      return out;
    },
    async close() {
      await client.quit();
    },
  };
}
