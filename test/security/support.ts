// Shared by the security tests (not a test file itself): an independent model of the test
// config's return_to allow list, the checks every response to hostile input must pass, and an
// app with two live sessions whose survival proves that hostile input changed nothing.
//
// The allow-list model is deliberately written from SPEC §6 rather than imported from
// src/flows/return-to.ts, so a bug there cannot hide itself here.

import { Writable } from 'node:stream';
import { STATUS_CODES } from 'node:http';
import type { App, AppDeps } from '../../src/app.js';
import { WHOAMI_PATH } from '../../src/sessions/routes.js';
import { BASE, createIdentity, loginBrowser, loginNative, testApp, testConfig } from '../helpers/app.js';

interface AllowEntry {
  protocol: string;
  port: string;
  /** Exact hostname, or for `*.x.y` the suffix `.x.y`. */
  host: string;
  wildcard: boolean;
  path: string;
}

function allowEntries(): AllowEntry[] {
  const config = testConfig();
  return [config.serve.public.base_url, ...config.selfservice.allowed_return_urls].map((raw) => {
    const wildcard = raw.includes('://*.');
    const url = new URL(wildcard ? raw.replace('://*.', '://wildcard.') : raw);
    return {
      protocol: url.protocol,
      port: url.port,
      host: wildcard ? url.hostname.slice('wildcard'.length) : url.hostname,
      wildcard,
      path: url.pathname,
    };
  });
}

const ENTRIES = allowEntries();

/**
 * Whether a redirect target, resolved the way a browser would (`new URL(location, base)`), lies
 * inside the allow list: same scheme, host and port as an entry, and a path that equals the
 * entry's path or continues it at a `/` boundary. Userinfo is never inside.
 */
export function insideAllowList(location: string, base = BASE): boolean {
  let url: URL;
  try {
    url = new URL(location, base);
  } catch {
    return false;
  }
  if (url.username !== '' || url.password !== '') return false;
  return ENTRIES.some((e) => {
    if (url.protocol !== e.protocol || url.port !== e.port) return false;
    if (e.wildcard ? !(url.hostname.endsWith(e.host) && url.hostname.length > e.host.length) : url.hostname !== e.host) return false;
    return url.pathname === e.path || url.pathname.startsWith(e.path.endsWith('/') ? e.path : `${e.path}/`);
  });
}

/** Why `body` is not the error envelope of SPEC §4 for this status, or null when it is. */
export function envelopeProblem(body: unknown, status: number): string | null {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'body is not an object';
  const keys = Object.keys(body);
  if (keys.length !== 1 || keys[0] !== 'error') return `top-level keys are ${JSON.stringify(keys)}, want ["error"]`;
  const e = (body as { error: unknown }).error;
  if (typeof e !== 'object' || e === null) return 'error is not an object';
  const err = e as Record<string, unknown>;
  if (err.code !== status) return `error.code ${String(err.code)} ≠ HTTP status ${status}`;
  // Node's table, not src's: an independent oracle for "the HTTP reason phrase".
  if (err.status !== STATUS_CODES[status]) return `error.status ${JSON.stringify(err.status)} ≠ ${JSON.stringify(STATUS_CODES[status])}`;
  if (typeof err.message !== 'string' || err.message === '') return 'error.message is not a non-empty string';
  for (const k of ['id', 'reason', 'request'] as const) {
    if (err[k] !== undefined && typeof err[k] !== 'string') return `error.${k} is not a string`;
  }
  if (err.details !== undefined && (typeof err.details !== 'object' || err.details === null)) return 'error.details is not an object';
  return null;
}

/** A 400 LoginFlow: how POST /self-service/login reports bad credentials (SPEC §5.4), not an envelope. */
export function isLoginFlowWithMessage(body: unknown): boolean {
  const b = body as { id?: unknown; ui?: { messages?: unknown } } | null;
  return typeof b?.id === 'string' && Array.isArray(b.ui?.messages) && (b.ui.messages as unknown[]).length > 0;
}

export interface ResponseCheckOptions {
  method: string;
  /** The route answers bad credentials with a 400 LoginFlow. */
  loginSubmit?: boolean;
  /** The route renders HTML pages, which may answer 4xx with HTML (the error UI's 404). */
  htmlPage?: boolean;
}

/**
 * The invariants of SPEC §13 "Bad input" for one response; throws describing the first broken one.
 * - no status ≥ 500;
 * - every 4xx with a body is the JSON envelope (or an HTML page on page routes, or the login
 *   route's 400 LoginFlow);
 * - every JSON body parses;
 * - every redirect stays inside the allow list (the error and login UIs are on the base URL);
 * - no header value carries CR or LF.
 */
/** What checkResponse needs: an inject response, or one read off a real socket. */
export interface ResponseLike {
  statusCode: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: string;
}

export function checkResponse(res: ResponseLike, opts: ResponseCheckOptions): void {
  const status = res.statusCode;
  const where = `${opts.method} → ${status}`;
  if (status >= 500) throw new Error(`${where}: server error ${res.body.slice(0, 500)}`);
  for (const [name, value] of Object.entries(res.headers)) {
    for (const v of Array.isArray(value) ? value : [String(value ?? '')]) {
      if (/[\r\n]/.test(v)) throw new Error(`${where}: header ${name} carries CR/LF: ${JSON.stringify(v)}`);
    }
  }
  const type = String(res.headers['content-type'] ?? '');
  const isJson = /^application\/json\b/i.test(type);
  let parsed: unknown;
  if (isJson && res.body !== '') {
    try {
      parsed = JSON.parse(res.body);
    } catch {
      throw new Error(`${where}: JSON body does not parse: ${res.body.slice(0, 300)}`);
    }
  }
  if (status >= 300 && status < 400) {
    const location = res.headers.location;
    if (typeof location !== 'string' || location === '') throw new Error(`${where}: redirect without Location`);
    if (!insideAllowList(location)) throw new Error(`${where}: redirect outside the allow list: ${location}`);
  }
  if (status >= 400) {
    if (res.body === '') {
      // HEAD answers carry no body; the HEAD-on-logout 405 has none either.
      if (opts.method !== 'HEAD') throw new Error(`${where}: empty ${status} body`);
      return;
    }
    if (isJson) {
      if (opts.loginSubmit && status === 400 && isLoginFlowWithMessage(parsed)) return;
      const problem = envelopeProblem(parsed, status);
      if (problem) throw new Error(`${where}: not the error envelope (${problem}): ${res.body.slice(0, 300)}`);
      return;
    }
    if (opts.htmlPage && /^text\/html\b/i.test(type)) return;
    throw new Error(`${where}: 4xx with Content-Type ${JSON.stringify(type)}: ${res.body.slice(0, 200)}`);
  }
}

/** A writable that keeps every line written to it (pino writes one JSON object per line). */
export function lineCollector(): { stream: Writable; lines: string[] } {
  const lines: string[] = [];
  let partial = '';
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      const text = partial + chunk.toString();
      const parts = text.split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) if (line !== '') lines.push(line);
      done();
    },
  });
  return { stream, lines };
}

export const VICTIM_EMAIL = 'victim@example.com';

export interface GuardedApp {
  app: App;
  nativeToken: string;
  /** `ory_kratos_session=<signed value>` */
  browserCookie: string;
  sessionIds: string[];
  /** Both sessions still authenticate, no revocation happened, no error was logged. Throws otherwise. */
  assertUntouched(): Promise<void>;
}

/**
 * An app (memory store) with one identity and two sessions — native (token) and browser
 * (cookie) — created before any hostile traffic. Logs at level `error` are captured, so a
 * request that failed server-side shows up even if something answered it with a 4xx.
 */
export async function guardedApp(raw: Record<string, unknown> = {}, deps: AppDeps = {}): Promise<GuardedApp> {
  const logs = lineCollector();
  const app = await testApp({ log: { level: 'error' }, ...raw }, { logStream: logs.stream, ...deps });
  await createIdentity(app, VICTIM_EMAIL);
  const native = await loginNative(app, VICTIM_EMAIL);
  const browser = await loginBrowser(app, VICTIM_EMAIL);
  const browserSession = (await app.public.inject({ method: 'GET', url: WHOAMI_PATH, headers: { cookie: browser.cookie } })).json() as { id: string };
  const guarded: GuardedApp = {
    app,
    nativeToken: native.session_token,
    browserCookie: browser.cookie,
    sessionIds: [native.session.id, browserSession.id],
    async assertUntouched() {
      const byToken = await app.public.inject({ method: 'GET', url: WHOAMI_PATH, headers: { 'x-session-token': native.session_token } });
      if (byToken.statusCode !== 200) throw new Error(`native session no longer valid: ${byToken.statusCode} ${byToken.body}`);
      const byCookie = await app.public.inject({ method: 'GET', url: WHOAMI_PATH, headers: { cookie: browser.cookie } });
      if (byCookie.statusCode !== 200) throw new Error(`browser session no longer valid: ${byCookie.statusCode} ${byCookie.body}`);
      const revoked = (await app.context.store.readEvents(null, 100_000)).filter((e) => e.type === 'session.revoked');
      if (revoked.length > 0) throw new Error(`hostile requests revoked sessions: ${JSON.stringify(revoked)}`);
      const errors = logs.lines.filter((l) => (JSON.parse(l) as { level: number }).level >= 50);
      if (errors.length > 0) throw new Error(`error-level logs: ${errors.slice(0, 3).join('\n')}`);
    },
  };
  return guarded;
}
