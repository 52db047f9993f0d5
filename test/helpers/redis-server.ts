// Private redis-server processes for tests and benchmarks. The Redis on 6379 is shared with other
// people, so nothing here ever talks to it: every server runs on a free port in its own temp dir,
// as a child process that dies with us (an 'exit' hook SIGKILLs whatever is left).
// A missing redis-server binary is an error, never a silent skip: a skipped Redis suite would
// let the production store go untested while CI stays green.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RedisOptions {
  appendonly?: boolean;
  appendfsync?: 'always' | 'everysec';
  /** Data dir; a fresh temp dir (removed by stop()) when omitted. */
  dir?: string;
  port?: number;
  /** Extra `--name value` arguments, e.g. for cluster mode. */
  extraArgs?: string[];
}

export interface RedisHandle {
  port: number;
  url: string;
  dir: string;
  /** SIGTERM, wait for exit, remove the temp dir when we created it. */
  stop(): Promise<void>;
  /** SIGKILL (a crash), wait for exit; the dir stays so restart() can reload it. */
  kill(): Promise<void>;
  /** Starts the server again on the same port and dir (after kill() or stop()). */
  restart(): Promise<void>;
  /** SIGSTOP: a hung server — connections stay open, nothing is answered. */
  pause(): void;
  /** SIGCONT after pause(). */
  resume(): void;
}

export interface ClusterHandle {
  /** 'host:port' of every master. */
  nodes: string[];
  servers: RedisHandle[];
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';
const START_TIMEOUT_MS = 10_000;

// Everything still running when the test process exits, for the exit hook below.
const live = new Set<ChildProcess>();
const ownedDirs = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' handlers must be synchronous: signal the children and remove our temp dirs.
  const cleanup = (): void => {
    for (const child of live) child.kill('SIGKILL');
    for (const dir of ownedDirs) rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', cleanup);
  // A signal (tap's timeout sends SIGTERM) skips 'exit': clean up, then re-raise it so the
  // process still dies of it (once: the second delivery finds the default behaviour again).
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      cleanup();
      process.kill(process.pid, signal);
    });
  }
}

let binaryChecked = false;

/** Throws (never skips) when redis-server is not installed. */
function assertBinary(): void {
  if (binaryChecked) return;
  const r = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new Error(`redis-server is required for the Redis tests but could not be run: ${r.error?.message ?? r.stderr}`);
  }
  binaryChecked = true;
}

/** A port the OS just gave us; the small reuse race is handled by retrying the start. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, HOST, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function waitExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Spawns redis-server and resolves once it accepts connections (or rejects with its output). */
function spawnRedis(args: string[], readyText = 'Ready to accept connections'): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(child);
    let output = '';
    let settled = false;
    const timer = setTimeout(() => fail(new Error(`redis-server did not become ready in ${START_TIMEOUT_MS} ms:\n${output}`)), START_TIMEOUT_MS);
    const fail = (err: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(err);
    };
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (!settled && output.includes(readyText)) {
        settled = true;
        clearTimeout(timer);
        // Stop buffering; keep draining so a chatty server never blocks on a full pipe.
        child.stdout?.removeListener('data', onData);
        child.stdout?.resume();
        resolve(child);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
    child.once('error', (err) => fail(err));
    child.once('exit', (code, signal) => {
      live.delete(child);
      fail(new Error(`redis-server exited (${code ?? signal}) before it was ready:\n${output}`));
    });
  });
}

function serverArgs(port: number, dir: string, opts: RedisOptions): string[] {
  const args = ['--port', String(port), '--bind', HOST, '--dir', dir, '--daemonize', 'no', '--save', '', '--logfile', ''];
  if (opts.appendonly) args.push('--appendonly', 'yes', '--appendfsync', opts.appendfsync ?? 'always');
  else args.push('--appendonly', 'no');
  args.push(...(opts.extraArgs ?? []));
  return args;
}

/** Starts a private redis-server on a free port (retrying if another process grabs the port). */
export async function startRedis(opts: RedisOptions = {}): Promise<RedisHandle> {
  assertBinary();
  installExitHook();
  const ownDir = opts.dir === undefined;
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'logoutd-redis-'));
  if (ownDir) ownedDirs.add(dir);

  let port = opts.port ?? (await freePort());
  let child: ChildProcess | undefined;
  for (let attempt = 0; !child; attempt++) {
    try {
      child = await spawnRedis(serverArgs(port, dir, opts));
    } catch (err) {
      if (opts.port !== undefined || attempt >= 4 || !String(err).includes('Address already in use')) throw err;
      port = await freePort();
    }
  }
  let current: ChildProcess | undefined = child;

  const terminate = async (signal: NodeJS.Signals): Promise<void> => {
    const c = current;
    current = undefined;
    if (!c) return;
    const exited = waitExit(c);
    c.kill(signal);
    await exited;
    live.delete(c);
  };

  return {
    port,
    url: `redis://${HOST}:${port}`,
    dir,
    async stop() {
      await terminate('SIGTERM');
      if (ownDir) {
        rmSync(dir, { recursive: true, force: true });
        ownedDirs.delete(dir);
      }
    },
    async kill() {
      await terminate('SIGKILL');
    },
    async restart() {
      await terminate('SIGTERM');
      current = await spawnRedis(serverArgs(port, dir, opts));
    },
    pause() {
      current?.kill('SIGSTOP');
    },
    resume() {
      current?.kill('SIGCONT');
    },
  };
}

/**
 * A Redis Sentinel (quorum 1) monitoring the master on `masterPort` as `name`; resolves once it
 * monitors it. Sentinel needs a writable config file, so it gets one in its own temp dir.
 */
export async function startSentinel(masterPort: number, name: string): Promise<{ port: number; address: string; stop(): Promise<void> }> {
  assertBinary();
  installExitHook();
  const dir = mkdtempSync(join(tmpdir(), 'logoutd-sentinel-'));
  ownedDirs.add(dir);
  const port = await freePort();
  const conf = join(dir, 'sentinel.conf');
  writeFileSync(conf, `port ${port}\nbind ${HOST}\ndir ${dir}\nsentinel monitor ${name} ${HOST} ${masterPort} 1\n`);
  const child = await spawnRedis([conf, '--sentinel'], `+monitor master ${name}`);
  return {
    port,
    address: `${HOST}:${port}`,
    async stop() {
      const exited = waitExit(child);
      child.kill('SIGTERM');
      await exited;
      live.delete(child);
      rmSync(dir, { recursive: true, force: true });
      ownedDirs.delete(dir);
    },
  };
}

/** Sends one inline command over a fresh connection and returns the raw reply text. */
function rawCommand(port: number, command: string, timeoutMs = 1000): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = createConnection({ host: HOST, port });
    let data = '';
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no reply to ${command} from port ${port}`));
    }, timeoutMs);
    sock.on('connect', () => sock.write(`${command}\r\n`));
    sock.on('data', (c) => {
      data += c.toString();
      // Bulk string reply: "$<len>\r\n<body>\r\n"; done when the body is complete.
      const m = /^\$(\d+)\r\n/.exec(data);
      if ((m && data.length >= m[0].length + Number(m[1]) + 2) || /^[+-:]/.test(data)) {
        clearTimeout(timer);
        sock.end();
        resolve(data);
      }
    });
    sock.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

function runCli(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('redis-cli', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`redis-cli ${args.join(' ')} failed (${code}):\n${out}`))));
  });
}

/**
 * A private Redis Cluster of `masters` masters and no replicas, ready (cluster_state:ok on every
 * node) when the promise resolves.
 */
export async function startRedisCluster(masters = 3): Promise<ClusterHandle> {
  const servers: RedisHandle[] = [];
  try {
    for (let i = 0; i < masters; i++) {
      servers.push(
        await startRedis({
          extraArgs: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '2000'],
        }),
      );
    }
    const nodes = servers.map((s) => `${HOST}:${s.port}`);
    await runCli(['--cluster', 'create', ...nodes, '--cluster-replicas', '0', '--cluster-yes']);
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (const s of servers) {
      for (;;) {
        const info = await rawCommand(s.port, 'CLUSTER INFO').catch(() => '');
        if (info.includes('cluster_state:ok')) break;
        if (Date.now() > deadline) throw new Error(`cluster node ${s.port} not ok in time:\n${info}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    return {
      nodes,
      servers,
      async stop() {
        await Promise.all(servers.map((s) => s.stop()));
      },
    };
  } catch (err) {
    await Promise.all(servers.map((s) => s.stop()));
    throw err;
  }
}
