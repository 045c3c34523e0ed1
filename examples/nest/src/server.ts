import { buildApp } from './app.js';

const port = Number(process.env.PORT ?? 3000);
const app = await buildApp();
await app.listen(port);
console.log(`weather API (nest) on http://localhost:${port}`);
