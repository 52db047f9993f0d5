// Reads a V8 .cpuprofile (from `node --cpu-prof`) and ranks where the time went: functions by
// self time, and the same time grouped by origin (our src/ files, each node_modules package,
// node internals, GC). Idle time is left out of the percentages: it is the process waiting.

import { readFileSync } from 'node:fs';

interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: CpuProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface ProfileRow {
  name: string;
  where: string;
  selfMs: number;
  /** Share of non-idle samples. */
  pct: number;
  /** selfMs per request served, µs (when the number of requests is known). */
  usPerRequest: number;
}

export interface ProfileSummary {
  file: string;
  /** Non-idle CPU time sampled, ms. */
  busyMs: number;
  idleMs: number;
  /** Requests served while profiling (0 = unknown). */
  requests: number;
  functions: ProfileRow[];
  origins: ProfileRow[];
  /** Our own (src/) functions by inclusive time: themselves plus everything they call. */
  ownInclusive: ProfileRow[];
}

/** `file:///…/node_modules/fastify/lib/x.js` → `fastify`; our own files keep their repo path. */
function origin(url: string, name: string): string {
  if (name === '(garbage collector)') return '(gc)';
  if (name === '(program)' || name === '(idle)' || name === '(root)') return name;
  if (url === '') return '(native)';
  if (url.startsWith('node:')) return 'node internals';
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1] as string;
  const src = /\/((?:src|test)\/.*)$/.exec(url);
  return src ? (src[1] as string) : url;
}

function shortWhere(url: string, line: number): string {
  const o = origin(url, '');
  if (o === '(native)') return '(native)';
  const file = url.slice(url.lastIndexOf('/') + 1);
  return `${o === file || o.endsWith(file) ? o : `${o} ${file}`}:${line + 1}`;
}

/**
 * `fromUs` (CLOCK_MONOTONIC µs, as process.hrtime; V8 stamps samples on the same clock on Linux)
 * drops the samples taken before it — start-up and warm-up — so the figures describe steady state.
 */
export function summarizeProfile(file: string, top = 25, requests = 0, fromUs = 0): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  // Time per node: from the sample timeline when present (each sample owns the delta to the next).
  const msByNode = new Map<number, number>();
  if (profile.samples && profile.timeDeltas && profile.samples.length === profile.timeDeltas.length) {
    let t = profile.startTime;
    const { samples, timeDeltas } = profile;
    for (let i = 0; i < samples.length; i++) {
      t += timeDeltas[i] as number;
      const next = (timeDeltas[i + 1] as number | undefined) ?? 0;
      if (t < fromUs) continue;
      const id = samples[i] as number;
      msByNode.set(id, (msByNode.get(id) ?? 0) + next / 1000);
    }
  } else {
    const totalSamples = profile.nodes.reduce((n, node) => n + (node.hitCount ?? 0), 0);
    const msPerSample = totalSamples ? (profile.endTime - profile.startTime) / 1000 / totalSamples : 0;
    for (const node of profile.nodes) msByNode.set(node.id, (node.hitCount ?? 0) * msPerSample);
  }
  const byFunction = new Map<string, ProfileRow>();
  const byOrigin = new Map<string, ProfileRow>();
  let idleMs = 0;
  let busyMs = 0;
  for (const node of profile.nodes) {
    const ms = msByNode.get(node.id) ?? 0;
    if (ms === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const name = functionName || '(anonymous)';
    if (name === '(idle)') {
      idleMs += ms;
      continue;
    }
    busyMs += ms;
    const key = `${name}@${url}:${lineNumber}`;
    const row = byFunction.get(key) ?? { name, where: shortWhere(url, lineNumber), selfMs: 0, pct: 0, usPerRequest: NaN };
    row.selfMs += ms;
    byFunction.set(key, row);
    const o = origin(url, name);
    const orow = byOrigin.get(o) ?? { name: o, where: '', selfMs: 0, pct: 0, usPerRequest: NaN };
    orow.selfMs += ms;
    byOrigin.set(o, orow);
  }
  const rank = (rows: Iterable<ProfileRow>): ProfileRow[] =>
    [...rows]
      .map((r) => ({ ...r, pct: busyMs ? (100 * r.selfMs) / busyMs : 0, usPerRequest: requests > 0 ? (1000 * r.selfMs) / requests : NaN }))
      .sort((a, b) => b.selfMs - a.selfMs);

  // Inclusive time of src/ functions: every sample counts once for each distinct such function
  // on its stack (recursion is not double-counted).
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const c of node.children ?? []) parent.set(c, node.id);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const inclusive = new Map<string, ProfileRow>();
  for (const node of profile.nodes) {
    const ms = msByNode.get(node.id) ?? 0;
    if (ms === 0 || node.callFrame.functionName === '(idle)') continue;
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const f = (byId.get(id) as CpuProfileNode).callFrame;
      if (!/\/src\//.test(f.url) || /node_modules/.test(f.url)) continue;
      const key = `${f.functionName}@${f.url}:${f.lineNumber}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const row = inclusive.get(key) ?? { name: f.functionName || '(anonymous)', where: shortWhere(f.url, f.lineNumber), selfMs: 0, pct: 0, usPerRequest: NaN };
      row.selfMs += ms;
      inclusive.set(key, row);
    }
  }
  return {
    file,
    busyMs,
    idleMs,
    requests,
    functions: rank(byFunction.values()).slice(0, top),
    origins: rank(byOrigin.values()).slice(0, 15),
    ownInclusive: rank(inclusive.values()).slice(0, 12),
  };
}

export function formatProfile(s: ProfileSummary, title: string): string {
  const per = (r: ProfileRow): string => (Number.isFinite(r.usPerRequest) ? `${r.usPerRequest.toFixed(1).padStart(6)} µs/req` : '');
  const total = s.requests > 0 ? `, ${((1000 * s.busyMs) / s.requests).toFixed(0)} µs per request served (${s.requests} requests)` : '';
  const lines = [`${title}: ${s.busyMs.toFixed(0)} ms busy, ${s.idleMs.toFixed(0)} ms idle${total} (${s.file})`, '  self time by origin:'];
  for (const r of s.origins) lines.push(`    ${r.pct.toFixed(1).padStart(5)} % ${per(r)}  ${r.name}`);
  lines.push('  top functions by self time:');
  for (const r of s.functions) lines.push(`    ${r.pct.toFixed(1).padStart(5)} % ${per(r)}  ${r.name.padEnd(36)} ${r.where}`);
  if (s.ownInclusive.length) {
    lines.push('  logoutd functions (src/) by inclusive time:');
    for (const r of s.ownInclusive) lines.push(`    ${r.pct.toFixed(1).padStart(5)} % ${per(r)}  ${r.name.padEnd(36)} ${r.where}`);
  }
  return lines.join('\n');
}
