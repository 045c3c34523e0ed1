import { mppFetch } from '@hit-pay/mpp-client';

export async function payEachRequest(url: string) {
  const { response, receipt } = await mppFetch(url, {
    onChallenge: (ch) => {
      // Surface the checkout URL to the user (or auto-approve under a cap)
      console.log('pay here:', ch.methodDetails.checkout_url);
      return { pay: true };
    },
  });
  return { response, receipt };
}
