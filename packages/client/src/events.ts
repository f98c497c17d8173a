/**
 * Opening an event stream: live subscriptions (one per pattern) or a durable/replayed consumer
 * of the agent's event stream, filtered by node on the client (events carry `node_id`).
 */
import { eventSubjectTail, slugNodeId } from '@fsbus/contract';
import { isEventName } from '@fsbus/esl';
import { assertPattern, TransportError, TransportErrorCode, type ConsumeDurableOptions, type Subscription } from '@fsbus/transport';
import type { ClientCore } from './commands.js';
import { ClientError, ClientErrorCode, toClientError } from './errors.js';
import { decodeEvent, subjectMatches, type BusEvent, type EventPattern } from './event.js';
import { EventStream, type Deliver, type Fail, type Gap, type Malformed } from './event-stream.js';
import { countOption, eventSubjectBound, functionOption, nodeOption, patternsOption, replayFromOption, signalOption, streamNameOption } from './validate.js';
import { DEFAULT_EVENT_BUFFER, type EventsOptions } from './types.js';

/** `channel.>` → `freeswitch.events.channel.>`; `CHANNEL_ANSWER` → `freeswitch.events.channel.answer`. */
export function eventSubject(core: Pick<ClientCore, 'subjects'>, pattern: string): string {
  if (typeof pattern !== 'string') throw new ClientError(ClientErrorCode.INVALID_ARGUMENT, `bad event pattern: not a string (${pattern === null ? 'null' : typeof pattern})`);
  const p = pattern.trim();
  if (p === '' || /\s/.test(p)) throw new ClientError(ClientErrorCode.INVALID_ARGUMENT, `bad event pattern ${JSON.stringify(pattern)}`);
  const tail = isEventName(p) ? eventSubjectTail(p) : p;
  // Bounded before anything else: a subject past nats-server's 4 KiB protocol line makes the
  // server drop the shared connection, again on every re-subscribe.
  const subject = eventSubjectBound(`${core.subjects.eventsRoot}.${tail}`, pattern);
  try {
    assertPattern(subject);
  } catch {
    // `channel..answer`, `>.answer`, `channel.>.x`: no broker delivers anything to these.
    throw new ClientError(ClientErrorCode.INVALID_ARGUMENT, `bad event pattern ${JSON.stringify(pattern)}: empty tokens, or * or > inside a token, or > before the last token`);
  }
  return subject;
}

/** The agent's default stream name for a prefix (`FREESWITCH_EVENTS`). */
export function defaultStreamName(prefix: string): string {
  return `${prefix.replace(/[^A-Za-z0-9_-]/g, '_').toUpperCase()}_EVENTS`;
}

export function openEventStream(core: ClientCore, patternArg: EventPattern | readonly EventPattern[], options: EventsOptions): EventStream {
  if (core.isClosed()) throw new ClientError(ClientErrorCode.CLOSED, 'events: the client is closed');
  const patterns = patternsOption(patternArg);
  if (patterns.length === 0) throw new ClientError(ClientErrorCode.INVALID_ARGUMENT, 'events: give at least one pattern');
  const subjects = [...new Set(patterns.map((p) => eventSubject(core, p)))];
  const node = options.node === undefined ? undefined : slugNodeId(nodeOption(options.node, 'node'));
  const durable = options.durable !== undefined || options.from !== undefined;
  const accept = (e: BusEvent): boolean =>
    (node === undefined || e.nodeId === node) && (!durable || subjects.some((s) => subjectMatches(s, e.subject)));
  const driver = core.driver;
  const bufferSize = countOption(options.bufferSize, 'bufferSize') ?? DEFAULT_EVENT_BUFFER;
  // Names the broker would refuse (or drop the connection for) are the caller's, before anything is sent.
  // JetStream's name rules (no '.', '*', '>', '/', '\\') on NATS; a Kafka group or a Redis key may have dots.
  const jetStream = driver.name === 'nats';
  streamNameOption(options.durable, 'durable', jetStream);
  streamNameOption(options.stream, 'stream', jetStream);
  replayFromOption(options.from);
  signalOption(options.signal, 'signal');
  const onMalformed = functionOption(options.onMalformed, 'onMalformed');
  const onGap = functionOption(options.onGap, 'onGap');
  // A live stream's last moment known to have missed nothing: its start, then the receipt of each
  // message, or the connection's return. An outage's gap starts there, not when the driver noticed
  // it: a broker that died (a connection that died silently, seen at the next ping) took what was
  // on its way before the driver said 'reconnecting'.
  let completeAt = Date.now();
  const open = async (deliver: Deliver, malformed: Malformed): Promise<Subscription[]> => {
    // Set once every pattern was subscribed: a refusal from then on is not about any one of them.
    let subscribed = false;
    try {
      if (!durable) {
        const subs: Subscription[] = [];
        try {
          subjects.forEach((s, i) => {
            // Patterns may overlap (`channel.>` and `CHANNEL_ANSWER`), and each subscription gets
            // its own copy of an event both match: the first pattern that matches delivers it.
            const earlier = subjects.slice(0, i);
            subs.push(
              driver.subscribe(s, (m) => {
                completeAt = Date.now();
                if (earlier.some((p) => subjectMatches(p, m.subject))) return;
                const e = decodeEvent(m.subject, m.data);
                if (e !== undefined) deliver(e);
                else malformed(m.subject, m.data);
              }),
            );
          });
          subscribed = true;
          // The broker has the subscriptions once this round trip is done.
          await driver.flush();
        } catch (err) {
          // Away: the driver restores its subscriptions when the broker is back, and the stream
          // delivers from then on, as for one opened before the outage.
          if (err instanceof TransportError && err.code === TransportErrorCode.DISCONNECTED) return subs;
          // A stream that never opens (a later pattern refused, the flush failed) must not leave
          // the subscriptions it made delivering to nobody.
          for (const sub of subs) void sub.unsubscribe().catch(() => undefined);
          throw err;
        }
        return subs;
      }
      if (!driver.capabilities.durableStreams) {
        throw new ClientError(ClientErrorCode.INVALID_ARGUMENT, `events: the ${driver.name} driver has no durable streams (durable/from)`);
      }
      const spec: ConsumeDurableOptions = {
        stream: options.stream ?? defaultStreamName(core.subjects.prefix),
        ...(options.durable === undefined ? {} : { durable: options.durable }),
        from: options.from ?? 'all',
        // One pattern is filtered by the broker; several (a server-side list needs
        // nats-server >= 2.10) are filtered here, by `accept`.
        ...(subjects.length === 1 ? { filter: subjects[0]! } : {}),
        // No more unacknowledged events out than the buffer holds (read by the NATS driver as
        // JetStream's max_ack_pending): a durable consumer is held back, never dropped from.
        maxInFlight: bufferSize,
        // Events the stream's retention removed before this consumer read them: a gap, told.
        onRetentionLoss: (loss) => {
          const foundAt = new Date();
          gap?.(foundAt, foundAt, { from: loss.from, to: loss.to, count: loss.count });
        },
        // The broker lost the stream under this consumer (Redis restarted without persistence):
        // what it held unread is gone, how much is unknown — a gap without `lost`, as an outage's.
        onStreamLost: (loss) => gap?.(loss.lostAt, loss.restoredAt),
        // The consumer lost and not made again: the stream fails, it does not wait for nothing.
        onFailed: (err) => fail?.(toClientError(err, 'events', core.isClosed(), ClientErrorCode.STREAM)),
      };
      const sub = await driver.consumeDurable(
        spec,
        (m) => {
          const e = decodeEvent(m.subject, m.data, m.sequence);
          if (e !== undefined) {
            // A named durable's sequence: see Deliver (a replay has no acknowledged position).
            deliver(e, () => m.ack(), options.durable === undefined ? undefined : m.sequence, m.redelivered);
            return;
          }
          // Acknowledged: read again it would be just as malformed. Reported if its subject is
          // one of ours (several patterns are filtered here, as `accept` does for events).
          m.ack();
          if (subjects.some((s) => subjectMatches(s, m.subject))) malformed(m.subject, m.data, m.sequence);
        },
      );
      return [sub];
    } catch (err) {
      if (!durable && err instanceof TransportError && err.code === TransportErrorCode.UNSUPPORTED) {
        // A pattern this driver's broker cannot subscribe to (MQTT's `+`, `#`, `/` in a token) is the caller's.
        // ZeroMQ's PUB/SUB takes any pattern that passed eventSubject(): its refusal, like one from
        // flush(), is what the bus cannot do (an agent in mod_event_zmq mode), and keeps its code.
        if (!subscribed && driver.name !== 'zmq') throw new ClientError(ClientErrorCode.INVALID_ARGUMENT, `events: ${err.message}`, { cause: err });
        throw new TransportError(err.code, `events: ${err.message}`, { cause: err });
      }
      // A stream that cannot be read is not a lost connection (a live subscription has no stream);
      // one asked for while the broker is away is (JetStream's API call just timed out).
      const lost = !durable || driver.status !== 'connected';
      throw toClientError(err, 'events', core.isClosed(), lost ? ClientErrorCode.DISCONNECTED : ClientErrorCode.STREAM);
    }
  };
  let fail: Fail | undefined;
  let gap: Gap | undefined;
  let unregister: (() => void) | undefined;
  let offDriver: (() => void) | undefined;
  const stream = new EventStream(
    (deliver, failWith, malformed, gapWith) => {
      fail = failWith;
      gap = gapWith;
      return open(deliver, malformed);
    },
    accept,
    bufferSize,
    options.signal,
    () => {
      unregister?.();
      offDriver?.();
    },
    onMalformed,
    onGap,
  );
  if (!stream.closed) {
    // bus.close() ends the stream (a pending next() ends the iteration); a stream that ended first unregisters.
    // It waits for the loop to be done with a durable event in hand (bounded), then the connection may close.
    unregister = core.onClose(() => stream.closeAndWait());
    // A live stream misses what is published while the connection is down (opened while the
    // broker was away: since then), and what was on its way as it went (since completeAt): a gap,
    // told once the subscription is back.
    let lostAt = !durable && driver.status !== 'connected' ? new Date(completeAt) : undefined;
    offDriver = driver.on((e) => {
      if (e.type !== 'status' || core.isClosed()) return;
      // A driver closed for good under an open client (closed by its owner, or it gave up
      // reconnecting) delivers nothing any more: the stream fails as requests do, not waits forever.
      if (e.status === 'closed') {
        fail?.(new ClientError(ClientErrorCode.DISCONNECTED, 'events: the broker connection was lost (closed)'));
        return;
      }
      if (durable) return;
      if (e.status === 'reconnecting') lostAt ??= new Date(completeAt);
      else if (e.status === 'connected' && lostAt !== undefined) {
        const since = lostAt;
        const restoredAt = new Date();
        lostAt = undefined;
        // The subscription is back: complete from here until the next message or outage.
        completeAt = restoredAt.getTime();
        gap?.(since, restoredAt);
      }
    });
  }
  return stream;
}
