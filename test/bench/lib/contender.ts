// Benchmark servers run as child processes, so none of them shares an event loop with the load
// generator (or with each other). Each prints "ready <port>" once it listens; closing its stdin
// asks it to shut down cleanly (which `--cpu-prof` needs to write its profile).

import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;

export interface Contender {
  name: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
let hooked = false;

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  // Synchronous last resort: never leave our own servers running after we exit.
  process.on('exit', () => {
    for (const c of live) c.kill('SIGKILL');
  });
}

/** CPU the servers are pinned to (`taskset`), or null to let the scheduler place them. */
let serverCpu: number | null = null;

/**
 * Pins every server spawned from now on to one CPU. The profile mode uses it (with everything
 * else on the other CPU) so that V8's wall-clock samples are the server's own CPU time, not time
 * it spent preempted by the load generator or Redis in the middle of some function.
 */
export function pinServersTo(cpu: number | null): void {
  serverCpu = cpu;
}

export function serverScript(name: string): string {
  return fileURLToPath(new URL(`../servers/${name}.ts`, import.meta.url));
}

export async function spawnContender(name: string, script: string, args: string[], nodeArgs: string[] = []): Promise<Contender> {
  hookExit();
  const command = [process.execPath, ...nodeArgs, '--import', 'tsx', script, ...args];
  // taskset execs the program, so the pid stays the server's.
  const [file, ...argv] = serverCpu === null ? command : ['taskset', '-c', String(serverCpu), ...command];
  const child = spawn(file as string, argv, { stdio: ['pipe', 'pipe', 'pipe'] });
  live.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('exit', () => live.delete(child));
  let stopping = false;
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString();
    if (stderr.length > 20_000) stderr = stderr.slice(-20_000);
  });

  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error(`${name} did not print "ready" within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
    const fail = (err: Error): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${err.message}\n${stderr}`));
    };
    const onData = (c: Buffer): void => {
      out += c.toString();
      const m = /^ready (\d+)$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        child.stdout?.resume(); // keep draining
        child.off('exit', onEarlyExit);
        resolve(Number(m[1]));
      }
    };
    const onEarlyExit = (code: number | null, signal: string | null): void => fail(new Error(`${name} exited (${code ?? signal}) before it was ready`));
    child.stdout?.on('data', onData);
    child.once('exit', onEarlyExit);
  });
  // After readiness, anything on stderr is worth seeing (a crash mid-benchmark, a warning).
  child.stderr?.on('data', (c: Buffer) => process.stderr.write(`[${name}] ${c.toString()}`));
  child.once('exit', (code, signal) => {
    if (!stopping) process.stderr.write(`[${name}] exited unexpectedly (${code ?? signal})\n`);
  });

  return {
    name,
    port,
    pid: child.pid ?? 0,
    async stop() {
      if (stopping) return exited;
      stopping = true;
      child.stdin?.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}
