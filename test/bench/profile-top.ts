// Prints the hot spots of one or more .cpuprofile files (see lib/profile.ts).
// Usage: node --import tsx test/bench/profile-top.ts bench-output/profiles/*.cpuprofile [--top N]

import { basename } from 'node:path';
import { formatProfile, summarizeProfile } from './lib/profile.js';

const argv = process.argv.slice(2);
const topAt = argv.indexOf('--top');
const top = topAt >= 0 ? Number(argv[topAt + 1]) : 25;
const files = argv.filter((_, i) => topAt < 0 || (i !== topAt && i !== topAt + 1));
if (files.length === 0) {
  process.stderr.write('usage: profile-top.ts FILE.cpuprofile… [--top N]\n');
  process.exit(2);
}
for (const file of files) process.stdout.write(`${formatProfile(summarizeProfile(file, top), basename(file))}\n\n`);
