// Test helpers: build an app from a config object (never the environment), with a controllable
// clock, and drive the flows through the HTTP surface.

import type { LightMyRequestResponse } from 'fastify';
import { buildApp, type App, type AppDeps } from '../../src/app.js';
import { resolveConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';

export const TEST_SECRET = 'test-secret-that-is-at-least-32-characters-long';
export const BASE = 'http://127.0.0.1:4433';

export interface TestClock {
  now: () => number;
  set(ms: number): void;
  advance(ms: number): void;
}

export function testClock(start = Date.UTC(2026, 0, 1)): TestClock {
  let t = start;
  return { now: () => t, set: (ms) => void (t = ms), advance: (ms) => void (t += ms) };
}

/** A full config from raw overrides, as a YAML file would give them. */
export function testConfig(raw: Record<string, unknown> = {}): Config {
  const base = {
    serve: { public: { base_url: BASE }, admin: {} },
    secrets: { default: [TEST_SECRET] },
    selfservice: {
      default_browser_return_url: `${BASE}/`,
      allowed_return_urls: ['https://app.example.com/', 'https://*.example.org/dashboard'],
      flows: { logout: { after: { default_browser_return_url: `${BASE}/signed-out` } } },
    },
    log: { level: 'silent' },
    // Tests send everything from one IP; the rate-limit tests turn limiting back on.
    rate_limit: { enabled: false },
  };
  return resolveConfig({ raw: deepMerge(base, raw) }).config;
}

export function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] =
      typeof v === 'object' && v !== null && !Array.isArray(v) && typeof prev === 'object' && prev !== null && !Array.isArray(prev)
        ? deepMerge(prev as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}

export async function testApp(raw: Record<string, unknown> = {}, deps: AppDeps = {}): Promise<App> {
  return buildApp(testConfig(raw), deps);
}

export const PASSWORD = 'correct horse battery staple';

export async function createIdentity(app: App, email: string, password = PASSWORD): Promise<{ id: string }> {
  const res = await app.admin.inject({
    method: 'POST',
    url: '/admin/identities',
    payload: { schema_id: 'default', traits: { email }, credentials: { password: { config: { password } } } },
  });
  if (res.statusCode !== 201) throw new Error(`createIdentity: ${res.statusCode} ${res.body}`);
  return res.json() as { id: string };
}

/** Native login; returns the session token and session JSON. */
export async function loginNative(app: App, email: string, password = PASSWORD, headers: Record<string, string> = {}) {
  const flow = (await app.public.inject({ method: 'GET', url: '/self-service/login/api' })).json() as { id: string };
  const res = await app.public.inject({
    method: 'POST',
    url: `/self-service/login?flow=${flow.id}`,
    headers,
    payload: { method: 'password', identifier: email, password },
  });
  if (res.statusCode !== 200) throw new Error(`loginNative: ${res.statusCode} ${res.body}`);
  return res.json() as { session_token: string; session: { id: string; identity: { id: string } } };
}

/** Reads Set-Cookie headers into a name → value map (for use as a Cookie header). */
export function cookiesOf(res: LightMyRequestResponse): Record<string, string> {
  const out: Record<string, string> = {};
  for (const c of res.cookies as Array<{ name: string; value: string }>) out[c.name] = c.value;
  return out;
}

export function cookieHeader(cookies: Record<string, string>): string {
  return Object.entries(cookies)
    .map(([k, v]) => `${k}=${v}`)
    .join('; ');
}

/** Browser login through the form; returns the signed session cookie header value. */
export async function loginBrowser(app: App, email: string, password = PASSWORD): Promise<{ cookie: string; sessionCookie: string }> {
  const start = await app.public.inject({ method: 'GET', url: '/self-service/login/browser', headers: { accept: 'text/html' } });
  if (start.statusCode !== 303) throw new Error(`login/browser: ${start.statusCode} ${start.body}`);
  const flowId = new URL(start.headers.location as string).searchParams.get('flow') as string;
  const csrf = cookiesOf(start);
  const csrfToken = (await app.context.store.getLoginFlow(flowId))?.csrfToken as string;
  const res = await app.public.inject({
    method: 'POST',
    url: `/self-service/login?flow=${flowId}`,
    headers: { cookie: cookieHeader(csrf), accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ csrf_token: csrfToken, method: 'password', identifier: email, password }).toString(),
  });
  if (res.statusCode !== 303) throw new Error(`login: ${res.statusCode} ${res.body}`);
  const session = cookiesOf(res).ory_kratos_session;
  if (!session) throw new Error(`login: no session cookie: ${res.statusCode} ${String(res.headers.location)}`);
  return { cookie: `ory_kratos_session=${session}`, sessionCookie: session };
}

/**
 * An app on a real listener at a free port, with its base URL (and the default return URLs and
 * allow list that point at it) set to that port. `raw` is merged on top. The caller closes it.
 */
export async function listeningApp(raw: Record<string, unknown> = {}, deps: AppDeps = {}): Promise<{ app: App; base: string }> {
  const { freePort } = await import('./redis-server.js');
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const wired = {
    dev: true,
    serve: { public: { base_url: base } },
    selfservice: {
      default_browser_return_url: `${base}/`,
      allowed_return_urls: [`${base}/`],
      flows: { logout: { after: { default_browser_return_url: `${base}/signed-out` } } },
    },
  };
  const app = await buildApp(testConfig(deepMerge(wired, raw)), deps);
  await app.public.listen({ host: '127.0.0.1', port });
  return { app, base };
}
