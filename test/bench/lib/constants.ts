// Names shared by the benchmark servers and the orchestrator that seeds their data. Kept apart
// from the server files so that importing them never starts a server.

/** Key prefix of the bare fastify ceilings' records. */
export const CEILING_PREFIX = 'ceil:';

export const EXPRESS_SECRET = 'express-benchmark-secret-0123456789abcdef';
export const EXPRESS_COOKIE = 'connect.sid';
/** connect-redis's default prefix, spelled out so seeding and serving agree. */
export const EXPRESS_PREFIX = 'sess:';
export const EXPRESS_MAX_AGE_MS = 24 * 3600 * 1000;

/** A 120-character user agent (SPEC §13's memory target is stated for this length). */
export const USER_AGENT_120 = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 logoutd-bench/1.00';
