/**
 * The ZeroMQ driver (zeromq 6), brokerless like mod_event_zmq. Two topologies:
 *  - agent/client (the default): a driver that serves lanes or publishes events BINDS a ROUTER
 *    (commands) and a PUB (events) at its first URL, lazily; a driver that requests or subscribes
 *    CONNECTS to every URL of its list (one agent each).
 *  - mesh: the URL marked `?bind` is the driver's own endpoint, bound at connect(); it connects to
 *    every other URL (its peers) at connect() too.
 * Competing lanes are round-robin over the agents that serve them, direct lanes go to the agent
 * that has them, broadcast to all. Status: 'reconnecting' while every peer this driver had reached
 * is gone (then events wait in the bounded outbox), 'connected' once one is back and this driver's
 * subscriptions reached it again. No durable streams.
 */
import { randomUUID } from 'node:crypto';
import { LogThrottle } from '@fsbus/esl';
import type { Driver, DriverCapabilities, DriverOptions, DriverStats, GatherOptions, InboundMessage, Lane, PublishOptions, PublishOutcome, RequestOptions, ServeHandler, Subscription } from '../../driver.js';
import { TransportError, TransportErrorCode } from '../../errors.js';
import type { OutboxItem } from '../../outbox.js';
import { gatherTally } from '../base-driver.js';
import { DriverCore, livenessIntervalOption, requestNeverSent, urlList } from '../driver-core.js';
import { isValidSubject, SUBJECT_RULE } from '../kafka/kafka-topics.js';
import { ZmqClient } from './zmq-client.js';
import { PushedOutError } from './zmq-writer.js';
import { DEFAULT_HEARTBEAT_INTERVAL_MS, EXPIRES_HEADER, heartbeats, Kind, parseZmqUrl, type Heartbeats, type ZmqEndpoints } from './zmq-protocol.js';
import { FOREIGN_MESSAGE_LOG, REFUSED_EXPIRES_LOG, ZmqServer } from './zmq-server.js';
import { checkCurve, serverCurve } from './zmq-curve.js';
import { DEFAULT_BUFFER_MESSAGES, DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_REQUEST_TIMEOUT_MS } from '../../defaults.js';

/** How long a request waits for the agents' lane lists before "no responders". @default 1000 */
export const LANE_DISCOVERY_MS = 1000;

const CAPABILITIES: DriverCapabilities = {
  requestReply: true,
  competingConsumers: true,
  wildcards: true,
  headers: true,
  durableStreams: false,
  scatterGather: true,
  promptNoResponders: false,
};

export function createZmqDriver(options: DriverOptions): Driver {
  return new ZmqDriver(options);
}

/** `<…>.cmd.async.<…>`: a fire-and-forget command for the agents serving it, not an event. */
const isAsyncCommand = (subject: string): boolean => /(^|\.)cmd\.async\./.test(subject);

/**
 * On DriverCore, not BaseDriver: requests, replies and hand-offs are frames of our own wire
 * (zmq-protocol.ts) between DEALER and ROUTER, correlated here; the core's outbox holds events.
 */
class ZmqDriver extends DriverCore {
  readonly name = 'zmq';
  readonly capabilities = CAPABILITIES;
  /** Where this driver binds (mesh: the `?bind` URL; else the first URL, lazily). */
  readonly #own: ZmqEndpoints | undefined;
  /** Where its client side connects (mesh: the other URLs; else all). */
  readonly #peers: ZmqEndpoints[];
  readonly #mesh: boolean;
  #server: ZmqServer | undefined;
  #client: ZmqClient | undefined;
  /** Settles each pending request/gather (close() ends them with CLOSED). */
  readonly #calls = new Set<(err?: Error) => void>();
  /** flush() calls whose subscriptions some publisher had not acknowledged within the bound (logged). */
  #unsettledFlushes = 0;
  /** Messages on the ROUTER that are not the fsbus wire. */
  readonly #refuseForeign = this.requestRefusal(FOREIGN_MESSAGE_LOG);
  /** Requests whose `fsbus-expires` is not epoch milliseconds. */
  readonly #refuseExpires = this.requestRefusal(REFUSED_EXPIRES_LOG);
  readonly #unsettledLog = new LogThrottle((fields, msg) => this.options.logger?.warn(fields, msg), "zmq: flush: this driver's subscriptions did not reach every publisher in time");

  /** ZMTP heartbeats of every socket: `livenessIntervalMs` is their interval. */
  readonly #beats: Heartbeats;

  constructor(options: DriverOptions) {
    super(options);
    this.#beats = heartbeats(livenessIntervalOption(options, DEFAULT_HEARTBEAT_INTERVAL_MS));
    const urls = urlList(options.urls).map(parseZmqUrl);
    this.#mesh = urls.some((u) => u.bind);
    this.#own = this.#mesh ? urls.find((u) => u.bind) : urls[0];
    this.#peers = this.#mesh ? urls.filter((u) => !u.bind) : urls;
  }

  async connect(): Promise<void> {
    this.assertOpen();
    if (this.#own === undefined) throw new TransportError(TransportErrorCode.CONNECT, 'zmq: no URL given');
    if (this.status !== 'connecting') return;
    checkCurve(this.options.curve);
    if (this.#mesh) {
      // A mesh peer binds and connects now: a bind conflict fails connect(), typed.
      this.#server = this.#newServer();
      await this.#bindError(this.#server.bind());
      this.#newClient();
    }
    // ZeroMQ connects in the background and reconnects by itself: nothing else to wait for.
    this.setStatus('connected', this.#own.commands);
  }

  async #bindError(bound: Promise<void> | undefined): Promise<void> {
    try {
      await bound;
    } catch (err) {
      throw new TransportError(TransportErrorCode.CONNECT, `zmq: cannot bind ${this.#own!.commands} / ${this.#own!.events}: ${(err as Error).message}`, { cause: err });
    }
  }

  /** The client side lost every peer it had reached, or got one back. */
  #onLink(up: boolean): void {
    // zeromq's socket monitor can report a queued handshake after close(): the sockets are gone.
    if (this.status === 'closed') return;
    if (!up) {
      if (this.status === 'connected') this.setStatus('reconnecting');
      return;
    }
    // Connected again once this driver's subscriptions reached the publishers (then what waited
    // in the outbox goes out, and its own subscribers are there to see it) and an agent that came
    // back answered on the new connection (its replies find this client again). Both bounded: an
    // agent of the list still away gets the subscriptions when it connects.
    const client = this.#client;
    if (client === undefined) return;
    void Promise.all([client.subscriptionsSettled(this.#connectTimeoutMs), client.answered(LANE_DISCOVERY_MS)]).then(
      ([missing]) => {
        if (missing > 0) this.options.logger?.debug({ missing }, 'zmq: not every publisher acknowledged the subscriptions after a reconnect');
        if (this.status !== 'reconnecting' || this.#client?.linkUp !== true) return;
        this.reconnects++;
        this.online(this.#own?.commands);
      },
      (err: unknown) => this.options.logger?.debug({ err }, 'zmq: subscriptions not settled after a reconnect'),
    );
  }

  #live(): void {
    this.assertOpen();
    if (this.status === 'connecting') throw new TransportError(TransportErrorCode.CLOSED, 'driver is not connected yet');
  }

  /** Agent/client topology: the first lane (or event) binds; a failure surfaces as an 'error' event and from flush(). */
  #serverSide(): ZmqServer {
    this.#live();
    if (this.#server === undefined) {
      this.#server = this.#newServer();
      this.#bindError(this.#server.bind()).catch((error: unknown) => this.emit({ type: 'error', error: error as Error }));
    }
    return this.#server;
  }

  #newServer(): ZmqServer {
    const onExpired = (subject: string, lateMs: number): void => this.expiredOnArrival(subject, lateMs);
    const eventDropped = (event: OutboxItem): void => this.droppedAfterSend(event);
    return new ZmqServer(this.#own!, this.options.bufferMessages ?? DEFAULT_BUFFER_MESSAGES, onExpired, this.#refuseForeign, this.#refuseExpires, this.options.logger, serverCurve(this.options.curve), eventDropped, this.#beats);
  }

  #clientSide(): ZmqClient {
    this.#live();
    return this.#newClient();
  }

  #newClient(): ZmqClient {
    this.#client ??= new ZmqClient(this.#peers, this.options.bufferMessages ?? DEFAULT_BUFFER_MESSAGES, this.options.logger, (up) => this.#onLink(up), this.options.curve, this.#beats);
    return this.#client;
  }

  /** What publish() drops: isValidSubject, the rule the kafka driver's subjects follow. */
  override subjectProblem(subject: string): string | undefined {
    return isValidSubject(subject) ? undefined : SUBJECT_RULE;
  }

  /**
   * An event goes out on this driver's PUB (an agent, a mesh peer; while its peers are away, into
   * the bounded outbox). A command subject (`<…>.cmd.async.<…>`, `<p>.api`, `<p>.node.<id>`, …:
   * command-subjects.ts), or any publish of a driver that binds nothing, is a fire-and-forget
   * command for the peers whose lanes serve the subject (one of them for a competing lane); nobody
   * serves it → dropped, counted and logged.
   */
  override publish(subject: string, data: Uint8Array, options?: PublishOptions): PublishOutcome {
    if (this.status === 'closed' || !isValidSubject(subject)) {
      this.outbox.dropped++;
      return 'dropped';
    }
    const command = isAsyncCommand(subject) || this.isCommand(subject);
    if (this.#server !== undefined && !command) return this.send({ subject, data, onDroppedAfterSend: options?.onDroppedAfterSend, lossMark: options?.lossMark });
    const client = this.#clientSide();
    const headers = options?.headers === undefined ? undefined : { ...options.headers };
    const send = (): boolean => {
      const { eps, competing } = client.servers(subject);
      const targets = competing ? [client.pick(eps)].filter((e) => e !== undefined) : eps;
      for (const ep of targets) client.send(ep, { kind: Kind.ONE, subject, id: '', headers, data });
      return targets.length > 0;
    };
    if (!send()) {
      void client.refresh(LANE_DISCOVERY_MS).then(() => {
        if (send()) return;
        this.outbox.dropped++;
        this.options.logger?.warn({ subject }, 'zmq: no peer serves this fire-and-forget command: dropped');
      });
    }
    return 'sent';
  }

  /** An event onto the PUB socket (what its bounded writer must drop, the core counts and hands back). */
  protected rawSend(item: OutboxItem): void {
    this.#server!.publish(item);
  }

  subscribe(pattern: string, handler: (message: InboundMessage) => void, options?: { queue?: string }): Subscription {
    if (options?.queue !== undefined) throw new TransportError(TransportErrorCode.UNSUPPORTED, 'zmq: PUB/SUB has no queue groups');
    const client = this.#clientSide();
    // An agent of the list runs in mod_event_zmq mode (its LANES said so): nothing to match there.
    const refused = client.eventsRefusal();
    if (refused !== undefined) throw refused;
    const off = client.subscribe(pattern, handler);
    // Never throws synchronously, and resolves after close() too (the client's off() is a no-op then).
    return { subject: pattern, unsubscribe: () => Promise.resolve().then(off) };
  }

  serve(lane: Lane, handler: ServeHandler): Subscription {
    const remove = this.#serverSide().addLane(lane, handler);
    return {
      subject: lane.subject,
      // Closed: the lane went with the sockets; announcing its removal would only count drops.
      unsubscribe: () =>
        Promise.resolve().then(() => {
          if (this.status !== 'closed') remove();
        }),
    };
  }

  async request(subject: string, data: Uint8Array, options: RequestOptions = {}): Promise<InboundMessage> {
    const [reply] = await this.#call(subject, data, options, undefined);
    return reply!;
  }

  gather(subject: string, data: Uint8Array, options: GatherOptions = {}): Promise<InboundMessage[]> {
    return this.#call(subject, data, options, { tally: gatherTally(options) });
  }

  #call(subject: string, data: Uint8Array, options: RequestOptions, gather: { tally: (data: Uint8Array) => boolean } | undefined): Promise<InboundMessage[]> {
    const client = this.#clientSide();
    const timeoutMs = options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    const signal = options.signal;
    if (signal?.aborted === true) return Promise.reject(new TransportError(TransportErrorCode.ABORTED, `request to ${subject} was aborted`, { cause: signal.reason }));
    const id = randomUUID();
    // Wall-clock, as the agent (maybe on another host) reads it: see EXPIRES_HEADER.
    const headers = { ...options.headers, [EXPIRES_HEADER]: String(Date.now() + timeoutMs) };
    return new Promise((resolve, reject) => {
      const got: InboundMessage[] = [];
      let outstanding = 0;
      let settled = false;
      const noResponders = () => new TransportError(TransportErrorCode.NO_RESPONDERS, `no responders on ${subject}`);
      const finish = (err?: Error) => {
        if (settled) return;
        settled = true;
        this.#calls.delete(finish);
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        stop();
        if (err === undefined) resolve(got);
        else reject(err);
      };
      this.#calls.add(finish);
      const onAbort = () => finish(new TransportError(TransportErrorCode.ABORTED, `request to ${subject} was aborted`, { cause: signal?.reason }));
      const timer = setTimeout(() => finish(gather === undefined ? new TransportError(TransportErrorCode.TIMEOUT, `request to ${subject} timed out after ${timeoutMs} ms`) : undefined), timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      // A frame the client's writer drops (queue full, send refused) is never answered: say so
      // now, not at the timeout. A gather fails whole: it could not ask every agent it meant to.
      const unsent = (err: unknown): boolean => {
        if (settled) return false;
        // Pushed out of the full queue it never reached the socket: worded as the outbox's drivers say it.
        if (err instanceof PushedOutError) finish(requestNeverSent(`request to ${subject}`));
        else finish(new TransportError(TransportErrorCode.BROKER, `request to ${subject} could not be sent: ${(err as Error).message}`, { cause: err }));
        return false; // still counted in stats().dropped and logged by the writer
      };

      /** Sends to the agents serving `target`; false when none does. */
      const dispatch = async (target: string, all: boolean): Promise<boolean> => {
        let found = client.servers(target);
        if (found.eps.length === 0) {
          await client.refresh(Math.min(timeoutMs, LANE_DISCOVERY_MS));
          found = client.servers(target);
        }
        if (settled) return true;
        const eps = all ? found.eps : [found.competing ? client.pick(found.eps) : found.eps[0]].filter((e) => e !== undefined);
        for (const ep of eps) {
          outstanding++;
          client.send(ep, { kind: Kind.REQ, subject: target, id, headers, data }, unsent);
        }
        return eps.length > 0;
      };
      const stop = client.expect(id, (_from, m) => {
        if (m.kind === Kind.REP) {
          outstanding--;
          got.push({ subject: m.subject, data: m.data });
          // `expect` counts senders, not replies: one heard already is not a second node (gatherTally).
          if (gather === undefined || gather.tally(m.data) || outstanding <= 0) finish();
        } else if (m.kind === Kind.NOR) {
          outstanding--;
          if (outstanding <= 0) finish(gather === undefined ? noResponders() : undefined);
        } else if (m.kind === Kind.FWD) {
          // The agent handed the request to another node's lane: carry it there, same id.
          outstanding--;
          dispatch(m.subject, false).then(
            (ok) => {
              if (!ok) finish(gather === undefined ? noResponders() : undefined);
            },
            (err: unknown) => finish(err as Error),
          );
        }
      });
      dispatch(subject, gather !== undefined).then(
        (ok) => {
          if (!ok) finish(gather === undefined ? noResponders() : undefined);
        },
        (err: unknown) => finish(err as Error),
      );
    });
  }

  async flush(): Promise<void> {
    this.assertFlushable();
    if (this.status !== 'connected') return;
    await this.#bindError(this.#server?.flush());
    if (this.#client !== undefined) {
      const missing = await this.#client.subscriptionsSettled(this.#connectTimeoutMs);
      // Subscribed before an agent's LANES said mod_event_zmq mode: refused here (the SDK's events() flushes).
      const refused = this.#client.subscribed ? this.#client.eventsRefusal() : undefined;
      if (refused !== undefined) throw refused;
      this.#settled(this.#client, missing);
    }
    await this.#client?.idle();
  }

  get #connectTimeoutMs(): number {
    return this.options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  }

  /**
   * flush(): `missing` publishers had not acknowledged this driver's subscriptions within the
   * bound. None did although an agent was reached: a TIMEOUT naming them (its events port is
   * wrong or refuses this client; the link was lost meanwhile: DISCONNECTED). Otherwise a warning
   * and flush() goes on: an agent of the list being away, or none started yet (a stream opened
   * before its agent), is ordinary here, and ZeroMQ hands it the subscriptions when it connects.
   */
  #settled(client: ZmqClient, missing: number): void {
    if (missing === 0) return;
    const publishers = client.publishers;
    const bound = this.#connectTimeoutMs;
    this.#unsettledFlushes++;
    // Once per burst: with an agent of the list down, every flush() (every execute_app that
    // waits for its completion) would say it again.
    this.#unsettledLog.hit({ missing, of: publishers.length, publishers, bound_ms: bound, unsettled_flushes: this.#unsettledFlushes });
    if (missing < publishers.length || !client.reachedAny) return;
    if (this.status === 'reconnecting') throw this.lostDuringFlush();
    throw new TransportError(TransportErrorCode.TIMEOUT, `flush: this driver's subscriptions did not reach any publisher (${publishers.join(', ')}) within ${bound} ms`);
  }

  /** Published = written to the PUB socket; drops add the socket writers' (full queue, refused send). */
  override stats(): DriverStats {
    const core = super.stats();
    const dropped = core.dropped + (this.#server?.dropped ?? 0) + (this.#client?.dropped ?? 0);
    const repliesDropped = core.repliesDropped + (this.#server?.repliesDropped ?? 0);
    const stats: DriverStats = { ...core, published: this.#server?.published ?? 0, dropped, repliesDropped, pending: core.pending + (this.#server?.pending ?? 0) };
    if (this.options.curve?.clientKeys !== undefined) stats.refused = this.#server?.refused ?? 0;
    return stats;
  }

  /** One close for every caller: a second close() resolves with the first. */
  #closing: Promise<void> | undefined;

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    if (this.status === 'closed') return;
    // Only outgoing messages are flushed: waiting on subscriptions would wait on agents that may be
    // gone, or on the PUB's start hold for a subscriber (released: they go to whoever is there).
    this.#server?.release();
    await this.#server?.flush().catch(() => undefined);
    await this.#client?.idle();
    this.markClosed();
    // Pending requests and gathers end now, not at their timeouts (their timers would hold the process).
    for (const finish of [...this.#calls]) finish(new TransportError(TransportErrorCode.CLOSED, 'the driver closed while the request was pending'));
    this.#client?.close();
    this.#server?.close();
    this.#unsettledLog.flush();
  }
}
