// The Session JSON of SPEC §5.5 (Kratos's shape). `active` is computed; tokens never appear.

import type { IdentityJson } from '../identities/identities.js';
import type { SessionRecord } from '../store/store.js';

export interface SessionJson {
  id: string;
  active: boolean;
  expires_at: string;
  authenticated_at: string;
  issued_at: string;
  authenticator_assurance_level: 'aal1';
  authentication_methods: Array<{ method: 'password'; aal: 'aal1'; completed_at: string }>;
  identity?: IdentityJson;
  devices: Array<{ id: string; ip_address: string; user_agent: string; location: string }>;
}

export function toSessionJson(session: SessionRecord, identity: IdentityJson | undefined, now: number): SessionJson {
  const authenticatedAt = new Date(session.authenticatedAt).toISOString();
  return {
    id: session.id,
    active: session.revokedAt === null && session.expiresAt > now,
    expires_at: new Date(session.expiresAt).toISOString(),
    authenticated_at: authenticatedAt,
    issued_at: new Date(session.issuedAt).toISOString(),
    authenticator_assurance_level: 'aal1',
    authentication_methods: [{ method: 'password', aal: 'aal1', completed_at: authenticatedAt }],
    ...(identity ? { identity } : {}),
    // One device per session: the one that signed in. Its id is derived so it is stable.
    devices: [{ id: session.id, ip_address: session.ip, user_agent: session.userAgent, location: '' }],
  };
}

/**
 * The same Session JSON as text, for whoami (the most frequent call of all): written directly
 * rather than built as an object and serialised, with the identity's JSON text cached by the
 * caller. Every string that is not ours to trust (IP, user agent) goes through JSON.stringify.
 * test/unit/session-json.test.ts holds it equal to toSessionJson for arbitrary records.
 */
export function sessionJsonText(session: SessionRecord, identityJsonText: string | undefined, now: number): string {
  const authenticatedAt = new Date(session.authenticatedAt).toISOString();
  const id = JSON.stringify(session.id);
  return (
    `{"id":${id},"active":${session.revokedAt === null && session.expiresAt > now}` +
    `,"expires_at":"${new Date(session.expiresAt).toISOString()}","authenticated_at":"${authenticatedAt}"` +
    `,"issued_at":"${new Date(session.issuedAt).toISOString()}","authenticator_assurance_level":"aal1"` +
    `,"authentication_methods":[{"method":"password","aal":"aal1","completed_at":"${authenticatedAt}"}]` +
    `,"devices":[{"id":${id},"ip_address":${JSON.stringify(session.ip)},"user_agent":${JSON.stringify(session.userAgent)},"location":""}]` +
    // Optional properties come after the required ones, as the schema serialiser orders them.
    (identityJsonText === undefined ? '}' : `,"identity":${identityJsonText}}`)
  );
}
