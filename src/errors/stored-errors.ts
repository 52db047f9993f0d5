// Stored errors for the error UI. Normally an error is kept in the store under a random id. When
// the store itself is down — exactly when browsers most need an explanation — the error is sealed
// into the id instead (HMAC-signed, time-limited), so the error UI still works without the store.

import { createHmac } from 'node:crypto';
import type { Store, StoredError } from '../store/store.js';
import { randomId, safeEqual } from '../sessions/tokens.js';

const SEALED_PREFIX = 'se1.';
/** Sealed ids travel in a URL; anything longer was not made here. */
export const MAX_ERROR_ID_LENGTH = 4096;

export interface ErrorStoreOptions {
  store: Store;
  /** The first signs sealed ids, all verify (same rotation as cookies). */
  secrets: string[];
  lifespanMs: number;
  clock: () => number;
}

function mac(secret: string, payload: string): string {
  return createHmac('sha256', secret).update(`logoutd-error:${payload}`).digest('base64url');
}

/** Stores the error and returns its id; falls back to a sealed id when the store fails. */
export async function saveError(options: ErrorStoreOptions, error: Record<string, unknown>, onStoreFailure?: (err: unknown) => void): Promise<string> {
  const createdAt = options.clock();
  const id = randomId();
  try {
    await options.store.putError({ id, error, createdAt }, options.lifespanMs);
    return id;
  } catch (err) {
    onStoreFailure?.(err);
    const payload = Buffer.from(JSON.stringify({ e: error, t: createdAt })).toString('base64url');
    return `${SEALED_PREFIX}${payload}.${mac(options.secrets[0] as string, payload)}`;
  }
}

/** The stored or sealed error behind an id, or null (unknown, expired, forged, malformed). */
export async function loadError(options: ErrorStoreOptions, id: string | undefined): Promise<StoredError | null> {
  if (!id || id.length > MAX_ERROR_ID_LENGTH) return null;
  if (!id.startsWith(SEALED_PREFIX)) return id.length <= 64 ? options.store.getError(id) : null;
  const [payload, signature] = id.slice(SEALED_PREFIX.length).split('.');
  if (!payload || !signature || !options.secrets.some((s) => safeEqual(mac(s, payload), signature))) return null;
  try {
    const { e, t } = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { e: Record<string, unknown>; t: number };
    if (typeof t !== 'number' || typeof e !== 'object' || e === null || t + options.lifespanMs <= options.clock()) return null;
    return { id, error: e, createdAt: t };
  } catch {
    return null;
  }
}
