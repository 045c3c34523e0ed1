import { NextResponse } from 'next/server';
import { mpp } from '../../../../lib/mpp';
// app/api/forecast/[zip]/route.ts
export const GET = mpp.protect(
  { amount: '1.00', currency: 'sgd', description: 'Forecast' },
  async (_req, ctx) => {
    const { zip } = await ctx.params;
    return NextResponse.json({ zip, forecast: 'sunny' });
  },
);
