import { parseReceipt } from '@hit-pay/mpp/protocol';
import { remoteJwks, verifyReceipt } from '@hit-pay/mpp/receipts';
import { ReceiptInvalid } from '../errors.js';
import { ExitCode, type Output } from './output.js';

/**
 * `mpp verify <receipt>`: checks a Payment-Receipt header value (or a bare receipt JWS) against a
 * broker's JWKS. The JWKS is the `--jwks` URL, or the `iss` of the receipt when it is an https URL
 * and `--trust-issuer` is given (the issuer is read from the unverified token, so it is opt-in).
 */
export async function verifyCommand(
  receipt: string,
  flags: { jwks?: string; trustIssuer?: boolean },
  out: Output,
): Promise<number> {
  let jws = receipt.trim();
  if (!/^[\w-]+\.[\w-]+\.[\w-]+$/.test(jws)) {
    const r = parseReceipt(jws);
    if (typeof r.jws !== 'string') throw new ReceiptInvalid('The receipt carries no signature');
    jws = r.jws;
  }
  let jwksUrl = flags.jwks;
  if (!jwksUrl && flags.trustIssuer) {
    const iss = JSON.parse(Buffer.from(jws.split('.')[1]!, 'base64url').toString()).iss as string | undefined;
    if (iss && /^https?:\/\//.test(iss)) jwksUrl = `${iss.replace(/\/+$/, '')}/.well-known/jwks.json`;
  }
  if (!jwksUrl)
    throw Object.assign(new Error('Give --jwks <url> (the broker’s /.well-known/jwks.json)'), {
      code: 'bad-request',
    });
  const claims = await verifyReceipt(jws, remoteJwks(jwksUrl));
  out.human(
    `\x1b[32m✔ valid\x1b[0m ${claims.method} · ${claims.amount} ${claims.currency} (minor units) · reference ${claims.reference} · challenge ${claims.challengeId}`,
  );
  out.result({ valid: true, claims });
  return ExitCode.ok;
}
