/**
 * Whether the driver's streams still store what it publishes. Events go out as core NATS
 * publishes (a PubAck per event would cost a round trip each), so nothing else would tell a
 * stream that refuses them (its limits with discard 'new', the account's storage full) or that
 * is gone (deleted while the connection stays up): live subscribers still get every event, the
 * stream silently misses them.
 *
 * At most one publish a second, and one at a time, is sent with a reply subject: JetStream then
 * answers it like a JetStream publish — a PubAck once stored, `{"error":…}` when refused — and
 * nothing answers for a stream that is gone (a 503 status when nobody subscribes at all). A
 * refusal or a missing stream is a warn line once per change, counted (`refusals`); a missing
 * stream is created again at once (as after a reconnect), a later PubAck is an info line. The
 * server's stream-deleted advisory, where the user may subscribe to it, makes that immediate.
 * Subscribers of the events see a probe's reply subject and may answer it: each probe has a random
 * token, and only JetStream's shape of answer for the probed stream counts.
 */
import { randomBytes } from 'node:crypto';
import { createInbox, PermissionViolationError, type Msg, type NatsConnection, type Subscription as NatsSubscription } from '@nats-io/transport-node';
import type { DriverLogger, StreamSpec } from '../driver.js';
import { subjectMatches } from '../subject-pattern.js';
import { restoreNatsStreams } from './nats-stream-restore.js';

/** The least time between two probes: a stream that stops storing is noticed within about this. */
export const PROBE_INTERVAL_MS = 1000;
/** A probe unanswered this long: the stream is checked (a stream gone while events have live subscribers gets no 503). */
const PROBE_ANSWER_MS = 3000;

/** The warn line of a stream that refuses or cannot take what is published (docs/agent.md, Failures). */
export const STREAM_NOT_STORING_LOG = 'event stream is not storing events: live subscribers still get them, replays and durable consumers will miss them';
/** Its info line once a probe is stored again. */
export const STREAM_STORING_AGAIN_LOG = 'event stream storing again';
/** The warn line of a stream gone while connected, created again. */
export const STREAM_CREATED_AGAIN_CONNECTED_LOG = 'event stream was gone while connected: created again (the events it held, and those published meanwhile, are missing from it)';

/**
 * A permission refusal of one of the driver's own advisory subscriptions (stream deleted, here;
 * stream created, while a durable consumer waits for its stream): expected for a user allowed only
 * its stream's API subjects, so a debug line and not an error — the store probes still notice a
 * deleted stream, and the waiting consumer looks again every 2 s and at each reconnect.
 */
export function advisoryRefusal(err: unknown, logger: DriverLogger | undefined): boolean {
  if (!(err instanceof PermissionViolationError) || err.operation !== 'subscription') return false;
  if (!/^\$JS\.EVENT\.ADVISORY\.STREAM\.(DELETED|CREATED)\./.test(err.subject)) return false;
  logger?.debug({ subject: err.subject }, 'nats: not allowed to subscribe to a stream advisory: noticed without it, later');
  return true;
}

/**
 * JetStream's answer to a publish to `stream`: stored (a PubAck naming it, with a sequence),
 * refused (an error in JetStream's shape: numeric `code`, `description`), or undefined for anything
 * else — a subscriber of the events answering the probe, which it sees, is not JetStream.
 */
function readAnswer(msg: Msg, stream: string): { stored: true } | { stored: false; description: string; errCode?: number } | undefined {
  if (msg.data.length === 0) return msg.headers?.code === 503 ? { stored: false, description: 'no stream holds the subject (no responders)' } : undefined;
  try {
    const a = JSON.parse(new TextDecoder().decode(msg.data)) as { stream?: unknown; seq?: unknown; error?: unknown };
    if (typeof a !== 'object' || a === null) return undefined;
    if (a.error !== undefined) {
      if (typeof a.error !== 'object' || a.error === null) return undefined;
      const e = a.error as { code?: unknown; description?: unknown; err_code?: unknown };
      if (typeof e.code !== 'number' || typeof e.description !== 'string') return undefined;
      return { stored: false, description: e.description, ...(typeof e.err_code === 'number' ? { errCode: e.err_code } : {}) };
    }
    return a.stream === stream && typeof a.seq === 'number' ? { stored: true } : undefined;
  } catch {
    return undefined;
  }
}

interface InFlight {
  readonly spec: StreamSpec;
  readonly reply: string;
  readonly timer: NodeJS.Timeout;
}

export class StoreProbe {
  readonly #nc: NatsConnection;
  readonly #streams: ReadonlyMap<string, StreamSpec>;
  readonly #logger: DriverLogger | undefined;
  readonly #inbox: string;
  readonly #sub: NatsSubscription;
  readonly #advisories = new Map<string, NatsSubscription>();
  /** Set by a timer, read per publish: the hot path costs one boolean. */
  #due = true;
  #dueTimer: NodeJS.Timeout | undefined;
  #inFlight: InFlight | undefined;
  #closed = false;
  /** Streams known not to store now: said once per change. */
  readonly #notStoring = new Set<string>();
  /** Streams being created again. */
  readonly #restoring = new Set<string>();
  /** Probes a stream refused or could not take, and stream-deleted advisories (DriverStats of the NATS driver). */
  refusals = 0;

  constructor(nc: NatsConnection, streams: ReadonlyMap<string, StreamSpec>, logger: DriverLogger | undefined, inboxPrefix: string | undefined) {
    this.#nc = nc;
    this.#streams = streams;
    this.#logger = logger;
    this.#inbox = createInbox(inboxPrefix);
    this.#sub = nc.subscribe(`${this.#inbox}.*`, {
      callback: (err, msg) => {
        if (err === null) this.#answered(msg);
        else {
          // Not allowed to subscribe under its inbox prefix: no answer could ever come.
          logger?.warn({ err, subject: `${this.#inbox}.*` }, 'cannot check that the event stream stores events: not allowed to subscribe under the inbox prefix');
          this.close();
        }
      },
    });
  }

  /** Follows the server's stream-deleted advisory of `name`; a user not allowed it is told by the server, and the probes still notice. */
  watchDeleted(name: string): void {
    if (this.#advisories.has(name) || this.#closed) return;
    const subject = `$JS.EVENT.ADVISORY.STREAM.DELETED.${name}`;
    this.#advisories.set(
      name,
      this.#nc.subscribe(subject, {
        callback: (err) => {
          if (err !== null) return; // refused: see advisoryRefusal
          const spec = this.#streams.get(name);
          if (spec !== undefined) this.#notStoringNow(spec, 'the stream was deleted (advisory)', undefined, true);
        },
      }),
    );
  }

  /**
   * The reply subject for this publish when a probe is due and `subject` is one of a stream's,
   * else undefined. Per publish: a boolean unless a probe is due.
   */
  replyFor(subject: string): string | undefined {
    if (!this.#due) return undefined;
    for (const spec of this.#streams.values()) {
      if (!spec.subjects.some((p) => subjectMatches(p, subject))) continue;
      this.#due = false;
      // A random token, not a counter: whoever saw one probe's reply subject (every subscriber of
      // the events does) cannot pre-send an answer to the next. 96 bits, once a second at most.
      const reply = `${this.#inbox}.${randomBytes(12).toString('hex')}`;
      const timer = setTimeout(() => this.#unanswered(), PROBE_ANSWER_MS);
      timer.unref();
      this.#inFlight = { spec, reply, timer };
      return reply;
    }
    return undefined;
  }

  /** The connection went: a probe sent on it is forgotten (its answer may never come). */
  reset(): void {
    if (this.#inFlight !== undefined) clearTimeout(this.#inFlight.timer);
    this.#inFlight = undefined;
    this.#later();
  }

  close(): void {
    this.#closed = true;
    this.#due = false;
    this.reset();
    clearTimeout(this.#dueTimer);
    this.#sub.unsubscribe();
    for (const s of this.#advisories.values()) s.unsubscribe();
  }

  /** The next probe, a while after this one. */
  #later(): void {
    if (this.#closed || this.#dueTimer !== undefined) return;
    this.#dueTimer = setTimeout(() => {
      this.#dueTimer = undefined;
      if (this.#inFlight === undefined) this.#due = true;
    }, PROBE_INTERVAL_MS);
    this.#dueTimer.unref();
  }

  #answered(msg: Msg): void {
    const probe = this.#inFlight;
    if (probe === undefined || msg.subject !== probe.reply) return; // late: its probe was given up
    const answer = readAnswer(msg, probe.spec.name);
    if (answer === undefined) return; // not JetStream's: the probe still waits for its answer
    // The first valid answer ends the probe: any later one finds no probe, or another's subject.
    clearTimeout(probe.timer);
    this.#inFlight = undefined;
    this.#later();
    const name = probe.spec.name;
    if (answer.stored) {
      if (this.#notStoring.delete(name)) this.#logger?.info({ stream: name }, STREAM_STORING_AGAIN_LOG);
      return;
    }
    // No responders: nothing holds the subject, the stream is gone.
    this.#notStoringNow(probe.spec, answer.description, answer.errCode, answer.errCode === undefined);
  }

  /** No answer: a stream gone while others subscribe to its subjects is silent; checked, created again if gone. */
  #unanswered(): void {
    const probe = this.#inFlight;
    this.#inFlight = undefined;
    this.#later();
    if (probe !== undefined && !this.#nc.isClosed()) void this.#restore(probe.spec, 'the stream did not answer a publish');
  }

  #notStoringNow(spec: StreamSpec, description: string, errCode: number | undefined, gone: boolean): void {
    this.refusals++;
    if (!this.#notStoring.has(spec.name)) {
      this.#notStoring.add(spec.name);
      this.#logger?.warn({ stream: spec.name, description, ...(errCode === undefined ? {} : { err_code: errCode }) }, STREAM_NOT_STORING_LOG);
    }
    if (gone) void this.#restore(spec, description);
  }

  async #restore(spec: StreamSpec, description: string): Promise<void> {
    if (this.#restoring.has(spec.name) || this.#closed) return;
    this.#restoring.add(spec.name);
    try {
      const made = await restoreNatsStreams(this.#nc, [spec], this.#logger, STREAM_CREATED_AGAIN_CONNECTED_LOG, 'event stream could not be checked after a publish it did not store');
      // Found gone by the check alone (no probe answer said so): not storing until a PubAck.
      if (made > 0 && !this.#notStoring.has(spec.name)) {
        this.refusals++;
        this.#notStoring.add(spec.name);
        this.#logger?.warn({ stream: spec.name, description }, STREAM_NOT_STORING_LOG);
      }
    } finally {
      this.#restoring.delete(spec.name);
    }
  }
}
