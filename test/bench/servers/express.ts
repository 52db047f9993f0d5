// The comparison SPEC §13 names: express 5 + express-session + connect-redis, with the node-redis
// client (connect-redis does not take ioredis). Configured the way its README suggests
// (resave: false, saveUninitialized: false), so a read is GET + touch (EXPIRE), as deployed.
//   POST   /login   creates a session (req.session.user = …) → 204 + Set-Cookie
//   GET    /session returns req.session data (401 without a session)
//   DELETE /session req.session.destroy() → 204 and clears the cookie (401 without a session)
// argv: <redis url>

import express from 'express';
import session from 'express-session';
import { RedisStore } from 'connect-redis';
import { createClient } from 'redis';
import { EXPRESS_COOKIE, EXPRESS_MAX_AGE_MS, EXPRESS_PREFIX, EXPRESS_SECRET } from '../lib/constants.js';
import { announceReady, arg, exitOnStop } from './child.js';

const client = createClient({ url: arg(0, 'redis url') });
client.on('error', (err: unknown) => process.stderr.write(`redis: ${String(err)}\n`));
await client.connect();

const app = express();
app.disable('x-powered-by');
app.use(
  session({
    store: new RedisStore({ client, prefix: EXPRESS_PREFIX }),
    secret: EXPRESS_SECRET,
    name: EXPRESS_COOKIE,
    resave: false,
    saveUninitialized: false,
    cookie: { secure: false, httpOnly: true, sameSite: 'lax', maxAge: EXPRESS_MAX_AGE_MS },
  }),
);

app.post('/login', (req, res) => {
  const user = typeof req.query.user === 'string' ? req.query.user : 'user';
  req.session.user = { id: user, email: `${user}@example.com`, ip: req.ip, userAgent: String(req.headers['user-agent'] ?? ''), authenticatedAt: new Date().toISOString() };
  res.status(204).end();
});

app.get('/session', (req, res) => {
  if (!req.session.user) return res.status(401).json({ error: 'no session' });
  return res.json({ id: req.sessionID, user: req.session.user, cookie: req.session.cookie });
});

app.delete('/session', (req, res, next) => {
  if (!req.session.user) return res.status(401).json({ error: 'no session' });
  req.session.destroy((err) => {
    if (err) return next(err);
    res.clearCookie(EXPRESS_COOKIE, { path: '/' });
    res.status(204).end();
  });
});

const server = app.listen(0, '127.0.0.1', (err) => {
  if (err) throw err;
  const address = server.address();
  announceReady(typeof address === 'object' && address ? address.port : 0);
});
exitOnStop(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await client.quit();
});
