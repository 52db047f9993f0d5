// Webhook signatures (SPEC §9): what a receiver checks, and every way a forged or replayed
// request must fail.

import t from 'tap';
import { createHmac } from 'node:crypto';
import { sign, verify } from '../../src/events/signature.js';

const SECRET = 'whsec-0123456789abcdef';
const BODY = JSON.stringify({ id: '1700000000000-0', type: 'session.revoked' });
const T = 1_767_225_600;

t.test('the header is t=<unix>,v1=<hex HMAC-SHA256(secret, t.body)>', async (t) => {
  const header = sign(SECRET, BODY, T);
  const expected = createHmac('sha256', SECRET).update(`${T}.${BODY}`).digest('hex');
  t.equal(header, `t=${T},v1=${expected}`);
  t.equal(sign(SECRET, BODY, T + 0.9), header, 'fractional seconds are truncated');
});

t.test('verifies with the secret', async (t) => {
  t.ok(verify(SECRET, sign(SECRET, BODY, T), BODY, 300, T));
  t.ok(verify(SECRET, ` t=${T} , v1=${sign(SECRET, BODY, T).split('v1=')[1]} `, BODY, 300, T), 'whitespace around parts is tolerated');
});

t.test('fails with another secret', async (t) => {
  t.notOk(verify('another-secret-of-some-length', sign(SECRET, BODY, T), BODY, 300, T));
});

t.test('fails when the body is altered', async (t) => {
  t.notOk(verify(SECRET, sign(SECRET, BODY, T), BODY.replace('revoked', 'created'), 300, T));
  t.notOk(verify(SECRET, sign(SECRET, BODY, T), `${BODY} `, 300, T));
});

t.test('fails when t is altered (the timestamp is inside the MAC)', async (t) => {
  const header = sign(SECRET, BODY, T);
  t.notOk(verify(SECRET, header.replace(`t=${T}`, `t=${T + 1}`), BODY, 300, T));
});

t.test('tolerance window', async (t) => {
  const header = sign(SECRET, BODY, T);
  t.ok(verify(SECRET, header, BODY, 300, T + 300), 'at the edge, late');
  t.ok(verify(SECRET, header, BODY, 300, T - 300), 'at the edge, early (clock skew)');
  t.notOk(verify(SECRET, header, BODY, 300, T + 301), 'too old: a replay');
  t.notOk(verify(SECRET, header, BODY, 300, T - 301), 'too far in the future');
  t.ok(verify(SECRET, sign(SECRET, BODY, Date.now() / 1000), BODY), 'defaults: now, five minutes');
});

t.test('any of several v1 entries may match (secret rotation)', async (t) => {
  const good = sign(SECRET, BODY, T).split('v1=')[1];
  const other = sign('old-secret-0123456789', BODY, T).split('v1=')[1];
  t.ok(verify(SECRET, `t=${T},v1=${other},v1=${good}`, BODY, 300, T));
  t.notOk(verify(SECRET, `t=${T},v1=${other}`, BODY, 300, T));
});

t.test('malformed headers are false, never a throw', async (t) => {
  const v1 = sign(SECRET, BODY, T).split('v1=')[1];
  for (const header of [undefined, '', 'garbage', `v1=${v1}`, `t=${T}`, `t=abc,v1=${v1}`, `t=${T},v1=${v1?.toUpperCase()}`, `t=${T},v1=${v1?.slice(2)}`, `t=${T},v0=${v1}`, 'x'.repeat(10_000)]) {
    t.notOk(verify(SECRET, header, BODY, 300, T), JSON.stringify(header?.slice(0, 40)));
  }
});
