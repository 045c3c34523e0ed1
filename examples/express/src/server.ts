import { buildApp } from './app.js';

// HITPAY_API_KEY, HITPAY_WEBHOOK_SALT, HITPAY_BASE_URL, DATABASE_URL… come from the environment.
const port = Number(process.env.PORT ?? 3000);
buildApp().listen(port, () => console.log(`weather API (express) on http://localhost:${port}`));
