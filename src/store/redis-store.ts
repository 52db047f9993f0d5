// The Redis implementation of the Store contract (standalone URL, Sentinel or Cluster, via ioredis),
// for production and for many stateless logoutd instances sharing one Redis.
//
// Key layout (everything under `keyPrefix`):
//   s:<sessionId>      string, compact session encoding (see encodeSession); PXAT = marker expiry;
//                      the id in key and index is its 22-character form (compactSessionId)
//   is:<identityId>    sorted set: member = session id, score = that session key's expiry (ms);
//                      entries below "now" are trimmed on every write/list; the key expires with
//                      its last entry
//   i:<identityId>     identity JSON
//   e:<emailKey>       identity id (unique email index)
//   ids                sorted set, all scores 0, member = <createdAt, 15 digits>:<id> (creation
//                      order, paged BYLEX so a cursor survives deletions and ties)
//   f:<flowId>         login flow JSON, PXAT = flow expiry
//   err:<errorId>      stored error JSON, PX = ttl
//   events             stream of LogoutEvent fields, MAXLEN ~ maxEvents; entry id = event id
//   rl:<key>           fixed-window counter
// No path ever uses KEYS or SCAN, and every script or MULTI touches keys of one hash slot only
// (the single-slot variants are chosen when the client is a Cluster).

import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { REVOKED_MARKER_MS, loginFlowExpiry } from './session-lifetime.js';
import { eventFields, parseEvent } from './event-fields.js';
import { RedisWebhookQueue } from '../events/redis-webhook-queue.js';
import {
  StoreUnavailableError,
  type EventContext,
  type IdentityRecord,
  type LoginFlowRecord,
  type LogoutEvent,
  type Page,
  type RevocationReason,
  type RevokeOutcome,
  type SessionRecord,
  type Store,
  type StoredError,
} from './store.js';

type Client = Redis | Cluster;

// ---------------------------------------------------------------------------------------------
// Session encoding
//
// One string per session, fields separated by "\n" (which no HTTP header value, base64url digest
// or generated id can contain), the unbounded user agent last so it needs no escaping:
//   expiresAt36 \n revokedAt36|"" \n check \n identityId \n issuedAt36 \n (authenticatedAt-issuedAt)36|"" \n ip \n userAgent
// Times are base-36 epoch ms (8 characters instead of 13). With a 120-character user agent and an
// IPv4 address the value is 209 bytes, which stays in jemalloc's 224-byte class. Measured per
// session key (20k keys, 120-char UA, UUID in the key): this string ~384 B; a hash with the UA as
// one field 901 B (a >64-byte value forces the hashtable encoding); the same hash with the UA split
// in two 60-byte fields 491 B; JSON 620 B. With the 22-character id form below and the identity
// index, the total is ~453 B/session at 100k sessions, ≤ 470 B at other sizes
// (test/bench/redis-memory.ts; SPEC §13 asks ≤ 512). The first four fields are what the Lua
// scripts need (expiry, revocation, check, identity for the event), so they sit first and the
// scripts only rewrite the head of the string.

const SEP = '\n';
const HEAD_FIELDS = 8;

function b36(n: number, field: string): string {
  if (!Number.isSafeInteger(n)) throw new TypeError(`session ${field} must be an integer epoch ms, got ${n}`);
  return n.toString(36);
}

let isoMs = NaN;
let isoText = '';
/** Event times (ISO 8601): under load many logouts share a millisecond, and so one string. */
function isoTime(ms: number): string {
  if (ms !== isoMs) {
    isoText = new Date(ms).toISOString();
    isoMs = ms;
  }
  return isoText;
}

/** An ip with a newline would shift the revoke script's packed fields (createSession refuses it too). */
function newlineInIp(): TypeError {
  return new TypeError('event ip must not contain a newline');
}

function noSep(value: string, field: string): string {
  if (value.includes(SEP)) throw new TypeError(`session ${field} must not contain a newline`);
  return value;
}

/** Compact, order-fixed encoding of a session record; the id lives in the key, not the value. */
export function encodeSession(s: SessionRecord): string {
  const authDelta = s.authenticatedAt - s.issuedAt;
  return [
    b36(s.expiresAt, 'expiresAt'),
    s.revokedAt === null ? '' : b36(s.revokedAt, 'revokedAt'),
    noSep(s.check, 'check'),
    noSep(s.identityId, 'identityId'),
    b36(s.issuedAt, 'issuedAt'),
    authDelta === 0 ? '' : b36(authDelta, 'authenticatedAt'),
    noSep(s.ip, 'ip'),
    s.userAgent,
  ].join(SEP);
}

/** Inverse of encodeSession; a value that does not parse is data corruption, not "not found". */
export function decodeSession(id: string, value: string): SessionRecord {
  const f: string[] = [];
  let pos = 0;
  for (let i = 0; i < HEAD_FIELDS - 1; i++) {
    const end = value.indexOf(SEP, pos);
    if (end < 0) throw new Error(`malformed session record for ${id}`);
    f.push(value.slice(pos, end));
    pos = end + 1;
  }
  const [exp, rev, check, identityId, iss, auth, ip] = f as [string, string, string, string, string, string, string];
  const expiresAt = parseInt(exp, 36);
  const issuedAt = parseInt(iss, 36);
  const revokedAt = rev === '' ? null : parseInt(rev, 36);
  const authenticatedAt = issuedAt + (auth === '' ? 0 : parseInt(auth, 36));
  if ([expiresAt, issuedAt, authenticatedAt, revokedAt ?? 0].some((n) => !Number.isSafeInteger(n))) {
    throw new Error(`malformed session record for ${id}`);
  }
  return { id, check, identityId, issuedAt, authenticatedAt, expiresAt, revokedAt, ip, userAgent: value.slice(pos) };
}

// Session ids are UUIDs made of 16 digest bytes. Keys and index members hold them as 22 base64url
// characters instead of 36: that keeps `<prefix>s:<id>` inside a 48-byte allocation and an index
// entry at 24 bytes instead of 38, ~30 B per session together. Any other string is kept verbatim
// behind "~" (outside the base64url alphabet), so the mapping stays one-to-one for every input.

/** Value of a lowercase hex digit by char code, -1 for anything else. */
const HEX_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < 16; i++) HEX_VALUE['0123456789abcdef'.charCodeAt(i)] = i;
/** Scratch space for the 16 id bytes; toString copies out of it before anyone else can write. */
const ID_BYTES = Buffer.alloc(16);

/** On every session command, so it parses the UUID form by hand rather than by regex and replace. */
export function compactSessionId(id: string): string {
  if (id.length !== 36) return `~${id}`;
  let byte = 0;
  for (let i = 0; i < 36; i++) {
    const c = id.charCodeAt(i);
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (c !== 45) return `~${id}`; // "-"
      continue;
    }
    const v = c < 128 ? (HEX_VALUE[c] as number) : -1;
    if (v < 0) return `~${id}`;
    if (byte % 2 === 0) ID_BYTES[byte >> 1] = v << 4;
    else ID_BYTES[byte >> 1] = (ID_BYTES[byte >> 1] as number) | v;
    byte++;
  }
  return ID_BYTES.toString('base64url');
}

export function expandSessionId(compact: string): string {
  if (compact.startsWith('~')) return compact.slice(1);
  const h = Buffer.from(compact, 'base64url').toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

// ---------------------------------------------------------------------------------------------
// Lua scripts. Each is registered once per client with defineCommand (EVALSHA, reloaded by
// ioredis after a Redis restart). Times come from the caller's `now` so both stores agree.

/** Splits the first n "\n"-terminated fields of a string; also returns where the rest starts. */
const LUA_HEAD = `
local function head(v, n)
  local out, pos = {}, 1
  for i = 1, n do
    local e = string.find(v, '\\n', pos, true)
    if not e then return nil end
    out[i] = string.sub(v, pos, e - 1)
    pos = e + 1
  end
  return out, pos
end
`;

/** Adds one session to an identity index, drops dead entries, and keeps the key alive as long as its newest entry. */
const LUA_IDX_ADD = `
local function idx_add(key, score, member, now)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. now)
  redis.call('ZADD', key, score, member)
  local top = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
  redis.call('PEXPIREAT', key, string.format('%.0f', tonumber(top[2])))
end
`;

const SCRIPTS = {
  /**
   * Revoke one session. KEYS[1] = session, KEYS[2] = event stream (standalone only).
   * ARGV[1] = hasCheck, check, now36, markerMs, maxEvents, each ending in "\n";
   * ARGV[2] = sessionId, reason, time, ip (each ending in "\n"), then the user agent.
   * Two packed arguments rather than ten: each argument costs the client a conversion and a
   * length on every logout, and the client's CPU, not Redis's, bounds logout throughput.
   * Returns {0} not found / check mismatch, {1, value} inactive, {2, value} revoked.
   */
  logoutdRevoke: {
    lua: `${LUA_HEAD}
local v = redis.call('GET', KEYS[1])
if not v then return {0} end
local f = head(v, 4)
if not f then return redis.error_reply('ERR logoutd: malformed session record') end
local a = head(ARGV[1], 5)
if not a then return redis.error_reply('ERR logoutd: malformed revoke arguments') end
if a[1] == '1' and f[3] ~= a[2] then return {0} end
local now = tonumber(a[3], 36)
local exp = tonumber(f[1], 36)
if f[2] ~= '' or exp <= now then return {1, v} end
local nv = f[1] .. '\\n' .. a[3] .. '\\n' .. string.sub(v, string.len(f[1]) + string.len(f[2]) + 3)
redis.call('SET', KEYS[1], nv, 'PXAT', string.format('%.0f', math.max(exp, now) + tonumber(a[4])))
if #KEYS > 1 then
  local e, rest = head(ARGV[2], 4)
  if not e then return redis.error_reply('ERR logoutd: malformed revoke arguments') end
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', a[5], '*',
    'type', 'session.revoked', 'time', e[3], 'session_id', e[1], 'identity_id', f[4],
    'reason', e[2], 'ip', e[4], 'user_agent', string.sub(ARGV[2], rest))
end
return {2, nv}
`,
  },
  /**
   * Standalone createSession in one round trip. KEYS: session, identity index, event stream.
   * ARGV: value, keyExpiry, sessionId, now, maxEvents, then the event's field/value pairs.
   */
  logoutdCreate: {
    numberOfKeys: 3,
    lua: `${LUA_IDX_ADD}
redis.call('SET', KEYS[1], ARGV[1], 'PXAT', ARGV[2])
idx_add(KEYS[2], ARGV[2], ARGV[3], ARGV[4])
local fields = {}
for i = 6, #ARGV do fields[#fields + 1] = ARGV[i] end
return redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[5], '*', unpack(fields))
`,
  },
  /** KEYS: identity index. ARGV: score, sessionId, now. */
  logoutdIdxAdd: {
    numberOfKeys: 1,
    lua: `${LUA_IDX_ADD}
idx_add(KEYS[1], ARGV[1], ARGV[2], ARGV[3])
return 1
`,
  },
  /** Trims and lists an identity index in one round trip. KEYS: index. ARGV: now. */
  logoutdIdxList: {
    numberOfKeys: 1,
    lua: `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1])
return redis.call('ZRANGE', KEYS[1], 0, -1)
`,
  },
  /**
   * Moves an active session's expiry. KEYS: session. ARGV: newExpiresAt36, now, markerMs.
   * Returns the new value, or false when unknown/inactive.
   */
  logoutdExtend: {
    numberOfKeys: 1,
    lua: `${LUA_HEAD}
local v = redis.call('GET', KEYS[1])
if not v then return false end
local f = head(v, 2)
if not f then return redis.error_reply('ERR logoutd: malformed session record') end
if f[2] ~= '' or tonumber(f[1], 36) <= tonumber(ARGV[2]) then return false end
local nv = ARGV[1] .. string.sub(v, string.len(f[1]) + 1)
redis.call('SET', KEYS[1], nv, 'PXAT', string.format('%.0f', tonumber(ARGV[1], 36) + tonumber(ARGV[3])))
return nv
`,
  },
  /** Standalone createIdentity, atomic. KEYS: email, identity, ids. ARGV: id, json, idsMember. */
  logoutdCreateIdentity: {
    numberOfKeys: 3,
    lua: `
if not redis.call('SET', KEYS[1], ARGV[1], 'NX') then return 0 end
redis.call('SET', KEYS[2], ARGV[2])
redis.call('ZADD', KEYS[3], 0, ARGV[3])
return 1
`,
  },
  /** Deletes a key only while it still holds ARGV[1] (the email index of this identity). */
  logoutdDelIfEquals: {
    numberOfKeys: 1,
    lua: `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`,
  },
  /** Standalone deleteIdentity, atomic. KEYS: identity, email, ids. ARGV: id, idsMember. */
  logoutdDeleteIdentity: {
    numberOfKeys: 3,
    lua: `
if redis.call('DEL', KEYS[1]) == 0 then return 0 end
if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) end
redis.call('ZREM', KEYS[3], ARGV[2])
return 1
`,
  },
  /** Fixed-window counter. KEYS: counter. ARGV: windowMs. Returns {count, pttl}. */
  logoutdHit: {
    numberOfKeys: 1,
    lua: `
local c = redis.call('INCR', KEYS[1])
local t = redis.call('PTTL', KEYS[1])
if c == 1 or t < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  t = tonumber(ARGV[1])
end
return {c, t}
`,
  },
} as const;

type ScriptName = keyof typeof SCRIPTS;
type ScriptFn = (...args: Array<string | number>) => Promise<unknown>;
/** The commands defineCommand adds, on a client or a pipeline. */
type Scripted = Record<ScriptName, ScriptFn>;

type RevokeReply = [0] | [1, string] | [2, string];

// ---------------------------------------------------------------------------------------------

export interface RedisStoreOptions {
  keyPrefix: string;
  /**
   * How long an expired or revoked session stays known (SPEC §5.3: at least 1 h). Tests shorten it
   * to watch markers disappear; production keeps the default.
   */
  markerMs?: number;
  /** Approximate cap of the event stream (XADD MAXLEN ~). */
  maxEvents?: number;
  /**
   * Whether close() quits the client. createRedisStore sets it for the client it opened; a client
   * you pass in stays yours unless you say otherwise.
   */
  closeClient?: boolean;
}

/** Ordered-set member for listIdentityIds: zero-padded creation time, then the id. */
function identityMember(identity: { id: string; createdAt: number }): string {
  return `${String(Math.max(0, Math.trunc(identity.createdAt))).padStart(15, '0')}:${identity.id}`;
}

const STREAM_ID = /^\d+-\d+$/;

function unavailable(op: string, err: unknown): StoreUnavailableError {
  const msg = err instanceof Error ? err.message : String(err);
  return new StoreUnavailableError(`redis ${op} failed: ${msg}`, { cause: err });
}

/** Store over an ioredis client. Build it with createRedisStore unless you own the client. */
export class RedisStore implements Store {
  readonly kind = 'redis' as const;
  /** The stream key, for the webhook dispatcher's consumer group. */
  readonly eventStreamKey: string;
  private readonly client: Client;
  private readonly scripts: Scripted;
  private readonly isCluster: boolean;
  private readonly prefix: string;
  private readonly markerMs: number;
  private readonly maxEvents: number;
  private readonly closeClient: boolean;
  private closed = false;
  private webhooks: RedisWebhookQueue | undefined;

  constructor(client: Client, options: RedisStoreOptions) {
    this.client = client;
    this.prefix = options.keyPrefix;
    this.markerMs = options.markerMs ?? REVOKED_MARKER_MS;
    this.maxEvents = options.maxEvents ?? 100_000;
    this.closeClient = options.closeClient ?? false;
    this.isCluster = client.isCluster;
    this.eventStreamKey = `${this.prefix}events`;
    for (const [name, def] of Object.entries(SCRIPTS)) client.defineCommand(name, def);
    this.scripts = client as unknown as Scripted;
  }

  private sessionKey(id: string): string {
    return `${this.prefix}s:${compactSessionId(id)}`;
  }
  private indexKey(identityId: string): string {
    return `${this.prefix}is:${identityId}`;
  }
  private identityKey(id: string): string {
    return `${this.prefix}i:${id}`;
  }
  private emailKey(emailKey: string): string {
    return `${this.prefix}e:${emailKey}`;
  }
  private get identitiesKey(): string {
    return `${this.prefix}ids`;
  }

  /** Marker lifetime of a session key (same rule as the memory store, with a configurable margin). */
  private keyExpiry(s: { expiresAt: number; revokedAt: number | null }): number {
    return Math.max(s.expiresAt, s.revokedAt ?? 0) + this.markerMs;
  }

  /** Runs Redis work, turning every failure into StoreUnavailableError so it never reads as "not found". */
  private async run<T>(op: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw unavailable(op, err);
    }
  }

  /**
   * Loads every script on every master up front, so the first request after boot does not pay the
   * NOSCRIPT + EVAL fallback (an extra round trip). After a Redis restart ioredis falls back once.
   */
  async loadScripts(): Promise<void> {
    const nodes = this.client instanceof Cluster ? this.client.nodes('master') : [this.client];
    await this.run('loadScripts', () =>
      Promise.all(nodes.flatMap((node) => Object.values(SCRIPTS).map((def) => node.script('LOAD', def.lua)))),
    );
  }

  // -- sessions --------------------------------------------------------------------------------

  async createSession(session: SessionRecord, ctx: EventContext): Promise<void> {
    const value = encodeSession(session);
    const expiry = String(this.keyExpiry(session));
    const fields = eventFields({ type: 'session.created', ...eventBase(session, ctx) });
    const sk = this.sessionKey(session.id);
    const ik = this.indexKey(session.identityId);
    await this.run('createSession', async () => {
      if (!this.isCluster) {
        // One round trip: session, index entry and event commit together.
        await this.scripts.logoutdCreate(sk, ik, this.eventStreamKey, value, expiry, compactSessionId(session.id), ctx.now, this.maxEvents, ...fields);
        return;
      }
      // Cluster: three slots, three round trips. The index entry is written before the session,
      // so a concurrent revoke-all that sees the session can also find it; the event follows
      // the session so it never announces one that was not stored.
      await this.scripts.logoutdIdxAdd(ik, expiry, compactSessionId(session.id), ctx.now);
      await this.client.set(sk, value, 'PXAT', expiry);
      await this.xadd(fields);
    });
  }

  getSession(id: string): Promise<SessionRecord | null> {
    // Every authenticated request comes through here: one promise, no async wrappers.
    return this.client.get(this.sessionKey(id)).then(
      (value) => (value === null ? null : decodeSession(id, value)),
      (err: unknown) => {
        throw unavailable('getSession', err);
      },
    );
  }

  /** The revoke script's two packed arguments (see SCRIPTS.logoutdRevoke). */
  private revokeArgs(id: string, check: string | null, reason: RevocationReason, ctx: EventContext): [string, string] {
    // Fields are "\n"-terminated: check is base64url, the reason one of a fixed set, ids come from
    // digests or the index, and the public methods check the ip first (newlineInIp); the user
    // agent, which comes last, needs no check.
    const control = `${check === null ? '0' : '1'}\n${check ?? ''}\n${b36(ctx.now, 'revokedAt')}\n${this.markerMs}\n${this.maxEvents}\n`;
    return [control, `${id}\n${reason}\n${isoTime(ctx.now)}\n${ctx.ip}\n${ctx.userAgent}`];
  }

  private revokeKeys(id: string): string[] {
    // Standalone: the stream rides in the same script (one round trip, exactly one event even
    // under concurrent revokes). Cluster: the stream is in another slot, so the script only
    // revokes and the caller appends the event after the script reports it did the revocation.
    return this.isCluster ? [this.sessionKey(id)] : [this.sessionKey(id), this.eventStreamKey];
  }

  revokeSession(id: string, check: string | null, reason: RevocationReason, ctx: EventContext): Promise<RevokeOutcome> {
    // No stored session has a newline in its id; such an id would also break the packed arguments.
    if (id.includes(SEP)) return Promise.resolve({ status: 'not_found' });
    if (ctx.ip.includes(SEP)) return Promise.reject(newlineInIp());
    const keys = this.revokeKeys(id);
    const [control, event] = this.revokeArgs(id, check, reason, ctx);
    const script = this.scripts.logoutdRevoke(keys.length, ...keys, control, event) as Promise<RevokeReply>;
    if (!this.isCluster) {
      // Every logout comes through here: one script call and one promise, no async wrappers.
      return script.then(
        (r) => this.outcome(id, r),
        (err: unknown) => {
          throw unavailable('revokeSession', err);
        },
      );
    }
    return this.run('revokeSession', async () => {
      const r = await script;
      // Cluster trade-off: a second round trip, and if Redis fails between the two the session is
      // revoked without its event (the caller gets StoreUnavailableError and a retry reports
      // 'inactive'). Never the reverse: no event without a committed revocation.
      if (r[0] === 2) await this.xadd(revokedEventFields(decodeSession(id, r[1]), reason, ctx));
      return r;
    }).then((r) => this.outcome(id, r));
  }

  private outcome(id: string, reply: RevokeReply): RevokeOutcome {
    if (reply[0] === 0) return { status: 'not_found' };
    return { status: reply[0] === 2 ? 'revoked' : 'inactive', session: decodeSession(id, reply[1]) };
  }

  async revokeIdentitySessions(identityId: string, exceptId: string | null, reason: RevocationReason, ctx: EventContext): Promise<SessionRecord[]> {
    // Checked before Redis is involved, so the caller's mistake does not read as an outage.
    if (ctx.ip.includes(SEP)) throw newlineInIp();
    const [ids, replies] = await this.run('revokeIdentitySessions', async () => {
      const ids = (await this.indexedIds(identityId, ctx.now)).filter((id) => id !== exceptId);
      if (ids.length === 0) return [ids, []] as const;
      let replies: RevokeReply[];
      if (!this.isCluster) {
        // One pipelined batch of the per-session script; each appends its own event.
        const p = this.client.pipeline();
        const ps = p as unknown as Scripted;
        for (const id of ids) {
          const keys = this.revokeKeys(id);
          void ps.logoutdRevoke(keys.length, ...keys, ...this.revokeArgs(id, null, reason, ctx));
        }
        replies = unwrapPipeline(await p.exec()) as RevokeReply[];
      } else {
        // Keys live on different nodes: issue all scripts at once (ioredis batches per node),
        // then the events of the sessions this call revoked.
        replies = (await Promise.all(
          ids.map((id) => this.scripts.logoutdRevoke(1, this.sessionKey(id), ...this.revokeArgs(id, null, reason, ctx))),
        )) as RevokeReply[];
        const revoked = replies.flatMap((r, i) => (r[0] === 2 ? [decodeSession(ids[i] as string, r[1])] : []));
        await Promise.all(revoked.map((s) => this.xadd(revokedEventFields(s, reason, ctx))));
      }
      return [ids, replies] as const;
    });
    // Only the sessions this call moved to revoked; concurrent callers never report the same one.
    return replies.flatMap((r, i) => (r[0] === 2 ? [decodeSession(ids[i] as string, r[1])] : []));
  }

  /** Trims the identity index and returns the session ids still in it (one round trip). */
  private async indexedIds(identityId: string, now: number): Promise<string[]> {
    return ((await this.scripts.logoutdIdxList(this.indexKey(identityId), now)) as string[]).map(expandSessionId);
  }

  async listIdentitySessions(identityId: string, now: number): Promise<SessionRecord[]> {
    const rows = await this.run('listIdentitySessions', async () => {
      const ids = await this.indexedIds(identityId, now);
      if (ids.length === 0) return [];
      const keys = ids.map((id) => this.sessionKey(id));
      // MGET would be CROSSSLOT on a Cluster; there each GET goes to its own node, concurrently.
      const values = this.isCluster ? await Promise.all(keys.map((k) => this.client.get(k))) : await this.client.mget(keys);
      return ids.map((id, i) => [id, values[i] ?? null] as const);
    });
    const out: SessionRecord[] = [];
    for (const [id, value] of rows) if (value !== null) out.push(decodeSession(id, value));
    return out.sort((a, b) => b.issuedAt - a.issuedAt || (a.id < b.id ? -1 : 1));
  }

  async extendSession(id: string, expiresAt: number, now: number): Promise<SessionRecord | null> {
    const exp36 = b36(expiresAt, 'expiresAt');
    return this.run('extendSession', async () => {
      const value = (await this.scripts.logoutdExtend(this.sessionKey(id), exp36, now, this.markerMs)) as string | null;
      if (value === null) return null;
      const s = decodeSession(id, value);
      // The index score must follow the key's new expiry, or a later trim would hide a live session
      // from revoke-all. A second round trip: the index key is only known after reading the record.
      await this.scripts.logoutdIdxAdd(this.indexKey(s.identityId), this.keyExpiry(s), compactSessionId(id), now);
      return s;
    });
  }

  // -- identities ------------------------------------------------------------------------------

  async createIdentity(identity: IdentityRecord, emailKey: string): Promise<boolean> {
    const ek = this.emailKey(emailKey);
    const ik = this.identityKey(identity.id);
    const json = JSON.stringify(identity);
    const member = identityMember(identity);
    return this.run('createIdentity', async () => {
      if (!this.isCluster) return (await this.scripts.logoutdCreateIdentity(ek, ik, this.identitiesKey, identity.id, json, member)) === 1;
      // Cluster: claim the email first (the uniqueness decision), then write the rest; undo the
      // claim if that fails so the email does not stay taken by a half-created identity.
      if ((await this.client.set(ek, identity.id, 'NX')) === null) return false;
      try {
        await this.client.set(ik, json);
        await this.client.zadd(this.identitiesKey, 0, member);
      } catch (err) {
        await this.scripts.logoutdDelIfEquals(ek, identity.id).catch(() => undefined);
        throw err;
      }
      return true;
    });
  }

  async getIdentity(id: string): Promise<IdentityRecord | null> {
    const json = await this.run('getIdentity', () => this.client.get(this.identityKey(id)));
    return json === null ? null : (JSON.parse(json) as IdentityRecord);
  }

  async findIdentityByEmail(emailKey: string): Promise<IdentityRecord | null> {
    const id = await this.run('findIdentityByEmail', () => this.client.get(this.emailKey(emailKey)));
    return id === null ? null : this.getIdentity(id);
  }

  async deleteIdentity(id: string, emailKey: string): Promise<boolean> {
    const identity = await this.getIdentity(id);
    if (!identity) return false;
    const member = identityMember(identity);
    const ik = this.identityKey(id);
    const ek = this.emailKey(emailKey);
    return this.run('deleteIdentity', async () => {
      if (!this.isCluster) return (await this.scripts.logoutdDeleteIdentity(ik, ek, this.identitiesKey, id, member)) === 1;
      // Whoever deletes the record owns the rest of the cleanup (concurrent deletes: one true).
      if ((await this.client.del(ik)) === 0) return false;
      await Promise.all([this.scripts.logoutdDelIfEquals(ek, id), this.client.zrem(this.identitiesKey, member)]);
      return true;
    });
  }

  async listIdentityIds(cursor: string | null, limit: number): Promise<Page<string>> {
    if (limit < 1) return { items: [], next: null, total: await this.run('listIdentityIds', () => this.client.zcard(this.identitiesKey)) };
    const [members, total] = await this.run('listIdentityIds', async () => {
      // One key, so a pipeline is one round trip on a Cluster too.
      const res = unwrapPipeline(
        await this.client
          .pipeline()
          .zrangebylex(this.identitiesKey, cursor === null ? '-' : `(${cursor}`, '+', 'LIMIT', 0, limit + 1)
          .zcard(this.identitiesKey)
          .exec(),
      );
      return [res[0] as string[], res[1] as number] as const;
    });
    const page = members.slice(0, limit);
    const more = members.length > limit;
    return {
      items: page.map((m) => m.slice(m.indexOf(':') + 1)),
      next: more ? (page[page.length - 1] ?? null) : null,
      total,
    };
  }

  // -- login flows and stored errors -----------------------------------------------------------

  async putLoginFlow(flow: LoginFlowRecord): Promise<void> {
    // Kept past expiry so the routes can answer 410 rather than 404 (see loginFlowExpiry).
    await this.run('putLoginFlow', () => this.client.set(`${this.prefix}f:${flow.id}`, JSON.stringify(flow), 'PXAT', loginFlowExpiry(flow)));
  }

  async getLoginFlow(id: string): Promise<LoginFlowRecord | null> {
    const json = await this.run('getLoginFlow', () => this.client.get(`${this.prefix}f:${id}`));
    return json === null ? null : (JSON.parse(json) as LoginFlowRecord);
  }

  async putError(error: StoredError, ttlMs: number): Promise<void> {
    await this.run('putError', () => this.client.set(`${this.prefix}err:${error.id}`, JSON.stringify(error), 'PX', Math.max(1, Math.trunc(ttlMs))));
  }

  async getError(id: string): Promise<StoredError | null> {
    const json = await this.run('getError', () => this.client.get(`${this.prefix}err:${id}`));
    return json === null ? null : (JSON.parse(json) as StoredError);
  }

  // -- events ----------------------------------------------------------------------------------

  private async xadd(fields: string[]): Promise<string> {
    const id = await this.client.xadd(this.eventStreamKey, 'MAXLEN', '~', this.maxEvents, '*', ...fields);
    if (id === null) throw new Error('XADD returned no id');
    return id;
  }

  async appendEvent(event: Omit<LogoutEvent, 'id'>): Promise<string> {
    return this.run('appendEvent', () => this.xadd(eventFields(event)));
  }

  async readEvents(after: string | null, limit: number): Promise<LogoutEvent[]> {
    if (limit < 1) return [];
    const rows = await this.run('readEvents', async () => {
      if (after === null) return (await this.client.xrevrange(this.eventStreamKey, '+', '-', 'COUNT', limit)).reverse();
      // A cursor that is not a stream id reads from the start (as the memory store does).
      const start = STREAM_ID.test(after) ? `(${after}` : '-';
      return this.client.xrange(this.eventStreamKey, start, '+', 'COUNT', limit);
    });
    return rows.map(([id, fields]) => parseEvent(id, fields));
  }

  /** Webhook deliveries: a consumer group on the event stream plus `{wh}` keys (see events/redis-webhook-queue.ts). */
  webhookQueue(): RedisWebhookQueue {
    return (this.webhooks ??= new RedisWebhookQueue(this.client, { keyPrefix: this.prefix, streamKey: this.eventStreamKey }));
  }

  // -- counters, health, lifecycle -------------------------------------------------------------

  /** One round trip. The window runs on Redis's clock (`now` is for the memory store). */
  async hit(key: string, windowMs: number, _now: number): Promise<{ count: number; resetMs: number }> {
    const [count, resetMs] = (await this.run('hit', () =>
      this.scripts.logoutdHit(`${this.prefix}rl:${key}`, Math.max(1, Math.trunc(windowMs))),
    )) as [number, number];
    return { count, resetMs };
  }

  async ping(): Promise<void> {
    await this.run('ping', () => this.client.ping());
  }

  async close(): Promise<void> {
    if (this.closed || !this.closeClient) return;
    this.closed = true;
    try {
      await this.client.quit();
    } catch {
      // Not connected (or already closing): nothing to flush, just stop reconnecting.
    } finally {
      this.client.disconnect();
    }
  }
}

// -- event fields ------------------------------------------------------------------------------

function eventBase(s: SessionRecord, ctx: EventContext): Omit<LogoutEvent, 'id' | 'type'> {
  return { time: isoTime(ctx.now), session_id: s.id, identity_id: s.identityId, ip: ctx.ip, user_agent: ctx.userAgent };
}

/** Same field order as the standalone revoke script writes. */
function revokedEventFields(s: SessionRecord, reason: RevocationReason, ctx: EventContext): string[] {
  const b = eventBase(s, ctx);
  return ['type', 'session.revoked', 'time', b.time, 'session_id', b.session_id, 'identity_id', b.identity_id, 'reason', reason, 'ip', b.ip, 'user_agent', b.user_agent];
}


/** A pipeline that failed anywhere failed as a whole: surface the first error. */
function unwrapPipeline(res: Array<[Error | null, unknown]> | null): unknown[] {
  if (res === null) throw new Error('pipeline aborted');
  return res.map(([err, value]) => {
    if (err) throw err;
    return value;
  });
}

// ---------------------------------------------------------------------------------------------
// Construction

export interface CreateRedisStoreOptions {
  /** Standalone: redis://[user:pass@]host:port[/db] (rediss:// for TLS). */
  url?: string | null;
  /** Sentinel: 'host:port' entries, with sentinelName the monitored master's name. */
  sentinels?: string[];
  sentinelName?: string;
  /** Cluster: 'host:port' of some nodes (the rest are discovered). */
  clusterNodes?: string[];
  keyPrefix: string;
  /** Startup budget for connect + PING (default 5000). */
  connectTimeoutMs?: number;
  /** Per-command budget after startup (default 1500): a hung Redis fails each command → 503. */
  commandTimeoutMs?: number;
  /** Pause between reconnect attempts (default 200 ms, forever). */
  reconnectDelayMs?: number;
  markerMs?: number;
  maxEvents?: number;
  /** Called for every connection error ioredis reports (they are otherwise swallowed). */
  onError?: (err: Error) => void;
}

function parseHostPort(entry: string): { host: string; port: number } {
  const s = entry.replace(/^rediss?:\/\//, '');
  const i = s.lastIndexOf(':');
  const host = (i < 0 ? s : s.slice(0, i)).replace(/^\[(.*)\]$/, '$1');
  const port = i < 0 ? 6379 : Number(s.slice(i + 1));
  if (!host || !Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`invalid Redis node address "${entry}"`);
  return { host, port };
}

/** Names the target for messages, without credentials. */
function describeTarget(opts: CreateRedisStoreOptions): string {
  if (opts.clusterNodes?.length) return `Redis Cluster [${opts.clusterNodes.join(', ')}]`;
  if (opts.sentinels?.length) return `Redis Sentinel master "${opts.sentinelName ?? ''}" via [${opts.sentinels.join(', ')}]`;
  try {
    const u = new URL(opts.url ?? '');
    if (u.password) u.password = '***';
    return `Redis ${u.toString()}`;
  } catch {
    return 'Redis (unparseable url)';
  }
}

/**
 * Opens a client, waits until Redis answers a PING within connectTimeoutMs, and returns a store
 * that owns (and closes) that client. Fails at boot with a message naming the target and the
 * cause; after boot, outages surface per command as StoreUnavailableError while ioredis
 * reconnects in the background every reconnectDelayMs.
 */
export async function createRedisStore(opts: CreateRedisStoreOptions): Promise<RedisStore> {
  const connectTimeoutMs = opts.connectTimeoutMs ?? 5000;
  const reconnectDelayMs = opts.reconnectDelayMs ?? 200;
  const target = describeTarget(opts);
  const common: RedisOptions = {
    lazyConnect: true,
    // Fail commands at once while disconnected, and never re-send one that may already have run
    // (a re-sent script could append a second event): the caller sees StoreUnavailableError.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    // A timer per command (~1.5 µs each). ioredis's cheaper socketTimeout (one timer per batch of
    // replies) was tried and dropped: in 5.11 its timer outlives a closed connection and destroys
    // the next one (redis/ioredis#2147, fixed only in 6.x), which the outage test caught.
    commandTimeout: opts.commandTimeoutMs ?? 1500,
    // Below the startup budget, so a hanging connect reports its own timeout before the budget ends.
    connectTimeout: Math.max(50, Math.min(connectTimeoutMs - 100, 2000)),
    enableReadyCheck: true,
    autoResubscribe: false,
    // Commands issued in the same tick by concurrent requests share one socket write: under load
    // this was the largest single cost per request (npm run bench -- --profile).
    enableAutoPipelining: true,
  };

  let client: Client;
  if (opts.clusterNodes?.length) {
    const { enableOfflineQueue: _q, ...redisOptions } = common;
    const clusterOptions: ClusterOptions = {
      lazyConnect: true,
      enableOfflineQueue: false,
      enableReadyCheck: true,
      clusterRetryStrategy: () => reconnectDelayMs,
      // No clusterNodeRetryStrategy on purpose: a lost node is dropped and found again through a
      // slots refresh. Reconnecting nodes would queue commands on them (ioredis forces their offline
      // queue on) until commandTimeout, instead of failing at once.
      slotsRefreshTimeout: Math.min(connectTimeoutMs, 2000),
      retryDelayOnClusterDown: reconnectDelayMs,
      redisOptions,
    };
    client = new Cluster(opts.clusterNodes.map(parseHostPort), clusterOptions);
  } else if (opts.sentinels?.length) {
    if (!opts.sentinelName) throw new Error('Redis Sentinel needs the master name (sentinelName)');
    client = new Redis({
      ...common,
      sentinels: opts.sentinels.map(parseHostPort),
      name: opts.sentinelName,
      retryStrategy: () => reconnectDelayMs,
      sentinelRetryStrategy: () => reconnectDelayMs,
    });
  } else if (opts.url) {
    client = new Redis(opts.url, { ...common, retryStrategy: () => reconnectDelayMs });
  } else {
    throw new Error('Redis store needs a url, sentinels or clusterNodes');
  }

  // Without a listener ioredis would report every reconnect failure as an unhandled 'error'.
  let lastError: Error | undefined;
  const onError = (err: Error): void => {
    // "Stream isn't writeable…" only echoes an earlier failure (a command refused while the
    // connection was down); keep the error that says why it went down.
    if (!/enableOfflineQueue/.test(err.message)) lastError = err;
    opts.onError?.(err);
  };
  client.on('error', onError);
  // A cluster's own error ("Failed to refresh slots cache") hides the node's reason; keep both.
  let nodeError: Error | undefined;
  if (client instanceof Cluster) {
    client.on('node error', (err: Error) => {
      nodeError = err;
      opts.onError?.(err);
    });
  }
  const failure = (fallback: string): Error => {
    const err = lastError ?? nodeError ?? new Error(fallback);
    return nodeError && err !== nodeError ? new Error(`${err.message} Last node error: ${nodeError.message}`, { cause: err }) : err;
  };

  const store = new RedisStore(client, {
    keyPrefix: opts.keyPrefix,
    closeClient: true,
    ...(opts.markerMs !== undefined ? { markerMs: opts.markerMs } : {}),
    ...(opts.maxEvents !== undefined ? { maxEvents: opts.maxEvents } : {}),
  });
  const deadline = Date.now() + connectTimeoutMs;
  try {
    await new Promise<void>((resolve, reject) => {
      const done = (err?: Error): void => {
        clearTimeout(timer);
        client.off('ready', onReady);
        client.off('end', onEnd);
        if (err) reject(err);
        else resolve();
      };
      const onReady = (): void => done();
      const onEnd = (): void => done(failure('connection ended'));
      const timer = setTimeout(() => done(failure('no connection')), connectTimeoutMs);
      client.once('ready', onReady);
      client.once('end', onEnd);
      // Early failures are retried by the retry strategy until the deadline (Redis may still be starting).
      client.connect().catch(() => undefined);
    });
    let pingTimer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        client.ping(),
        new Promise((_, reject) => (pingTimer = setTimeout(() => reject(new Error('PING timed out')), Math.max(1, deadline - Date.now())))),
      ]);
    } finally {
      clearTimeout(pingTimer);
    }
    await store.loadScripts();
  } catch (err) {
    client.disconnect();
    const cause = err instanceof Error ? err.message : String(err);
    throw new Error(`cannot use ${target}: not ready within ${connectTimeoutMs} ms (${cause})`, { cause: err });
  }

  return store;
}
