// The process: reads argv and the environment, loads config, builds the app, listens on both
// ports, and shuts down gracefully on SIGTERM/SIGINT. Nothing else reads process.env.

import closeWithGrace from 'close-with-grace';
import { buildApp } from './app.js';
import { ConfigError, DEFAULT_CONFIG_FILE, loadConfig } from './config/load.js';

const GRACE_MS = 10_000;

function configFile(argv: string[], env: NodeJS.ProcessEnv): string {
  const i = argv.indexOf('--config');
  if (i >= 0) {
    const file = argv[i + 1];
    if (!file) throw new ConfigError(['--config needs a file path']);
    return file;
  }
  const inline = argv.find((a) => a.startsWith('--config='));
  if (inline) return inline.slice('--config='.length);
  return env.LOGOUTD_CONFIG || DEFAULT_CONFIG_FILE;
}

async function main(): Promise<void> {
  let loaded;
  try {
    loaded = loadConfig(configFile(process.argv.slice(2), process.env), process.env);
  } catch (err) {
    process.stderr.write(`logoutd: ${(err as Error).message}\n`);
    process.exit(2);
  }
  const { config, warnings } = loaded;
  const app = await buildApp(config);
  for (const w of warnings) app.public.log.warn(w);

  closeWithGrace({ delay: GRACE_MS }, async ({ signal, err }) => {
    if (err) app.public.log.error({ err }, 'shutting down after an error');
    else app.public.log.info({ signal }, 'shutting down: draining in-flight requests');
    await app.close();
  });

  await app.public.listen({ host: config.serve.public.host, port: config.serve.public.port });
  await app.admin.listen({ host: config.serve.admin.host, port: config.serve.admin.port });
  app.public.log.info(
    { public: config.serve.public.base_url, admin: config.serve.admin.base_url, store: config.store.kind, dev: config.dev },
    `logoutd listening: public ${config.serve.public.base_url} admin ${config.serve.admin.base_url}`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`logoutd: failed to start: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
