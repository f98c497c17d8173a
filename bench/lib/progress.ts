/**
 * Progress on stderr while a long suite runs (stdout stays the table): one line rewritten in
 * place on a terminal, one line per step otherwise (CI logs).
 */
export class Progress {
  readonly #suite: string;
  readonly #tty: boolean;
  readonly #started = Date.now();
  #timer: NodeJS.Timeout | undefined;
  #label = '';
  #detail: () => string = () => '';

  constructor(suite: string, enabled = process.env['FSBUS_BENCH_QUIET'] === undefined) {
    this.#suite = suite;
    this.#tty = enabled && process.stderr.isTTY;
    if (!enabled) this.step = () => undefined;
  }

  /** A new step; `detail` is polled every 250 ms on a terminal (e.g. live counts). */
  step(label: string, detail: () => string = () => ''): void {
    this.#label = label;
    this.#detail = detail;
    if (!this.#tty) {
      process.stderr.write(`[${this.#suite} +${this.#elapsed()}s] ${label}\n`);
      return;
    }
    this.#render();
    if (this.#timer === undefined) {
      this.#timer = setInterval(() => this.#render(), 250);
      this.#timer.unref();
    }
  }

  #elapsed(): string {
    return ((Date.now() - this.#started) / 1000).toFixed(0);
  }

  #render(): void {
    const d = this.#detail();
    const line = `[${this.#suite} +${this.#elapsed()}s] ${this.#label}${d === '' ? '' : ` ${d}`}`;
    process.stderr.write(`\r\x1b[K${line.slice(0, (process.stderr.columns || 120) - 1)}`);
  }

  done(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.#tty) process.stderr.write(`\r\x1b[K[${this.#suite}] done in ${this.#elapsed()}s\n`);
  }
}
