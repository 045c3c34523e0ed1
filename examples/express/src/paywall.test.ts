import { mkdirSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { inflateSync } from 'node:zlib';
import { type Browser, chromium } from 'playwright-core';
import QRCode from 'qrcode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type E2EWorld, startWorld } from '../../../test-support/example-e2e.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH, serviceAvailable } from '../../../test-support/services.ts';
import { buildApp } from './app.js';

/** Decodes an 8-bit RGB(A) PNG (what Chromium screenshots are) into RGBA pixels. */
function decodePng(png: Buffer): { width: number; height: number; pixel(x: number, y: number): number[] } {
  let pos = 8;
  let width = 0;
  let height = 0;
  let channels = 4;
  const idat: Buffer[] = [];
  while (pos < png.length) {
    const len = png.readUInt32BE(pos);
    const type = png.toString('ascii', pos + 4, pos + 8);
    const data = png.subarray(pos + 8, pos + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      channels = data[9] === 6 ? 4 : 3;
    } else if (type === 'IDAT') idat.push(data);
    pos += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const out = Buffer.alloc(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    for (let x = 0; x < stride; x++) {
      const v = raw[y * (stride + 1) + 1 + x]!;
      const a = x >= channels ? out[y * stride + x - channels]! : 0;
      const b = y > 0 ? out[(y - 1) * stride + x]! : 0;
      const c = x >= channels && y > 0 ? out[(y - 1) * stride + x - channels]! : 0;
      const p = a + b - c;
      const pr =
        Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c)
          ? a
          : Math.abs(p - b) <= Math.abs(p - c)
            ? b
            : c;
      out[y * stride + x] = (v + [0, a, b, (a + b) >> 1, pr][filter]!) & 255;
    }
  }
  return {
    width,
    height,
    pixel: (x, y) => [...out.subarray(y * stride + x * channels, y * stride + x * channels + channels)],
  };
}

const haveChromium = await serviceAvailable('chromium');

describe.skipIf(!haveChromium)('browser paywall (Debian Chromium)', () => {
  let w: E2EWorld;
  let browser: Browser;
  beforeAll(async () => {
    w = await startWorld(async (options) => {
      const server = buildApp(options).listen(0, '127.0.0.1');
      await new Promise((r) => server.once('listening', r));
      return {
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        close: () => new Promise<void>((r) => server.close(() => r())),
      };
    });
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await w?.api.close();
    await w?.sandbox.close();
  });

  it('shows price, description and the PayNow QR with the challenge in the headers, then returns to the resource once paid', async () => {
    const page = await browser.newPage({ viewport: { width: 480, height: 860 } });
    const first = await page.goto(`${w.api.url}/forecast/94103`);
    expect(first!.status()).toBe(402);
    expect(first!.headers()['www-authenticate']).toMatch(
      /^Payment id="[\w-]{43}", realm=".*", method="hitpay"/,
    );
    expect(first!.headers()['content-type']).toMatch(/^text\/html/);

    // The page creates the checkout, then shows the QR of HitPay's PayNow payload.
    const qr = page.locator('#qr img');
    await qr.waitFor({ state: 'visible' });
    await page.waitForFunction(
      () => ((document.querySelector('#qr img') as HTMLImageElement | null)?.naturalWidth ?? 0) > 0,
    );
    expect(await page.locator('#price').innerText()).toBe('SGD 1.00');
    expect(await page.locator('#description').innerText()).toBe('Forecast');
    const src = new URL((await qr.getAttribute('src'))!);
    const payload = src.searchParams.get('data')!;

    expect(payload).toMatch(/^000201/); // EMV merchant-presented QR
    expect(payload).toContain('SG.PAYNOW');
    // The SVG the page shows encodes exactly that payload.
    const svg = await (await fetch(src)).text();
    expect(svg).toBe(await QRCode.toString(payload, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' }));

    // The screenshot: a QR is a high-contrast pattern where the page draws it; the price is on screen.
    mkdirSync(new URL('../../../test-results/', import.meta.url), { recursive: true });
    const shot = await page.screenshot({ fullPage: true });
    writeFileSync(new URL('../../../test-results/paywall.png', import.meta.url), shot);
    const image = decodePng(shot);
    const box = (await qr.boundingBox())!;
    let dark = 0;
    let light = 0;
    for (let y = Math.ceil(box.y) + 2; y < box.y + box.height - 2; y += 2) {
      for (let x = Math.ceil(box.x) + 2; x < box.x + box.width - 2; x += 2) {
        const [r, g, b] = image.pixel(x, y);
        if (r! + g! + b! < 150) dark++;
        else if (r! + g! + b! > 600) light++;
      }
    }
    expect(dark / (dark + light)).toBeGreaterThan(0.25);
    expect(dark / (dark + light)).toBeLessThan(0.75);
    const priceBox = (await page.locator('#price').boundingBox())!;
    expect(priceBox.y + priceBox.height).toBeLessThan(image.height);

    // Pay on HitPay's hosted checkout (the sandbox's page), then come back to the resource.
    await page.locator('#pay').click();
    await page.waitForURL(/\/checkout/);
    await page.getByRole('button', { name: /pay/i }).first().click();
    await page.waitForURL(`${w.api.url}/forecast/94103`, { timeout: 20_000 });
    await page.waitForSelector('#content', { timeout: 20_000 });
    const shown = JSON.parse(await page.locator('#content').innerText());
    expect(shown).toMatchObject({ zip: '94103', paid: expect.any(String) });
    expect(w.sandbox.stats.outcomes.completed).toBeGreaterThanOrEqual(1);
    await page.close();
  });
});
