// Client-side CPU instructions per store call, counted by valgrind (callgrind) rather than timed.
// On a shared VM wall-clock and CPU-time figures move by ±20 % between runs, more than most single
// optimisations; an instruction count of the same build and inputs repeated within ~2 % here, so this is
// the way to tell whether a change to the store's hot path made it cheaper. It runs the loop in
// lib/store-loop.ts twice under callgrind, with a small and a large number of calls, against a
// private redis-server, and divides the difference: start-up, seeding and JIT warm-up cancel out.
// The count covers the Node process only (Redis runs natively, outside valgrind) and user space
// only (not the kernel's share of socket writes).
//
//   npm run build && node --import tsx test/bench/store-instructions.ts [revokeSession|getSession] [--calls N]
// Needs valgrind (Debian package `valgrind`). Takes about two minutes per operation.

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startRedis } from '../helpers/redis-server.js';

const argv = process.argv.slice(2);
const callsAt = argv.indexOf('--calls');
const calls = callsAt >= 0 ? Number(argv[callsAt + 1]) : 20_000;
const ops = argv.filter((a, i) => !a.startsWith('--') && (callsAt < 0 || i !== callsAt + 1));
const known = ['revokeSession', 'getSession'];
for (const op of ops) if (!known.includes(op)) throw new Error(`unknown operation ${op} (known: ${known.join(', ')})`);
if (!Number.isInteger(calls) || calls < 1000) throw new Error('--calls must be an integer ≥ 1000');
const BASE = 5000;
/** Sessions both runs seed (the loop warms up with 5 000 calls before the measured ones). */
const SEED = 5000 + BASE + calls;

const loop = fileURLToPath(new URL('./lib/store-loop.ts', import.meta.url));

/** Instructions callgrind counted for one run of the loop with `n` measured calls. */
function count(redisUrl: string, op: string, n: number, seed: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'valgrind',
      ['--tool=callgrind', '--callgrind-out-file=/dev/null', '--smc-check=all-non-file', process.execPath, '--import', 'tsx', loop, redisUrl, op, String(n), String(seed)],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', (e) => reject(new Error(`could not run valgrind (${e.message}); install it with apt-get install -y valgrind`)));
    child.on('exit', (code) => {
      const m = /Collected : (\d+)/.exec(err);
      if (code !== 0 || !m) reject(new Error(`callgrind run failed (exit ${code}):\n${err.slice(-2000)}`));
      else resolve(Number(m[1]));
    });
  });
}

const redis = await startRedis();
try {
  for (const op of ops.length ? ops : known) {
    // Both runs at once: valgrind runs a process on one core, and the machine has two.
    const [small, large] = await Promise.all([count(redis.url, op, BASE, SEED), count(redis.url, op, BASE + calls, SEED)]);
    const perCall = (large - small) / calls;
    process.stdout.write(`${op}: ${Math.round(perCall).toLocaleString('en-US')} instructions per call (client side; ${calls} calls, 50 concurrent)\n`);
  }
} finally {
  await redis.stop();
}
