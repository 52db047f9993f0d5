// The request-aware side of sessions: which credential a request carries, which session it
// authenticates, issuing and clearing the cookie, creating and revoking. Storage stays in Store.

import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config/schema.js';
import type { EventContext, RevocationReason, RevokeOutcome, SessionRecord, Store } from '../store/store.js';
import { digestToken, generateSessionToken, logoutTokenFor, looksLikeSessionToken, safeEqual, type TokenDigest } from './tokens.js';

export type CredentialSource = 'header' | 'cookie' | 'bearer';

export interface Credential {
  token: string;
  source: CredentialSource;
}

export interface Authenticated {
  credential: Credential;
  digest: TokenDigest;
  session: SessionRecord;
}

export interface SessionManagerOptions {
  store: Store;
  config: Config;
  clock: () => number;
}

const BEARER = /^bearer\s+(\S+)\s*$/i;

/** What a token derives to; cached because every request of a session recomputes the same. */
interface Derived {
  digest: TokenDigest;
  logoutToken: string | undefined;
}

/**
 * A bounded memo for pure, deterministic derivations only — cookie signature checks and token
 * digests — so a stale entry is impossible: the store stays the sole judge of whether a session
 * is alive. Two generations: when the young map is full it becomes the old one and the previous
 * old one is dropped whole. (Evicting one entry at a time from a Map was measurably slower: V8
 * has to skip the deleted slots at the front on every eviction.)
 */
class BoundedCache<V> {
  private young = new Map<string, V>();
  private old = new Map<string, V>();
  private readonly max: number;
  constructor(max: number) {
    this.max = max;
  }
  get(key: string): V | undefined {
    return this.young.get(key) ?? this.old.get(key);
  }
  set(key: string, value: V): void {
    if (this.young.size >= this.max) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(key, value);
  }
  delete(key: string): void {
    this.young.delete(key);
    this.old.delete(key);
  }
}

const DERIVATION_CACHE_SIZE = 10_000;

export class SessionManager {
  private readonly store: Store;
  private readonly clock: () => number;
  private readonly cookieName: string;
  private readonly cookieBase: { path: string; domain?: string; sameSite: 'lax' | 'strict' | 'none'; secure: boolean; httpOnly: true };
  private readonly persistent: boolean;
  /** The Set-Cookie value that clears the session cookie never changes: built once. */
  private readonly clearingCookie: string;
  private readonly unsigned = new BoundedCache<string>(DERIVATION_CACHE_SIZE);
  private readonly derived = new BoundedCache<Derived>(DERIVATION_CACHE_SIZE);
  readonly lifespanMs: number;

  constructor(options: SessionManagerOptions) {
    const { config } = options;
    const c = config.session.cookie;
    this.store = options.store;
    this.clock = options.clock;
    this.cookieName = c.name;
    this.persistent = c.persistent;
    this.lifespanMs = config.session.lifespan;
    this.cookieBase = {
      path: c.path,
      ...(c.domain ? { domain: c.domain } : {}),
      sameSite: c.same_site.toLowerCase() as 'lax' | 'strict' | 'none',
      secure: c.secure ?? !config.dev,
      httpOnly: true,
    };
    this.clearingCookie = [
      `${this.cookieName}=`,
      'Max-Age=0',
      ...(this.cookieBase.domain ? [`Domain=${this.cookieBase.domain}`] : []),
      `Path=${this.cookieBase.path}`,
      'Expires=Thu, 01 Jan 1970 00:00:00 GMT',
      'HttpOnly',
      ...(this.cookieBase.secure ? ['Secure'] : []),
      `SameSite=${c.same_site}`,
    ].join('; ');
  }

  /**
   * Digest (and, on demand, logout token) of a token, memoised for the reads a live session
   * repeats; a logout passes `remember: false`, since its session is about to end.
   */
  derive(token: string, remember = true): Derived {
    let d = this.derived.get(token);
    if (!d) {
      d = { digest: digestToken(token), logoutToken: undefined };
      if (remember) this.derived.set(token, d);
    }
    return d;
  }

  /** Drops what was memoised for a session that has just ended. */
  forget(credential: Credential, rawCookie: string | undefined): void {
    this.derived.delete(credential.token);
    if (rawCookie !== undefined) this.unsigned.delete(rawCookie);
  }

  rawCookie(request: FastifyRequest): string | undefined {
    return request.cookies[this.cookieName];
  }

  logoutToken(token: string, remember = true): string {
    const d = this.derive(token, remember);
    return (d.logoutToken ??= logoutTokenFor(token));
  }

  /**
   * The request's credential, in Kratos's order: X-Session-Token, then a validly signed session
   * cookie, then Authorization: Bearer. Malformed values are skipped, so garbage in one place
   * cannot hide a good credential in the next.
   */
  credentialOf(request: FastifyRequest, remember = true): Credential | null {
    const header = request.headers['x-session-token'];
    if (typeof header === 'string' && looksLikeSessionToken(header)) return { token: header, source: 'header' };
    const raw = request.cookies[this.cookieName];
    if (raw !== undefined && raw.length <= 1024) {
      const known = this.unsigned.get(raw);
      if (known !== undefined) return { token: known, source: 'cookie' };
      const unsigned = request.unsignCookie(raw);
      if (unsigned.valid && unsigned.value !== null && looksLikeSessionToken(unsigned.value)) {
        // Only validly signed cookies are remembered, so forged ones cannot fill the cache.
        if (remember) this.unsigned.set(raw, unsigned.value);
        return { token: unsigned.value, source: 'cookie' };
      }
    }
    const bearer = this.bearerToken(request);
    return bearer ? { token: bearer, source: 'bearer' } : null;
  }

  bearerToken(request: FastifyRequest): string | null {
    const auth = request.headers.authorization;
    if (typeof auth !== 'string' || auth.length > 1024) return null;
    const m = BEARER.exec(auth);
    return m && looksLikeSessionToken(m[1] as string) ? (m[1] as string) : null;
  }

  /** The active session the request authenticates, or null. One store round trip. */
  async authenticate(request: FastifyRequest): Promise<Authenticated | null> {
    const credential = this.credentialOf(request);
    if (!credential) return null;
    const found = await this.lookup(credential.token);
    if (!found || !this.isActive(found.session)) return null;
    return { credential, ...found };
  }

  /** The stored record for a token whatever its state (revoked and expired included), or null. */
  async lookup(token: string): Promise<{ digest: TokenDigest; session: SessionRecord } | null> {
    const digest = this.derive(token).digest;
    const session = await this.store.getSession(digest.id);
    if (!session || !safeEqual(session.check, digest.check)) return null;
    return { digest, session };
  }

  isActive(session: SessionRecord): boolean {
    return session.revokedAt === null && session.expiresAt > this.clock();
  }

  /** Issues a new session. `log` receives the audit line (login passes its request logger). */
  async create(identityId: string, ctx: EventContext, log?: FastifyBaseLogger): Promise<{ token: string; session: SessionRecord }> {
    const authenticatedAt = ctx.now;
    const token = generateSessionToken();
    const digest = digestToken(token);
    const session: SessionRecord = {
      id: digest.id,
      check: digest.check,
      identityId,
      issuedAt: ctx.now,
      authenticatedAt,
      expiresAt: ctx.now + this.lifespanMs,
      revokedAt: null,
      ip: ctx.ip,
      userAgent: ctx.userAgent,
    };
    await this.store.createSession(session, ctx);
    log?.info({ audit: { type: 'session.created', session_id: session.id, identity_id: identityId, ip: ctx.ip } }, 'session created');
    return { token, session };
  }

  /** Revokes exactly the session this digest names, and only if it still matches. */
  revoke(digest: TokenDigest, reason: RevocationReason, request: FastifyRequest): Promise<RevokeOutcome> {
    // A plain promise chain rather than an async function: this is every logout's hot path.
    return this.store.revokeSession(digest.id, digest.check, reason, eventContext(request, this.clock())).then((outcome) => {
      if (outcome.status === 'revoked') audit(request, outcome.session, reason);
      return outcome;
    });
  }

  /** Revokes a session by id (admin and revoke-one paths, where the caller was authorised). */
  async revokeById(id: string, reason: RevocationReason, request: FastifyRequest): Promise<RevokeOutcome> {
    const outcome = await this.store.revokeSession(id, null, reason, eventContext(request, this.clock()));
    if (outcome.status === 'revoked') audit(request, outcome.session, reason);
    return outcome;
  }

  /** Revokes every active session of an identity except `exceptId`; returns those this call revoked. */
  async revokeAllOf(identityId: string, exceptId: string | null, reason: RevocationReason, request: FastifyRequest): Promise<SessionRecord[]> {
    const revoked = await this.store.revokeIdentitySessions(identityId, exceptId, reason, eventContext(request, this.clock()));
    for (const session of revoked) audit(request, session, reason);
    return revoked;
  }

  setCookie(reply: FastifyReply, token: string, session: SessionRecord): void {
    const maxAge = Math.max(0, Math.floor((session.expiresAt - this.clock()) / 1000));
    reply.setCookie(this.cookieName, token, { ...this.cookieBase, signed: true, ...(this.persistent ? { maxAge } : {}) });
  }

  /** Repeats the cookie's Name/Path/Domain with Max-Age=0 and a past Expires. */
  clearCookie(reply: FastifyReply): void {
    reply.header('set-cookie', this.clearingCookie);
  }

  hasSessionCookie(request: FastifyRequest): boolean {
    return request.cookies[this.cookieName] !== undefined;
  }
}

/** The structured log line that mirrors each revocation event (SPEC §9: the audit trail is logged too). */
function audit(request: FastifyRequest, session: SessionRecord, reason: RevocationReason): void {
  request.log.info({ audit: { type: 'session.revoked', session_id: session.id, identity_id: session.identityId, reason, ip: request.ip } }, 'session revoked');
}

/** The request details copied into events. */
export function eventContext(request: FastifyRequest, now: number): EventContext {
  const ua = request.headers['user-agent'];
  return { ip: request.ip, userAgent: typeof ua === 'string' ? ua.slice(0, 512) : '', now };
}
