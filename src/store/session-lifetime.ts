// How long a stored session record lives. Shared by both stores so they agree exactly.

/** A revoked or expired session keeps a marker this long, so a repeated native logout is still 204. */
export const REVOKED_MARKER_MS = 3_600_000;

/**
 * When the record may be dropped: at least an hour past expiry, and at least an hour past
 * revocation (SPEC §5.3), so "known but inactive" never turns into "unknown" too early.
 */
export function markerExpiry(s: { expiresAt: number; revokedAt: number | null }): number {
  return Math.max(s.expiresAt + REVOKED_MARKER_MS, (s.revokedAt ?? 0) + REVOKED_MARKER_MS);
}
