// Session and logout tokens: generation, the one-way digest the store keys sessions by, and
// constant-time comparisons. No token is ever stored or logged; only what this module derives.

import * as crypto from 'node:crypto';
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

// One-shot hashing (crypto.hash, Node ≥ 20.12) skips building a Hash object per call.
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'buffer') => Buffer }).hash;
const sha256 = oneShot ? (data: string): Buffer => oneShot('sha256', data, 'buffer') : (data: string): Buffer => createHash('sha256').update(data).digest();
import { customAlphabet } from 'nanoid';

export const SESSION_TOKEN_PREFIX = 'ory_st_';
export const LOGOUT_TOKEN_PREFIX = 'ory_lo_';
/** 32 characters of a 64-symbol alphabet = 192 bits (SPEC §2 asks for ≥ 190). */
const SESSION_TOKEN_RANDOM_LENGTH = 32;
const TOKEN_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_-';
const randomPart = customAlphabet(TOKEN_ALPHABET, SESSION_TOKEN_RANDOM_LENGTH);

/** Longest value we ever hash as a token: bounds work on hostile input. */
export const MAX_TOKEN_LENGTH = 256;

export function generateSessionToken(): string {
  return SESSION_TOKEN_PREFIX + randomPart();
}

/** Random URL-safe string for flow ids, CSRF tokens and error ids. */
export const randomId = customAlphabet(TOKEN_ALPHABET, 32);

export interface TokenDigest {
  /** Session id: the first 16 bytes of SHA-256(token), formatted as a UUID. */
  id: string;
  /** The other 16 bytes, base64url: kept in the record and compared in constant time. */
  check: string;
}

/**
 * Derives the session id and check value from a token (122 bits of id, 128 of check). The id is public (it appears in Session
 * JSON) but SHA-256 is one-way, so knowing it reveals nothing about the token; keying the store by
 * it gives one key per session and one round trip per lookup, by token or by id alike.
 */
export function digestToken(token: string): TokenDigest {
  const d = sha256(token);
  // Shape the id as an RFC 4122 version-4 UUID (6 fixed bits), as clients expect of session ids.
  const idBytes = Buffer.from(d.subarray(0, 16));
  idBytes[6] = ((idBytes[6] as number) & 0x0f) | 0x40;
  idBytes[8] = ((idBytes[8] as number) & 0x3f) | 0x80;
  const hex = idBytes.toString('hex');
  const id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
  return { id, check: d.subarray(16).toString('base64url') };
}

/** Cheap shape check before any hashing or store access. */
export function looksLikeSessionToken(value: string): boolean {
  return value.length > SESSION_TOKEN_PREFIX.length && value.length <= MAX_TOKEN_LENGTH && value.startsWith(SESSION_TOKEN_PREFIX);
}

/** SPEC §2: ory_lo_ + base64url(HMAC-SHA256(key = session token, message = "logout")). */
export function logoutTokenFor(sessionToken: string): string {
  return LOGOUT_TOKEN_PREFIX + createHmac('sha256', sessionToken).update('logout').digest('base64url');
}

/** Constant-time string equality (length leaks, which is public for every value we compare). */
export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  if (ab.length !== bb.length) {
    // Still spend a comparison so that length mismatches cost about the same.
    timingSafeEqual(ab, ab);
    return false;
  }
  return timingSafeEqual(ab, bb);
}
