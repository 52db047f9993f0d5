// What every benchmark server process shares: announce readiness to the orchestrator on stdout
// ("ready <port>"), and shut down cleanly when the orchestrator closes our stdin or sends
// SIGTERM/SIGINT. A clean exit matters: `node --cpu-prof` only writes its profile on exit.

export function announceReady(port: number): void {
  process.stdout.write(`ready ${port}\n`);
}

/** Runs `close` once, then exits 0 (1 if closing failed). */
export function exitOnStop(close: () => Promise<void>): void {
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    close().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`shutdown failed: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.stdin.on('end', stop);
  process.stdin.on('error', stop);
  process.stdin.resume();
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

/** Positional argument `i`, or a clear error naming what was expected. */
export function arg(i: number, name: string): string {
  const v = process.argv[2 + i];
  if (v === undefined || v === '') {
    process.stderr.write(`missing argument ${i + 1}: ${name}\n`);
    process.exit(2);
  }
  return v;
}
