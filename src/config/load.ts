// Loads configuration: embedded defaults ← YAML/JSON file ← LOGOUTD_* environment variables,
// checked against the key table in schema.ts. Every problem is collected and reported at once.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { DEV_SECRET, KEYS, parseValue, type Config } from './schema.js';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.problems = problems;
  }
}

export const DEFAULT_CONFIG_FILE = fileURLToPath(new URL('../../config/default.yaml', import.meta.url));

/** Flattens a nested object into dotted keys; arrays and `webhooks` stay whole values. */
function flatten(raw: unknown, prefix: string, out: Map<string, unknown>, problems: string[]): void {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    if (prefix === '') problems.push('the configuration must be a mapping of keys');
    else out.set(prefix, raw);
    return;
  }
  for (const [k, v] of Object.entries(raw)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (key in KEYS) out.set(key, v);
    else if (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(KEYS).some((known) => known.startsWith(`${key}.`))) {
      flatten(v, key, out, problems);
    } else problems.push(`${key}: unknown key`);
  }
}

/** `serve.public.base_url` → `LOGOUTD_SERVE_PUBLIC_BASE_URL`. */
export function envName(key: string): string {
  return `LOGOUTD_${key.toUpperCase().replace(/\./g, '_')}`;
}

export interface LoadOptions {
  /** Raw values (already parsed from a file, or built by a test). */
  raw?: unknown;
  env?: Record<string, string | undefined>;
}

/** Applies defaults, environment overrides and checks. Throws ConfigError listing every problem. */
export function resolveConfig(options: LoadOptions = {}): { config: Config; warnings: string[] } {
  const problems: string[] = [];
  const warnings: string[] = [];
  const values = new Map<string, unknown>();
  flatten(options.raw ?? {}, '', values, problems);

  const env = options.env ?? {};
  const known = new Set(Object.keys(KEYS).map(envName));
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith('LOGOUTD_') || name === 'LOGOUTD_CONFIG' || value === undefined) continue;
    if (!known.has(name)) {
      problems.push(`${name}: unknown environment variable (no such configuration key)`);
      continue;
    }
    const key = Object.keys(KEYS).find((k) => envName(k) === name) as string;
    values.set(key, value);
  }

  const parsed = new Map<string, unknown>();
  for (const [key, spec] of Object.entries(KEYS)) {
    const raw = values.has(key) ? values.get(key) : spec.default;
    if (raw === undefined) continue; // computed below
    if (raw === null && spec.default === null) {
      parsed.set(key, null); // "not set" is a value of its own for these keys
      continue;
    }
    const result = parseValue(spec.kind, raw);
    if (!result.ok) {
      problems.push(`${key}: ${result.error}`);
      continue;
    }
    const problem = spec.check?.(result.value) ?? null;
    if (problem) problems.push(`${key}: ${problem}`);
    parsed.set(key, result.value);
  }

  // Computed defaults: everything points back at the public base URL.
  const dev = parsed.get('dev') === true;
  const publicHost = (parsed.get('serve.public.host') as string) ?? '127.0.0.1';
  const publicPort = (parsed.get('serve.public.port') as number) ?? 4433;
  const adminHost = (parsed.get('serve.admin.host') as string) ?? '127.0.0.1';
  const adminPort = (parsed.get('serve.admin.port') as number) ?? 4434;
  const base = (parsed.get('serve.public.base_url') as string | null | undefined) ?? `http://${hostForUrl(publicHost)}:${publicPort}/`;
  const publicBase = base.endsWith('/') ? base.slice(0, -1) : base;
  const fill = (key: string, value: string) => {
    if (parsed.get(key) == null) parsed.set(key, value);
  };
  parsed.set('serve.public.base_url', publicBase);
  fill('serve.admin.base_url', `http://${hostForUrl(adminHost)}:${adminPort}`);
  parsed.set('serve.admin.base_url', (parsed.get('serve.admin.base_url') as string).replace(/\/$/, ''));
  fill('selfservice.default_browser_return_url', `${publicBase}/`);
  fill('selfservice.flows.error.ui_url', `${publicBase}/error`);
  fill('selfservice.flows.login.ui_url', `${publicBase}/login`);

  if (!dev && parsed.get('session.cookie.same_site') === 'None' && parsed.get('session.cookie.secure') === false) {
    problems.push('session.cookie.secure: SameSite=None cookies must be Secure');
  }
  const cookieSecrets = parsed.get('secrets.cookie') as string[] | undefined;
  const defaultSecrets = parsed.get('secrets.default') as string[] | undefined;
  if (cookieSecrets && defaultSecrets && cookieSecrets.length === 0 && defaultSecrets.length === 0) {
    if (dev) {
      warnings.push('secrets.default is not set: using a built-in development secret. NEVER do this in production.');
      parsed.set('secrets.default', [DEV_SECRET]);
    } else {
      problems.push('secrets.default: at least one secret (≥ 32 characters) is required outside dev mode (or set secrets.cookie)');
    }
  }
  if (parsed.get('store.kind') === 'redis') {
    const set = ['url', 'sentinels', 'cluster_nodes'].filter((k) => {
      const v = parsed.get(`store.redis.${k}`);
      return Array.isArray(v) ? v.length > 0 : v != null;
    });
    if (set.length !== 1) problems.push(`store.redis: set exactly one of url, sentinels or cluster_nodes when store.kind is redis (got ${set.length ? set.join(', ') : 'none'})`);
  }
  if (problems.length) throw new ConfigError(problems);

  const config = {} as Record<string, unknown>;
  for (const [key, value] of parsed) setPath(config, key, value);
  const result = config as unknown as Config;
  if (result.secrets.cookie.length === 0) result.secrets.cookie = result.secrets.default;
  return { config: result, warnings };
}

/** Reads a YAML (or JSON, which is YAML) file and resolves it with the environment. */
export function loadConfig(file: string, env: Record<string, string | undefined>): { config: Config; warnings: string[] } {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, 'utf8')) ?? {};
  } catch (err) {
    throw new ConfigError([`${file}: ${(err as Error).message}`]);
  }
  return resolveConfig({ raw, env });
}

function hostForUrl(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    node = (node[part] ??= {}) as Record<string, unknown>;
  }
  node[parts[parts.length - 1] as string] = value;
}
