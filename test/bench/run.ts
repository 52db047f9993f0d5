// `npm run bench` — measures logoutd against the SPEC §13 targets, all contenders in one run:
//   logoutd (redis store) · bare fastify read ceiling · bare fastify revoke ceiling ·
//   express 5 + express-session + connect-redis · and, to show where the revocations' gap to the
//   ceiling comes from, bare-fastify "floors" doing only the work the contract mandates.
// One private redis-server; every contender in its own child process; autocannon in this one.
// Reads rotate over 1 000 prepared sessions; every revocation request gets a fresh session.
// Then: Redis bytes per session, and whoami latency at 1 k vs 1 M stored sessions.
// Results: console, bench-output/results.json, bench-output/chart.svg, bench-output/results.md.
//
// Flags: --quick (1 round × 2 s, scale 100 000) · --rounds N · --duration S · --warmup S ·
//        --connections N · --scale N · --memory-sessions N · --skip-main · --skip-memory ·
//        --skip-scale · --only ID[,ID…] (main phase / profile: just these operations, e.g.
//        updateLogoutFlow,ceiling.revoke) · --profile [--profile-duration S] [--profile-interval µs]
//        (CPU-profile logoutd per operation instead of benchmarking; profiles in bench-output/profiles/)
//        --rate N (main phase at a fixed N req/s: CPU per request compared at equal load, for
//        optimisation work; the §13 ratios need the default, unthrottled runs) ·
//        [--pin] (profile mode: the server alone on the last CPU, load generator and Redis on the
//        others, so the sampled wall time is the server's CPU time)

import os from 'node:os';
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort, startRedis, type RedisHandle } from '../helpers/redis-server.js';
import { Identities } from '../../src/identities/identities.js';
import { digestToken } from '../../src/sessions/tokens.js';
import type { Config } from '../../src/config/schema.js';
import { benchConfig } from './lib/logoutd-config.js';
import { pinServersTo, serverScript, spawnContender, type Contender } from './lib/contender.js';
import { consuming, median, rotating, runLoad, type LoadResult, type RequestSpec, type Source } from './lib/load.js';
import { ceilingSeeder, expressLogins, expressSeeder, logoutdSeeder, type LogoutdSeeder, type LogoutdSession } from './lib/seed.js';
import { computeRatios, cpuCostRatios, floorRatios, markdown, textCpuCost, textFloors, svgChart, textRatios, textTable, verdict, type ContenderId, type OpSummary, type RatioCheck } from './lib/report.js';
import { formatProfile, summarizeProfile } from './lib/profile.js';
import { TICKS_PER_SECOND, cpuSnapshot, foreignShare, processTicks } from './lib/cpu.js';
import { USER_AGENT_120 } from './lib/constants.js';

// -- arguments ---------------------------------------------------------------------------------

interface Args {
  quick: boolean;
  rounds: number;
  durationS: number;
  warmupS: number;
  connections: number;
  scale: number;
  memorySessions: number;
  skipMain: boolean;
  skipMemory: boolean;
  skipScale: boolean;
  profile: boolean;
  profileS: number;
  /** Sampling interval of --cpu-prof, µs (V8's default is 1000). */
  profileIntervalUs: number;
  /** Operation ids to run (main phase and profile mode); empty = all. */
  only: string[];
  /** Profile mode: the server alone on the last CPU, everything else on the others. */
  pin: boolean;
  /** Main phase: a fixed offered load (req/s) instead of as fast as possible; 0 = off. */
  rate: number;
}

function parseArgs(argv: string[]): Args {
  const has = (flag: string): boolean => argv.includes(flag);
  const num = (flag: string, fallback: number): number => {
    const i = argv.indexOf(flag);
    if (i < 0) return fallback;
    const v = Number(argv[i + 1]);
    if (!Number.isFinite(v) || v <= 0) throw new Error(`${flag} needs a positive number`);
    return v;
  };
  const known = new Set(['--quick', '--rounds', '--duration', '--warmup', '--connections', '--scale', '--memory-sessions', '--skip-main', '--skip-memory', '--skip-scale', '--profile', '--profile-duration', '--profile-interval', '--only', '--pin', '--rate']);
  argv.forEach((a, i) => {
    if (a.startsWith('--') && !known.has(a)) throw new Error(`unknown flag ${a}`);
    if (!a.startsWith('--') && !(i > 0 && known.has(argv[i - 1] as string))) throw new Error(`unexpected argument ${a}`);
  });
  const quick = has('--quick');
  return {
    quick,
    rounds: Math.round(num('--rounds', quick ? 1 : 5)),
    durationS: num('--duration', quick ? 2 : 4),
    warmupS: num('--warmup', quick ? 1 : 2),
    connections: Math.round(num('--connections', 50)),
    scale: Math.round(num('--scale', quick ? 100_000 : 1_000_000)),
    memorySessions: Math.round(num('--memory-sessions', 100_000)),
    skipMain: has('--skip-main'),
    skipMemory: has('--skip-memory'),
    skipScale: has('--skip-scale'),
    profile: has('--profile'),
    profileS: num('--profile-duration', 10),
    profileIntervalUs: Math.round(num('--profile-interval', 1000)),
    pin: has('--pin'),
    rate: argv.includes('--rate') ? num('--rate', 0) : 0,
    only: argv.includes('--only') ? String(argv[argv.indexOf('--only') + 1] ?? '').split(',').filter(Boolean) : [],
  };
}

// -- small helpers -----------------------------------------------------------------------------

const OUT_DIR = fileURLToPath(new URL('../../bench-output/', import.meta.url));
const JSON_ACCEPT = 'application/json';
/** Guess for sizing a warm-up's single-use pool before any rate is known (above every reference figure). */
const WARMUP_RATE_GUESS = 25_000;
/** Lowest rate a measured round's single-use pool is sized for. */
const POOL_RATE_FLOOR = 10_000;
/** Sessions for the read benchmarks (rotated through). */
const READ_SESSIONS = 1000;
const IDENTITIES = 100;
const PASSWORD = 'benchmark password 0123456789';

/** Processes that belong to the benchmark (this one, the servers, the redis-servers). */
const ourPids = new Set<number>([process.pid]);
/** A rate guess above this share of other processes' CPU marks a round as measured on a busy machine. */
const BUSY_MACHINE = 0.1;

/** redis-server pid by URL, for CPU accounting. */
const redisPids = new Map<string, number>();

/**
 * runLoad, plus how much CPU other processes took meanwhile, and what each 2xx response cost the
 * server and Redis in CPU time: a figure far less sensitive to a busy machine than req/s.
 */
async function measured(options: Parameters<typeof runLoad>[0], pids: { server: number; redisUrl: string }): Promise<LoadResult> {
  const redisPid = redisPids.get(pids.redisUrl) ?? 0;
  const before = cpuSnapshot(ourPids);
  const server0 = processTicks(pids.server);
  const redis0 = redisPid ? processTicks(redisPid) : 0;
  const r = await runLoad(options);
  r.foreignCpu = foreignShare(before, cpuSnapshot(ourPids));
  const perOk = (ticks: number): number => (r.ok > 0 && ticks > 0 ? (ticks * 1e6) / TICKS_PER_SECOND / r.ok : NaN);
  r.serverCpuUs = perOk(processTicks(pids.server) - server0);
  r.redisCpuUs = redisPid ? perOk(processTicks(redisPid) - redis0) : NaN;
  return r;
}

async function ownRedis(): Promise<RedisHandle> {
  const redis = await startRedis();
  const pid = Number(await redisInfo(redis.url, 'server', 'process_id'));
  if (pid > 0) {
    ourPids.add(pid);
    redisPids.set(redis.url, pid);
  }
  return redis;
}

async function ownContender(c: Promise<Contender>): Promise<Contender> {
  const contender = await c;
  ourPids.add(contender.pid);
  return contender;
}

const log = (line = ''): void => void process.stdout.write(`${line}\n`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const seconds = (t0: number): number => (performance.now() - t0) / 1000;
const fmt = (n: number, digits = 0): string => (Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : '—');

/** The operations `--only` names (all when it names none); an unknown name is an error, not a silent empty run. */
function selected<T extends { id: string }>(ops: T[], only: string[]): T[] {
  const unknown = only.filter((id) => !ops.some((o) => o.id === id));
  if (unknown.length) throw new Error(`--only: unknown operation ${unknown.join(', ')} (known: ${ops.map((o) => o.id).join(', ')})`);
  return only.length ? ops.filter((o) => only.includes(o.id)) : ops;
}

async function send(port: number, spec: RequestSpec): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${spec.path}`, {
    method: spec.method,
    headers: spec.headers,
    ...(spec.body !== undefined ? { body: spec.body } : {}),
    redirect: 'manual',
  });
  return { status: res.status, body: await res.text() };
}

async function redisInfo(url: string, section: string, field: string): Promise<string> {
  const c = new Redis(url, { maxRetriesPerRequest: 0 });
  try {
    const m = new RegExp(`^${field}:(.*)$`, 'm').exec(await c.info(section));
    return (m?.[1] ?? '').trim();
  } finally {
    c.disconnect();
  }
}

function machineInfo(redisVersion: string) {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    totalMemGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    redis: redisVersion,
    date: new Date().toISOString(),
    loadAverageAtStart: os.loadavg().map((v) => Math.round(v * 100) / 100),
  };
}

// -- logoutd setup shared by the main, scale and profile phases --------------------------------

interface LogoutdTarget {
  config: Config;
  redis: RedisHandle;
  seeder: LogoutdSeeder;
  identityIds: string[];
  email: string;
  spawn(name: string, nodeArgs?: string[]): Promise<Contender>;
}

async function logoutdTarget(redis: RedisHandle, identities: number): Promise<LogoutdTarget> {
  const config = benchConfig({ redisUrl: redis.url, publicPort: await freePort(), adminPort: await freePort() });
  const seeder = logoutdSeeder(config, redis.url);
  // Identities through the app's own Identities (store.createIdentity); only the first has a
  // password (scrypt), for the one real login that checks the whole path.
  const ids = new Identities({ store: seeder.store, clock: Date.now, publicBaseUrl: config.serve.public.base_url });
  const email = `bench-0@example.com`;
  const identityIds: string[] = [];
  for (let i = 0; i < identities; i++) {
    const identity = await ids.create({
      schema_id: 'default',
      traits: { email: `bench-${i}@example.com` },
      ...(i === 0 ? { credentials: { password: { config: { password: PASSWORD } } } } : {}),
    });
    identityIds.push(identity.id);
  }
  return {
    config,
    redis,
    seeder,
    identityIds,
    email,
    spawn: (name, nodeArgs = []) =>
      ownContender(spawnContender(name, serverScript('logoutd'), [redis.url, String(config.serve.public.port), String(config.serve.admin.port)], nodeArgs)),
  };
}

/** Native login over HTTP (SPEC §5.4), then whoami with the cookie form of the same token. */
async function checkRealLogin(t: LogoutdTarget, port: number): Promise<void> {
  const flow = (await (await fetch(`http://127.0.0.1:${port}/self-service/login/api`, { headers: { accept: JSON_ACCEPT } })).json()) as { id: string };
  const res = await fetch(`http://127.0.0.1:${port}/self-service/login?flow=${flow.id}`, {
    method: 'POST',
    headers: { 'content-type': JSON_ACCEPT, accept: JSON_ACCEPT, 'user-agent': USER_AGENT_120 },
    body: JSON.stringify({ method: 'password', identifier: t.email, password: PASSWORD }),
  });
  if (res.status !== 200) throw new Error(`native login over HTTP failed: ${res.status} ${await res.text()}`);
  const { session_token: token } = (await res.json()) as { session_token: string };
  const who = await send(port, { method: 'GET', path: '/sessions/whoami', headers: { 'x-session-token': token, accept: JSON_ACCEPT } });
  if (who.status !== 200) throw new Error(`whoami after a real login failed: ${who.status} ${who.body}`);
}

function logoutdReadSpec(path: string, s: LogoutdSession): RequestSpec {
  return { method: 'GET', path, headers: { cookie: s.cookie, accept: JSON_ACCEPT } };
}

/** Checks that the 204s were real revocations: a sample of the sessions used is now revoked. */
async function verifyRevoked(seeder: LogoutdSeeder, sessions: LogoutdSession[], used: number, connections: number): Promise<string | null> {
  // The last requests handed out may still have been in flight when the run stopped.
  const settled = Math.max(0, used - 2 * connections);
  const sample = Math.min(200, settled);
  let notRevoked = 0;
  for (let i = 0; i < sample; i++) {
    const s = sessions[Math.floor((i * settled) / sample)] as LogoutdSession;
    const record = await seeder.store.getSession(digestToken(s.token).id);
    if (!record || record.revokedAt === null) notRevoked++;
  }
  return notRevoked ? `${notRevoked} of ${sample} sampled sessions answered 2xx but are not revoked` : null;
}

// -- main phase: throughput and latency per operation ------------------------------------------

interface OpDef {
  id: string;
  label: string;
  contender: ContenderId;
  kind: 'read' | 'revoke';
  port: number;
  pid: number;
  /** Read benchmarks: the prepared requests, rotated. */
  reads?: RequestSpec[];
  /** Revocation benchmarks: n fresh single-use requests, and a check run after the round. */
  pool?: (n: number) => Promise<{ specs: RequestSpec[]; verify?: (used: number) => Promise<string | null> }>;
}

async function mainPhase(args: Args, redis: RedisHandle) {
  log('== throughput: 2xx req/s and latency per operation ==');
  log(`   ${args.connections} connections, warm-up ${args.warmupS} s per operation, ${args.rounds} interleaved round(s) × ${args.durationS} s; medians over rounds, ratios as medians of per-round ratios`);
  log('   NOTE: rate limiting is OFF in logoutd for these runs (rate_limit.enabled: false); with it on, the');
  log('   single-IP load would be answered 429 after 20 requests per 5 minutes.');

  const t = await logoutdTarget(redis, IDENTITIES);
  const [logoutd, readCeiling, revokeCeiling, floor, express] = await Promise.all([
    t.spawn('logoutd'),
    ownContender(spawnContender('read-ceiling', serverScript('ceiling'), ['read', redis.url])),
    ownContender(spawnContender('revoke-ceiling', serverScript('ceiling'), ['revoke', redis.url])),
    ownContender(spawnContender('floor', serverScript('floor'), [redis.url])),
    ownContender(spawnContender('express', serverScript('express'), [redis.url])),
  ]);
  const contenders = [logoutd, readCeiling, revokeCeiling, floor, express];
  const ceilings = ceilingSeeder(redis.url);
  const expressSeed = await expressSeeder(redis.url);
  try {
    await checkRealLogin(t, logoutd.port);
    const seedStart = performance.now();
    const logoutdReads = await t.seeder.create(READ_SESSIONS, t.identityIds);
    const ceilingReads = await ceilings.create(READ_SESSIONS);
    const expressReads = await expressLogins(express.port, READ_SESSIONS);
    log(`   seeded ${READ_SESSIONS} read sessions per contender in ${seconds(seedStart).toFixed(1)} s (logoutd: SessionManager.create on RedisStore; express: its login route)`);

    const logoutdPool = (make: (s: LogoutdSession) => RequestSpec) => async (n: number) => {
      const sessions = await t.seeder.create(n, t.identityIds);
      return { specs: sessions.map(make), verify: (used: number) => verifyRevoked(t.seeder, sessions, used, args.connections) };
    };
    const allOps: OpDef[] = [
      { id: 'createBrowserLogoutFlow', label: 'logoutd createBrowserLogoutFlow', contender: 'logoutd', kind: 'read', port: logoutd.port, pid: logoutd.pid, reads: logoutdReads.map((s) => logoutdReadSpec('/self-service/logout/browser', s)) },
      { id: 'whoami', label: 'logoutd whoami (toSession)', contender: 'logoutd', kind: 'read', port: logoutd.port, pid: logoutd.pid, reads: logoutdReads.map((s) => logoutdReadSpec('/sessions/whoami', s)) },
      {
        id: 'updateLogoutFlow',
        label: 'logoutd updateLogoutFlow',
        contender: 'logoutd',
        kind: 'revoke',
        port: logoutd.port,
        pid: logoutd.pid,
        pool: logoutdPool((s) => ({ method: 'GET', path: `/self-service/logout?token=${encodeURIComponent(s.logoutToken)}`, headers: { cookie: s.cookie, accept: JSON_ACCEPT } })),
      },
      {
        id: 'performNativeLogout',
        label: 'logoutd performNativeLogout',
        contender: 'logoutd',
        kind: 'revoke',
        port: logoutd.port,
        pid: logoutd.pid,
        pool: logoutdPool((s) => ({ method: 'DELETE', path: '/self-service/logout/api', headers: { 'content-type': JSON_ACCEPT, accept: JSON_ACCEPT }, body: JSON.stringify({ session_token: s.token }) })),
      },
      { id: 'ceiling.read', label: 'fastify read ceiling', contender: 'read-ceiling', kind: 'read', port: readCeiling.port, pid: readCeiling.pid, reads: ceilingReads.map((cookie) => ({ method: 'GET', path: '/read', headers: { cookie, accept: JSON_ACCEPT } })) },
      {
        id: 'ceiling.revoke',
        label: 'fastify revoke ceiling',
        contender: 'revoke-ceiling',
        kind: 'revoke',
        port: revokeCeiling.port,
        pid: revokeCeiling.pid,
        pool: async (n) => ({ specs: (await ceilings.create(n)).map((cookie) => ({ method: 'DELETE', path: '/revoke', headers: { cookie, accept: JSON_ACCEPT } })) }),
      },
      // The mandated-work floors (servers/floor.ts): what the contract alone costs a revocation.
      {
        id: 'floor.body',
        label: 'floor: JSON body + DEL',
        contender: 'floor',
        kind: 'revoke',
        port: floor.port,
        pid: floor.pid,
        pool: async (n) => ({ specs: (await ceilings.create(n)).map((cookie) => ({ method: 'DELETE', path: '/revoke-json', headers: { 'content-type': JSON_ACCEPT, accept: JSON_ACCEPT }, body: JSON.stringify({ session_token: cookie.slice('sid='.length) }) })) }),
      },
      {
        id: 'floor.native',
        label: 'floor: native logout',
        contender: 'floor',
        kind: 'revoke',
        port: floor.port,
        pid: floor.pid,
        pool: logoutdPool((s) => ({ method: 'DELETE', path: '/self-service/logout/api', headers: { 'content-type': JSON_ACCEPT, accept: JSON_ACCEPT }, body: JSON.stringify({ session_token: s.token }) })),
      },
      {
        id: 'floor.browser',
        label: 'floor: browser logout',
        contender: 'floor',
        kind: 'revoke',
        port: floor.port,
        pid: floor.pid,
        pool: logoutdPool((s) => ({ method: 'GET', path: `/self-service/logout?token=${encodeURIComponent(s.logoutToken)}`, headers: { cookie: s.cookie, accept: JSON_ACCEPT } })),
      },
      { id: 'express.read', label: 'express-session read', contender: 'express', kind: 'read', port: express.port, pid: express.pid, reads: expressReads.map((cookie) => ({ method: 'GET', path: '/session', headers: { cookie, accept: JSON_ACCEPT } })) },
      {
        id: 'express.destroy',
        label: 'express-session destroy',
        contender: 'express',
        kind: 'revoke',
        port: express.port,
        pid: express.pid,
        pool: async (n) => ({ specs: (await expressSeed.create(n)).map((cookie) => ({ method: 'DELETE', path: '/session', headers: { cookie, accept: JSON_ACCEPT } })) }),
      },
    ];

    const ops = selected(allOps, args.only);
    // Preflight: one request per operation must succeed, or the benchmark would measure errors.
    for (const op of ops) {
      const spec = op.reads ? (op.reads[0] as RequestSpec) : ((await op.pool!(1)).specs[0] as RequestSpec);
      const res = await send(op.port, spec);
      if (res.status < 200 || res.status >= 300) throw new Error(`preflight ${op.label}: ${res.status} ${res.body.slice(0, 300)}`);
    }
    log('   preflight: every operation answers 2xx');

    const rateEst = new Map<string, number>();
    const roundsDone = new Map<string, number>();
    const notes = new Map<string, string[]>(ops.map((o) => [o.id, []]));
    const measure = async (op: OpDef, durationS: number, phase: string): Promise<LoadResult> => {
      let source: Source;
      let verify: ((used: number) => Promise<string | null>) | undefined;
      let used = (): number => 0;
      if (op.reads) source = rotating(op.reads);
      else {
        // Enough fresh sessions for the expected rate: the warm-up guesses high; the first round
        // gets 3× the warm-up's rate (JIT and caches are warmer by then), later ones 2× the best.
        // A floor covers a warm-up that was slowed down by something else on the machine.
        const known = rateEst.get(op.id);
        const rate = known === undefined ? WARMUP_RATE_GUESS : Math.max(POOL_RATE_FLOOR, known * (roundsDone.get(op.id) ? 2 : 3));
        const n = Math.ceil(rate * durationS) + 4 * args.connections;
        const pool = await op.pool!(n);
        const c = consuming(pool.specs);
        source = c;
        used = c.used;
        verify = pool.verify;
        await sleep(250); // let Redis settle after the bulk writes
      }
      const r = await measured({ port: op.port, connections: args.connections, durationS, source, ...(args.rate ? { rate: args.rate } : {}) }, { server: op.pid, redisUrl: redis.url });
      rateEst.set(op.id, Math.max(rateEst.get(op.id) ?? 0, r.rps));
      if (phase !== 'warm-up') roundsDone.set(op.id, (roundsDone.get(op.id) ?? 0) + 1);
      const problems: string[] = [];
      if (r.non2xx) problems.push(`${r.non2xx} non-2xx ${JSON.stringify(r.statusCounts)}`);
      if (r.errors || r.timeouts) problems.push(`${r.errors} errors, ${r.timeouts} timeouts`);
      if (r.exhausted) problems.push(`session pool ran out after ${r.durationS.toFixed(1)} s`);
      const bad = verify ? await verify(used()) : null;
      if (bad) problems.push(bad);
      if (phase !== 'warm-up') notes.get(op.id)?.push(...problems.map((p) => `${phase}: ${p}`));
      const busy = (r.foreignCpu ?? 0) > BUSY_MACHINE ? `  (other processes used ${((r.foreignCpu ?? 0) * 100).toFixed(0)} % of the CPU)` : '';
      log(`   ${phase.padEnd(9)} ${op.label.padEnd(32)} ${fmt(r.rps).padStart(7)} req/s  p50 ${fmt(r.p50, 2).padStart(6)} ms  p99 ${fmt(r.p99, 2).padStart(6)} ms  cpu/req ${fmt(r.serverCpuUs ?? NaN).padStart(4)}+${fmt(r.redisCpuUs ?? NaN).padStart(3)} µs${problems.length ? `  !! ${problems.join('; ')}` : ''}${busy}`);
      return r;
    };

    for (const op of ops) await measure(op, args.warmupS, 'warm-up');
    const rounds = new Map<string, LoadResult[]>(ops.map((o) => [o.id, []]));
    // Reads and revocations run as two groups, so that every ratio's two sides run close together
    // (see pairedRatio); the groups swap places and rotate inside every round, so no operation
    // always runs first or last.
    const groups = [ops.filter((o) => o.kind === 'read'), ops.filter((o) => o.kind === 'revoke')];
    const rotated = (g: OpDef[], by: number): OpDef[] => g.map((_, i) => g[(i + by) % g.length] as OpDef);
    for (let round = 0; round < args.rounds; round++) {
      const [first, second] = round % 2 === 0 ? groups : [groups[1], groups[0]];
      const order = [...rotated(first ?? [], round), ...rotated(second ?? [], round)];
      for (const op of order) rounds.get(op.id)?.push(await measure(op, args.durationS, `round ${round + 1}`));
    }

    const summaries = new Map<string, OpSummary>();
    for (const op of ops) {
      const rs = rounds.get(op.id) ?? [];
      summaries.set(op.id, {
        id: op.id,
        label: op.label,
        contender: op.contender,
        kind: op.kind,
        rps: median(rs.map((r) => r.rps)),
        p50: median(rs.map((r) => r.p50)),
        p99: median(rs.map((r) => r.p99)),
        non2xx: rs.reduce((n, r) => n + r.non2xx, 0),
        errors: rs.reduce((n, r) => n + r.errors + r.timeouts, 0),
        foreignCpu: median(rs.map((r) => r.foreignCpu ?? NaN)),
        serverCpuUs: median(rs.map((r) => r.serverCpuUs ?? NaN)),
        redisCpuUs: median(rs.map((r) => r.redisCpuUs ?? NaN)),
        flagged: (notes.get(op.id) ?? []).length > 0,
        notes: notes.get(op.id) ?? [],
        rounds: rs,
      });
    }
    return { ops: [...summaries.values()], ratios: computeRatios(summaries), cpuCost: cpuCostRatios(summaries), floors: floorRatios(summaries) };
  } finally {
    await Promise.all(contenders.map((c) => c.stop()));
    await Promise.all([t.seeder.close(), ceilings.close(), expressSeed.close()]);
  }
}

// -- scale phase: whoami at 1 k vs N stored sessions -------------------------------------------

interface ScaleSide {
  storedSessions: number;
  c50: { rps: number; p50: number; p99: number; mean: number };
  c1: { rps: number; p50: number; p99: number; mean: number };
  rounds: { c50: LoadResult[]; c1: LoadResult[] };
}

async function scalePhase(args: Args) {
  const extra = args.scale - READ_SESSIONS;
  log('');
  log(`== scale: whoami with ${fmt(READ_SESSIONS)} vs ${fmt(args.scale)} stored sessions ==`);
  log('   two private redis-servers and two logoutd processes, identical but for the extra sessions; rounds');
  log('   interleaved; 50 connections (throughput-bound latency) and 1 connection (unloaded latency).');
  const redisSmall = await ownRedis();
  const redisLarge = await ownRedis();
  const targets: LogoutdTarget[] = [];
  const servers: Contender[] = [];
  try {
    for (const r of [redisSmall, redisLarge]) targets.push(await logoutdTarget(r, 1));
    const [small, large] = targets as [LogoutdTarget, LogoutdTarget];
    servers.push(await small.spawn('logoutd-1k'), await large.spawn('logoutd-large'));
    const reads = await Promise.all(targets.map(async (t) => (await t.seeder.create(READ_SESSIONS, t.identityIds)).map((s) => logoutdReadSpec('/sessions/whoami', s))));

    const fillStart = performance.now();
    let lastReport = 0;
    await large.seeder.fill(extra, 10, (done) => {
      if (done - lastReport >= extra / 10 || done === extra) {
        lastReport = done;
        log(`   filling: ${fmt(done)} / ${fmt(extra)} extra sessions, ${seconds(fillStart).toFixed(1)} s`);
      }
    });
    const fillS = seconds(fillStart);
    const dbsize = await Promise.all(targets.map(async (t) => Number(await redisInfo(t.redis.url, 'keyspace', 'db0').then((v) => /keys=(\d+)/.exec(v)?.[1] ?? '0'))));
    const largeUsed = Number(await redisInfo(large.redis.url, 'memory', 'used_memory'));
    log(`   filled ${fmt(extra)} sessions (10 per identity, 120-char user agent) through RedisStore.createSession in ${fillS.toFixed(1)} s (${fmt(extra / fillS)} sessions/s); keys: ${fmt(dbsize[0] ?? 0)} vs ${fmt(dbsize[1] ?? 0)}; used_memory ${fmt(largeUsed / 2 ** 20)} MiB`);

    const side = servers.map(() => ({ c50: [] as LoadResult[], c1: [] as LoadResult[] }));
    const run = async (i: number, connections: number, durationS: number): Promise<LoadResult> =>
      measured({ port: (servers[i] as Contender).port, connections, durationS, source: rotating(reads[i] as RequestSpec[]) }, { server: (servers[i] as Contender).pid, redisUrl: (targets[i] as LogoutdTarget).redis.url });
    for (let i = 0; i < 2; i++) await run(i, args.connections, args.warmupS);
    for (let round = 0; round < args.rounds; round++) {
      for (const i of round % 2 ? [1, 0] : [0, 1]) {
        const a = await run(i, args.connections, args.durationS);
        const b = await run(i, 1, args.durationS);
        side[i]?.c50.push(a);
        side[i]?.c1.push(b);
        const bad = a.non2xx + a.errors + a.timeouts + b.non2xx + b.errors + b.timeouts;
        const other = Math.max(a.foreignCpu ?? 0, b.foreignCpu ?? 0);
        log(`   round ${round + 1}  ${i === 0 ? fmt(READ_SESSIONS).padStart(9) : fmt(args.scale).padStart(9)} stored  c50 ${fmt(a.rps).padStart(7)} req/s p50 ${fmt(a.p50, 2)} ms p99 ${fmt(a.p99, 2)} ms | c1 p50 ${fmt(b.p50, 3)} ms p99 ${fmt(b.p99, 3)} ms${bad ? `  !! ${bad} non-2xx/errors ${JSON.stringify(a.statusCounts)} ${JSON.stringify(b.statusCounts)}` : ''}${other > BUSY_MACHINE ? `  (other processes used ${(other * 100).toFixed(0)} % of the CPU)` : ''}`);
      }
    }
    const summarize = (rs: LoadResult[]) => ({ rps: median(rs.map((r) => r.rps)), p50: median(rs.map((r) => r.p50)), p99: median(rs.map((r) => r.p99)), mean: median(rs.map((r) => r.mean)) });
    const sides: ScaleSide[] = side.map((s, i) => ({ storedSessions: i === 0 ? READ_SESSIONS : args.scale, c50: summarize(s.c50), c1: summarize(s.c1), rounds: s }));
    const [a, b] = sides as [ScaleSide, ScaleSide];
    const within = (x: number): boolean => Math.abs(x - 1) <= 0.1;
    const checks = [
      { name: 'whoami p50 @50 conn, large / 1k', value: b.c50.p50 / a.c50.p50 },
      { name: 'whoami p50 @1 conn, large / 1k', value: b.c1.p50 / a.c1.p50 },
      { name: 'whoami req/s @50 conn, large / 1k', value: b.c50.rps / a.c50.rps },
    ].map((c) => ({ ...c, target: '1 ± 0.10', pass: within(c.value) }));
    const flagged = [...side[0]!.c50, ...side[0]!.c1, ...side[1]!.c50, ...side[1]!.c1].some((r) => r.non2xx + r.errors + r.timeouts > 0);
    return { fillSeconds: fillS, fillRate: extra / fillS, keys: dbsize, largeUsedMemory: largeUsed, sides, checks, flagged };
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    await Promise.all(targets.map((t) => t.seeder.close()));
    await Promise.all([redisSmall.stop(), redisLarge.stop()]);
  }
}

// -- memory phase --------------------------------------------------------------------------------

interface MemoryResult {
  sessions: number;
  bytesPerSession: number;
  pass: boolean;
  /** The measuring script's own report, verbatim. */
  report: string[];
  seconds: number;
}

/**
 * Redis bytes per session: runs test/bench/redis-memory.ts (it has no exported function and runs
 * on import, so it is run as a process rather than re-implemented here) and reads its report.
 */
async function memoryPhase(args: Args): Promise<MemoryResult> {
  log('');
  log(`== Redis memory per session (test/bench/redis-memory.ts, ${fmt(args.memorySessions)} sessions) ==`);
  const started = performance.now();
  const script = fileURLToPath(new URL('./redis-memory.ts', import.meta.url));
  const out = await new Promise<{ code: number | null; text: string }>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, String(args.memorySessions)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (c: Buffer) => (text += c.toString()));
    child.stderr.on('data', (c: Buffer) => (text += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, text }));
  });
  const report = out.text.trim().split('\n');
  for (const line of report) log(`   ${line}`);
  const m = /bytes per session \(incl\. identity index\): ([\d.]+)/.exec(out.text);
  // Exit code 1 is the script's own FAIL verdict; anything else without a figure is a crash.
  if (!m || (out.code !== 0 && out.code !== 1)) throw new Error(`redis-memory.ts failed (exit ${out.code}):\n${out.text}`);
  const bytesPerSession = Number(m[1]);
  return { sessions: args.memorySessions, bytesPerSession, pass: bytesPerSession <= 512, report, seconds: seconds(started) };
}

/** `--pin`: the servers get the last CPU to themselves; this process and Redis the others. */
async function pinForProfiling(redisUrl: string): Promise<void> {
  const cpus = os.cpus().length;
  if (cpus < 2) throw new Error('--pin needs at least 2 CPUs');
  const rest = cpus === 2 ? '0' : `0-${cpus - 2}`;
  const redisPid = redisPids.get(redisUrl) ?? 0;
  for (const pid of [process.pid, redisPid].filter((p) => p > 0)) {
    await new Promise<void>((resolve, reject) => {
      const c = spawn('taskset', ['-a', '-p', '-c', rest, String(pid)], { stdio: 'ignore' });
      c.once('error', reject);
      c.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`taskset exited ${code}`))));
    });
  }
  pinServersTo(cpus - 1);
  log(`   pinned: servers on CPU ${cpus - 1}; load generator and redis-server on CPU ${rest}`);
}

// -- profile mode ----------------------------------------------------------------------------------

async function profileMode(args: Args): Promise<void> {
  const dir = join(OUT_DIR, 'profiles');
  mkdirSync(dir, { recursive: true });
  log(`== CPU profiles, one server process per operation (${args.connections} connections, ${args.warmupS} s warm-up + ${args.profileS} s) ==`);
  log('   logoutd and, for comparison under the same conditions, the two bare fastify ceilings. Only the measured');
  log('   run counts (start-up and warm-up are cut off); µs/req = main-thread CPU time per 2xx response.');
  const redis = await ownRedis();
  if (args.pin) await pinForProfiling(redis.url);
  const t = await logoutdTarget(redis, IDENTITIES);
  const ceilings = ceilingSeeder(redis.url);
  try {
    const reads = await t.seeder.create(READ_SESSIONS, t.identityIds);
    const ceilingReads = await ceilings.create(READ_SESSIONS);
    const allOps: Array<{ id: string; spawn: (nodeArgs: string[]) => Promise<Contender>; source: (n: number) => Promise<Source> }> = [
      { id: 'createBrowserLogoutFlow', spawn: (a) => t.spawn('logoutd', a), source: async () => rotating(reads.map((s) => logoutdReadSpec('/self-service/logout/browser', s))) },
      { id: 'whoami', spawn: (a) => t.spawn('logoutd', a), source: async () => rotating(reads.map((s) => logoutdReadSpec('/sessions/whoami', s))) },
      {
        id: 'updateLogoutFlow',
        spawn: (a) => t.spawn('logoutd', a),
        source: async (n) => consuming((await t.seeder.create(n, t.identityIds)).map((s) => ({ method: 'GET', path: `/self-service/logout?token=${encodeURIComponent(s.logoutToken)}`, headers: { cookie: s.cookie, accept: JSON_ACCEPT } }))),
      },
      {
        id: 'performNativeLogout',
        spawn: (a) => t.spawn('logoutd', a),
        source: async (n) => consuming((await t.seeder.create(n, t.identityIds)).map((s) => ({ method: 'DELETE', path: '/self-service/logout/api', headers: { 'content-type': JSON_ACCEPT }, body: JSON.stringify({ session_token: s.token }) }))),
      },
      {
        id: 'ceiling.read',
        spawn: (a) => ownContender(spawnContender('read-ceiling', serverScript('ceiling'), ['read', redis.url], a)),
        source: async () => rotating(ceilingReads.map((cookie) => ({ method: 'GET', path: '/read', headers: { cookie, accept: JSON_ACCEPT } }))),
      },
      {
        id: 'ceiling.revoke',
        spawn: (a) => ownContender(spawnContender('revoke-ceiling', serverScript('ceiling'), ['revoke', redis.url], a)),
        source: async (n) => consuming((await ceilings.create(n)).map((cookie) => ({ method: 'DELETE', path: '/revoke', headers: { cookie, accept: JSON_ACCEPT } }))),
      },
    ];
    for (const op of selected(allOps, args.only)) {
      // One directory per operation: with tsx's loader hooks, --cpu-prof writes one profile per
      // thread (main + hooks worker); the main thread's is the busiest one.
      const opDir = join(dir, op.id);
      rmSync(opDir, { recursive: true, force: true });
      mkdirSync(opDir, { recursive: true });
      const server = await op.spawn(['--cpu-prof', '--cpu-prof-dir', opDir, '--cpu-prof-interval', String(args.profileIntervalUs)]);
      let served = 0;
      let from = 0;
      try {
        const pids = { server: server.pid, redisUrl: redis.url };
        const w = await measured({ port: server.port, connections: args.connections, durationS: args.warmupS, source: await op.source(Math.ceil(args.warmupS * WARMUP_RATE_GUESS)) }, pids);
        const source = await op.source(Math.ceil(Math.max(w.rps * 2, POOL_RATE_FLOOR) * args.profileS));
        from = Number(process.hrtime.bigint() / 1000n);
        const r = await measured({ port: server.port, connections: args.connections, durationS: args.profileS, source }, pids);
        served = r.ok;
        log(`   ${op.id}: ${fmt(r.rps)} req/s under the profiler, p50 ${fmt(r.p50, 2)} ms, p99 ${fmt(r.p99, 2)} ms, non-2xx ${r.non2xx}, server CPU ${fmt(r.serverCpuUs ?? NaN)} µs/req`);
      } finally {
        await server.stop();
      }
      const profiles = readdirSync(opDir)
        .filter((f) => f.endsWith('.cpuprofile'))
        .map((f) => summarizeProfile(join(opDir, f), 25, served, from))
        .sort((a, b) => b.busyMs - a.busyMs);
      if (profiles[0]) log(formatProfile(profiles[0], op.id));
      else log(`   no profile written for ${op.id}`);
      log('');
    }
  } finally {
    await Promise.all([t.seeder.close(), ceilings.close()]);
    await redis.stop();
  }
}

// -- main ------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const started = performance.now();
  mkdirSync(OUT_DIR, { recursive: true });
  if (args.profile) {
    await profileMode(args);
    log(`run time ${seconds(started).toFixed(0)} s`);
    return;
  }

  const redis = await ownRedis();
  const redisVersion = await redisInfo(redis.url, 'server', 'redis_version');
  const machine = machineInfo(redisVersion);
  log(`logoutd benchmark — ${machine.cpus} × ${machine.cpuModel}, ${machine.totalMemGiB} GiB, ${machine.platform}, node ${machine.node}, redis ${machine.redis}, ${machine.date}`);
  log(`mode: ${args.quick ? 'quick' : 'full'}; load generator, servers and redis share the same cores`);
  const [load1] = os.loadavg();
  if ((load1 ?? 0) > machine.cpus * 0.5) {
    log(`WARNING: load average ${(load1 ?? 0).toFixed(1)} on ${machine.cpus} CPUs: other processes are busy and will depress and skew the figures`);
    log('         (the "other CPU" column shows how much CPU they took during each measurement)');
  }
  log('');

  let throughput: { ops: OpSummary[]; ratios: RatioCheck[]; cpuCost: ReturnType<typeof cpuCostRatios>; floors: ReturnType<typeof floorRatios> } | null = null;
  try {
    if (!args.skipMain) throughput = await mainPhase(args, redis);
  } finally {
    await redis.stop();
  }
  const memory = args.skipMemory ? null : await memoryPhase(args);
  const scale = args.skipScale ? null : await scalePhase(args);
  const runTimeS = seconds(started);

  // -- report -------------------------------------------------------------------------------------
  log('');
  log('== results ==');
  const caption = `logoutd ${args.quick ? 'quick' : 'full'} benchmark, ${machine.date.slice(0, 10)}: ${machine.cpus} × ${machine.cpuModel}, node ${machine.node}, redis ${machine.redis}; autocannon ${args.connections} connections, median of ${args.rounds} interleaved round(s) × ${args.durationS} s, ratios = median of per-round ratios; only 2xx counted; logoutd rate limiting off.`;
  const md: string[] = [];
  if (throughput) {
    log(textTable(throughput.ops));
    log('("!" = a round had non-2xx responses, errors, or ran out of fresh sessions; see notes. µs/req = CPU time of the');
    log(' server process / of redis-server per 2xx response. "other CPU" = median share of the machine used by processes');
    log(' outside the benchmark during the rounds)');
    for (const o of throughput.ops) for (const n of o.notes) log(`   note: ${o.label}: ${n}`);
    log('');
    log('SPEC §13 speed targets (same run):');
    log(textRatios(throughput.ratios));
    log('');
    log('Same comparisons in CPU cost per response (informational; robust to a busy machine, blind to latency):');
    log(textCpuCost(throughput.cpuCost));
    if (throughput.floors.length) {
      log('');
      log('Where the revocations\' gap comes from: bare-fastify floors doing only the mandated work (informational):');
      log(textFloors(throughput.floors));
    }
    md.push(markdown(throughput.ops, throughput.ratios, caption, throughput.floors));
    writeFileSync(join(OUT_DIR, 'chart.svg'), svgChart(throughput.ops, throughput.ratios, caption));
  }
  if (memory) {
    log('');
    log(`Redis memory per session (target ≤ 512 B incl. identity-index entry): ${fmt(memory.bytesPerSession, 1)} B ${memory.pass ? 'PASS' : 'FAIL'}`);
    md.push('', '| Redis memory per session (120-char UA, identity index included) | bytes/session | target | result |', '|---|---:|---|---|');
    md.push(`| ${fmt(memory.sessions)} sessions via RedisStore (test/bench/redis-memory.ts) | ${fmt(memory.bytesPerSession, 1)} | ≤ 512 | ${memory.pass ? 'PASS' : 'FAIL'} |`);
  }
  if (scale) {
    const [a, b] = scale.sides as [ScaleSide, ScaleSide];
    log('');
    log(`whoami latency, ${fmt(a.storedSessions)} vs ${fmt(b.storedSessions)} stored sessions (fill took ${scale.fillSeconds.toFixed(1)} s):`);
    log(`   @50 conn: ${fmt(a.c50.rps)} vs ${fmt(b.c50.rps)} req/s, p50 ${fmt(a.c50.p50, 2)} vs ${fmt(b.c50.p50, 2)} ms, p99 ${fmt(a.c50.p99, 2)} vs ${fmt(b.c50.p99, 2)} ms`);
    log(`   @1 conn:  p50 ${fmt(a.c1.p50, 3)} vs ${fmt(b.c1.p50, 3)} ms, p99 ${fmt(a.c1.p99, 3)} vs ${fmt(b.c1.p99, 3)} ms, mean ${fmt(a.c1.mean, 3)} vs ${fmt(b.c1.mean, 3)} ms`);
    for (const c of scale.checks) log(`   ${c.name}: ${c.value.toFixed(3)} (target ${c.target}) ${c.pass ? 'PASS' : 'FAIL'}${scale.flagged ? ' (flagged: errors in a run)' : ''}`);
    md.push('', `| whoami (stored sessions) | req/s @50 | p50 @50 (ms) | p99 @50 (ms) | p50 @1 (ms) | p99 @1 (ms) |`, '|---|---:|---:|---:|---:|---:|');
    for (const s of [a, b]) md.push(`| ${fmt(s.storedSessions)} | ${fmt(s.c50.rps)} | ${fmt(s.c50.p50, 2)} | ${fmt(s.c50.p99, 2)} | ${fmt(s.c1.p50, 3)} | ${fmt(s.c1.p99, 3)} |`);
    md.push('', '| scale check | value | target | result |', '|---|---:|---|---|', ...scale.checks.map((c) => `| ${c.name} | ${c.value.toFixed(3)} | ${c.target} | ${c.pass ? 'PASS' : 'FAIL'} |`));
  }
  log('');
  log(`run time ${runTimeS.toFixed(0)} s`);
  const results = {
    machine,
    settings: { quick: args.quick, rounds: args.rounds, durationS: args.durationS, warmupS: args.warmupS, connections: args.connections, scale: args.scale, memorySessions: args.memorySessions, rateLimiting: 'disabled in logoutd for the throughput runs' },
    ops: throughput?.ops ?? null,
    ratios: throughput?.ratios.map((r) => ({ ...r, verdict: verdict(r) })) ?? null,
    cpuCost: throughput?.cpuCost ?? null,
    floors: throughput?.floors ?? null,
    memory,
    scale,
    runTimeS,
    loadAverageAtEnd: os.loadavg().map((v) => Math.round(v * 100) / 100),
  };
  writeFileSync(join(OUT_DIR, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(OUT_DIR, 'results.md'), `${md.join('\n')}\n`);
  log('');
  log('Markdown (bench-output/results.md):');
  log('');
  log(md.join('\n'));
  log('');
  log(`wrote ${join(OUT_DIR, 'results.json')}${throughput ? `, ${join(OUT_DIR, 'chart.svg')}` : ''}, ${join(OUT_DIR, 'results.md')}`);
}

main().then(
  // Exit explicitly: idle sockets of finished clients must not keep the run alive.
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  },
);
