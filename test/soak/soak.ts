// The soak run shared by the short CI variant and `npm run test:soak`: measure the maximum rate,
// then hold ~70 % of it for a while with a mix of reads and revocations, and report errors, RSS
// growth after warm-up and event-loop delay.

import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import { startRedis } from '../helpers/redis-server.js';
import { freePort } from '../helpers/redis-server.js';
import { logoutTokenFor } from '../../src/sessions/tokens.js';

export interface SoakResult {
  maxRate: number;
  targetRate: number;
  requests: number;
  errors: number;
  non2xx: number;
  rssWarmMb: number;
  rssEndMb: number;
  rssGrowthPct: number;
  p99DelayMs: number;
  maxDelayMs: number;
}

interface Stats {
  rss: number;
  heapUsed: number;
  p99DelayMs: number;
  maxDelayMs: number;
}

export async function soak(durationSec: number, log: (line: string) => void = () => undefined): Promise<SoakResult> {
  const redis = await startRedis();
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/soak/server.ts', redis.url, String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const stats: Stats[] = [];
  const lines = createInterface({ input: child.stdout });
  const ready = new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`soak server exited ${code}`)));
    lines.on('line', (line) => {
      if (line.startsWith('ready')) resolve(`http://127.0.0.1:${line.split(' ')[2]}`);
      else if (line.startsWith('{"stats"')) stats.push((JSON.parse(line) as { stats: Stats }).stats);
    });
  });
  try {
    const admin = await ready;
    const base = `http://127.0.0.1:${port}`;
    // Identities and sessions through the public API, as any client would.
    await fetch(`${admin}/admin/identities`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ traits: { email: 'soak@example.com' }, credentials: { password: { config: { password: 'soak-password' } } } }),
    });
    const login = async () => {
      const flow = (await (await fetch(`${base}/self-service/login/api`)).json()) as { id: string };
      const res = await fetch(`${base}/self-service/login?flow=${flow.id}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ method: 'password', identifier: 'soak@example.com', password: 'soak-password' }),
      });
      return ((await res.json()) as { session_token: string }).session_token;
    };
    const readers = await Promise.all(Array.from({ length: 20 }, login));

    // 1. The maximum rate of the read mix, briefly.
    const burst = await run(base, readers, 5, undefined);
    const maxRate = burst.requests.average;
    const targetRate = Math.max(50, Math.floor(maxRate * 0.7));
    log(`max ≈ ${Math.round(maxRate)} req/s; soaking at ${targetRate} req/s for ${durationSec} s`);

    // 2. The soak: reads plus a steady trickle of real logouts (fresh sessions).
    const revokeTokens = await Promise.all(Array.from({ length: Math.min(400, durationSec * 8) }, login));
    // Samples start with the soak itself: the logins above (scrypt, 32 MiB each) inflate RSS.
    stats.length = 0;
    const logouts = revokeLoop(base, revokeTokens, durationSec);
    const result = await run(base, readers, durationSec, targetRate);
    const logoutErrors = await logouts;

    const warm = stats.slice(Math.min(5, Math.floor(stats.length / 4)));
    // Growth is the highest RSS of the last 3 s over the highest of the warm run's first half. A
    // leak keeps growing; a heap that V8 is still sizing for the load does not. Against the first
    // warm sample alone, a 12 s run at ~10 k req/s read anywhere from 2 % to 29 % on the same
    // build, while the 60 s run ended below its start (-9 %).
    const rssWarm = Math.max(...warm.slice(0, Math.max(1, Math.floor(warm.length / 2))).map((s) => s.rss));
    const rssEnd = Math.max(...warm.slice(-3).map((s) => s.rss));
    return {
      maxRate,
      targetRate,
      requests: result.requests.total,
      errors: result.errors + result.timeouts + logoutErrors,
      non2xx: result.non2xx,
      rssWarmMb: rssWarm / 2 ** 20,
      rssEndMb: rssEnd / 2 ** 20,
      rssGrowthPct: rssWarm ? ((rssEnd - rssWarm) / rssWarm) * 100 : 0,
      p99DelayMs: Math.max(...warm.map((s) => s.p99DelayMs)),
      maxDelayMs: Math.max(...warm.map((s) => s.maxDelayMs)),
    };
  } finally {
    child.kill('SIGTERM');
    await redis.stop();
  }
}

function run(base: string, tokens: string[], seconds: number, rate: number | undefined): Promise<autocannon.Result> {
  let i = 0;
  return new Promise((resolve, reject) => {
    autocannon({
    url: base,
    connections: 20,
    duration: seconds,
    ...(rate ? { overallRate: rate } : {}),
    requests: [
      {
        setupRequest: (req) => {
          const token = tokens[i++ % tokens.length] as string;
          const whoami = i % 2 === 0;
          return { ...req, method: 'GET', path: whoami ? '/sessions/whoami' : '/self-service/logout/browser', headers: { 'x-session-token': token, accept: 'application/json' } };
        },
      },
    ],
  }, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

/** Logs out fresh sessions (browser-style link with X-Session-Token) spread over the run. */
async function revokeLoop(base: string, tokens: string[], seconds: number): Promise<number> {
  let errors = 0;
  const gap = (seconds * 1000) / tokens.length;
  for (const token of tokens) {
    const res = await fetch(`${base}/self-service/logout?token=${logoutTokenFor(token)}`, { headers: { 'x-session-token': token, accept: 'application/json' } });
    if (res.status !== 204) errors++;
    await new Promise((r) => setTimeout(r, gap));
  }
  return errors;
}
