// Table tests for the JSON-or-browser decision (SPEC §3), plus a garbage fuzz loop and a
// differential check against a deliberately naive reference implementation.

import t from 'tap';
import { isJsonRequest } from '../../src/http/request-kind.js';

const CHROME =
  'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7';
const FIREFOX = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
const AXIOS = 'application/json, text/plain, */*';

// [name, content-type, accept, JSON?]
const cases: Array<[string, string | undefined, string | undefined, boolean]> = [
  // SPEC examples.
  ['Accept application/json', undefined, 'application/json', true],
  ['axios default', undefined, AXIOS, true],
  ['html before json, equal q', undefined, 'text/html,application/json', false],
  ['Chrome default', undefined, CHROME, false],
  ['Firefox default', undefined, FIREFOX, false],
  ['*/* alone', undefined, '*/*', false],
  ['no headers', undefined, undefined, false],
  ['empty Accept', undefined, '', false],
  ['json q higher', undefined, 'application/json;q=0.5, text/html;q=0.4', true],
  ['equal q, json more specific', undefined, 'text/*;q=0.5, application/json;q=0.5', true],
  ['equal q, html more specific', undefined, 'application/*;q=0.5, text/html;q=0.5', false],
  ['upper-case media type', undefined, 'APPLICATION/JSON', true],
  ['mixed case tie', undefined, 'Application/Json, Text/HTML', false],

  // Content-Type.
  ['Content-Type json', 'application/json', undefined, true],
  ['Content-Type json with charset', 'application/json; charset=utf-8', undefined, true],
  ['Content-Type upper case', 'APPLICATION/JSON', undefined, true],
  ['Content-Type with spaces', ' application/json ;charset=utf-8', undefined, true],
  ['Content-Type json beats browser Accept', 'application/json', CHROME, true],
  ['Content-Type jsonp is not json', 'application/jsonp', undefined, false],
  ['Content-Type +json is not json', 'application/json-patch+json', undefined, false],
  ['Content-Type form with browser Accept', 'application/x-www-form-urlencoded', CHROME, false],
  ['Content-Type form with json Accept', 'application/x-www-form-urlencoded', 'application/json', true],
  ['Content-Type truncated', 'application/js', undefined, false],

  // q values.
  ['invalid q counts as 0', undefined, 'application/json;q=abc, text/html;q=0.1', false],
  ['invalid q alone', undefined, 'application/json;q=abc', false],
  ['q above 1 counts as 0', undefined, 'application/json;q=2, text/html;q=0.5', false],
  ['q just above 1 counts as 0', undefined, 'application/json;q=1.0001, text/html;q=0.5', false],
  ['negative q counts as 0', undefined, 'application/json;q=-1, text/html;q=0.5', false],
  ['empty q counts as 0', undefined, 'application/json;q=, text/html;q=0.5', false],
  ['.5 is not a qvalue', undefined, 'application/json;q=.5, text/html;q=0.1', false],
  ['exponent is not a qvalue', undefined, 'application/json;q=1e0, text/html;q=0.1', false],
  ['q=0 never wins', undefined, 'application/json;q=0', false],
  ['q=0 exact beats */*', undefined, 'application/json;q=0, */*', false],
  ['tiny q still wins over refused html', undefined, 'text/html;q=0, application/json;q=0.001', true],
  ['html q lower', undefined, 'text/html;q=0.9, application/json', true],
  ['q=1.000 vs 0.999', undefined, 'application/json;q=1.000, text/html;q=0.999', true],
  ['0.50 equals 0.5', undefined, 'application/json;q=0.50, text/html;q=0.5', false],
  ['0.3 equals 0.30', undefined, 'application/json;q=0.3, text/html;q=0.30', false],
  ['upper-case Q', undefined, 'application/json;Q=0.5, text/html;q=0.4', true],
  ['first q counts', undefined, 'application/json;q=0.5;q=1, text/html;q=0.9', false],
  ['duplicate entries: higher q', undefined, 'application/json;q=0.1, application/json;q=0.9, text/html;q=0.5', true],

  // Wildcards and other types.
  ['application/* alone', undefined, 'application/*', true],
  ['text/* alone', undefined, 'text/*', false],
  ['text/plain only', undefined, 'text/plain', false],
  ['image only', undefined, 'image/png', false],
  ['json with media params', undefined, 'application/json; charset=utf-8', true],
  ['Java default with bare *', undefined, 'text/html, image/gif, image/jpeg, *; q=.2, */*; q=.2', false],

  // Whitespace and junk.
  ['spaces everywhere', undefined, ' application/json ; q = 0.8 , text/html ; q=0.7 ', true],
  ['tabs', undefined, 'application/json\t,\ttext/html;q=0.5', true],
  ['empty entries', undefined, ', , application/json ,', true],
  ['junk entry', undefined, 'garbage, application/json', true],
  ['spaces inside the type are junk', undefined, 'application / json', false],
  ['quoted comma is not a separator', undefined, 'application/json;q=0.5;ext="a,text/html,b", text/html;q=0.4', true],
  ['unterminated quote swallows the rest', undefined, 'application/json;ext="oops, text/html', true],
  ['junk after a quoted value belongs to no entry', undefined, 'text/plain;x="y" application/json', false],
  ['only separators', undefined, ',;=,;"\\', false],
  ['long junk then json', undefined, 'x'.repeat(100_000) + ',application/json', true],
  ['many semicolons then html', undefined, 'application/json;q=0.5' + ';'.repeat(100_000) + ',text/html', false],
  ['a run of quotes is one junk range', undefined, '"'.repeat(100_001) + ',application/json', true],
];

t.test('isJsonRequest table', async (t) => {
  for (const [name, contentType, accept, want] of cases) {
    t.equal(isJsonRequest(contentType, accept), want, name);
  }
});

/** Small seeded PRNG (mulberry32) so a failure can be reproduced. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

t.test('random garbage never throws', async (t) => {
  const rand = prng(0x5eed);
  const pieces = [',', ';', '=', '"', '\\', ' ', '\t', '*', '/', 'q', 'Q', '.', '0', '1', '5', '-', 'e',
    'application', 'json', 'text', 'html', '\u0000', '\u00ff', '\u2028', '\ud800', '😀'];
  const pick = (): string => pieces[Math.floor(rand() * pieces.length)] as string;
  let failure: string | null = null;
  for (let n = 0; n < 10_000 && failure === null; n++) {
    let accept = '';
    let contentType = '';
    const len = Math.floor(rand() * 40);
    for (let k = 0; k < len; k++) accept += pick();
    for (let k = 0; k < len % 7; k++) contentType += pick();
    try {
      const got = isJsonRequest(contentType, accept);
      if (typeof got !== 'boolean') failure = `non-boolean for ${JSON.stringify(accept)}`;
    } catch (err) {
      failure = `${JSON.stringify([contentType, accept])}: ${String(err)}`;
    }
  }
  t.equal(failure, null);
});

/** The SPEC §3 rule written as plainly as possible, for well-formed headers without quotes. */
function reference(accept: string): boolean {
  const best = { json: { s: 0, q: 0 }, html: { s: 0, q: 0 } };
  for (const entry of accept.split(',')) {
    const [range = '', ...params] = entry.split(';').map((p) => p.trim());
    const type = range.toLowerCase();
    let q = 1;
    const qp = params.find((p) => p.toLowerCase().startsWith('q='));
    if (qp !== undefined) {
      const v = qp.slice(2);
      q = /^\d+(\.\d*)?$/.test(v) && Number(v) <= 1 ? Number(v) : 0;
    }
    const js = type === 'application/json' ? 3 : type === 'application/*' ? 2 : type === '*/*' ? 1 : 0;
    const hs = type === 'text/html' ? 3 : type === 'text/*' ? 2 : type === '*/*' ? 1 : 0;
    if (js > best.json.s || (js === best.json.s && js > 0 && q > best.json.q)) best.json = { s: js, q };
    if (hs > best.html.s || (hs === best.html.s && hs > 0 && q > best.html.q)) best.html = { s: hs, q };
  }
  if (best.json.q === 0) return false;
  return best.json.q > best.html.q || (best.json.q === best.html.q && best.json.s > best.html.s);
}

t.test('agrees with a naive reference on well-formed headers', async (t) => {
  const rand = prng(42);
  const types = ['application/json', 'APPLICATION/Json', 'application/*', 'text/html', 'Text/HTML', 'text/*',
    '*/*', 'text/plain', 'application/xml', 'image/webp'];
  const qs = ['', ';q=0', ';q=1', ';q=0.5', ';q=0.50', ';q=0.8', ';q=0.9', ';q=1.0', ';q=0.001', ';q=bad', ';q=2', ' ; q=0.5'];
  let mismatch: string | null = null;
  for (let n = 0; n < 5_000 && mismatch === null; n++) {
    const count = 1 + Math.floor(rand() * 5);
    const entries: string[] = [];
    for (let k = 0; k < count; k++) {
      entries.push((types[Math.floor(rand() * types.length)] as string) + (qs[Math.floor(rand() * qs.length)] as string));
    }
    const accept = entries.join(rand() < 0.5 ? ',' : ', ');
    if (isJsonRequest(undefined, accept) !== reference(accept)) mismatch = accept;
  }
  t.equal(mismatch, null);
});
