/**
 * Made-up weather, deterministic per postcode, so every example API sells the same thing and
 * every test can check what it bought.
 */
const SKIES = ['sunny', 'partly cloudy', 'cloudy', 'light rain', 'thunderstorms'] as const;

function seed(zip: string): number {
  let h = 2166136261;
  for (const c of zip) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
  return h >>> 0;
}

/** Today's forecast for a postcode. */
export function forecast(zip: string): { zip: string; sky: string; highC: number; lowC: number } {
  const s = seed(zip);
  return { zip, sky: SKIES[s % SKIES.length]!, highC: 28 + (s % 6), lowC: 23 + (s % 4) };
}

/** The next `hours` hours, one entry per hour. */
export function hourly(zip: string, hours = 6): { hour: number; sky: string; tempC: number }[] {
  const s = seed(zip);
  return Array.from({ length: hours }, (_, i) => ({
    hour: i,
    sky: SKIES[(s + i) % SKIES.length]!,
    tempC: 25 + ((s >> i) % 6),
  }));
}

/** Whether a postcode looks valid (digits, 4–6 of them). */
export const validZip = (zip: string): boolean => /^\d{4,6}$/.test(zip);

/** The prices every example charges. */
export const PRICES = {
  forecast: { amount: '1.00', currency: 'sgd', description: 'Forecast' },
  hourly: {
    currency: 'sgd',
    perCallAmount: '0.50',
    maxAmountPerCharge: '1.00',
    totalAmountCap: '10.00',
    description: 'Hourly forecast',
  },
} as const;
