// Webhook signatures (SPEC §9): `logoutd-signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret,
// t + "." + body)>`. The timestamp is inside the MAC so a captured request cannot be replayed
// later with a fresh `t`; receivers check it against a tolerance window.

import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'logoutd-signature';
export const EVENT_ID_HEADER = 'logoutd-event-id';
/** What receivers should accept by default: five minutes either way. */
export const DEFAULT_TOLERANCE_SEC = 300;

function mac(secret: string, body: string, timeSec: number): string {
  return createHmac('sha256', secret).update(`${timeSec}.${body}`).digest('hex');
}

/** The header value for `body` signed at `timeSec` (unix seconds). */
export function sign(secret: string, body: string, timeSec: number): string {
  const t = Math.floor(timeSec);
  return `t=${t},v1=${mac(secret, body, t)}`;
}

/**
 * True when `header` carries a v1 signature of `body` by `secret` whose `t` is within
 * `toleranceSec` of `nowSec`. Several v1 entries are allowed (a sender rotating secrets may send
 * one per secret); any match passes. Malformed headers are simply false, never a throw.
 */
export function verify(
  secret: string,
  header: string | undefined,
  body: string,
  toleranceSec = DEFAULT_TOLERANCE_SEC,
  nowSec: number = Date.now() / 1000,
): boolean {
  if (typeof header !== 'string' || header.length > 4096) return false;
  let t: number | null = null;
  const candidates: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't' && /^\d{1,12}$/.test(value)) t = Number(value);
    else if (key === 'v1' && /^[0-9a-f]{64}$/.test(value)) candidates.push(value);
  }
  if (t === null || candidates.length === 0) return false;
  if (Math.abs(nowSec - t) > toleranceSec) return false;
  const expected = Buffer.from(mac(secret, body, t), 'hex');
  let ok = false;
  // Compare against every candidate (no early exit) so timing says nothing about which matched.
  for (const c of candidates) ok = timingSafeEqual(expected, Buffer.from(c, 'hex')) || ok;
  return ok;
}
