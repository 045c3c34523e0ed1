import { displayAmount } from '@hit-pay/mpp';
import { saveGrant } from '../node/index.js';
import { mppSaveMethod } from '../save.js';
import { parseHeaderFlags } from './headers.js';
import { ExitCode, type Output, Spinner, terminalQr } from './output.js';

export interface SaveFlags {
  method: string;
  email: string;
  out?: string;
  header?: string[];
  timeout?: string;
  json?: boolean;
}

/** `mpp save <url>`: saves a wallet for an API that offers hitpay-save and stores the grant. */
export async function saveCommand(url: string, flags: SaveFlags, out: Output): Promise<number> {
  const headers = parseHeaderFlags(flags.header);
  let spinner: Spinner | undefined;
  const grant = await mppSaveMethod(url, {
    paymentMethod: flags.method,
    customerEmail: flags.email,
    headers,
    ...(flags.timeout ? { timeout: Number(flags.timeout) * 1000 } : {}),
    onSetupUrl: async (setupUrl) => {
      out.say(`Approve ${flags.method} in the wallet:`);
      out.say(await terminalQr(setupUrl));
      out.say(setupUrl);
      out.result({ event: 'setup', setup_url: setupUrl });
      spinner = new Spinner('waiting for the approval…').start();
    },
  }).finally(() => spinner?.stop());
  const path = await saveGrant(grant, flags.out);
  out.say(
    `\x1b[32m✔ saved\x1b[0m ${grant.rail} · per charge ≤ ${displayAmount(grant.maxAmountPerCharge, grant.currency)} · total ≤ ${displayAmount(grant.totalAmountCap, grant.currency)} → ${path}`,
  );
  out.result({ saved_method_id: grant.savedMethodId, rail: grant.rail, currency: grant.currency, path });
  return ExitCode.ok;
}
