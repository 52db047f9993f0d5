// Graceful shutdown of the real process: on SIGTERM, requests in flight complete, new connections
// are refused, and the process exits 0 within the grace period.

import t from 'tap';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { once } from 'node:events';

async function freePort(): Promise<number> {
  const srv = createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const port = (srv.address() as { port: number }).port;
  srv.close();
  return port;
}

t.test('SIGTERM drains in-flight requests and exits 0', async (t) => {
  const [pub, adm] = [await freePort(), await freePort()];
  const base = `http://127.0.0.1:${pub}`;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: {
      PATH: process.env.PATH ?? '',
      LOGOUTD_SERVE_PUBLIC_PORT: String(pub),
      LOGOUTD_SERVE_ADMIN_PORT: String(adm),
      LOGOUTD_SERVE_PUBLIC_BASE_URL: base,
      LOGOUTD_LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });

  // Wait until it is ready.
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      if ((await fetch(`${base}/health/ready`)).ok) break;
    } catch {
      // not yet listening
    }
    if (Date.now() > deadline) throw new Error(`did not start: ${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }

  // Logins hash a password (tens of ms each), so a batch of them is still in flight at SIGTERM.
  const flow = (await (await fetch(`${base}/self-service/login/api`)).json()) as { id: string };
  const login = () =>
    fetch(`${base}/self-service/login?flow=${flow.id}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ method: 'password', identifier: 'demo@logoutd.dev', password: 'logoutd-demo-password' }),
    }).then(
      (r) => r.status,
      (e: Error) => `error: ${e.message}`,
    );
  // In flight = the server has started handling it: wait for its "incoming request" log lines.
  const incoming = () => output.split('\n').filter((l) => l.includes('"incoming request"') && l.includes('/self-service/login?flow=')).length;
  const inFlight = Array.from({ length: 8 }, login);
  const waitUntil = Date.now() + 10_000;
  while (incoming() < 8 && Date.now() < waitUntil) await new Promise((r) => setTimeout(r, 5));
  t.equal(incoming(), 8, 'all requests reached the server');
  const started = Date.now();
  child.kill('SIGTERM');
  const exited = once(child, 'exit');

  const statuses = await Promise.all(inFlight);
  t.same([...new Set(statuses)], [200], 'every in-flight request completed');

  const [code] = (await exited) as [number | null];
  t.equal(code, 0, `exit 0 (${output.slice(-800)})`);
  t.ok(Date.now() - started < 10_000, 'within the grace period');
  const after = await fetch(`${base}/health/alive`).then(
    () => 'answered',
    () => 'refused',
  );
  t.equal(after, 'refused', 'no new connections after shutdown');
  t.match(output, /shutting down/);
});
