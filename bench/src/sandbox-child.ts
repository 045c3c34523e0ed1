/** The HitPay sandbox (zero latency, no faults) in a process of its own, for the saved-charge benchmark. */
import { startSandbox } from '@hit-pay/mpp-sandbox';

const sandbox = await startSandbox({ port: 0 });
process.on('message', (c: { id: number; cmd: string }) => {
  if (c.cmd === 'url') process.send!({ id: c.id, result: sandbox.url });
  if (c.cmd === 'stats') process.send!({ id: c.id, result: sandbox.stats });
  if (c.cmd === 'exit') {
    process.send!({ id: c.id, result: null });
    sandbox.close().finally(() => process.exit(0));
  }
});
// The bench process went away (Ctrl-C, a crash): do not outlive it.
process.on('disconnect', () => process.exit(0));
process.send!({ ready: true });
