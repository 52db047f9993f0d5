// A webhook receiver that verifies logoutd's signature before trusting an event.
// Run by test/examples/examples.test.ts.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';

export function verifySignature(secret: string, header: string | undefined, body: string, toleranceSec = 300): boolean {
  const parts = new Map((header ?? '').split(',').map((p) => p.split('=', 2) as [string, string]));
  const t = Number(parts.get('t'));
  const v1 = parts.get('v1') ?? '';
  if (!Number.isInteger(t) || Math.abs(Date.now() / 1000 - t) > toleranceSec) return false; // stale or replayed
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
  return v1.length === expected.length && timingSafeEqual(Buffer.from(v1), Buffer.from(expected));
}

export function webhookReceiver(secret: string, onEvent: (event: { id: string; type: string; session_id: string; reason?: string }) => void) {
  return createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      if (!verifySignature(secret, req.headers['logoutd-signature'] as string | undefined, body)) {
        res.writeHead(401).end();
        return;
      }
      onEvent(JSON.parse(body)); // deliveries are at-least-once: dedupe on the logoutd-event-id header
      res.writeHead(204).end();
    });
  });
}
