// Identities: creation with validation and password hashing, lookup, deletion, and their JSON
// shape. Identities are immutable once created (logoutd has no update API), which is what makes
// the small in-process cache below coherent across instances: an entry can only become stale by
// deletion, and deletion revokes every session first, so no request reaches a stale identity.

import { randomUUID } from 'node:crypto';
import type { IdentityRecord, Store } from '../store/store.js';
import { HttpError, errors } from '../errors/http-error.js';
import { MAX_PASSWORD_LENGTH, dummyPasswordHash, hashPassword, verifyPassword } from './passwords.js';

export const DEFAULT_SCHEMA_ID = 'default';
const EMAIL = /^[^\s@"<>()[\]\\,;:]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;
const MAX_TRAITS_BYTES = 8 * 1024;
const CACHE_SIZE = 10_000;

export interface IdentityJson {
  id: string;
  schema_id: string;
  schema_url: string;
  state: 'active' | 'inactive';
  traits: Record<string, unknown>;
  metadata_public: null;
  created_at: string;
  updated_at: string;
}

export interface CreateIdentityInput {
  schema_id?: unknown;
  traits?: unknown;
  credentials?: unknown;
  state?: unknown;
}

export function emailKey(email: string): string {
  return email.trim().toLowerCase();
}

export class Identities {
  private readonly store: Store;
  private readonly clock: () => number;
  private readonly schemaUrl: string;
  private readonly cache = new Map<string, IdentityRecord>();
  /** JSON forms of cached identities (immutable too), so whoami does not rebuild them. */
  private readonly jsonCache = new WeakMap<IdentityRecord, IdentityJson>();
  private readonly jsonTextCache = new WeakMap<IdentityRecord, string>();

  constructor(options: { store: Store; clock: () => number; publicBaseUrl: string }) {
    this.store = options.store;
    this.clock = options.clock;
    this.schemaUrl = `${options.publicBaseUrl}/schemas/${Buffer.from(DEFAULT_SCHEMA_ID).toString('base64url')}`;
  }

  async create(input: CreateIdentityInput): Promise<IdentityRecord> {
    const schemaId = input.schema_id ?? DEFAULT_SCHEMA_ID;
    if (schemaId !== DEFAULT_SCHEMA_ID) throw errors.invalidRequest(`Unknown schema_id "${String(schemaId).slice(0, 64)}": only "default" exists.`);
    const traits = input.traits;
    if (typeof traits !== 'object' || traits === null || Array.isArray(traits)) throw errors.invalidRequest('traits must be an object.');
    if (JSON.stringify(traits).length > MAX_TRAITS_BYTES) throw errors.invalidRequest('traits are too large.');
    const email = (traits as Record<string, unknown>).email;
    if (typeof email !== 'string' || email.length > 254 || !EMAIL.test(email.trim())) throw errors.invalidRequest('traits.email must be a valid email address.');
    const state = input.state ?? 'active';
    if (state !== 'active' && state !== 'inactive') throw errors.invalidRequest('state must be "active" or "inactive".');
    const password = passwordOf(input.credentials);

    const now = this.clock();
    const identity: IdentityRecord = {
      id: randomUUID(),
      schemaId: DEFAULT_SCHEMA_ID,
      state,
      traits: { ...(traits as Record<string, unknown>), email: email.trim() },
      passwordHash: password === null ? null : await hashPassword(password),
      createdAt: now,
      updatedAt: now,
    };
    if (!(await this.store.createIdentity(identity, emailKey(email)))) {
      throw new HttpError(409, { reason: 'An identity with the same identifier (email) exists already.' });
    }
    return identity;
  }

  async get(id: string): Promise<IdentityRecord | null> {
    const cached = this.cache.get(id);
    if (cached) return cached;
    const identity = await this.store.getIdentity(id);
    if (identity) this.remember(identity);
    return identity;
  }

  /** Deletes the identity (its sessions must have been revoked by the caller). */
  async delete(identity: IdentityRecord): Promise<boolean> {
    this.cache.delete(identity.id);
    return this.store.deleteIdentity(identity.id, emailKey(String(identity.traits.email ?? '')));
  }

  /**
   * Checks a password login. Returns the identity, or null for any failure, after spending the
   * same hashing work whether or not the identifier exists.
   */
  async verifyLogin(identifier: string, password: string): Promise<IdentityRecord | null> {
    if (password.length > MAX_PASSWORD_LENGTH || identifier.length > 254) return null;
    const identity = await this.store.findIdentityByEmail(emailKey(identifier));
    const hash = identity?.passwordHash ?? (await dummyPasswordHash());
    const ok = await verifyPassword(password, hash);
    if (!ok || !identity || identity.passwordHash === null || identity.state !== 'active') return null;
    return identity;
  }

  toJson(identity: IdentityRecord): IdentityJson {
    const cached = this.jsonCache.get(identity);
    if (cached) return cached;
    const json: IdentityJson = {
      id: identity.id,
      schema_id: identity.schemaId,
      schema_url: this.schemaUrl,
      state: identity.state,
      traits: identity.traits,
      created_at: new Date(identity.createdAt).toISOString(),
      updated_at: new Date(identity.updatedAt).toISOString(),
      // Last, where the schema serialiser puts optional properties, so toJsonText gives its bytes.
      metadata_public: null,
    };
    this.jsonCache.set(identity, json);
    return json;
  }

  /** toJson as JSON text: identitySchema's keys in its serialiser's order, so the same bytes. */
  toJsonText(identity: IdentityRecord): string {
    let text = this.jsonTextCache.get(identity);
    if (text === undefined) this.jsonTextCache.set(identity, (text = JSON.stringify(this.toJson(identity))));
    return text;
  }

  private remember(identity: IdentityRecord): void {
    if (this.cache.size >= CACHE_SIZE) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    this.cache.set(identity.id, identity);
  }
}

function passwordOf(credentials: unknown): string | null {
  if (credentials === undefined || credentials === null) return null;
  if (typeof credentials !== 'object' || Array.isArray(credentials)) throw errors.invalidRequest('credentials must be an object.');
  const password = (credentials as { password?: { config?: { password?: unknown } } }).password?.config?.password;
  if (password === undefined) return null;
  if (typeof password !== 'string' || password.length === 0) throw errors.invalidRequest('credentials.password.config.password must be a non-empty string.');
  if (password.length > MAX_PASSWORD_LENGTH) throw errors.invalidRequest(`The password must be at most ${MAX_PASSWORD_LENGTH} characters.`);
  return password;
}
