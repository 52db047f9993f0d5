// The storage contract. Everything logoutd must share between instances goes through this
// interface; nothing outside src/store/ knows which implementation it holds.
//
// Conventions every implementation keeps (the contract suite in test/contract/ checks them):
// - "not found" is `null`; a store that cannot answer throws a StoreUnavailableError. A failure
//   must never look like "no session".
// - Times are epoch milliseconds. `now` is passed in, so expiry is testable without sleeping.
// - Tokens never reach the store: sessions are keyed by their id, which is derived one-way from
//   the token's SHA-256 digest (see sessions/tokens.ts), and the record keeps the digest's other
//   half for a constant-time check.

import type { WebhookQueue } from '../events/webhook-queue.js';

export interface SessionRecord {
  /** Public id (UUID form), derived from the first 16 bytes of SHA-256(token). */
  id: string;
  /** base64url of bytes 16..31 of SHA-256(token): verified after lookup by id. */
  check: string;
  identityId: string;
  issuedAt: number;
  authenticatedAt: number;
  expiresAt: number;
  /** Set once, when the session is revoked; never cleared. */
  revokedAt: number | null;
  ip: string;
  userAgent: string;
}

export interface IdentityRecord {
  id: string;
  schemaId: string;
  state: 'active' | 'inactive';
  traits: Record<string, unknown>;
  /** scrypt hash string, or null when the identity has no password. Never leaves the server. */
  passwordHash: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface LoginFlowRecord {
  id: string;
  type: 'api' | 'browser';
  issuedAt: number;
  expiresAt: number;
  requestUrl: string;
  /** Already validated and re-serialised; null means "use the default". */
  returnTo: string | null;
  /** For browser flows: the CSRF token the form must echo (the cookie carries its signed twin). */
  csrfToken: string;
  /** Last failure message to show on the UI, if any. */
  messages: Array<{ id: number; text: string; type: 'error' | 'info' | 'success' }>;
}

export interface StoredError {
  id: string;
  /** The error object as the envelope's `error` member. */
  error: Record<string, unknown>;
  createdAt: number;
}

export type RevocationReason =
  | 'logout_browser'
  | 'logout_api'
  | 'revoke_others'
  | 'revoke_one'
  | 'admin'
  | 'identity_deleted';

export interface LogoutEvent {
  /** Assigned by the store when appended (stream id); ignored on input. */
  id: string;
  type: 'session.revoked' | 'session.created';
  time: string;
  session_id: string;
  identity_id: string;
  reason?: RevocationReason;
  ip: string;
  user_agent: string;
}

/** What the request that caused an event looked like; copied into the event. */
export interface EventContext {
  ip: string;
  userAgent: string;
  now: number;
}

export type RevokeOutcome =
  /** This call moved the session from active to revoked and appended the event. */
  | { status: 'revoked'; session: SessionRecord }
  /** Already revoked or expired (marker still kept): nothing changed, no event. */
  | { status: 'inactive'; session: SessionRecord }
  /** No such session (or the check half did not match). */
  | { status: 'not_found' };

export interface Page<T> {
  items: T[];
  /** Opaque cursor for the next page, or null when this was the last. */
  next: string | null;
  total: number;
}

export interface Store {
  readonly kind: 'memory' | 'redis';

  // Sessions
  /** Stores a new session and its identity-index entry, and appends `session.created`. */
  createSession(session: SessionRecord, ctx: EventContext): Promise<void>;
  /** One round trip. Returns revoked/expired records too (callers decide what is active). */
  getSession(id: string): Promise<SessionRecord | null>;
  /**
   * Atomically revokes the session if it is active and `check` matches (null skips the check, for
   * admin paths), appending one `session.revoked` event with `reason` only when this call did it.
   */
  revokeSession(id: string, check: string | null, reason: RevocationReason, ctx: EventContext): Promise<RevokeOutcome>;
  /** Revokes every active session of the identity except `exceptId`; returns the ones this call revoked. */
  revokeIdentitySessions(identityId: string, exceptId: string | null, reason: RevocationReason, ctx: EventContext): Promise<SessionRecord[]>;
  /** The identity's sessions, newest first (issuedAt), including inactive ones still kept. */
  listIdentitySessions(identityId: string, now: number): Promise<SessionRecord[]>;
  /** Sets expiresAt (and the record's lifetime) of an active session; null when unknown or inactive. */
  extendSession(id: string, expiresAt: number, now: number): Promise<SessionRecord | null>;

  // Identities
  /** Returns false when the (lower-cased) email is already taken. */
  createIdentity(identity: IdentityRecord, emailKey: string): Promise<boolean>;
  getIdentity(id: string): Promise<IdentityRecord | null>;
  findIdentityByEmail(emailKey: string): Promise<IdentityRecord | null>;
  /** Deletes the identity and its email index; returns false when unknown. Sessions are revoked by the caller first. */
  deleteIdentity(id: string, emailKey: string): Promise<boolean>;
  /** Identity ids in creation order, for admin listings. */
  listIdentityIds(cursor: string | null, limit: number): Promise<Page<string>>;

  // Login flows
  putLoginFlow(flow: LoginFlowRecord): Promise<void>;
  getLoginFlow(id: string): Promise<LoginFlowRecord | null>;

  // Stored errors (error UI)
  putError(error: StoredError, ttlMs: number): Promise<void>;
  getError(id: string): Promise<StoredError | null>;

  // Events (audit trail)
  /** Appends an event outside a revocation (e.g. identity deletion summary); returns its id. */
  appendEvent(event: Omit<LogoutEvent, 'id'>): Promise<string>;
  /** Events strictly after `after` (null: the latest `limit`), oldest first. */
  readEvents(after: string | null, limit: number): Promise<LogoutEvent[]>;
  /** The webhook delivery queue over this store's events (one per store; see events/webhook-queue.ts). */
  webhookQueue(): WebhookQueue;

  // Generic counters with a fixed window (rate limiting)
  /** Increments `key` in a window of `windowMs`; returns the new count and ms until reset. */
  hit(key: string, windowMs: number, now: number): Promise<{ count: number; resetMs: number }>;

  /** Throws StoreUnavailableError unless the backend answers. */
  ping(): Promise<void>;
  /** Closes what the store opened (never a client that was passed in). */
  close(): Promise<void>;
}

export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
  constructor(message = 'store unavailable', options?: { cause?: unknown }) {
    super(message, options);
  }
}
