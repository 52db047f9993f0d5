// Handlebars setup for the built-in pages: layouts and partials from /views, escaped output only.

import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import fastifyView from '@fastify/view';
import handlebars from 'handlebars';

export const VIEWS_DIR = fileURLToPath(new URL('../views', import.meta.url));

export async function registerViews(app: FastifyInstance, production: boolean): Promise<void> {
  // @fastify/view adds an onRequest hook to give every reply a fresh `locals` object unless the
  // decorator already exists. Our pages pass their data explicitly and never use locals, so
  // declaring it here spares every request (logout, whoami…) that hook.
  app.decorateReply('locals', null);
  await app.register(fastifyView, {
    engine: { handlebars: handlebars.create() },
    root: VIEWS_DIR,
    layout: 'layouts/main.hbs',
    viewExt: 'hbs',
    options: { partials: { header: 'partials/header.hbs', messages: 'partials/messages.hbs' } },
    // Templates are compiled once and cached outside dev mode.
    production,
  });
}
