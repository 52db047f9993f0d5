// SPEC §13 scale target: Redis memory ≤ 512 bytes per session, identity index included, with a
// 120-character user agent. Writes N sessions through RedisStore's own write path (the same
// script, keys and encoding production uses) into a private redis-server, drops the event stream
// (the audit trail is capped separately and is not per-session state), and reports
// used_memory delta / N.
//
//   node --import tsx test/bench/redis-memory.ts [count=100000]

import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { digestToken, generateSessionToken } from '../../src/sessions/tokens.js';
import { compactSessionId, createRedisStore } from '../../src/store/redis-store.js';
import type { SessionRecord } from '../../src/store/store.js';
import { startRedis } from '../helpers/redis-server.js';

const N = Number(process.argv[2] ?? 100_000);
if (!Number.isInteger(N) || N < 4) throw new Error(`count must be an integer ≥ 4, got ${process.argv[2]}`);
const PREFIX = 'logoutd:'; // the configured default, so key lengths are realistic
const SESSIONS_PER_IDENTITY = 4;
const BATCH = 2000;
// A real Edge UA cut to exactly the 120 characters SPEC §13 names.
const USER_AGENT = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0'.slice(0, 120);

async function usedMemory(client: Redis): Promise<number> {
  // Let incremental rehashing finish so neither reading catches a table mid-resize.
  await new Promise((r) => setTimeout(r, 300));
  const info = await client.info('memory');
  const m = /used_memory:(\d+)/.exec(info);
  if (!m) throw new Error('no used_memory in INFO');
  return Number(m[1]);
}

function ipv4(i: number): string {
  return `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
}

async function main(): Promise<void> {
  if (USER_AGENT.length !== 120) throw new Error('user agent must be 120 characters');
  const server = await startRedis();
  // A generous command timeout: this measures memory, and a loaded machine must not abort the run.
  const store = await createRedisStore({ url: server.url, keyPrefix: PREFIX, commandTimeoutMs: 60_000 });
  const admin = new Redis(server.url);
  try {
    const identities = Array.from({ length: Math.ceil(N / SESSIONS_PER_IDENTITY) }, () => randomUUID());
    const before = await usedMemory(admin);
    const started = Date.now();
    const now = Date.now();
    let sampleId = '';
    for (let start = 0; start < N; start += BATCH) {
      const writes: Array<Promise<void>> = [];
      for (let i = start; i < Math.min(N, start + BATCH); i++) {
        const { id, check } = digestToken(generateSessionToken());
        if (i === 0) sampleId = id;
        const issuedAt = now + i;
        const session: SessionRecord = {
          id,
          check,
          identityId: identities[i % identities.length] as string,
          issuedAt,
          authenticatedAt: issuedAt,
          expiresAt: issuedAt + 24 * 3_600_000,
          revokedAt: null,
          ip: ipv4(i),
          userAgent: USER_AGENT,
        };
        // Concurrent calls share one connection, so ioredis pipelines them on the socket.
        writes.push(store.createSession(session, { ip: session.ip, userAgent: USER_AGENT, now: issuedAt }));
      }
      await Promise.all(writes);
    }
    const elapsed = Date.now() - started;
    const streamKey = `${PREFIX}events`;
    const streamBytes = Number(await admin.memory('USAGE', streamKey, 'SAMPLES', '0'));
    const streamLen = await admin.xlen(streamKey);
    await admin.del(streamKey);
    const after = await usedMemory(admin);

    const sampleSession = `${PREFIX}s:${compactSessionId(sampleId)}`;
    const sampleIndex = `${PREFIX}is:${identities[0]}`;
    const sessionValue = (await admin.get(sampleSession)) ?? '';
    const perSession = (after - before) / N;

    console.log(`sessions: ${N} over ${identities.length} identities (${SESSIONS_PER_IDENTITY} each), user agent ${USER_AGENT.length} chars, IPv4`);
    console.log(`written in ${elapsed} ms (${Math.round((N / elapsed) * 1000)} createSession/s, one script round trip each)`);
    console.log(`used_memory delta: ${after - before} bytes`);
    console.log(`bytes per session (incl. identity index): ${perSession.toFixed(1)}  (target ≤ 512: ${perSession <= 512 ? 'PASS' : 'FAIL'})`);
    console.log(`session key  ${sampleSession}: encoding=${await admin.object('ENCODING', sampleSession)}, value ${Buffer.byteLength(sessionValue)} bytes, MEMORY USAGE ${await admin.memory('USAGE', sampleSession)}`);
    console.log(`index key    ${sampleIndex}: encoding=${await admin.object('ENCODING', sampleIndex)}, ${await admin.zcard(sampleIndex)} entries, MEMORY USAGE ${await admin.memory('USAGE', sampleIndex)}`);
    console.log(`event stream (dropped before measuring): ${streamLen} entries, ${(streamBytes / Math.max(1, streamLen)).toFixed(1)} bytes/event`);
    if (perSession > 512) process.exitCode = 1;
  } finally {
    await admin.quit();
    await store.close();
    await server.stop();
  }
}

await main();
