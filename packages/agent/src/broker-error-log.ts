/**
 * The agent's `broker reported an error` lines: once per burst of one cause, not of all causes
 * together. With one window for every error, the error that says why the broker is lost came
 * 10 s late whenever another came just before it: RabbitMQ's reconnect refused for the
 * credentials (the line with the hint) was held back as the summary of the window amqplib's
 * `Unexpected close`, from the drop itself, had opened 0.3 s earlier. Each cause has its own
 * window now: a flood of one error is still one line per burst, and another cause is written
 * when it comes.
 */
import { DEFAULT_LOG_THROTTLE_MS, LogThrottle, type LogFn } from '@fsbus/esl';

export const BROKER_ERROR_LOG = 'broker reported an error';

/**
 * How many causes other than a refusal of the credentials get a window of their own; errors of
 * any further cause share the last one. Bounds the lines per window, as the windows bound them per cause.
 */
export const BROKER_ERROR_CAUSES_MAX = 8;

/** The cause of a refusal of the credentials: its own window, never shared with the overflow. */
const REFUSED = 'credentials refused';
const OTHERS = 'other causes';

/**
 * What makes two broker errors one cause for the log: a refusal of the credentials (it carries a
 * hint); else the error's code (FSBUS_ERR_*, ECONNRESET, a RabbitMQ reply code); else its class
 * name. Not its message: that can name a subject or an address, one per error of a flood.
 */
export function brokerErrorCause(err: Error, hint: string | undefined): string {
  if (hint !== undefined) return REFUSED;
  const code: unknown = (err as { code?: unknown }).code;
  return typeof code === 'string' || typeof code === 'number' ? `code ${code}` : `name ${err.name}`;
}

export class BrokerErrorLog {
  readonly #log: LogFn;
  readonly #intervalMs: number;
  readonly #throttles = new Map<string, LogThrottle>();

  /** `intervalMs`: each cause's window. @default DEFAULT_LOG_THROTTLE_MS */
  constructor(log: LogFn, intervalMs = DEFAULT_LOG_THROTTLE_MS) {
    this.#log = log;
    this.#intervalMs = intervalMs;
  }

  /** One error the driver reported: written now, or counted into its cause's summary line. */
  hit(err: Error, hint: string | undefined): void {
    this.#throttleFor(brokerErrorCause(err, hint)).hit(hint === undefined ? { err } : { err, hint });
  }

  /** Writes every cause's held-back summary (at stop). */
  flush(): void {
    for (const t of this.#throttles.values()) t.flush();
  }

  #throttleFor(cause: string): LogThrottle {
    const known = this.#throttles.get(cause);
    if (known !== undefined) return known;
    const others = [...this.#throttles.keys()].filter((k) => k !== REFUSED).length;
    // The last window of the bound is shared by whatever causes come after it.
    const key = cause === REFUSED || others < BROKER_ERROR_CAUSES_MAX - 1 ? cause : OTHERS;
    let t = this.#throttles.get(key);
    if (t === undefined) {
      t = new LogThrottle(this.#log, BROKER_ERROR_LOG, this.#intervalMs);
      this.#throttles.set(key, t);
    }
    return t;
  }
}
