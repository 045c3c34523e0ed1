import { buildApp } from './app.js';

const port = Number(process.env.PORT ?? 3000);
const app = await buildApp();
await app.listen({ port, host: '0.0.0.0' });
console.log(`weather API (fastify) on http://localhost:${port}`);
