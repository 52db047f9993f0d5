// npm run test:soak — 60 s at ~70 % of the measured maximum (SOAK_SECONDS to change it).

import t from 'tap';
import { soak } from './soak.js';

t.test('soak', { timeout: 300_000 }, async (t) => {
  const seconds = Number(process.env.SOAK_SECONDS ?? 60);
  const r = await soak(seconds, (line) => t.comment(line));
  t.comment(JSON.stringify(r));
  t.equal(r.errors, 0, 'zero errors');
  t.equal(r.non2xx, 0, 'zero non-2xx');
  t.ok(r.rssGrowthPct < 10, `RSS growth after warm-up ${r.rssGrowthPct.toFixed(1)} % (< 10 %)`);
  t.comment(`event-loop delay p99 ${r.p99DelayMs.toFixed(1)} ms, max ${r.maxDelayMs.toFixed(1)} ms`);
});
