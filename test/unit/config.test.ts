// Configuration: defaults, YAML files, environment overrides, and every bad key named at once.

import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { ConfigError, DEFAULT_CONFIG_FILE, envName, loadConfig, resolveConfig } from '../../src/config/load.js';
import { parseDuration } from '../../src/config/duration.js';

const SECRET = 'x'.repeat(32);

t.test('durations', async (t) => {
  const cases: Array<[unknown, number | null]> = [
    ['24h', 86_400_000], ['5m', 300_000], ['500ms', 500], ['1h30m', 5_400_000], ['1.5s', 1500], [60, 60_000], ['90', 90_000],
    ['', null], ['5x', null], ['h', null], [-1, null], ['5m junk', null], [null, null], [{}, null],
  ];
  for (const [input, expected] of cases) t.equal(parseDuration(input), expected, String(input));
});

t.test('defaults', async (t) => {
  const { config } = resolveConfig({ raw: { secrets: { default: [SECRET] } } });
  t.equal(config.serve.public.port, 4433);
  t.equal(config.serve.admin.port, 4434);
  t.equal(config.serve.public.base_url, 'http://127.0.0.1:4433');
  t.equal(config.selfservice.default_browser_return_url, 'http://127.0.0.1:4433/');
  t.equal(config.selfservice.flows.error.ui_url, 'http://127.0.0.1:4433/error');
  t.equal(config.session.lifespan, 86_400_000);
  t.equal(config.selfservice.flows.login.lifespan, 3_600_000);
  t.equal(config.session.cookie.name, 'ory_kratos_session');
  t.equal(config.store.kind, 'memory');
  t.same(config.secrets.cookie, [SECRET], 'cookie secrets fall back to default');
  t.equal(config.rate_limit.logout_api.max, 20);
  t.equal(config.rate_limit.logout_api.window, 300_000);
});

t.test('the shipped default.yaml starts in dev mode with the built-in secret and a warning', async (t) => {
  const { config, warnings } = loadConfig(DEFAULT_CONFIG_FILE, {});
  t.equal(config.dev, true);
  t.equal(config.store.kind, 'memory');
  t.equal(config.selfservice.flows.logout.after.default_browser_return_url, 'http://127.0.0.1:4433/signed-out');
  t.match(warnings.join('\n'), /NEVER do this in production/);
});

t.test('environment overrides, mapped through the key table', async (t) => {
  const env = {
    [envName('serve.public.port')]: '8080',
    LOGOUTD_SELFSERVICE_ALLOWED_RETURN_URLS: 'https://a.example.com/, https://*.b.example.com/app',
    LOGOUTD_SECRETS_DEFAULT: `${SECRET},${'y'.repeat(40)}`,
    LOGOUTD_SESSION_LIFESPAN: '1h',
    LOGOUTD_WEBHOOKS: JSON.stringify([{ url: 'http://127.0.0.1:9/hook', secret: 's'.repeat(16) }]),
    LOGOUTD_DEV: 'false',
    PATH: '/usr/bin',
  };
  const { config } = resolveConfig({ raw: {}, env });
  t.equal(config.serve.public.port, 8080);
  t.same(config.selfservice.allowed_return_urls, ['https://a.example.com/', 'https://*.b.example.com/app']);
  t.equal(config.secrets.default.length, 2);
  t.equal(config.session.lifespan, 3_600_000);
  t.equal(config.webhooks[0]?.url, 'http://127.0.0.1:9/hook');
  t.same(config.webhooks[0]?.events, []);
});

t.test('every problem is reported at once', async (t) => {
  const raw = {
    serve: { public: { port: 'eighty', base_url: 'ftp://x' }, admin: { api_key: 'short' } },
    sesion: { lifespan: '1h' },
    session: { lifespan: 'forever', cookie: { same_site: 'Sideways' } },
    selfservice: { allowed_return_urls: ['*'] },
    store: { kind: 'redis' },
  };
  const err = t.throws(() => resolveConfig({ raw, env: { LOGOUTD_NOT_A_KEY: '1' } })) as unknown as ConfigError;
  t.ok(err instanceof ConfigError);
  const text = err.problems.join('\n');
  for (const key of ['serve.public.port', 'serve.public.base_url', 'serve.admin.api_key', 'sesion: unknown key', 'session.lifespan', 'session.cookie.same_site', 'selfservice.allowed_return_urls', 'store.redis', 'LOGOUTD_NOT_A_KEY', 'secrets.default']) {
    t.match(text, key, `names ${key}`);
  }
});

t.test('unsafe allow-list entries are rejected at load', async (t) => {
  for (const entry of ['*', 'https://*', 'https://a.*.example.com/', 'https://*.com/', 'javascript:alert(1)']) {
    t.throws(() => resolveConfig({ raw: { secrets: { default: [SECRET] }, selfservice: { allowed_return_urls: [entry] } } }), ConfigError, entry);
  }
});

t.test('the process exits non-zero before listening on a bad config, naming each key', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'logoutd-config-'));
  const file = join(dir, 'bad.yaml');
  writeFileSync(file, 'serve:\n  public:\n    port: -1\nsecrets:\n  default: [short]\nbogus: 1\n');
  const res = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts', '--config', file], { encoding: 'utf8', timeout: 30_000, env: { PATH: process.env.PATH ?? '' } });
  t.equal(res.status, 2);
  t.match(res.stderr, /serve\.public\.port/);
  t.match(res.stderr, /secrets\.default/);
  t.match(res.stderr, /bogus: unknown key/);
  t.notMatch(res.stdout, /listening/);
});
