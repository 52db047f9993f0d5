// The one source of truth for configuration keys: their types, defaults and checks. The loader
// (load.ts) reads files and environment variables through this table; nothing else knows keys.

import { parseDuration } from './duration.js';
import { checkAllowedReturnUrl } from '../flows/return-to.js';

export interface WebhookConfig {
  url: string;
  secret: string;
  /** Event types to deliver; empty means all. */
  events: string[];
}

export interface Config {
  dev: boolean;
  serve: {
    public: {
      host: string;
      port: number;
      base_url: string;
      trust_proxy: boolean;
      cors: { enabled: boolean; allowed_origins: string[] };
    };
    admin: { host: string; port: number; base_url: string; api_key: string | null };
  };
  store: {
    kind: 'memory' | 'redis';
    memory: { max_entries: number };
    redis: {
      url: string | null;
      sentinels: string[];
      sentinel_name: string;
      cluster_nodes: string[];
      key_prefix: string;
    };
  };
  secrets: { cookie: string[]; default: string[] };
  session: {
    /** ms */
    lifespan: number;
    cookie: {
      name: string;
      domain: string | null;
      path: string;
      same_site: 'Lax' | 'Strict' | 'None';
      /** null: Secure unless dev mode. */
      secure: boolean | null;
      persistent: boolean;
    };
  };
  selfservice: {
    default_browser_return_url: string;
    allowed_return_urls: string[];
    flows: {
      error: { ui_url: string; lifespan: number };
      login: { ui_url: string; lifespan: number; after: { default_browser_return_url: string | null } };
      logout: {
        after: { default_browser_return_url: string | null };
        graceful_without_session: boolean;
        clear_site_data: string[];
      };
    };
  };
  rate_limit: {
    enabled: boolean;
    logout_api: { max: number; window: number };
    login: { max: number; window: number };
  };
  webhooks: WebhookConfig[];
  log: { level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'; format: 'json' | 'pretty' };
}

type Kind =
  | 'bool'
  | 'port'
  | 'int'
  | 'string'
  | 'nstring'
  | 'url'
  | 'nurl'
  | 'duration'
  | 'strings'
  | 'urls'
  | 'secrets'
  | 'webhooks'
  | { enum: readonly string[] };

interface KeySpec {
  kind: Kind;
  /** Raw default (before parsing); undefined = computed in finish(). */
  default?: unknown;
  check?: (value: any) => string | null;
}

const CLEAR_SITE_DATA = ['cache', 'cookies', 'storage', 'executionContexts', 'clientHints', 'prefetchCache', 'prerenderCache', '*'];

/** Every known key, by dotted path. Environment variables map onto these names. */
export const KEYS: Record<string, KeySpec> = {
  dev: { kind: 'bool', default: false },
  'serve.public.host': { kind: 'string', default: '127.0.0.1' },
  'serve.public.port': { kind: 'port', default: 4433 },
  'serve.public.base_url': { kind: 'nurl' },
  'serve.public.trust_proxy': { kind: 'bool', default: false },
  'serve.public.cors.enabled': { kind: 'bool', default: false },
  'serve.public.cors.allowed_origins': {
    kind: 'strings',
    default: [],
    check: (list: string[]) => list.find((o) => !isOrigin(o)) ? `"${list.find((o) => !isOrigin(o))}" is not an origin (scheme://host[:port])` : null,
  },
  'serve.admin.host': { kind: 'string', default: '127.0.0.1' },
  'serve.admin.port': { kind: 'port', default: 4434 },
  'serve.admin.base_url': { kind: 'nurl' },
  'serve.admin.api_key': { kind: 'nstring', default: null, check: (v: string | null) => (v !== null && v.length < 16 ? 'must be at least 16 characters' : null) },
  'store.kind': { kind: { enum: ['memory', 'redis'] }, default: 'memory' },
  'store.memory.max_entries': { kind: 'int', default: 1_000_000 },
  'store.redis.url': { kind: 'nstring', default: null, check: (v: string | null) => (v !== null && !/^rediss?:\/\//i.test(v) ? 'must be a redis:// or rediss:// URL' : null) },
  'store.redis.sentinels': { kind: 'strings', default: [], check: hostPorts },
  'store.redis.sentinel_name': { kind: 'string', default: 'mymaster' },
  'store.redis.cluster_nodes': { kind: 'strings', default: [], check: hostPorts },
  'store.redis.key_prefix': { kind: 'string', default: 'logoutd:', check: (v: string) => (/[{}\s]/.test(v) ? 'must not contain braces or whitespace' : null) },
  'secrets.cookie': { kind: 'secrets', default: [] },
  'secrets.default': { kind: 'secrets', default: [] },
  'session.lifespan': { kind: 'duration', default: '24h', check: (v: number) => (v < 60_000 ? 'must be at least 1m' : null) },
  'session.cookie.name': { kind: 'string', default: 'ory_kratos_session', check: (v: string) => (/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(v) ? null : 'is not a valid cookie name') },
  'session.cookie.domain': { kind: 'nstring', default: null },
  'session.cookie.path': { kind: 'string', default: '/', check: (v: string) => (v.startsWith('/') && !/[;\s]/.test(v) ? null : 'must start with / and contain no ; or spaces') },
  'session.cookie.same_site': { kind: { enum: ['Lax', 'Strict', 'None'] }, default: 'Lax' },
  'session.cookie.secure': { kind: 'bool', default: null },
  'session.cookie.persistent': { kind: 'bool', default: true },
  'selfservice.default_browser_return_url': { kind: 'nurl' },
  'selfservice.allowed_return_urls': {
    kind: 'urls',
    default: [],
    check: (list: string[]) => {
      for (const entry of list) {
        const problem = checkAllowedReturnUrl(entry);
        if (problem) return `"${entry}": ${problem}`;
      }
      return null;
    },
  },
  'selfservice.flows.error.ui_url': { kind: 'nurl' },
  'selfservice.flows.error.lifespan': { kind: 'duration', default: '1h' },
  'selfservice.flows.login.ui_url': { kind: 'nurl' },
  'selfservice.flows.login.lifespan': { kind: 'duration', default: '1h' },
  'selfservice.flows.login.after.default_browser_return_url': { kind: 'nurl', default: null },
  'selfservice.flows.logout.after.default_browser_return_url': { kind: 'nurl', default: null },
  'selfservice.flows.logout.graceful_without_session': { kind: 'bool', default: true },
  'selfservice.flows.logout.clear_site_data': {
    kind: 'strings',
    default: [],
    check: (list: string[]) => {
      const bad = list.find((d) => !CLEAR_SITE_DATA.includes(d));
      return bad === undefined ? null : `unknown directive "${bad}" (known: ${CLEAR_SITE_DATA.join(', ')})`;
    },
  },
  'rate_limit.enabled': { kind: 'bool', default: true },
  'rate_limit.logout_api.max': { kind: 'int', default: 20 },
  'rate_limit.logout_api.window': { kind: 'duration', default: '5m' },
  'rate_limit.login.max': { kind: 'int', default: 20 },
  'rate_limit.login.window': { kind: 'duration', default: '5m' },
  webhooks: { kind: 'webhooks', default: [] },
  'log.level': { kind: { enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] }, default: 'info' },
  'log.format': { kind: { enum: ['json', 'pretty'] }, default: 'json' },
};

/** Used only when dev is true and no secret was configured; the loader warns loudly. */
export const DEV_SECRET = 'logoutd-dev-secret-do-not-use-in-production!';

function isOrigin(value: string): boolean {
  try {
    const u = new URL(value);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.origin === value.replace(/\/$/, '');
  } catch {
    return false;
  }
}

function hostPorts(list: string[]): string | null {
  const bad = list.find((hp) => !/^[A-Za-z0-9.\-[\]:]+:\d{1,5}$/.test(hp));
  return bad === undefined ? null : `"${bad}" is not host:port`;
}

/** Parses one raw value for a key. Returns [value] or an error message. */
export function parseValue(kind: Kind, raw: unknown): { ok: true; value: unknown } | { ok: false; error: string } {
  const fail = (error: string) => ({ ok: false as const, error });
  const ok = (value: unknown) => ({ ok: true as const, value });
  if (typeof kind === 'object') {
    return typeof raw === 'string' && kind.enum.includes(raw) ? ok(raw) : fail(`must be one of ${kind.enum.join(', ')}`);
  }
  switch (kind) {
    case 'bool':
      if (typeof raw === 'boolean') return ok(raw);
      if (raw === 'true' || raw === 'false') return ok(raw === 'true');
      return fail('must be true or false');
    case 'port':
    case 'int': {
      const n = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : raw;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < (kind === 'port' ? 0 : 1) || n > (kind === 'port' ? 65535 : 1e9)) {
        return fail(kind === 'port' ? 'must be a port number (0-65535)' : 'must be a positive integer');
      }
      return ok(n);
    }
    case 'string':
      return typeof raw === 'string' && raw.length > 0 ? ok(raw) : fail('must be a non-empty string');
    case 'nstring':
      return raw === null || raw === '' ? ok(null) : typeof raw === 'string' ? ok(raw) : fail('must be a string');
    case 'url':
    case 'nurl': {
      if (raw === null || raw === '') return kind === 'nurl' ? ok(null) : fail('must be an absolute http(s) URL');
      if (typeof raw !== 'string') return fail('must be an absolute http(s) URL');
      try {
        const u = new URL(raw);
        if (u.protocol !== 'http:' && u.protocol !== 'https:') return fail('must be an absolute http(s) URL');
        if (u.username || u.password) return fail('must not contain credentials');
        return ok(u.href);
      } catch {
        return fail('must be an absolute http(s) URL');
      }
    }
    case 'duration': {
      const ms = parseDuration(raw);
      return ms === null ? fail('must be a duration such as "24h", "5m", "500ms" or a number of seconds') : ok(ms);
    }
    case 'strings':
    case 'urls':
    case 'secrets': {
      const list = typeof raw === 'string' ? raw.split(',').map((s) => s.trim()).filter((s) => s !== '') : raw;
      if (!Array.isArray(list) || list.some((s) => typeof s !== 'string')) return fail('must be a list of strings');
      if (kind === 'secrets' && list.some((s: string) => s.length < 32)) return fail('every secret must be at least 32 characters');
      return ok(list);
    }
    case 'webhooks': {
      let list = raw;
      if (typeof raw === 'string') {
        try {
          list = JSON.parse(raw);
        } catch {
          return fail('must be a JSON array');
        }
      }
      if (!Array.isArray(list)) return fail('must be a list of {url, secret, events}');
      const out: WebhookConfig[] = [];
      for (const [i, hook] of list.entries()) {
        if (typeof hook !== 'object' || hook === null) return fail(`[${i}] must be an object`);
        const extra = Object.keys(hook).filter((k) => !['url', 'secret', 'events'].includes(k));
        if (extra.length) return fail(`[${i}] has unknown keys: ${extra.join(', ')}`);
        const url = parseValue('url', (hook as any).url);
        if (!url.ok) return fail(`[${i}].url ${url.error}`);
        if (typeof (hook as any).secret !== 'string' || (hook as any).secret.length < 16) return fail(`[${i}].secret must be a string of at least 16 characters`);
        const events = (hook as any).events ?? [];
        if (!Array.isArray(events) || events.some((e: unknown) => e !== 'session.revoked' && e !== 'session.created')) {
          return fail(`[${i}].events must list session.revoked and/or session.created`);
        }
        out.push({ url: url.value as string, secret: (hook as any).secret, events });
      }
      return ok(out);
    }
  }
}
