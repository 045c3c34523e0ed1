import { NextResponse } from 'next/server';
import { mpp } from '../../../../../lib/mpp';

export const GET = mpp.protectSavedMethod(
  {
    customerEmail: (req) => req.headers.get('x-user-email')!,
    currency: 'sgd',
    maxAmountPerCharge: '5.00',
    totalAmountCap: '50.00',
    perCallAmount: '0.50',
  },
  async (_req, ctx) => {
    const { zip } = await ctx.params;
    return NextResponse.json({ zip, forecast: 'sunny' });
  },
);
