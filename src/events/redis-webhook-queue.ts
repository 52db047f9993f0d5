// The webhook queue of the Redis store, shared by every logoutd instance on that Redis.
//
// Events reach it through a consumer group on the store's event stream, so each event is read by
// one instance; that instance turns it into one delivery per matching webhook and only then
// XACKs it (an instance that dies in between leaves the entry pending, and another claims it with
// XAUTOCLAIM once it has been idle for a lease). Deliveries live in keys of one hash slot
// (`{wh}`), so every script below is legal on a Cluster:
//   <prefix>{wh}:records        hash: delivery id -> {"b": body, "a": failed attempts, "f": enqueued ms}
//   <prefix>{wh}:leases         hash: delivery id -> token of the current lease holder
//   <prefix>{wh}:due:<hookId>   sorted set: delivery id, score = due time, or lease expiry while leased
// One due set per webhook, so a backlog for an unreachable receiver never delays the others.
// Leasing moves the score to the lease expiry: a holder that dies simply lets it come due again.
// Times are the caller's clock (ms), like the rest of the store. No KEYS or SCAN anywhere.

import type { Cluster, Redis } from 'ioredis';
import type { LogoutEvent } from '../store/store.js';
import { parseEvent } from '../store/event-fields.js';
import { deliveryId, eventBody, type LeaseRequest, type PullOptions, type PullResult, type WebhookDelivery, type WebhookQueue } from './webhook-queue.js';

type Client = Redis | Cluster;

export const WEBHOOK_GROUP = 'logoutd-webhooks';

const SCRIPTS = {
  /**
   * KEYS: records, then the due sets named in ARGV. ARGV: now, then (due key index, id, record)
   * triples. HSETNX makes a re-enqueue after a crash a no-op while the delivery is still pending.
   */
  logoutdWhEnqueue: {
    lua: `
local n = 0
for i = 2, #ARGV, 3 do
  if redis.call('HSETNX', KEYS[1], ARGV[i + 1], ARGV[i + 2]) == 1 then
    redis.call('ZADD', KEYS[tonumber(ARGV[i])], ARGV[1], ARGV[i + 1])
    n = n + 1
  end
end
return n
`,
  },
  /**
   * KEYS: records, leases, then one due set per hook. ARGV: now, leaseUntil, token, then one limit
   * per due set. Returns a flat list of (due set index, id, record).
   */
  logoutdWhLease: {
    lua: `
local out = {}
for i = 3, #KEYS do
  local limit = tonumber(ARGV[i + 1])
  if limit > 0 then
    local ids = redis.call('ZRANGEBYSCORE', KEYS[i], '-inf', ARGV[1], 'LIMIT', 0, limit)
    for _, id in ipairs(ids) do
      local rec = redis.call('HGET', KEYS[1], id)
      if rec then
        redis.call('ZADD', KEYS[i], ARGV[2], id)
        redis.call('HSET', KEYS[2], id, ARGV[3])
        out[#out + 1] = i - 2
        out[#out + 1] = id
        out[#out + 1] = rec
      else
        redis.call('ZREM', KEYS[i], id)
        redis.call('HDEL', KEYS[2], id)
      end
    end
  end
end
return out
`,
  },
  /** KEYS: due set, records, leases. ARGV: id, token. Removes the delivery if the lease is still ours. */
  logoutdWhComplete: {
    numberOfKeys: 3,
    lua: `
if redis.call('HGET', KEYS[3], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
return 1
`,
  },
  /** KEYS: due set, records, leases. ARGV: id, token, dueAt, record. Reschedules if the lease is still ours. */
  logoutdWhRetry: {
    numberOfKeys: 3,
    lua: `
if redis.call('HGET', KEYS[3], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[4])
redis.call('HDEL', KEYS[3], ARGV[1])
return 1
`,
  },
} as const;

type ScriptFn = (...args: Array<string | number>) => Promise<unknown>;
type Scripted = Record<keyof typeof SCRIPTS, ScriptFn>;

type StreamEntry = [id: string, fields: string[] | null];

interface StoredRecord {
  b: string;
  a: number;
  f: number;
}

export interface RedisWebhookQueueOptions {
  keyPrefix: string;
  /** The store's event stream. */
  streamKey: string;
  group?: string;
}

export class RedisWebhookQueue implements WebhookQueue {
  private readonly client: Client;
  private readonly scripts: Scripted;
  private readonly streamKey: string;
  private readonly group: string;
  private readonly recordsKey: string;
  private readonly leasesKey: string;
  private readonly duePrefix: string;
  private leaseSeq = 0;
  /** XAUTOCLAIM walks the pending list a page per visit; this is where the next page starts. */
  private claimCursor = '0-0';
  private nextClaimAt = 0;

  constructor(client: Client, options: RedisWebhookQueueOptions) {
    this.client = client;
    this.streamKey = options.streamKey;
    this.group = options.group ?? WEBHOOK_GROUP;
    this.recordsKey = `${options.keyPrefix}{wh}:records`;
    this.leasesKey = `${options.keyPrefix}{wh}:leases`;
    this.duePrefix = `${options.keyPrefix}{wh}:due:`;
    for (const [name, def] of Object.entries(SCRIPTS)) client.defineCommand(name, def);
    this.scripts = client as unknown as Scripted;
  }

  /** Creates the group at the stream's end: a first deployment does not replay history. */
  async init(): Promise<void> {
    await this.createGroup('$');
  }

  private async createGroup(from: '$' | '0'): Promise<void> {
    try {
      await this.client.xgroup('CREATE', this.streamKey, this.group, from, 'MKSTREAM');
    } catch (err) {
      if (!String((err as Error)?.message).includes('BUSYGROUP')) throw err;
    }
  }

  dueKey(hookId: string): string {
    return `${this.duePrefix}${hookId}`;
  }

  async pull(route: (event: LogoutEvent) => string[], now: number, consumer: string, options: PullOptions): Promise<PullResult> {
    const entries: StreamEntry[] = [];
    try {
      if (now >= this.nextClaimAt) {
        // Entries another reader took but never acknowledged: it died between read and enqueue.
        const [next, claimed] = (await this.client.xautoclaim(
          this.streamKey, this.group, consumer, options.claimIdleMs, this.claimCursor, 'COUNT', options.batch,
        )) as [string, StreamEntry[], string[]?];
        this.claimCursor = next;
        // Back to the start of the pending list only after a full pass.
        this.nextClaimAt = next === '0-0' ? now + Math.min(options.claimIdleMs, 5000) : now;
        entries.push(...claimed);
      }
      const read = (await this.client.xreadgroup('GROUP', this.group, consumer, 'COUNT', options.batch, 'STREAMS', this.streamKey, '>')) as
        | Array<[string, StreamEntry[]]>
        | null;
      for (const [, rows] of read ?? []) entries.push(...rows);
    } catch (err) {
      // The group vanished (Redis lost its data, or someone deleted the stream): recreate it from
      // the start of whatever stream exists now, since nothing in it can have been delivered yet.
      if (String((err as Error)?.message).includes('NOGROUP')) {
        await this.createGroup('0');
        return { events: 0, evicted: [] };
      }
      throw err;
    }
    if (entries.length === 0) return { events: 0, evicted: [] };

    const dueKeys: string[] = [];
    const args: Array<string | number> = [now];
    const record = (body: string): string => JSON.stringify({ b: body, a: 0, f: now } satisfies StoredRecord);
    for (const [id, fields] of entries) {
      // A null entry was trimmed from the stream (MAXLEN) before anyone enqueued it: nothing to send.
      if (fields === null) continue;
      const event = parseEvent(id, fields);
      const body = eventBody(event);
      for (const hookId of route(event)) {
        const key = this.dueKey(hookId);
        let index = dueKeys.indexOf(key);
        if (index < 0) index = dueKeys.push(key) - 1;
        args.push(index + 2, deliveryId(hookId, id), record(body));
      }
    }
    if (dueKeys.length > 0) await this.scripts.logoutdWhEnqueue(1 + dueKeys.length, this.recordsKey, ...dueKeys, ...args);
    await this.client.xack(this.streamKey, this.group, ...entries.map(([id]) => id));
    return { events: entries.length, evicted: [] };
  }

  async lease(requests: LeaseRequest[], now: number, leaseMs: number, consumer: string): Promise<WebhookDelivery[]> {
    const wanted = requests.filter((r) => r.limit > 0);
    if (wanted.length === 0) return [];
    const token = `${consumer}#${++this.leaseSeq}`;
    const keys = [this.recordsKey, this.leasesKey, ...wanted.map((r) => this.dueKey(r.hookId))];
    const reply = (await this.scripts.logoutdWhLease(keys.length, ...keys, now, now + leaseMs, token, ...wanted.map((r) => r.limit))) as Array<
      number | string
    >;
    const out: WebhookDelivery[] = [];
    for (let i = 0; i + 2 < reply.length; i += 3) {
      const hookId = (wanted[Number(reply[i]) - 1] as LeaseRequest).hookId;
      const id = String(reply[i + 1]);
      const rec = JSON.parse(String(reply[i + 2])) as StoredRecord;
      out.push({ id, hookId, eventId: id.slice(hookId.length + 1), body: rec.b, attempts: rec.a, firstAt: rec.f, lease: token });
    }
    return out;
  }

  async complete(d: WebhookDelivery): Promise<boolean> {
    return (await this.scripts.logoutdWhComplete(this.dueKey(d.hookId), this.recordsKey, this.leasesKey, d.id, d.lease)) === 1;
  }

  async retry(d: WebhookDelivery, dueAt: number): Promise<boolean> {
    const rec = JSON.stringify({ b: d.body, a: d.attempts + 1, f: d.firstAt } satisfies StoredRecord);
    return (await this.scripts.logoutdWhRetry(this.dueKey(d.hookId), this.recordsKey, this.leasesKey, d.id, d.lease, Math.round(dueAt), rec)) === 1;
  }
}

