import { serve } from '@hono/node-server';
import { buildApp } from './app.js';

const port = Number(process.env.PORT ?? 3000);
serve({ fetch: buildApp().app.fetch, port });
console.log(`weather API (fetch, in Hono) on http://localhost:${port}`);
