/**
 * The agent side of the ZeroMQ driver: a bound ROUTER for commands and a bound PUB for events
 * (mod_event_zmq's place, tcp port 5556 by default). Requests are dispatched to the local lanes;
 * a request for a lane this node lacks gets NOR, a hand-off to another node goes back to the
 * client as FWD (ZeroMQ has no broker to carry it). A request whose `fsbus-expires` is not epoch
 * milliseconds (seconds, text: ../../expires.ts) is refused, its requester told why in the REP.
 */
import { Router, XPublisher } from 'zeromq';
import type { ServerCurve } from './zmq-curve.js';
import { admitOnly, type ZapAdmission } from './zmq-zap.js';
import { TransportError, TransportErrorCode } from '../../errors.js';
import type { DriverLogger, Lane, ServeHandler, ServeRequest } from '../../driver.js';
import type { OutboxItem } from '../../outbox.js';
import { subjectMatches } from '../../subject-pattern.js';
import { decodeWire, DEFAULT_START_GRACE_MS, encodeLanes, encodeWire, EVENTS_HEADER, EXPIRES_HEADER, heartbeats, Kind, MOD_EVENT_ZMQ, SUB_MARKER, toModEventZmq, type Heartbeats, type WireMessage, type ZmqEndpoints } from './zmq-protocol.js';
import { ZmqWriter } from './zmq-writer.js';
import { deadlineOf, lateBy, runLaneHandler } from '../driver-core.js';
import { expiresOf, expiresRefusal, shownExpires } from '../../expires.js';

/**
 * Events a subscriber's pipe holds before the PUB waits (libzmq's default is 1,000: 50 ms at
 * 20,000 events/s, less than one GC pause of a busy subscriber). At least `bufferMessages`.
 */
export const PUB_HWM = 10_000;

interface ServedLane {
  lane: Lane;
  handler: ServeHandler;
}

/** The log line of ROUTER messages that are not the fsbus wire (once per burst). */
export const FOREIGN_MESSAGE_LOG = 'zmq: a message that is not the fsbus wire (6 frames: "FSB1", kind, subject, correlation id, headers, payload) was ignored';

/** The log line of requests refused for an `fsbus-expires` that is not epoch milliseconds (../../expires.ts). */
export const REFUSED_EXPIRES_LOG = 'zmq request whose fsbus-expires is not epoch milliseconds: refused, not run';

export class ZmqServer {
  readonly #endpoints: ZmqEndpoints;
  readonly #logger: DriverLogger | undefined;
  /** Counts and logs a request skipped for arriving after its requester stopped waiting. */
  readonly #onExpired: (subject: string, lateMs: number) => void;
  readonly #router: Router;
  readonly #pub: XPublisher;
  readonly #routerOut: ZmqWriter;
  readonly #pubOut: ZmqWriter;
  readonly #lanes = new Set<ServedLane>();
  /** Routing ids of clients that asked for the lanes: they hear about new ones. */
  readonly #peers = new Set<string>();
  #bound: Promise<void> | undefined;
  /** The allow-list's registration with the process's ZAP handler, when there is one. */
  readonly #zap: ZapAdmission | undefined;
  /** Counts and logs a message on the ROUTER that is not the fsbus wire (not 6 frames, not "FSB1", an unknown kind, bad headers). */
  readonly #onForeign: (fields: Record<string, unknown>) => void;
  /** Counts and logs a request refused for an `fsbus-expires` that is not epoch milliseconds. */
  readonly #onBadExpires: (fields: Record<string, unknown>) => void;
  /** Ends the PUB's start hold (first subscription, start grace, close); once. */
  #endHold: ((reason: string) => void) | undefined;
  #graceTimer: NodeJS.Timeout | undefined;
  /** How long the PUB holds its events for a first subscription after the bind (ZmqEndpoints.startGraceMs). */
  readonly #graceMs: number;

  constructor(
    endpoints: ZmqEndpoints,
    bufferMessages: number,
    onExpired: (subject: string, lateMs: number) => void,
    onForeign: (fields: Record<string, unknown>) => void,
    onBadExpires: (fields: Record<string, unknown>) => void,
    logger?: DriverLogger,
    curve: ServerCurve = { sockets: {} },
    /** An event publish() said 'sent' for that the PUB writer dropped (the driver counts it and tells its publisher). */
    eventDropped?: (event: OutboxItem) => void,
    /** ZMTP heartbeats of both sockets (the driver's `livenessIntervalMs`). */
    beats: Heartbeats = heartbeats(),
  ) {
    this.#endpoints = endpoints;
    this.#graceMs = endpoints.startGraceMs ?? DEFAULT_START_GRACE_MS;
    this.#logger = logger;
    this.#onForeign = onForeign;
    this.#onBadExpires = onBadExpires;
    this.#onExpired = onExpired;
    this.#zap = curve.clientKeys === undefined ? undefined : admitOnly(curve.clientKeys, logger);
    const security = this.#zap === undefined ? curve.sockets : { ...curve.sockets, zapDomain: this.#zap.domain };
    // handover: a client that reconnects with its routing id takes it over at once (the default
    // refuses the new connection while the old one is not yet seen gone). mandatory with no send
    // wait: a reply that cannot be routed (requester gone, its queue full) fails the send, and
    // the writer counts and logs it, where libzmq would drop it unseen.
    this.#router = new Router({ linger: 0, handover: true, mandatory: true, sendTimeout: 0, ...beats, ...security });
    // noDrop (slow=hold): a subscriber's full pipe holds the PUB back instead of libzmq discarding
    // the event silently; the wait ends in the writer's bounded queue, which drops the oldest and
    // COUNTS it. slow=drop: libzmq drops only that subscriber's events (mod_event_zmq's PUB), which
    // the agent cannot see or count, and the others go on.
    this.#pub = new XPublisher({ linger: 0, noDrop: endpoints.slow === 'hold', sendHighWaterMark: Math.max(PUB_HWM, bufferMessages), ...beats, ...security });
    this.#routerOut = new ZmqWriter(this.#router, bufferMessages, logger);
    this.#pubOut = new ZmqWriter(this.#pub, bufferMessages, logger, eventDropped);
    // A restarted agent's first events (fsbus::agent_start, the consumers' resync signal) would
    // go out before libzmq reconnects the SUBs that stayed connected, and a PUB drops what nobody
    // is connected for: they wait in the PUB's bounded queue for the first subscription, or the
    // start grace (ZmqEndpoints.startGraceMs) after the bind; then everything goes out in order.
    if (this.#graceMs > 0) {
      this.#pubOut.hold(
        new Promise<void>((resolve) => {
          this.#endHold = (reason) => {
            this.#endHold = undefined;
            clearTimeout(this.#graceTimer);
            if (this.#pubOut.pending > 0) logger?.debug({ held: this.#pubOut.pending, reason }, 'zmq: events held since the PUB bound go out');
            resolve();
          };
        }),
      );
    }
  }

  /** Of `dropped`, what the ROUTER socket could not send: replies to peers (a lost lane announcement is not counted). */
  get repliesDropped(): number {
    return this.#routerOut.dropped;
  }

  get dropped(): number {
    return this.#routerOut.dropped + this.#pubOut.dropped;
  }

  get published(): number {
    return this.#pubOut.sent;
  }

  get pending(): number {
    return this.#routerOut.pending + this.#pubOut.pending;
  }

  /** Binds both sockets once; the error (e.g. port in use) surfaces to every caller. */
  bind(): Promise<void> {
    this.#bound ??= (async () => {
      if (this.#zap !== undefined) {
        await this.#zap.ready.catch((err: unknown) => {
          throw new TransportError(TransportErrorCode.CONNECT, `zmq: the ZAP handler for curve.clientKeys could not listen: ${(err as Error).message}`, { cause: err });
        });
      }
      await bindReleased(this.#router, this.#endpoints.commands);
      await bindReleased(this.#pub, this.#endpoints.events);
      // Unref'd: a held event does not keep a process alive by itself (close() sends it on).
      if (this.#endHold !== undefined) this.#graceTimer = setTimeout(() => this.#endHold?.('start grace'), this.#graceMs).unref();
      void this.#receive();
      void this.#acknowledgeSubscriptions();
    })();
    return this.#bound;
  }

  publish(event: OutboxItem): void {
    const { subject, data } = event;
    const payload = this.#endpoints.compat ? toModEventZmq(data) : data;
    const body = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
    this.#pubOut.write(this.#endpoints.compat ? [body] : [Buffer.from(subject), body], undefined, event);
  }

  addLane(lane: Lane, handler: ServeHandler): () => void {
    const served = { lane, handler };
    this.#lanes.add(served);
    this.#announce();
    return () => {
      this.#lanes.delete(served);
      this.#announce();
    };
  }

  /** LANES for a peer: the lanes, and (compatibility mode) that its events are not the fsbus wire. */
  #lanesMessage(id: string): WireMessage {
    const data = encodeLanes([...this.#lanes].map((l) => ({ subject: l.lane.subject, competing: l.lane.competing })));
    // Native: no header, as before it existed (a client from then reads the same LANES).
    return { kind: Kind.LANES, subject: '', id, headers: this.#endpoints.compat ? { [EVENTS_HEADER]: MOD_EVENT_ZMQ } : undefined, data };
  }

  #announce(): void {
    const m = this.#lanesMessage('');
    for (const peer of this.#peers) {
      // A client that has left is forgotten: it says HELLO again when it reconnects.
      this.#send(peer, m, (err) => {
        if ((err as { code?: string }).code !== 'EHOSTUNREACH') return false;
        this.#peers.delete(peer);
        return true;
      });
    }
  }

  #send(peer: string, m: WireMessage, unsent?: (err: unknown) => boolean): void {
    this.#routerOut.write([Buffer.from(peer, 'hex'), ...encodeWire(m)], unsent);
  }

  /**
   * XPUB sees subscriptions arrive. A subscriber adds a unique marker subscription after its real
   * ones; echoing the marker tells it that everything before reached this publisher (ZeroMQ's
   * "slow joiner" made observable, so flush() can wait instead of guessing). Not in compatibility
   * mode: mod_event_zmq consumers subscribe to "" and would get the echo (two frames, not JSON);
   * that PUB carries events only, and fsbus clients learn from LANES not to subscribe there.
   * The first subscription (either mode) ends the PUB's start hold.
   */
  async #acknowledgeSubscriptions(): Promise<void> {
    try {
      // Still read when not echoed: libzmq keeps the subscription messages until they are.
      for await (const [frame] of this.#pub) {
        if (frame === undefined || frame[0] !== 1) continue;
        this.#endHold?.('first subscription');
        if (this.#endpoints.compat) continue;
        const topic = frame.subarray(1);
        if (topic.toString().startsWith(SUB_MARKER)) this.#pubOut.write([Buffer.from(topic), Buffer.alloc(0)]);
      }
    } catch (err) {
      this.#logger?.debug({ err }, 'zmq xpub loop ended');
    }
  }

  async #receive(): Promise<void> {
    try {
      for await (const [peerId, ...frames] of this.#router) {
        const m = decodeWire(frames);
        if (peerId === undefined) continue;
        if (m === undefined) {
          this.#onForeign({ frames: frames.length, first: frames[0]?.subarray(0, 16).toString('latin1'), kind: frames[1]?.subarray(0, 16).toString('latin1') });
          continue;
        }
        const peer = peerId.toString('hex');
        if (m.kind === Kind.HELLO) {
          this.#peers.add(peer);
          this.#send(peer, this.#lanesMessage(m.id));
        } else if (m.kind === Kind.REQ || m.kind === Kind.ONE) {
          this.#dispatch(peer, m);
        }
      }
    } catch (err) {
      // The socket was closed under the loop: nothing more to read.
      this.#logger?.debug({ err }, 'zmq router loop ended');
    }
  }

  #dispatch(peer: string, m: WireMessage): void {
    const expires = expiresOf(m.headers?.[EXPIRES_HEADER]);
    if (Number.isNaN(expires)) {
      this.#refuseExpires(peer, m);
      return;
    }
    const late = lateBy(expires);
    if (late !== undefined) {
      this.#onExpired(m.subject, late);
      return;
    }
    const served = [...this.#lanes].find((l) => subjectMatches(l.lane.subject, m.subject));
    const wantsReply = m.kind === Kind.REQ;
    if (served === undefined) {
      if (wantsReply) this.#send(peer, { kind: Kind.NOR, subject: m.subject, id: m.id, headers: undefined, data: new Uint8Array(0) });
      return;
    }
    let replied = false;
    const headers = handlerHeaders(m.headers);
    const request: ServeRequest = {
      subject: m.subject,
      data: m.data,
      ...(headers === undefined ? {} : { headers }),
      expectsReply: wantsReply,
      reply: (data) => {
        if (!wantsReply || replied) return false;
        replied = true;
        this.#send(peer, { kind: Kind.REP, subject: m.subject, id: m.id, headers: undefined, data });
        return true;
      },
      forward: (subject) => {
        replied = true;
        const local = [...this.#lanes].some((l) => subjectMatches(l.lane.subject, subject));
        // Served here too: run it here; else the client carries it to the node that serves it.
        if (local) this.#dispatch(peer, { ...m, subject });
        else this.#send(peer, { kind: Kind.FWD, subject, id: m.id, headers: m.headers, data: m.data });
      },
      deadline: deadlineOf(expires),
    };
    runLaneHandler(request, served.handler, this.#logger);
  }

  /** Not run, counted and logged; a REQ is answered why (unless its body asks for no reply: `async`). */
  #refuseExpires(peer: string, m: WireMessage): void {
    // Headers are JSON: a foreign client may have sent a number (seconds) rather than a string.
    const shown = shownExpires(m.headers?.[EXPIRES_HEADER]);
    this.#onBadExpires({ subject: m.subject.slice(0, 300), expires: shown });
    const refusal = m.kind === Kind.REQ ? expiresRefusal(m.data, shown) : undefined;
    if (refusal !== undefined) this.#send(peer, { kind: Kind.REP, subject: m.subject, id: m.id, headers: undefined, data: refusal });
  }

  /** Resolves once everything queued went to the sockets (events held at start: after the hold). */
  async flush(): Promise<void> {
    await this.#bound;
    await Promise.all([this.#routerOut.idle(), this.#pubOut.idle()]);
  }

  /** Ends the start hold now (closing: what is held goes to whoever is connected, as before the hold). */
  release(): void {
    this.#endHold?.('closing');
  }

  close(): void {
    this.release();
    this.#routerOut.discard();
    this.#pubOut.discard();
    this.#router.close();
    this.#pub.close();
    // libzmq closes the listeners on its I/O thread after close() returns: a driver bound at once
    // on the same endpoint (a restart in this process) may find them still there (bindReleased).
    if (this.#bound !== undefined) for (const endpoint of [this.#endpoints.commands, this.#endpoints.events]) releasedAt.set(endpoint, performance.now());
    this.#zap?.release();
  }

  /** Handshakes refused because the client's key is not in `curve.clientKeys`. */
  get refused(): number {
    return this.#zap?.registration.refused ?? 0;
  }
}

/** How long after this process closed a socket bound to an endpoint its port may still be held. */
const RELEASE_WINDOW_MS = 2_000;
/** Endpoints this process's sockets were bound to, and when they were closed (performance.now()). */
const releasedAt = new Map<string, number>();

/**
 * Binds `socket` to `endpoint`; "Address already in use" on an endpoint this process released less
 * than RELEASE_WINDOW_MS ago is libzmq still closing that listener: asked again until the window
 * ends (about one bind in forty right after a close failed so). Any other port in use fails at once.
 * (Unbinding before close and waiting for ZMQ_EVENT_CLOSED instead tripped a libzmq assertion,
 * pipe.cpp:355, when peers were still connected.)
 */
async function bindReleased(socket: Router | XPublisher, endpoint: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await socket.bind(endpoint);
      releasedAt.delete(endpoint);
      return;
    } catch (err) {
      const released = releasedAt.get(endpoint);
      const inUse = (err as { code?: string }).code === 'EADDRINUSE' || /address already in use/i.test((err as Error).message);
      if (!inUse || released === undefined || performance.now() - released > RELEASE_WINDOW_MS) throw err;
      await new Promise((resolve) => setTimeout(resolve, Math.min(5 * 2 ** attempt, 100)));
    }
  }
}

/** What a lane handler sees: the request's headers without the wire's own. */
function handlerHeaders(headers: Record<string, string> | undefined): Record<string, string> | undefined {
  if (headers === undefined || !(EXPIRES_HEADER in headers)) return headers;
  const { [EXPIRES_HEADER]: _expires, ...rest } = headers;
  return Object.keys(rest).length === 0 ? undefined : rest;
}
