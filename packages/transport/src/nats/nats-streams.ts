/** JetStream side of the NATS driver: streams with retention, durable and ordered replay. */
import { jetstream, jetstreamManager, AckPolicy, DeliverPolicy, StorageType, RetentionPolicy, type ConsumerConfig, type ConsumerInfo, type JsMsg } from '@nats-io/jetstream';
import { createInbox, nanos, type Msg, type NatsConnection, type Subscription as NatsSubscription } from '@nats-io/transport-node';
import type { ConsumeDurableOptions, DriverLogger, DurableMessage, StreamSpec, Subscription } from '../driver.js';
import { TransportError, TransportErrorCode } from '../errors.js';
import { durableFilterRefused } from '../durable-filter.js';
import { drainSub, JS_OPTIONS } from './nats-util.js';
import { durableMaxInFlight } from '../defaults.js';
import { RetentionWatch, type Gone } from './nats-retention-watch.js';
import { reportStreamLost } from '../retention-loss.js';
import { replayGapWatch } from './nats-replay-gaps.js';

/** The retention limits of a JetStream stream config; 0 (max_age) and -1 mean unlimited. */
interface NatsRetention {
  max_age: number;
  max_msgs: number;
  max_bytes: number;
}

/** How to narrow each setting by hand, for the warn line. */
const NARROW_FLAG: Record<keyof NatsRetention, string> = { max_age: '--max-age', max_msgs: '--max-msgs', max_bytes: '--max-bytes' };

/**
 * The retention an existing stream keeps when an agent (re)starts with `wanted`: the wider of
 * each limit. Several agents share the stream; one started with less must not delete the
 * history of the others — a deliberate narrowing is done by hand.
 */
export function widenedRetention(existing: NatsRetention, wanted: NatsRetention): { config: NatsRetention; keptWider: Array<keyof NatsRetention> } {
  const config = { max_age: 0, max_msgs: -1, max_bytes: -1 };
  const keptWider: Array<keyof NatsRetention> = [];
  for (const k of ['max_age', 'max_msgs', 'max_bytes'] as const) {
    // max_age is unlimited at 0; the counts at -1 (and 0, which nats-server takes so too).
    const unlimited = k === 'max_age' ? 0 : -1;
    const had = existing[k] > 0 ? existing[k] : unlimited;
    const want = wanted[k] > 0 ? wanted[k] : unlimited;
    config[k] = had === unlimited || want === unlimited ? unlimited : Math.max(had, want);
    if (config[k] !== want) keptWider.push(k);
  }
  return { config, keptWider };
}

/**
 * Creates the stream, or brings an existing one to at least `spec`: subjects are the union,
 * retention never narrowed (widenedRetention), with a warn line naming what was kept wider.
 */
export async function ensureNatsStream(nc: NatsConnection, spec: StreamSpec, logger?: DriverLogger): Promise<void> {
  try {
    const jsm = await jetstreamManager(nc, JS_OPTIONS);
    const wanted = {
      max_age: spec.maxAgeMs === undefined ? 0 : nanos(spec.maxAgeMs),
      max_msgs: spec.maxMessages ?? -1,
      max_bytes: spec.maxBytes ?? -1,
    };
    const existing = await jsm.streams.info(spec.name).then(
      (info) => info.config,
      () => undefined,
    );
    if (existing === undefined) {
      await jsm.streams.add({
        name: spec.name,
        subjects: [...spec.subjects],
        ...wanted,
        retention: RetentionPolicy.Limits,
        storage: spec.storage === 'memory' ? StorageType.Memory : StorageType.File,
      });
      return;
    }
    const { config, keptWider } = widenedRetention(existing, wanted);
    const had = existing.subjects ?? [];
    const subjects = [...new Set([...had, ...spec.subjects])];
    const same = subjects.length === had.length && config.max_age === existing.max_age && config.max_msgs === existing.max_msgs && config.max_bytes === existing.max_bytes;
    if (!same) await jsm.streams.update(spec.name, { subjects, ...config });
    if (keptWider.length > 0) {
      const kept = Object.fromEntries(keptWider.map((k) => [k, { stream: config[k], config: wanted[k] }]));
      logger?.warn(
        { stream: spec.name, kept },
        `event stream ${spec.name} keeps retention wider than this agent's config (${keptWider.join(', ')}): it holds every agent's events, so it is never narrowed at start; ` +
          `narrow it deliberately by hand (nats stream edit ${spec.name} ${keptWider.map((k) => `${NARROW_FLAG[k]}=…`).join(' ')})`,
      );
    }
  } catch (err) {
    throw new TransportError(TransportErrorCode.BROKER, `cannot set up stream ${spec.name}: ${(err as Error).message}`, { cause: err });
  }
}

function deliverConfig(from: ConsumeDurableOptions['from']): Partial<ConsumerConfig> {
  if (from === undefined || from === 'all') return { deliver_policy: DeliverPolicy.All };
  if (from === 'new') return { deliver_policy: DeliverPolicy.New };
  if ('sequence' in from) return { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: from.sequence };
  return { deliver_policy: DeliverPolicy.StartTime, opt_start_time: from.time.toISOString() };
}


const ACK = new TextEncoder().encode('+ACK');
const NAK = new TextEncoder().encode('-NAK');
/** "Still working on it": restarts the message's ack wait. */
const WORKING = new TextEncoder().encode('+WPI');

/**
 * The stream sequence of a JetStream delivery, from its ack subject:
 * `$JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.…` (9 tokens) or, with domain and account
 * hash, `$JS.ACK.<domain>.<hash>.<stream>.<consumer>.<delivered>.<sseq>.…` (11 or more).
 * Undefined for anything else (status messages carry no ack subject).
 */
export function ackSubjectSequence(reply: string | undefined): number | undefined {
  if (reply === undefined) return undefined;
  const t = reply.split('.');
  if (t[0] !== '$JS' || t[1] !== 'ACK') return undefined;
  const index = t.length === 9 ? 5 : t.length >= 11 ? 7 : -1;
  const seq = Number(t[index]);
  return Number.isSafeInteger(seq) && seq > 0 ? seq : undefined;
}

/** The delivery count of a JetStream delivery, from its ack subject (as ackSubjectSequence reads it); undefined for anything else. */
function ackSubjectDelivered(reply: string | undefined): number | undefined {
  const t = reply?.split('.') ?? [];
  if (t[0] !== '$JS' || t[1] !== 'ACK') return undefined;
  const count = Number(t[t.length === 9 ? 4 : t.length >= 11 ? 6 : -1]);
  return Number.isSafeInteger(count) && count > 0 ? count : undefined;
}

/** The filter a consumer was created with ('' = every subject of the stream). */
function consumerFilter(config: ConsumerConfig): string {
  return config.filter_subject ?? config.filter_subjects?.join(',') ?? '';
}

/**
 * The durable consumer named in `options`, created on first use. Its filter is part of what it is:
 * the same name with another filter is refused (nats-server 2.9 cannot change a filter, and
 * reusing the consumer would skip or acknowledge what the caller never asked for).
 */
async function durableConsumer(nc: NatsConnection, options: ConsumeDurableOptions & { durable: string }, inboxPrefix: string | undefined): Promise<{ info: ConsumerInfo; existed: boolean }> {
  const jsm = await jetstreamManager(nc, JS_OPTIONS);
  const maxAckPending = durableMaxInFlight(options.maxInFlight);
  const filter = options.filter ?? '';
  const existing = await jsm.consumers.info(options.stream, options.durable).catch(() => undefined);
  if (existing === undefined) {
    const cfg: Partial<ConsumerConfig> = {
      durable_name: options.durable,
      // Under the connection's inbox prefix: where a user with its own inbox namespace may subscribe.
      deliver_subject: createInbox(inboxPrefix),
      ack_policy: AckPolicy.Explicit,
      max_ack_pending: maxAckPending,
      ...deliverConfig(options.from),
    };
    if (filter !== '') cfg.filter_subject = filter;
    return { info: await jsm.consumers.add(options.stream, cfg), existed: false };
  }
  const had = consumerFilter(existing.config);
  if (had !== filter) {
    throw durableFilterRefused(options.durable, options.stream, had, filter, `delete the consumer (nats consumer rm ${options.stream} ${options.durable})`);
  }
  if (existing.config.deliver_subject === undefined || existing.config.deliver_subject === '') {
    throw new TransportError(TransportErrorCode.BROKER, `consumer '${options.durable}' of stream ${options.stream} is a pull consumer, not one this driver made`);
  }
  if (existing.push_bound === true) {
    throw new TransportError(TransportErrorCode.BROKER, `durable consumer '${options.durable}' of stream ${options.stream} is in use by another client`);
  }
  if (existing.config.max_ack_pending === maxAckPending) return { info: existing, existed: true };
  // The positions (ack floor, delivered) are the existing consumer's: an update does not move them.
  return { info: await jsm.consumers.update(options.stream, options.durable, { max_ack_pending: maxAckPending }), existed: true };
}

/** The warn line of a stream lost under a durable consumer (reportStreamLost). */
const STREAM_LOST_LOG =
  'nats-server lost the stream under this durable consumer (back on an empty store?): what it held unread is gone, how much is unknown; the consumer was made again on the new stream, from its first message';

/** How long a consumer whose stream is gone waits, at most, before it looks again (an advisory or a reconnect wakes it sooner). */
const REMAKE_RETRY_MS = 2000;

/** One consumer made on the server, and our subscription to its deliver subject. */
interface Binding {
  readonly sub: NatsSubscription;
  /** Received, not yet acknowledged (by stream sequence). Cleared when the binding goes: its acks then do nothing. */
  readonly unacked: Map<number, Msg>;
  /** The highest stream sequence sent to this consumer: anything at or below it is a copy. */
  highest: number;
}

/**
 * A durable PUSH consumer: the server delivers only while someone listens on its deliver subject,
 * so a consumer that goes offline leaves its messages pending for its return (a pull consumer's
 * last pull request would still swallow messages until it expires). At most `max_ack_pending`
 * messages are out at once. On unsubscribe the subscription is drained (what the server sent
 * before it saw us leave still arrives), then every message received and not acknowledged is
 * handed back with a NAK, oldest first: the next consumer gets them at once and in order, not
 * after the ack wait and after newer ones.
 *
 * A message held here (buffered by the caller, or being handled) is told "still working" every
 * half ack wait, so the server does not send it again however slow the caller is; one it sends
 * again anyway (a reconnect, a NAK) while the first copy is held is not handed out a second
 * time: the newer copy is kept, for the ack.
 *
 * A stream sequence is never used for another message while the stream lives: one at or below
 * the highest this consumer was sent is a copy (`redelivered`), whatever the server's delivery
 * count — a server killed before it wrote the consumer's state sends again from the older state,
 * each with delivery count 1.
 *
 * A reconnect that finds the stream or the consumer gone (a server back on an empty store) makes
 * the consumer again, same name and filter: on a new stream from its first message (all of it
 * was written after the loss), told through onStreamLost before anything of it is handed out;
 * on the same stream (the consumer deleted) after what it had read, nothing told. A stream not
 * there yet (no agent created it again) is waited for.
 */
async function consumeDurable(
  nc: NatsConnection,
  options: ConsumeDurableOptions & { durable: string },
  handler: (message: DurableMessage) => void,
  inboxPrefix: string | undefined,
  logger: DriverLogger | undefined,
): Promise<Subscription> {
  const { info, existed } = await durableConsumer(nc, options, inboxPrefix);
  const retention = await RetentionWatch.attach(nc, options, info, existed, logger);
  let closing = false;
  const respond = (m: Msg, what: Uint8Array): void => {
    try {
      m.respond(what);
    } catch {
      // The connection is gone: the server redelivers after the ack wait.
    }
  };
  /** `highest`: carried over from the binding before on the same stream (its sequences are the same messages). */
  const bind = (deliverSubject: string, highest: number): Binding => {
    const unacked = new Map<number, Msg>();
    const sub = nc.subscribe(deliverSubject, {
      callback: (err, m) => {
        if (err !== null) return;
        const sequence = ackSubjectSequence(m.reply);
        if (sequence === undefined || binding !== bound) return;
        // Sent again while the first copy is held (buffered or being handled): not handed out twice.
        const again = unacked.has(sequence);
        unacked.set(sequence, m);
        const delivered = ackSubjectDelivered(m.reply);
        if (delivered === 1) retention.firstDelivery(sequence);
        retention.received(sequence);
        const copy = sequence <= bound.highest;
        if (!copy) bound.highest = sequence;
        if (closing || again) return;
        handler({
          subject: m.subject,
          data: m.data,
          sequence,
          // Sent before to this consumer: by the server's delivery count, or by the sequence.
          ...(delivered === undefined && !copy ? {} : { redelivered: copy || (delivered ?? 0) > 1 }),
          ack: () => {
            // The copy received last: the server may not take an ack for a delivery it replaced.
            const held = unacked.get(sequence);
            if (held === undefined) return;
            unacked.delete(sequence);
            respond(held, ACK);
          },
        });
      },
    });
    const bound: Binding = { sub, unacked, highest };
    return bound;
  };
  let binding: Binding | undefined;
  binding = bind(info.config.deliver_subject!, 0);
  // The server knows of the subscription before anything else happens.
  await nc.flush();

  /**
   * Makes the consumer again after `gone` (see above); tried again until it is made or the
   * consumer closes. One at a time: a check that finds it gone while this runs changes nothing.
   */
  let remaking = false;
  const remake = async (gone: Gone): Promise<void> => {
    if (remaking || closing) return;
    remaking = true;
    const old = binding;
    // Where it was on the same stream: the oldest held unacknowledged, else past what it read.
    const held = old === undefined ? [] : [...old.unacked.keys()];
    const resume = held.length > 0 ? Math.min(...held) : retention.readUpTo + 1;
    binding = undefined;
    if (old !== undefined) {
      old.unacked.clear();
      old.sub.unsubscribe();
    }
    // The stream created again wakes the wait below at once.
    let wake: (() => void) | undefined;
    const advisories = nc.subscribe(`$JS.EVENT.ADVISORY.STREAM.CREATED.${options.stream}`, { callback: () => wake?.() });
    try {
      for (;;) {
        if (closing) return;
        try {
          const jsm = await jetstreamManager(nc, JS_OPTIONS);
          const stream = await jsm.streams.info(options.stream);
          // Created again since the check found only the consumer gone (or when that could not be told): lost too.
          const known = retention.created;
          const streamLost = gone.streamLost || (known !== undefined && stream.created !== known);
          const from: ConsumeDurableOptions['from'] = streamLost ? 'all' : { sequence: resume };
          const made = await durableConsumer(nc, { ...options, from }, inboxPrefix);
          if (closing) return;
          retention.rebound(streamLost ? 0 : resume - 1, stream.created);
          // Told before anything of the new stream is handed out.
          if (streamLost) reportStreamLost(options, { lostAt: gone.lostAt, restoredAt: new Date() }, logger, STREAM_LOST_LOG);
          // On the same stream what the old binding was sent comes again (acks it held were dropped): copies.
          binding = bind(made.info.config.deliver_subject!, streamLost ? 0 : (old?.highest ?? 0));
          await nc.flush().catch(() => undefined);
          return;
        } catch (err) {
          if (err instanceof TransportError) {
            // Refused (another filter, or in use by another client): it cannot be made again.
            logger?.error({ err, stream: options.stream, durable: options.durable }, 'the durable consumer was gone after the broker reconnect and cannot be made again: it receives nothing');
            try {
              options.onFailed?.(err);
            } catch (thrown) {
              logger?.error({ err: thrown, stream: options.stream, durable: options.durable }, 'onFailed threw');
            }
            return;
          }
          logger?.debug({ err, stream: options.stream, durable: options.durable }, 'the durable consumer was gone after the broker reconnect: making it again failed, tried again');
        }
        // The stream created again (its advisory), a reconnect, or a while.
        let timer: NodeJS.Timeout | undefined;
        const reconnect = retention.nextReconnect();
        await Promise.race([
          reconnect.promise,
          new Promise<void>((resolve) => {
            wake = resolve;
            timer = setTimeout(resolve, REMAKE_RETRY_MS);
          }),
        ]);
        reconnect.cancel();
        wake = undefined;
        clearTimeout(timer);
      }
    } finally {
      advisories.unsubscribe();
      remaking = false;
    }
  };
  retention.onGone = (gone) => void remake(gone);

  // One timer per consumer, not per message; `ack_wait` is in nanoseconds (30 s by default).
  const ackWait = info.config.ack_wait ?? 0;
  const ackWaitMs = ackWait > 0 ? ackWait / 1e6 : 30_000;
  const working = setInterval(
    () => {
      if (closing || nc.isClosed() || binding === undefined) return;
      for (const m of binding.unacked.values()) respond(m, WORKING);
    },
    Math.max(100, Math.floor(ackWaitMs / 2)),
  );
  working.unref();
  retention.watch();
  return {
    subject: options.filter ?? options.stream,
    unsubscribe: async () => {
      closing = true;
      clearInterval(working);
      retention.stop();
      const last = binding;
      if (last === undefined) return;
      await drainSub(last.sub);
      const held = [...last.unacked.entries()].sort(([a], [b]) => a - b);
      last.unacked.clear();
      for (const [, m] of held) respond(m, NAK);
      // The server must have the NAKs (and know we left) before anything else happens.
      if (!nc.isClosed()) await nc.flush();
    },
  };
}

export async function consumeNatsStream(
  nc: NatsConnection,
  options: ConsumeDurableOptions,
  userHandler: (message: DurableMessage) => void,
  logger?: DriverLogger,
  inboxPrefix?: string,
): Promise<Subscription> {
  // nats.js calls subscription callbacks from its socket reader: a throw there ends the reader
  // for the whole connection (nothing more received, not even replies), so none may escape.
  const handler = (message: DurableMessage): void => {
    try {
      userHandler(message);
    } catch (err) {
      logger?.error({ err, subject: message.subject }, 'stream handler threw');
    }
  };
  try {
    const durable = options.durable;
    if (durable !== undefined) return await consumeDurable(nc, { ...options, durable }, handler, inboxPrefix, logger);
    const js = jetstream(nc, JS_OPTIONS);
    const ordered: Record<string, unknown> = { ...deliverConfig(options.from) };
    // A string (not an array) becomes `filter_subject`, which servers before 2.10 accept.
    if (options.filter !== undefined) ordered['filter_subjects'] = options.filter;
    const passed = await replayGapWatch(nc, options, logger);
    const consumer = await js.consumers.get(options.stream, ordered);
    const messages = await consumer.consume({
      callback: (m: JsMsg) => {
        passed(m.seq);
        handler({ subject: m.subject, data: m.data, sequence: m.seq, ack: () => m.ack() });
      },
    });
    return {
      subject: options.filter ?? options.stream,
      unsubscribe: async () => {
        await messages.close();
        // The server must know we left before anything else happens (no delivery into the void).
        await nc.flush();
      },
    };
  } catch (err) {
    if (err instanceof TransportError) throw err;
    throw new TransportError(TransportErrorCode.BROKER, `cannot consume stream ${options.stream}: ${(err as Error).message}`, { cause: err });
  }
}
