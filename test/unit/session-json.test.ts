// whoami writes the Session JSON as text (sessionJsonText) instead of serialising an object
// through the response schema. It must be the very bytes the schema serialiser would write for
// toSessionJson — checked here with fast-json-stringify (what fastify uses) on generated records,
// including hostile user agents and IP strings, which must come out escaped and parse back intact.

import t from 'tap';
import fc from 'fast-check';
import fastJson from 'fast-json-stringify';
import { sessionSchema } from '../../src/http/schemas.js';
import { sessionJsonText, toSessionJson } from '../../src/sessions/session-json.js';
import type { SessionRecord } from '../../src/store/store.js';
import { Identities, type IdentityJson } from '../../src/identities/identities.js';
import { MemoryStore } from '../../src/store/memory-store.js';

const serialize = fastJson(sessionSchema as object);
const T0 = Date.UTC(2026, 0, 1);

// The identity's JSON exactly as whoami gets it: from Identities.toJsonText.
const identities = new Identities({ store: new MemoryStore({ maxEntries: 100, clock: () => T0 }), clock: () => T0, publicBaseUrl: 'http://127.0.0.1:4433' });
const identityRecord = await identities.create({ schema_id: 'default', traits: { email: 'zoe@example.com', name: { first: 'Zoë "q" \\', last: '</script>\u2028' } } });
const identity: IdentityJson = identities.toJson(identityRecord);
const identityText = identities.toJsonText(identityRecord);

const record = fc.record({
  id: fc.uuid(),
  check: fc.base64String(),
  identityId: fc.uuid(),
  issuedAt: fc.integer({ min: T0, max: T0 + 1e10 }),
  authOffset: fc.integer({ min: 0, max: 1e6 }),
  life: fc.integer({ min: -1e6, max: 1e9 }),
  revoked: fc.option(fc.integer({ min: 0, max: 1e6 })),
  ip: fc.oneof(fc.ipV4(), fc.ipV6(), fc.string()),
  userAgent: fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 50 }), fc.constantFrom('', '"', '\\', '\u2028\u2029', '\u0000\u001f', 'Mozilla/5.0 "quoted" \\ back')),
});

t.test('sessionJsonText is byte-for-byte the schema serialisation of toSessionJson', async (t) => {
  let checked = 0;
  fc.assert(
    fc.property(record, fc.boolean(), (r, withIdentity) => {
      const session: SessionRecord = {
        id: r.id,
        check: r.check,
        identityId: r.identityId,
        issuedAt: r.issuedAt,
        authenticatedAt: r.issuedAt + r.authOffset,
        expiresAt: r.issuedAt + r.life,
        revokedAt: r.revoked === null ? null : r.issuedAt + r.revoked,
        ip: r.ip,
        userAgent: r.userAgent,
      };
      const now = r.issuedAt + 1000;
      const expected = serialize(toSessionJson(session, withIdentity ? identity : undefined, now));
      const actual = sessionJsonText(session, withIdentity ? identityText : undefined, now);
      checked++;
      if (actual !== expected) throw new Error(`differs:\n${actual}\n${expected}`);
      // And it is JSON that gives back the hostile strings unchanged.
      const parsed = JSON.parse(actual) as { devices: Array<{ user_agent: string; ip_address: string }> };
      if (parsed.devices[0]?.user_agent !== session.userAgent || parsed.devices[0]?.ip_address !== session.ip) throw new Error('device strings changed');
    }),
    { numRuns: 2000 },
  );
  t.equal(checked, 2000, '2000 generated records, active and inactive, with and without identity');
});
