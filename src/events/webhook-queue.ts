// What the webhook dispatcher needs from storage: turn newly appended events into one delivery
// per matching webhook, lease due deliveries to one instance at a time, and complete or
// reschedule them. The memory store and the Redis store each provide one (Store.webhookQueue()).
//
// Semantics every implementation keeps:
// - pull() is at-least-once: an event is never lost between "read" and "enqueued", but after a
//   crash at the wrong moment it may be enqueued (and so delivered) twice.
// - A leased delivery is invisible to other lease() calls until its lease expires; then anyone
//   may lease it again (this is how a dead instance's work is taken over).
// - complete()/retry() act only while the caller still holds the lease it was given; a holder
//   whose lease expired and was taken over gets false and must not touch the delivery.

import type { LogoutEvent } from '../store/store.js';

export interface WebhookDelivery {
  /** `<hookId>:<eventId>`: unique per webhook and event. */
  id: string;
  hookId: string;
  /** Sent as `logoutd-event-id`; the same on every attempt and for every webhook. */
  eventId: string;
  /** The exact JSON body, fixed at enqueue time so every attempt signs the same bytes. */
  body: string;
  /** Failed attempts so far. */
  attempts: number;
  /** When the delivery was enqueued (ms); retries stop after the configured age. */
  firstAt: number;
  /** Opaque proof of the current lease. */
  lease: string;
}

export interface PullOptions {
  /** Most events to take in one call. */
  batch: number;
  /**
   * Stream entries read but never enqueued (the reader died in between) are claimed again after
   * this long (Redis consumer group pending list).
   */
  claimIdleMs: number;
}

export interface PullResult {
  /** Events consumed from the stream (whether or not any webhook wanted them). */
  events: number;
  /** Deliveries evicted because a bounded queue was full (memory only). */
  evicted: WebhookDelivery[];
}

export interface LeaseRequest {
  hookId: string;
  /** Most deliveries of this hook to lease now (its free concurrency). */
  limit: number;
}

export interface WebhookQueue {
  /** Prepares storage (e.g. the consumer group). Idempotent; awaited at boot so no event is missed. */
  init(): Promise<void>;
  /** Moves new events into deliveries, one per hook id that `route` returns for the event. */
  pull(route: (event: LogoutEvent) => string[], now: number, consumer: string, options: PullOptions): Promise<PullResult>;
  /** Leases deliveries due at `now` (oldest due first) until `now + leaseMs`. */
  lease(requests: LeaseRequest[], now: number, leaseMs: number, consumer: string): Promise<WebhookDelivery[]>;
  /** Removes a delivery that was delivered or given up on; false when the lease was lost. */
  complete(delivery: WebhookDelivery): Promise<boolean>;
  /** Releases a failed delivery with one more attempt counted, due again at `dueAt`; false when the lease was lost. */
  retry(delivery: WebhookDelivery, dueAt: number): Promise<boolean>;
}

/** The webhook body: the event's SPEC §9 fields in a fixed order, nothing else. */
export function eventBody(e: LogoutEvent): string {
  return JSON.stringify({
    id: e.id,
    type: e.type,
    time: e.time,
    session_id: e.session_id,
    identity_id: e.identity_id,
    ...(e.reason !== undefined ? { reason: e.reason } : {}),
    ip: e.ip,
    user_agent: e.user_agent,
  });
}

export function deliveryId(hookId: string, eventId: string): string {
  return `${hookId}:${eventId}`;
}
