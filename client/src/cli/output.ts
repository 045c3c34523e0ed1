import QRCode from 'qrcode';

/** Exit codes of `mpp`, stable for scripts. */
export const ExitCode = {
  ok: 0,
  error: 1,
  usage: 2,
  declined: 3,
  budget: 4,
  timeout: 5,
  receipt: 6,
  http: 7,
  unavailable: 8,
  conformance: 10,
} as const;

/** The exit code for an error thrown by the client. */
export function exitCodeFor(error: unknown): number {
  const code = (error as { code?: string } | null)?.code;
  switch (code) {
    case 'payment-declined':
      return ExitCode.declined;
    case 'budget-exceeded':
      return ExitCode.budget;
    case 'payment-timeout':
    case 'challenge-expired':
      return ExitCode.timeout;
    case 'receipt-invalid':
      return ExitCode.receipt;
    case 'service-unavailable':
      return ExitCode.unavailable;
    case 'bad-request':
      return ExitCode.usage;
    default:
      return ExitCode.error;
  }
}

/** Where output goes: people get text on a terminal, programs get JSON when piped or asked. */
export class Output {
  readonly json: boolean;
  readonly tty: boolean;
  constructor(
    options: { json?: boolean },
    private readonly out: NodeJS.WriteStream = process.stdout,
    private readonly err: NodeJS.WriteStream = process.stderr,
  ) {
    this.tty = out.isTTY === true;
    this.json = options.json === true || !this.tty;
  }
  /** Human text (stderr when JSON goes to stdout, so pipes stay clean). */
  say(text: string): void {
    (this.json ? this.err : this.out).write(`${text}\n`);
  }
  /** The machine result: JSON on stdout. */
  result(value: unknown): void {
    if (this.json) this.out.write(`${JSON.stringify(value)}\n`);
  }
  /** Text for people only. */
  human(text: string): void {
    if (!this.json) this.out.write(`${text}\n`);
  }
  fail(error: unknown): number {
    const e = error as { code?: string; message?: string; detail?: string };
    const message = e.detail ?? e.message ?? String(error);
    if (this.json) this.out.write(`${JSON.stringify({ error: { code: e.code ?? 'error', message } })}\n`);
    else this.err.write(`\x1b[31merror\x1b[0m ${message}\n`);
    return exitCodeFor(error);
  }
}

/** A QR code drawn with half-block characters. */
export async function terminalQr(text: string): Promise<string> {
  return QRCode.toString(text, { type: 'terminal', small: true, errorCorrectionLevel: 'M' });
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** A spinner with elapsed seconds, on stderr, only on a terminal. */
export class Spinner {
  private timer: NodeJS.Timeout | undefined;
  private frame = 0;
  private readonly started = Date.now();
  constructor(
    private label: string,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {}
  /** Changes the text shown next to the spinner (progress through a list). */
  update(label: string): void {
    this.label = label;
  }
  start(): this {
    if (!this.stream.isTTY) return this;
    this.timer = setInterval(() => {
      const s = Math.floor((Date.now() - this.started) / 1000);
      const line = `${FRAMES[this.frame++ % FRAMES.length]} ${this.label} ${s}s`;
      this.stream.write(`\r\x1b[K${line.slice(0, (this.stream.columns || 120) - 1)}`);
    }, 100);
    return this;
  }
  stop(final?: string): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.stream.isTTY) this.stream.write(`\r\x1b[K${final ? `${final}\n` : ''}`);
  }
}
