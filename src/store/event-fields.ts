// How events are laid out in the Redis stream: written by the store, read back by the store and
// by the webhook queue. One place, so the two can never disagree.

import type { LogoutEvent, RevocationReason } from './store.js';

export function eventFields(e: Omit<LogoutEvent, 'id'>): string[] {
  const out = ['type', e.type, 'time', e.time, 'session_id', e.session_id, 'identity_id', e.identity_id];
  if (e.reason !== undefined) out.push('reason', e.reason);
  out.push('ip', e.ip, 'user_agent', e.user_agent);
  return out;
}

/** Stream fields (as eventFields and the scripts write them) back into an event. */
export function parseEvent(id: string, fields: string[]): LogoutEvent {
  const m = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) m.set(fields[i] as string, fields[i + 1] as string);
  const reason = m.get('reason');
  return {
    id,
    type: m.get('type') as LogoutEvent['type'],
    time: m.get('time') ?? '',
    session_id: m.get('session_id') ?? '',
    identity_id: m.get('identity_id') ?? '',
    ...(reason !== undefined ? { reason: reason as RevocationReason } : {}),
    ip: m.get('ip') ?? '',
    user_agent: m.get('user_agent') ?? '',
  };
}
