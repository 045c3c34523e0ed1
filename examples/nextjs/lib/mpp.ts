import { createMpp } from '@hit-pay/mpp';

export const mpp = createMpp({
  apiKey: process.env.HITPAY_API_KEY!,
  webhookSalt: process.env.HITPAY_WEBHOOK_SALT,
  endpoint: 'https://sandbox.mpp.hitpay.dev',
});
