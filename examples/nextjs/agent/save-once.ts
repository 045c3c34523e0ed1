import { mppFetch, mppSaveMethod } from '@hit-pay/mpp-client';
import { loadFromDisk, saveToDisk, ui, window } from './app-env';

export async function saveOnceReuse(url: string) {
  // One-time setup — let the user pick a wallet, open the deep link.
  const rail = await ui.pickRail(['grabpay_direct', 'shopee_pay', 'touch_n_go']);
  const spm = await mppSaveMethod(url, {
    paymentMethod: rail,
    customerEmail: 'ana@example.com',
    onSetupUrl: (u) => window.open(u),
  });
  saveToDisk(spm.jws);

  // Reuse — present the JWS on any future charge to the same merchant.
  const { response, receipt } = await mppFetch(url, {
    savedMethodJws: loadFromDisk(),
  });
  return { response, receipt };
}
