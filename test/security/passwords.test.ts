// Passwords (SPEC §5.4): stored only as salted scrypt hashes, never returned, and login with an
// unknown identifier costs about as much as a wrong password for a known one, so timing does not
// reveal which emails exist.

import t from 'tap';
import { scrypt, timingSafeEqual } from 'node:crypto';
import { ADMIN_IDENTITIES_PATH } from '../../src/admin/identity-routes.js';
import { LOGIN_API_PATH } from '../../src/flows/login/routes.js';
import { LOGIN_PATH } from '../../src/flows/login/login-flow.js';
import { WHOAMI_PATH } from '../../src/sessions/routes.js';
import { PASSWORD, createIdentity, loginNative, testApp } from '../helpers/app.js';

const SCRYPT_HASH = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9_-]+)\$([A-Za-z0-9_-]+)$/;

/** Recomputes scrypt with node:crypto from the stored parameters: an oracle independent of src. */
function scryptMatches(password: string, stored: string): Promise<boolean> {
  const m = SCRYPT_HASH.exec(stored);
  if (!m) return Promise.resolve(false);
  const [, n, r, p, salt, hash] = m as unknown as [string, string, string, string, string, string];
  const expected = Buffer.from(hash, 'base64url');
  return new Promise((resolve, reject) =>
    scrypt(password, Buffer.from(salt, 'base64url'), expected.length, { N: Number(n), r: Number(r), p: Number(p), maxmem: 256 * 1024 * 1024 }, (err, key) =>
      err ? reject(err) : resolve(timingSafeEqual(key, expected)),
    ),
  );
}

type Test = Parameters<Parameters<typeof t.test>[0]>[0];

function assertNoCredential(t: Test, body: string, hash: string, label: string): void {
  t.notMatch(body, /scrypt\$/, `${label}: no scrypt hash`);
  t.notMatch(body, /"credentials"|"password_hash"|"passwordHash"|"hashed_password"/, `${label}: no credentials field`);
  t.notOk(body.includes(hash.split('$').pop() as string), `${label}: not the stored key`);
  t.notOk(body.includes(PASSWORD), `${label}: not the password`);
}

t.test('passwords are stored only as salted scrypt hashes', async (t) => {
  const app = await testApp({ rate_limit: { enabled: false } });
  t.teardown(() => app.close());
  const a = await createIdentity(app, 'same-password-a@example.com', PASSWORD);
  const b = await createIdentity(app, 'same-password-b@example.com', PASSWORD);
  const recordA = await app.context.store.getIdentity(a.id);
  const recordB = await app.context.store.getIdentity(b.id);
  const hashA = recordA?.passwordHash ?? '';
  const hashB = recordB?.passwordHash ?? '';

  for (const [name, hash] of [['a', hashA], ['b', hashB]] as const) {
    const m = SCRYPT_HASH.exec(hash);
    t.ok(m, `identity ${name}: the stored credential is a scrypt hash string`);
    if (!m) continue;
    const [, n, r, p, salt, key] = m as unknown as [string, string, string, string, string, string];
    t.ok(Number(n) >= 2 ** 14 && (Number(n) & (Number(n) - 1)) === 0, `identity ${name}: N = ${n} is a power of two ≥ 2^14`);
    t.ok(Number(r) >= 8, `identity ${name}: r = ${r} ≥ 8`);
    t.ok(Number(p) >= 1, `identity ${name}: p = ${p} ≥ 1`);
    t.ok(Buffer.from(salt, 'base64url').length >= 16, `identity ${name}: salt of ≥ 16 bytes`);
    t.ok(Buffer.from(key, 'base64url').length >= 32, `identity ${name}: derived key of ≥ 32 bytes`);
    t.notOk(hash.includes(PASSWORD), `identity ${name}: the password is not in the hash`);
    t.ok(await scryptMatches(PASSWORD, hash), `identity ${name}: the hash is scrypt(password, salt) (checked with node:crypto)`);
    t.notOk(await scryptMatches(`${PASSWORD}!`, hash), `identity ${name}: and not of another password`);
  }
  t.not(hashA, hashB, 'the same password gives different hashes');
  t.not(SCRYPT_HASH.exec(hashA)?.[4], SCRYPT_HASH.exec(hashB)?.[4], 'because the salts differ');
  t.notOk(JSON.stringify(recordA).includes(PASSWORD), 'the password appears nowhere in the stored identity');

  // The hash never leaves the server: identity JSON from the admin API and from whoami.
  const admin = await app.admin.inject({ method: 'GET', url: `${ADMIN_IDENTITIES_PATH}/${a.id}` });
  t.equal(admin.statusCode, 200);
  assertNoCredential(t, admin.body, hashA, 'GET /admin/identities/:id');
  const created = await app.admin.inject({
    method: 'POST',
    url: ADMIN_IDENTITIES_PATH,
    payload: { schema_id: 'default', traits: { email: 'created@example.com' }, credentials: { password: { config: { password: 'another-password' } } } },
  });
  assertNoCredential(t, created.body, hashA, 'the 201 of createIdentity');
  t.notMatch(created.body, 'another-password', 'the 201 of createIdentity does not echo its password');
  const { session_token: token } = await loginNative(app, 'same-password-a@example.com');
  const whoami = await app.public.inject({ method: 'GET', url: WHOAMI_PATH, headers: { 'x-session-token': token } });
  assertNoCredential(t, whoami.body, hashA, 'whoami');
});

t.test('an identity without a password cannot log in with any', async (t) => {
  const app = await testApp({ rate_limit: { enabled: false } });
  t.teardown(() => app.close());
  const res = await app.admin.inject({ method: 'POST', url: ADMIN_IDENTITIES_PATH, payload: { schema_id: 'default', traits: { email: 'nopass@example.com' } } });
  t.equal(res.statusCode, 201);
  t.equal((await app.context.store.getIdentity((res.json() as { id: string }).id))?.passwordHash, null, 'no hash stored');
  const flow = (await app.public.inject({ method: 'GET', url: LOGIN_API_PATH })).json() as { id: string };
  for (const password of ['', 'null', 'undefined', PASSWORD]) {
    const login = await app.public.inject({ method: 'POST', url: `${LOGIN_PATH}?flow=${flow.id}`, payload: { method: 'password', identifier: 'nopass@example.com', password } });
    t.equal(login.statusCode, 400, `password ${JSON.stringify(password)} is refused`);
  }
});

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

t.test('an unknown identifier costs about as much as a wrong password', async (t) => {
  const app = await testApp({ rate_limit: { enabled: false } });
  t.teardown(() => app.close());
  await createIdentity(app, 'known@example.com');
  const flow = (await app.public.inject({ method: 'GET', url: LOGIN_API_PATH })).json() as { id: string };
  const attempt = async (identifier: string): Promise<number> => {
    const started = process.hrtime.bigint();
    const res = await app.public.inject({ method: 'POST', url: `${LOGIN_PATH}?flow=${flow.id}`, payload: { method: 'password', identifier, password: 'not-the-password' } });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    t.equal(res.statusCode, 400, `${identifier}: refused`);
    return ms;
  };
  // Warm up both paths (the dummy hash is computed on first use).
  await attempt('known@example.com');
  await attempt('warmup-unknown@example.com');

  const known: number[] = [];
  const unknown: number[] = [];
  // Interleaved, so a slow patch of a shared machine hits both series alike.
  for (let i = 0; i < 11; i++) {
    known.push(await attempt('known@example.com'));
    unknown.push(await attempt(`unknown-${i}@example.com`));
  }
  const k = median(known);
  const u = median(unknown);
  t.comment(`median ms: known-user wrong password ${k.toFixed(1)}, unknown user ${u.toFixed(1)}`);
  t.ok(k >= 5, `a wrong password costs real hashing work (median ${k.toFixed(1)} ms ≥ 5 ms)`);
  t.ok(u >= 0.5 * k, `an unknown identifier takes ≥ 50% of a wrong password's time (${u.toFixed(1)} ms vs ${k.toFixed(1)} ms)`);
});
