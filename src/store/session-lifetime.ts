// How long a stored session record (and a login flow) lives. Shared by both stores so they agree exactly.

/** A revoked or expired session keeps a marker this long, so a repeated native logout is still 204. */
export const REVOKED_MARKER_MS = 3_600_000;

/**
 * When the record may be dropped: at least an hour past expiry, and at least an hour past
 * revocation (SPEC §5.3), so "known but inactive" never turns into "unknown" too early.
 */
export function markerExpiry(s: { expiresAt: number; revokedAt: number | null }): number {
  return Math.max(s.expiresAt + REVOKED_MARKER_MS, (s.revokedAt ?? 0) + REVOKED_MARKER_MS);
}

/**
 * A login flow is kept this long past its `expiresAt`, so a late submit or getLoginFlow is told
 * 410 self_service_flow_expired (SPEC §5.4) rather than 404: Kratos keeps expired flows, and
 * clients of the Ory SDKs key on 410 to start a new flow (found by test/sdk/). The routes decide
 * expiry from `expiresAt`; this is only how long the store remembers the flow.
 */
export const LOGIN_FLOW_RETENTION_MS = 3_600_000;

export function loginFlowExpiry(flow: { expiresAt: number }): number {
  return flow.expiresAt + LOGIN_FLOW_RETENTION_MS;
}
