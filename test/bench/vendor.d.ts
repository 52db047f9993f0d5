// Minimal type declarations for the benchmark's untyped dev dependencies (autocannon, express,
// express-session ship no types, and adding @types packages is the lead's call). Only what the
// bench uses is declared. This file must stay a script (no top-level import/export) so that the
// `declare module` blocks are ambient.

declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';

  namespace autocannon {
    interface Request {
      method?: string;
      path?: string;
      headers?: Record<string, string>;
      body?: string | Buffer;
      setupRequest?: (request: Request, context: Record<string, unknown>) => Request | null | undefined | false;
      onResponse?: (status: number, body: string, context: Record<string, unknown>, headers: Record<string, string>) => void;
    }
    interface Options {
      url: string;
      connections?: number;
      duration?: number;
      amount?: number;
      timeout?: number;
      pipelining?: number;
      method?: string;
      headers?: Record<string, string>;
      body?: string | Buffer;
      requests?: Request[];
      excludeErrorStats?: boolean;
      setupClient?: (client: unknown) => void;
    }
    interface Histogram {
      average: number;
      mean: number;
      stddev: number;
      min: number;
      max: number;
      p50: number;
      p90: number;
      p99: number;
      total: number;
    }
    interface Result {
      duration: number;
      requests: Histogram & { sent: number };
      latency: Histogram;
      throughput: Histogram;
      errors: number;
      timeouts: number;
      mismatches: number;
      non2xx: number;
      resets: number;
      '1xx': number;
      '2xx': number;
      '3xx': number;
      '4xx': number;
      '5xx': number;
      statusCodeStats: Record<string, { count: number }>;
    }
    interface Instance extends EventEmitter {
      stop(): void;
    }
  }

  function autocannon(options: autocannon.Options, callback: (err: Error | null, result: autocannon.Result) => void): autocannon.Instance;
  export default autocannon;
}

declare module 'express' {
  import type { IncomingMessage, Server, ServerResponse } from 'node:http';

  namespace express {
    interface Request extends IncomingMessage {
      query: Record<string, string | string[] | undefined>;
      ip: string;
      session: import('express-session').Session & Partial<import('express-session').SessionData>;
      sessionID: string;
    }
    interface Response extends ServerResponse {
      status(code: number): Response;
      json(body: unknown): Response;
      clearCookie(name: string, options?: Record<string, unknown>): Response;
      end(): this;
    }
    type NextFunction = (err?: unknown) => void;
    type Handler = (req: Request, res: Response, next: NextFunction) => unknown;
    interface Application {
      (req: IncomingMessage, res: ServerResponse): void;
      use(...handlers: Handler[]): Application;
      get(path: string, ...handlers: Handler[]): Application;
      post(path: string, ...handlers: Handler[]): Application;
      delete(path: string, ...handlers: Handler[]): Application;
      set(setting: string, value: unknown): Application;
      disable(setting: string): Application;
      listen(port: number, host: string, callback?: (err?: Error) => void): Server;
    }
  }

  function express(): express.Application;
  export default express;
}

declare module 'express-session' {
  import type { Handler } from 'express';

  export interface SessionData {
    cookie: Record<string, unknown>;
    user?: { id: string; email: string; ip: string; userAgent: string; authenticatedAt: string };
  }
  export interface Session {
    id: string;
    cookie: Record<string, unknown>;
    destroy(callback: (err?: unknown) => void): void;
    save(callback: (err?: unknown) => void): void;
  }
  export class Store {
    get(sid: string, cb?: (err?: unknown, data?: unknown) => unknown): Promise<unknown>;
    set(sid: string, sess: SessionData, cb?: (err?: unknown) => unknown): Promise<unknown>;
    destroy(sid: string, cb?: (err?: unknown) => unknown): Promise<unknown>;
  }
  export interface SessionOptions {
    store: Store;
    secret: string | string[];
    name?: string;
    resave: boolean;
    saveUninitialized: boolean;
    cookie?: { secure?: boolean; httpOnly?: boolean; maxAge?: number; sameSite?: 'lax' | 'strict' | 'none'; path?: string };
  }
  function session(options: SessionOptions): Handler;
  export default session;
}
