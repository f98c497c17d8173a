/**
 * The client side of the ZeroMQ driver: one DEALER per agent endpoint (the URL list), a lane
 * directory learnt from each agent (HELLO → LANES, pushed again when lanes change), requests
 * routed by it (competing lanes round-robin over the agents that serve them, broadcast to all),
 * and one SUB connected to every agent's PUB. The link is "down" when every agent it had reached
 * is gone (socket monitor: handshake / disconnect), "up" again when one is back.
 */
import { randomBytes } from 'node:crypto';
import { Dealer, Subscriber } from 'zeromq';
import type { CurveKeys, DriverLogger, InboundMessage } from '../../driver.js';
import { subjectMatches } from '../../subject-pattern.js';
import { TransportError, TransportErrorCode } from '../../errors.js';
import { decodeLanes, decodeWire, encodeWire, EVENTS_HEADER, heartbeats, Kind, MOD_EVENT_ZMQ, SUB_MARKER, type Heartbeats, type LaneInfo, type WireMessage, type ZmqEndpoints } from './zmq-protocol.js';
import { ZmqWriter } from './zmq-writer.js';
import { clientCurve } from './zmq-curve.js';
import { PUB_HWM } from './zmq-server.js';

export interface Endpoint {
  readonly index: number;
  readonly dealer: Dealer;
  readonly out: ZmqWriter;
  lanes: LaneInfo[] | undefined;
  /** A ZMTP handshake completed and the connection has not dropped since. */
  up: boolean;
  /** It was up once: its loss is an outage, not "not there yet". */
  seen: boolean;
  /**
   * Back after a drop, it answered this client (its lanes): its ROUTER routes to this socket again.
   * Until then a reply it sends may still find no route (counted there), though our side is up.
   */
  answered: boolean;
  /** A HELLO sent while it was not reached waits in the socket for the connection. */
  helloWaiting: boolean;
  /** Its PUB's event format, from its LANES (EVENTS_HEADER); undefined until it answered. */
  events: 'fsbus' | typeof MOD_EVENT_ZMQ | undefined;
}

/** What a pending request hears back: a reply, "not served here", or a hand-off. */
export type ReplyListener = (from: Endpoint, m: WireMessage) => void;

export class ZmqClient {
  readonly endpoints: Endpoint[];
  readonly #urls: readonly ZmqEndpoints[];
  readonly #logger: DriverLogger | undefined;
  readonly #pending = new Map<string, ReplyListener>();
  readonly #helloWaiters = new Map<() => void, () => void>();
  readonly #subs = new Set<{ pattern: string; handler: (m: InboundMessage) => void }>();
  #sub: Subscriber | undefined;
  #markerSeq = 0;
  readonly #markerWaiters = new Map<string, { left: number; done: () => void }>();
  readonly #clientId = randomBytes(8).toString('hex');
  #rr = 0;
  #linkUp = true;
  #closed = false;
  readonly #onLink: (up: boolean) => void;

  readonly #curve: CurveKeys | undefined;
  /** ZMTP heartbeats of every socket (the driver's `livenessIntervalMs`). */
  readonly #beats: Heartbeats;

  constructor(urls: readonly ZmqEndpoints[], bufferMessages: number, logger?: DriverLogger, onLink: (up: boolean) => void = () => undefined, curve?: CurveKeys, beats: Heartbeats = heartbeats()) {
    this.#curve = curve;
    this.#beats = beats;
    this.#urls = urls;
    this.#logger = logger;
    this.#onLink = onLink;
    this.endpoints = urls.map((u, index) => {
      // A routing id of its own, kept across reconnects: the agent's ROUTER hands it over to the
      // new connection, so a reply to a request made before a link blip still finds this socket.
      // No send wait: for an agent that went away libzmq keeps what is sent until it is back, up
      // to its high-water mark (1,000), and then blocked the send — and flush() and close() behind
      // it — for ever. The send fails instead; the writer counts it and fails the request.
      const dealer = new Dealer({ linger: 0, sendTimeout: 0, routingId: `fsbus-${this.#clientId}-${index}`, ...beats, ...clientCurve(curve) });
      const ep: Endpoint = { index, dealer, out: new ZmqWriter(dealer, bufferMessages, logger), lanes: undefined, up: false, seen: false, answered: true, helloWaiting: false, events: undefined };
      dealer.events.on('handshake', () => this.#link(ep, true));
      dealer.events.on('disconnect', () => this.#link(ep, false));
      dealer.connect(u.commands);
      return ep;
    });
    for (const ep of this.endpoints) void this.#receive(ep);
  }

  #link(ep: Endpoint, up: boolean): void {
    // The socket monitor may still report a queued event after close(): nobody is listening.
    if (this.#closed) return;
    if (up) ep.helloWaiting = false;
    // Back after a drop: its lanes may have changed meanwhile, and it may have forgotten us.
    if (up && ep.seen && !ep.up) {
      ep.answered = false;
      this.#hello(ep);
    }
    ep.up = up;
    if (up) ep.seen = true;
    const linkUp = this.endpoints.some((e) => e.up) || !this.endpoints.some((e) => e.seen);
    if (linkUp === this.#linkUp) return;
    this.#linkUp = linkUp;
    this.#onLink(linkUp);
  }

  /** Some peer is reached (or none was ever): see #link. */
  get linkUp(): boolean {
    return this.#linkUp;
  }

  get dropped(): number {
    return this.endpoints.reduce((n, ep) => n + ep.out.dropped, 0);
  }

  async #receive(ep: Endpoint): Promise<void> {
    try {
      for await (const frames of ep.dealer) {
        const m = decodeWire(frames);
        if (m === undefined) continue;
        if (m.kind === Kind.LANES) {
          ep.lanes = decodeLanes(m.data);
          ep.answered = true;
          this.#learnEvents(ep, m.headers?.[EVENTS_HEADER] === MOD_EVENT_ZMQ ? MOD_EVENT_ZMQ : 'fsbus');
          for (const check of this.#helloWaiters.keys()) check();
        } else this.#pending.get(m.id)?.(ep, m);
      }
    } catch (err) {
      this.#logger?.debug({ err }, 'zmq dealer loop ended');
    }
  }

  #learnEvents(ep: Endpoint, events: 'fsbus' | typeof MOD_EVENT_ZMQ): void {
    const was = ep.events;
    ep.events = events;
    if (events !== MOD_EVENT_ZMQ || was === MOD_EVENT_ZMQ || this.#subs.size === 0) return;
    // Subscriptions made before the agent's format was known (or an agent back in that mode):
    // said now, and flush() waiting on markers that agent never echoes stops waiting (it rejects).
    this.#logger?.warn({ agent: this.#urls[ep.index]!.commands, subscriptions: this.#subs.size }, this.eventsRefusal()!.message);
    for (const w of [...this.#markerWaiters.values()]) w.done();
  }

  /**
   * Why this client cannot subscribe to events: an agent of its list said (LANES) its PUB runs in
   * mod_event_zmq mode, whose frames have no subject to filter or match. undefined: none did.
   */
  eventsRefusal(): TransportError | undefined {
    const compat = this.endpoints.filter((e) => e.events === MOD_EVENT_ZMQ).map((e) => this.#urls[e.index]!.commands);
    if (compat.length === 0) return undefined;
    return new TransportError(
      TransportErrorCode.UNSUPPORTED,
      `zmq: cannot subscribe to events of ${compat.join(', ')}: that agent runs with mode=mod_event_zmq (events are FreeSWITCH's bare JSON, one frame, no subject for fsbus clients to match); run the agent in native mode (no ?mode=mod_event_zmq in its URL) for fsbus clients (CLI, SDK, dashboard)`,
    );
  }

  /** Some subscription is open. */
  get subscribed(): boolean {
    return this.#subs.size > 0;
  }

  /** Queues `m` for the agent; `unsent` hears if it is dropped instead (see ZmqWriter.write). */
  send(ep: Endpoint, m: WireMessage, unsent?: (err: unknown) => boolean): void {
    ep.out.write(encodeWire(m), unsent);
  }

  /** Asks every agent for its lanes; resolves when all answered or after `boundMs`. */
  refresh(boundMs: number): Promise<void> {
    for (const ep of this.endpoints) ep.lanes = undefined;
    for (const ep of this.endpoints) this.#hello(ep);
    return this.#untilAnswered(() => this.endpoints.every((e) => e.lanes !== undefined), boundMs);
  }

  #hello(ep: Endpoint): void {
    // To an agent not reached, one HELLO waiting is enough: one per request would pile up in the
    // socket (up to its high-water mark) for the agent to answer them all when it comes.
    if (!ep.up) {
      if (ep.helloWaiting) return;
      ep.helloWaiting = true;
    }
    // A HELLO the socket refuses is no loss: the next refresh asks again.
    this.send(ep, { kind: Kind.HELLO, subject: '', id: '', headers: undefined, data: new Uint8Array(0) }, () => {
      ep.helloWaiting = false;
      return true;
    });
  }

  /** Resolves once `done()` holds, checked as each agent's lanes arrive, or after `boundMs`. */
  #untilAnswered(done: () => boolean, boundMs: number): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (done()) finish();
      };
      const finish = () => {
        clearTimeout(timer);
        this.#helloWaiters.delete(check);
        resolve();
      };
      const timer = setTimeout(finish, boundMs);
      this.#helloWaiters.set(check, finish);
      check();
    });
  }

  /**
   * Resolves once an agent that is up answered this client since it came back (see
   * Endpoint.answered), or after `boundMs`.
   */
  answered(boundMs: number): Promise<void> {
    return this.#untilAnswered(() => this.#closed || this.endpoints.some((e) => e.up && e.answered), boundMs);
  }

  /** Agents whose lanes serve the subject, and whether that lane is competing. */
  servers(subject: string): { eps: Endpoint[]; competing: boolean } {
    let competing = false;
    const eps = this.endpoints.filter((ep) => {
      const lane = ep.lanes?.find((l) => subjectMatches(l.subject, subject));
      if (lane?.competing === true) competing = true;
      return lane !== undefined;
    });
    return { eps, competing };
  }

  /** Round-robin among the given endpoints. */
  pick(eps: Endpoint[]): Endpoint | undefined {
    return eps[this.#rr++ % Math.max(1, eps.length)];
  }

  expect(id: string, listener: ReplyListener): () => void {
    this.#pending.set(id, listener);
    return () => this.#pending.delete(id);
  }

  subscribe(pattern: string, handler: (m: InboundMessage) => void): () => void {
    const sub = this.#subscriber();
    // The first subscription asks every agent not heard from yet for its lanes: its LANES says its
    // event format (a mod_event_zmq agent is refused, see eventsRefusal; flush() waits for it).
    if (this.#subs.size === 0) for (const ep of this.endpoints) if (ep.events === undefined) this.#hello(ep);
    const entry = { pattern, handler };
    this.#subs.add(entry);
    const tokens = pattern.split('.');
    const wild = tokens.findIndex((t) => t === '*' || t === '>');
    // ZeroMQ filters by byte prefix: the literal head; the rest is matched here.
    // A pattern that starts with a wildcard (`>`, `*.events.>`) has no head: every subject is read.
    const prefix = wild === -1 ? pattern : wild === 0 ? '' : `${tokens.slice(0, wild).join('.')}.`;
    sub.subscribe(prefix);
    // Idempotent (ZeroMQ counts each prefix: a second call would drop another subscription's),
    // and a no-op once closed (the socket is gone: unsubscribing it would throw ENOTSOCK).
    return () => {
      if (!this.#subs.delete(entry) || this.#closed || sub.closed) return;
      sub.unsubscribe(prefix);
    };
  }

  #subscriber(): Subscriber {
    if (this.#sub !== undefined) return this.#sub;
    // Room for bursts while this process is busy; past it ZeroMQ holds the agent's PUB back (noDrop).
    const sub = new Subscriber({ linger: 0, receiveHighWaterMark: PUB_HWM, ...this.#beats, ...clientCurve(this.#curve) });
    for (const u of this.#urls) sub.connect(u.events);
    this.#sub = sub;
    void (async () => {
      try {
        for await (const [topic, payload] of sub) {
          // One frame (a mod_event_zmq agent's JSON) is not the fsbus event wire: not an event.
          if (topic === undefined || payload === undefined) continue;
          const subject = topic.toString();
          if (subject.startsWith(SUB_MARKER)) {
            const w = this.#markerWaiters.get(subject);
            if (w !== undefined && --w.left <= 0) w.done();
            continue;
          }
          for (const s of this.#subs) {
            if (!subjectMatches(s.pattern, subject)) continue;
            try {
              s.handler({ subject, data: payload });
            } catch (err) {
              this.#logger?.error({ err, subject }, 'subscriber threw');
            }
          }
        }
      } catch (err) {
        this.#logger?.debug({ err }, 'zmq sub loop ended');
      }
    })();
    return sub;
  }

  /**
   * Resolves once every publisher saw this client's subscriptions so far, or when `boundMs` passed,
   * with how many publishers had not acknowledged them then (0: all did; always 0 once closed).
   * Resolves at once when an agent said it runs in mod_event_zmq mode (it echoes no markers):
   * check eventsRefusal().
   */
  subscriptionsSettled(boundMs: number): Promise<number> {
    const sub = this.#sub;
    // Closed: nothing to settle, and the socket would throw ENOTSOCK.
    if (sub === undefined || this.#closed || sub.closed) return Promise.resolve(0);
    // A mod_event_zmq agent echoes no markers: no wait (flush() then rejects with eventsRefusal(),
    // unless nothing is open any more: then there is nothing to settle).
    if (this.eventsRefusal() !== undefined) return Promise.resolve(this.#subs.size === 0 ? 0 : this.#urls.length);
    const marker = `${SUB_MARKER}${this.#clientId}.${this.#markerSeq++}`;
    return new Promise((resolve) => {
      const waiter = {
        left: this.#urls.length,
        done: () => {
          clearTimeout(timer);
          this.#markerWaiters.delete(marker);
          if (!sub.closed) sub.unsubscribe(marker);
          resolve(this.#closed ? 0 : Math.max(0, waiter.left));
        },
      };
      const timer = setTimeout(waiter.done, boundMs);
      this.#markerWaiters.set(marker, waiter);
      sub.subscribe(marker);
    });
  }

  /** Some agent of the list was reached (a ZMTP handshake) at some point. */
  get reachedAny(): boolean {
    return this.endpoints.some((e) => e.seen);
  }

  /** Where the publishers are (the events endpoints this client's SUB connects to). */
  get publishers(): string[] {
    return this.#urls.map((u) => u.events);
  }

  async idle(): Promise<void> {
    await Promise.all(this.endpoints.map((ep) => ep.out.idle()));
  }

  close(): void {
    this.#closed = true;
    this.#pending.clear();
    for (const finish of [...this.#helloWaiters.values()]) finish();
    for (const w of [...this.#markerWaiters.values()]) w.done();
    for (const ep of this.endpoints) {
      ep.out.discard();
      ep.dealer.close();
    }
    this.#sub?.close();
  }
}
