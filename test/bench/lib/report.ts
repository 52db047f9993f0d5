// Turns measurements into what people read: the console table, the §13 ratio checks, a Markdown
// version for the README, and a hand-written SVG bar chart.

import { median, type LoadResult } from './load.js';

export type ContenderId = 'logoutd' | 'read-ceiling' | 'revoke-ceiling' | 'floor' | 'express';

export const CONTENDER_LABEL: Record<ContenderId, string> = {
  logoutd: 'logoutd (redis store)',
  'read-ceiling': 'fastify read ceiling',
  'revoke-ceiling': 'fastify revoke ceiling',
  floor: 'bare fastify, mandated work only',
  express: 'express + express-session',
};

export interface OpSummary {
  id: string;
  label: string;
  contender: ContenderId;
  kind: 'read' | 'revoke';
  /** Medians over the measured rounds. */
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  /** Median share of CPU used by processes outside the benchmark during the rounds. */
  foreignCpu: number;
  /** Median CPU time per 2xx response, µs, of the server process and of redis-server. */
  serverCpuUs: number;
  redisCpuUs: number;
  /** Any round with non-2xx responses, errors, timeouts, or a pool that ran dry. */
  flagged: boolean;
  notes: string[];
  rounds: LoadResult[];
}

export interface RatioCheck {
  name: string;
  value: number;
  /** e.g. "≥ 0.8" */
  target: string;
  pass: boolean;
  /** One of the two measurements had errors: the ratio is not trustworthy. */
  flagged: boolean;
}

function fmtInt(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '—';
}

function fmtMs(n: number): string {
  return Number.isFinite(n) ? n.toFixed(2) : '—';
}

export function verdict(r: RatioCheck): string {
  return `${r.pass ? 'PASS' : 'FAIL'}${r.flagged ? ' (flagged: errors in a run)' : ''}`;
}

/**
 * a's metric over b's, as the median of the per-round ratios. Rounds are interleaved, so a and b
 * of one round ran within seconds of each other: on a VM whose speed drifts by ±20 % over tens of
 * seconds (seen here, with nothing else running), pairing them cancels most of the drift that a
 * ratio of the two medians would keep.
 */
export function pairedRatio(a: OpSummary, b: OpSummary, metric: 'rps' | 'p99'): number {
  const n = Math.min(a.rounds.length, b.rounds.length);
  if (n === 0) return a[metric] / b[metric];
  return median(Array.from({ length: n }, (_, r) => (a.rounds[r] as LoadResult)[metric] / (b.rounds[r] as LoadResult)[metric]));
}

export function computeRatios(ops: Map<string, OpSummary>): RatioCheck[] {
  const out: RatioCheck[] = [];
  // A run limited with --only leaves some operations out; their checks are left out too.
  const check = (id: string, otherId: string, name: string, target: number, metric: 'rps' | 'p99'): void => {
    const a = ops.get(id);
    const b = ops.get(otherId);
    if (!a || !b) return;
    const atLeast = metric === 'rps';
    const value = pairedRatio(a, b, metric);
    out.push({ name, value, target: `${atLeast ? '≥' : '≤'} ${target}`, pass: Number.isFinite(value) && (atLeast ? value >= target : value <= target), flagged: a.flagged || b.flagged });
  };
  for (const id of ['createBrowserLogoutFlow', 'whoami']) {
    check(id, 'ceiling.read', `${id} / read ceiling (req/s)`, 0.8, 'rps');
    check(id, 'express.read', `${id} / express-session read (req/s)`, 4, 'rps');
    check(id, 'ceiling.read', `${id} p99 / read ceiling p99`, 2, 'p99');
  }
  for (const id of ['updateLogoutFlow', 'performNativeLogout']) {
    check(id, 'ceiling.revoke', `${id} / revoke ceiling (req/s)`, 0.7, 'rps');
    check(id, 'express.destroy', `${id} / express-session destroy (req/s)`, 2.5, 'rps');
    check(id, 'ceiling.revoke', `${id} p99 / revoke ceiling p99`, 2, 'p99');
  }
  return out;
}

/**
 * Where the revocations' gap to the ceiling comes from (informational, not §13 targets): the
 * bare-fastify floors (servers/floor.ts) do only what the contract makes each revocation do, so
 * floor / ceiling is what the contract costs and logoutd / floor what logoutd's HTTP layer adds.
 */
export function floorRatios(ops: Map<string, OpSummary>): Array<{ name: string; value: number; cpuUs: number; otherCpuUs: number }> {
  const rows: Array<{ name: string; value: number; cpuUs: number; otherCpuUs: number }> = [];
  const pairs: Array<[string, string, string]> = [
    ['floor.body', 'ceiling.revoke', 'JSON body + DEL / revoke ceiling'],
    ['floor.native', 'ceiling.revoke', 'native-logout floor / revoke ceiling'],
    ['floor.browser', 'ceiling.revoke', 'browser-logout floor / revoke ceiling'],
    ['performNativeLogout', 'floor.native', 'performNativeLogout / native-logout floor'],
    ['updateLogoutFlow', 'floor.browser', 'updateLogoutFlow / browser-logout floor'],
  ];
  for (const [a, b, name] of pairs) {
    const x = ops.get(a);
    const y = ops.get(b);
    if (x && y) rows.push({ name, value: pairedRatio(x, y, 'rps'), cpuUs: x.serverCpuUs, otherCpuUs: y.serverCpuUs });
  }
  return rows;
}

export function textFloors(rows: ReturnType<typeof floorRatios>): string {
  return pad(
    [['ratio (req/s, same run)', 'value', 'server µs/req'], ...rows.map((r) => [r.name, Number.isFinite(r.value) ? r.value.toFixed(2) : '—', `${fmtInt(r.cpuUs)} vs ${fmtInt(r.otherCpuUs)}`])],
    [false, true, true],
  );
}

/**
 * The same comparisons in CPU cost per response (server + redis-server CPU time; the comparison
 * is ceiling / logoutd, so like the req/s ratios higher is better). A busy machine shifts req/s a
 * lot and CPU per request much less, so this is the view to trust when "other CPU" is high.
 */
export function cpuCostRatios(ops: Map<string, OpSummary>): Array<{ name: string; logoutdUs: number; otherUs: number; value: number; target: number }> {
  const cost = (o: OpSummary | undefined): number => (o ? o.serverCpuUs + o.redisCpuUs : NaN);
  const rows: Array<{ name: string; logoutdUs: number; otherUs: number; value: number; target: number }> = [];
  const pairs: Array<[string, string, string, number]> = [
    ['createBrowserLogoutFlow', 'ceiling.read', 'read ceiling', 0.8],
    ['createBrowserLogoutFlow', 'express.read', 'express-session read', 4],
    ['whoami', 'ceiling.read', 'read ceiling', 0.8],
    ['whoami', 'express.read', 'express-session read', 4],
    ['updateLogoutFlow', 'ceiling.revoke', 'revoke ceiling', 0.7],
    ['updateLogoutFlow', 'express.destroy', 'express-session destroy', 2.5],
    ['performNativeLogout', 'ceiling.revoke', 'revoke ceiling', 0.7],
    ['performNativeLogout', 'express.destroy', 'express-session destroy', 2.5],
  ];
  for (const [a, b, label, target] of pairs) {
    const l = cost(ops.get(a));
    const o = cost(ops.get(b));
    if (!ops.has(a) || !ops.has(b)) continue;
    rows.push({ name: `${a} vs ${label}`, logoutdUs: l, otherUs: o, value: o / l, target });
  }
  return rows;
}

export function textCpuCost(rows: ReturnType<typeof cpuCostRatios>): string {
  return pad(
    [
      ['CPU per 2xx response (server + redis)', 'logoutd µs', 'other µs', 'other/logoutd', '(req/s target)'],
      ...rows.map((r) => [r.name, fmtInt(r.logoutdUs), fmtInt(r.otherUs), Number.isFinite(r.value) ? r.value.toFixed(2) : '—', `≥ ${r.target}`]),
    ],
    [false, true, true, true, false],
  );
}

function pad(cells: string[][], alignRight: boolean[]): string {
  const widths = cells[0]?.map((_, c) => Math.max(...cells.map((row) => (row[c] ?? '').length))) ?? [];
  return cells.map((row) => row.map((cell, c) => (alignRight[c] ? cell.padStart(widths[c] ?? 0) : cell.padEnd(widths[c] ?? 0))).join('  ')).join('\n');
}

export function opRows(ops: OpSummary[]): string[][] {
  return ops.map((o) => [
    `${o.flagged ? '! ' : ''}${o.label}`,
    fmtInt(o.rps),
    fmtMs(o.p50),
    fmtMs(o.p99),
    String(o.non2xx + o.errors),
    fmtInt(o.serverCpuUs),
    fmtInt(o.redisCpuUs),
    Number.isFinite(o.foreignCpu) ? `${(o.foreignCpu * 100).toFixed(0)} %` : '—',
  ]);
}

export function textTable(ops: OpSummary[]): string {
  const head = ['operation', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx+errors', 'server µs/req', 'redis µs/req', 'other CPU'];
  return pad([head, ...opRows(ops)], [false, true, true, true, true, true, true, true]);
}

export function textRatios(ratios: RatioCheck[]): string {
  return pad(
    [['check', 'value', 'target', 'result'], ...ratios.map((r) => [r.name, r.value.toFixed(2), r.target, verdict(r)])],
    [false, true, false, false],
  );
}

export function markdown(ops: OpSummary[], ratios: RatioCheck[], caption: string, floors: ReturnType<typeof floorRatios> = []): string {
  const lines = [
    caption,
    '',
    '| operation | req/s | p50 (ms) | p99 (ms) | non-2xx / errors | server CPU µs/req | redis CPU µs/req | other CPU |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...opRows(ops).map((r) => `| ${r.join(' | ')} |`),
    '',
    '| §13 check | value | target | result |',
    '|---|---:|---|---|',
    ...ratios.map((r) => `| ${r.name} | ${r.value.toFixed(2)} | ${r.target} | ${verdict(r)} |`),
    ...(floors.length
      ? [
          '',
          '| where the revocations\' gap comes from (informational) | req/s ratio | server CPU µs/req |',
          '|---|---:|---:|',
          ...floors.map((r) => `| ${r.name} | ${Number.isFinite(r.value) ? r.value.toFixed(2) : '—'} | ${fmtInt(r.cpuUs)} vs ${fmtInt(r.otherCpuUs)} |`),
        ]
      : []),
  ];
  return lines.join('\n');
}

/** Greedy word wrap at `width` characters. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Bars of req/s per operation, grouped by contender; logoutd's bars carry their §13 ratios. */
export function svgChart(ops: OpSummary[], ratios: RatioCheck[], subtitle: string): string {
  const groups: ContenderId[] = ['logoutd', 'read-ceiling', 'revoke-ceiling', 'floor', 'express'];
  const bar = 86;
  const gap = 16;
  const groupGap = 40;
  /** Single-bar groups still need room for their (two-line) name. */
  const minGroup = 170;
  const left = 78;
  const top = 86;
  const plotH = 300;
  const bottom = 150;
  const colors = { read: '#3b82f6', revoke: '#f97316' } as const;
  const floorColor = '#fdba74';
  const max = Math.max(...ops.map((o) => (Number.isFinite(o.rps) ? o.rps : 0)), 1);
  const step = 10 ** Math.floor(Math.log10(max / 4));
  const tick = [1, 2, 2.5, 5, 10].map((m) => m * step).find((t) => max / t <= 6) ?? step * 10;
  // Headroom above the tallest bar for its value and ratio labels.
  const yMax = Math.ceil((max * 1.3) / tick) * tick;
  const y = (v: number): number => top + plotH - (v / yMax) * plotH;

  const parts: string[] = [];
  let x = left + 20;
  const ratioText = (id: string): string[] =>
    ratios
      .filter((r) => r.name.startsWith(`${id} /`))
      .map((r) => `${r.value.toFixed(2)}× ${r.name.includes('ceiling') ? 'ceiling' : 'express'} ${r.pass ? '✓' : '✗'}`);
  for (const g of groups) {
    const members = ops.filter((o) => o.contender === g);
    if (members.length === 0) continue;
    const natural = members.length * (bar + gap) - gap;
    const gx = x;
    x += Math.max(0, (minGroup - natural) / 2);
    for (const o of members) {
      const h = Number.isFinite(o.rps) ? top + plotH - y(o.rps) : 0;
      parts.push(`<rect x="${x}" y="${y(o.rps).toFixed(1)}" width="${bar}" height="${h.toFixed(1)}" fill="${o.contender === 'floor' ? floorColor : colors[o.kind]}"${o.flagged ? ' stroke="#dc2626" stroke-width="3"' : ''}><title>${esc(`${o.label}: ${fmtInt(o.rps)} req/s, p50 ${fmtMs(o.p50)} ms, p99 ${fmtMs(o.p99)} ms`)}</title></rect>`);
      parts.push(`<text x="${x + bar / 2}" y="${(y(o.rps) - 6).toFixed(1)}" text-anchor="middle" font-size="12">${fmtInt(o.rps)}</text>`);
      const name = o.label.replace(/^logoutd /, '').replace(/^express-session /, '').replace(/^fastify /, '');
      parts.push(`<text transform="translate(${x + bar / 2},${top + plotH + 12}) rotate(35)" font-size="11">${esc(name)}</text>`);
      ratioText(o.id).forEach((t, i) => {
        parts.push(`<text x="${x + bar / 2}" y="${(y(o.rps) - 22 - 13 * i).toFixed(1)}" text-anchor="middle" font-size="10" fill="#374151">${esc(t)}</text>`);
      });
      x += bar + gap;
    }
    x = Math.max(x - gap, gx + minGroup);
    const label = CONTENDER_LABEL[g];
    const words = label.split(' ');
    const half = Math.ceil(words.length / 2);
    // ~8 px per bold character: split the name over two lines only when it does not fit.
    const lines = label.length * 8 <= x - gx ? [label] : [words.slice(0, half).join(' '), words.slice(half).join(' ')];
    lines.forEach((line, i) => {
      parts.push(`<text x="${gx + (x - gx) / 2}" y="${top + plotH + bottom - 30 + 16 * i}" text-anchor="middle" font-size="13" font-weight="bold">${esc(line)}</text>`);
    });
    x += groupGap;
  }
  const width = x + 20;
  const height = top + plotH + bottom;
  const grid: string[] = [];
  for (let v = 0; v <= yMax; v += tick) {
    grid.push(`<line x1="${left}" x2="${width - 20}" y1="${y(v)}" y2="${y(v)}" stroke="#e5e7eb"/>`);
    grid.push(`<text x="${left - 8}" y="${y(v) + 4}" text-anchor="end" font-size="11">${fmtInt(v)}</text>`);
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${left}" y="26" font-size="17" font-weight="bold">logoutd vs ceilings vs express-session — 2xx req/s (median of rounds)</text>`,
    ...wrap(subtitle, Math.floor((width - left) / 6.2)).map((line, i) => `<text x="${left}" y="${44 + 13 * i}" font-size="11" fill="#4b5563">${esc(line)}</text>`),
    ...grid,
    `<line x1="${left}" x2="${left}" y1="${top}" y2="${top + plotH}" stroke="#9ca3af"/>`,
    `<text transform="translate(18,${top + plotH / 2}) rotate(-90)" text-anchor="middle" font-size="12">req/s</text>`,
    `<rect x="${width - 150}" y="${top - 4}" width="12" height="12" fill="${colors.read}"/><text x="${width - 132}" y="${top + 6}" font-size="11">read</text>`,
    `<rect x="${width - 90}" y="${top - 4}" width="12" height="12" fill="${colors.revoke}"/><text x="${width - 72}" y="${top + 6}" font-size="11">revoke</text>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}
