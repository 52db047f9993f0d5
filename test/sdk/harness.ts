// Shared set-up for the Ory SDK compatibility tests: a logoutd on real public and admin listeners
// (memory store, free ports, `serve.public.base_url` = the real public URL), plus the few things a
// test needs that the SDKs do not do for it — a browser login with plain fetch (to get a session
// cookie to forward) and a browser request whose error is forwarded to the error UI (to get an
// error id for getFlowError).

import { createServer, type AddressInfo } from 'node:net';
import { buildApp, type App } from '../../src/app.js';
import { deepMerge, testConfig } from '../helpers/app.js';

export const PASSWORD = 'correct horse battery staple';

export interface Running {
  app: App;
  /** The public base URL, e.g. http://127.0.0.1:41234 (no trailing slash). */
  base: string;
  adminBase: string;
  close(): Promise<void>;
}

/** Two ports the OS says are free, held open together so they differ, then released. */
async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: n }, () => new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
      const s = createServer();
      s.once('error', reject);
      s.listen(0, '127.0.0.1', () => resolve(s));
    })),
  );
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  return ports;
}

/** Builds and starts logoutd; `raw` overrides the config (as a YAML file would). */
export async function startServer(raw: Record<string, unknown> = {}): Promise<Running> {
  const [publicPort, adminPort] = (await freePorts(2)) as [number, number];
  const base = `http://127.0.0.1:${publicPort}`;
  const adminBase = `http://127.0.0.1:${adminPort}`;
  const config = testConfig(
    deepMerge(
      {
        serve: { public: { base_url: base, port: publicPort }, admin: { base_url: adminBase, port: adminPort } },
        selfservice: {
          default_browser_return_url: `${base}/`,
          allowed_return_urls: [`${base}/`],
          flows: { logout: { after: { default_browser_return_url: `${base}/signed-out` } } },
        },
        // Every test logs in many times from 127.0.0.1; the limiter itself is tested elsewhere.
        rate_limit: { logout_api: { max: 10_000 }, login: { max: 10_000 } },
      },
      raw,
    ),
  );
  const app = await buildApp(config);
  try {
    await app.public.listen({ host: '127.0.0.1', port: publicPort });
    await app.admin.listen({ host: '127.0.0.1', port: adminPort });
  } catch (err) {
    await app.close();
    throw err;
  }
  return { app, base, adminBase, close: () => app.close() };
}

/** `name=value` of the Set-Cookie headers of a response, keyed by name. */
function setCookies(res: Response): Map<string, string> {
  const out = new Map<string, string>();
  for (const c of res.headers.getSetCookie()) {
    const pair = c.split(';')[0] as string;
    const i = pair.indexOf('=');
    out.set(pair.slice(0, i), pair);
  }
  return out;
}

/**
 * A browser (SPA-style) login with plain fetch: GET /self-service/login/browser as JSON → flow +
 * CSRF cookie; POST the flow as JSON with that cookie → the session cookie. Returns the Cookie
 * header value a server-side app would forward (`ory_kratos_session=…`).
 */
export async function browserLogin(base: string, email: string, password = PASSWORD): Promise<string> {
  const start = await fetch(`${base}/self-service/login/browser`, { headers: { accept: 'application/json' }, redirect: 'manual' });
  if (start.status !== 200) throw new Error(`login/browser: ${start.status} ${await start.text()}`);
  const flow = (await start.json()) as { id: string; ui: { nodes: Array<{ attributes: { name: string; value?: string } }> } };
  const csrfToken = flow.ui.nodes.find((n) => n.attributes.name === 'csrf_token')?.attributes.value;
  const csrfCookie = [...setCookies(start).values()].join('; ');
  if (!csrfToken || !csrfCookie) throw new Error('login/browser: no CSRF token or cookie');
  const res = await fetch(`${base}/self-service/login?flow=${encodeURIComponent(flow.id)}`, {
    method: 'POST',
    headers: { accept: 'application/json', 'content-type': 'application/json', cookie: csrfCookie },
    body: JSON.stringify({ csrf_token: csrfToken, method: 'password', identifier: email, password }),
    redirect: 'manual',
  });
  if (res.status !== 200) throw new Error(`login: ${res.status} ${await res.text()}`);
  const session = setCookies(res).get('ory_kratos_session');
  if (!session) throw new Error('login: no session cookie');
  return session;
}

/**
 * A browser following a logout link without a session: logoutd stores the 401 and forwards the
 * browser (303) to the error UI with `?id=`. Returns that id, for getFlowError.
 */
export async function forwardedErrorId(base: string): Promise<string> {
  const res = await fetch(`${base}/self-service/logout/browser`, { headers: { accept: 'text/html' }, redirect: 'manual' });
  if (res.status !== 303) throw new Error(`expected a 303 to the error UI, got ${res.status}`);
  const id = new URL(res.headers.get('location') as string).searchParams.get('id');
  if (!id) throw new Error('no ?id= in the error UI URL');
  return id;
}

/** Waits `ms` milliseconds (only for real-time expiry on a running server). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
