/**
 * The FreeSWITCH simulator: the simulated call core, the inbound Event Socket listener, the
 * outbound `socket` connector and the control HTTP API, started and stopped together.
 */
import { SimCore, type SimClock, type SimCoreOptions } from './core/index.js';
import type { OutboundConnector } from './core/types.js';
import { ControlServer } from './control/control-server.js';
import { WireControl } from './control/wire-control.js';
import { SimConfigError } from './listener/errors.js';
import { EventHub } from './listener/event-hub.js';
import { InboundListener } from './listener/inbound-listener.js';
import {
  DEFAULT_FIRST_COMMAND_TIMEOUT_MS,
  DEFAULT_MAX_MISSED,
  DEFAULT_QUEUE_LIMIT,
  type EslUser,
  type WireKnobs,
} from './listener/types.js';
import { SocketOutboundConnector } from './outbound/outbound-connector.js';

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 8021;
export const DEFAULT_PASSWORD = 'ClueCon';

export interface SimulatorOptions {
  /** Address of the Event Socket listener. @default '127.0.0.1' */
  host?: string;
  /** Port of the Event Socket listener; 0 picks a free one. @default 8021 */
  port?: number;
  /** The `auth` password. @default 'ClueCon' */
  password?: string;
  /** Users for `userauth user@domain:password`. @default [] */
  users?: readonly EslUser[];
  /** CIDRs allowed to connect; others get `text/rude-rejection`. @default loopback only */
  acl?: readonly string[];
  /** FreeSWITCH-Hostname / Switchname. @default os.hostname() */
  nodeName?: string;
  /** Core-UUID. @default random */
  coreUuid?: string;
  /** mod_xml_curl dialplan URL; falls back to the static dialplan. */
  xmlCurlUrl?: string;
  /** mod_xml_curl's `timeout` param, in ms. @default none (wait for ever, as FreeSWITCH's 0) */
  xmlCurlTimeoutMs?: number;
  /** The static dialplan. @default the fixture scenario's extensions */
  dialplan?: SimCoreOptions['dialplan'];
  /** `host:port` the `socket` application dials instead of the dialplan's target. */
  outbound?: string;
  /** Port of the control HTTP API on 127.0.0.1; 0 picks one; absent = no control API. */
  controlPort?: number;
  /** Time a new connection has to send its first command. @default 25000 */
  firstCommandTimeoutMs?: number;
  /** Events (and log lines) queued per connection before they are lost. @default 100000 */
  eventQueueLimit?: number;
  /** Lost events tolerated before the connection is dropped. @default 500 */
  maxMissedEvents?: number;
  /** HEARTBEAT / RE_SCHEDULE period; 0 disables. @default 20000 */
  heartbeatIntervalMs?: number;
  /**
   * Time source of the call core (playback, ringing, sched_hangup, timers of generated calls): a
   * `FakeClock` makes a test deterministic. The wire layer keeps real timers. @default real timers
   */
  clock?: SimClock;
  /** How long a played file lasts when `playbackLengths` does not name it (tone/silence streams have their own length). @default 1000 */
  playbackFileMs?: number;
  /** Per-file playback lengths in ms, by the path as the application was given it. @default none */
  playbackLengths?: ReadonlyMap<string, number>;
  /**
   * mod_sofia gateways, not registering (NOREG): `sofia/gateway/<name>/<number>` dials them (as
   * scripted for `sofia/gateway/<name>`), any other gateway fails INVALID_GATEWAY. A bad field throws
   * SimConfigError; `core.control.addGateway`/`removeGateway` change them while running. @default none
   */
  gateways?: SimCoreOptions['gateways'];
}

export interface SimulatorAddress {
  host: string;
  port: number;
  controlPort?: number;
}

function parseTarget(text: string): { host: string; port: number } {
  const at = text.lastIndexOf(':');
  const host = at > 0 ? text.slice(0, at) : '';
  const port = Number(text.slice(at + 1));
  if (host === '' || !Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new SimConfigError(`outbound must be host:port, got ${JSON.stringify(text)}`);
  }
  return { host, port };
}

export class Simulator {
  readonly core: SimCore;
  readonly control: WireControl;
  readonly #listener: InboundListener;
  readonly #outbound: SocketOutboundConnector;
  readonly #controlServer: ControlServer | undefined;
  #started = false;
  #starting: Promise<SimulatorAddress> | undefined;

  constructor(options: SimulatorOptions = {}) {
    const redirect = options.outbound === undefined ? undefined : parseTarget(options.outbound);
    const limits = { queueLimit: options.eventQueueLimit ?? DEFAULT_QUEUE_LIMIT, maxMissed: options.maxMissedEvents ?? DEFAULT_MAX_MISSED };
    const firstCommandTimeoutMs = options.firstCommandTimeoutMs ?? DEFAULT_FIRST_COMMAND_TIMEOUT_MS;
    const knobs: WireKnobs = { replyLatencyMs: 0, refuseAuth: false, eventsPaused: false };
    // The core needs the connector and the connector needs the core: bind it lazily.
    const connector: OutboundConnector = {
      connect: (target, channel) => this.#outbound.connect(redirect ? { ...target, ...redirect } : target, channel),
    };
    const coreOptions: SimCoreOptions = { outbound: connector };
    if (options.nodeName !== undefined) coreOptions.nodeName = options.nodeName;
    if (options.coreUuid !== undefined) coreOptions.coreUuid = options.coreUuid;
    if (options.xmlCurlUrl !== undefined) coreOptions.xmlCurlUrl = options.xmlCurlUrl;
    if (options.dialplan !== undefined) coreOptions.dialplan = options.dialplan;
    if (options.heartbeatIntervalMs !== undefined) coreOptions.heartbeatIntervalMs = options.heartbeatIntervalMs;
    if (options.xmlCurlTimeoutMs !== undefined) coreOptions.xmlCurlTimeoutMs = options.xmlCurlTimeoutMs;
    if (options.clock !== undefined) coreOptions.clock = options.clock;
    if (options.playbackFileMs !== undefined) coreOptions.playbackFileMs = options.playbackFileMs;
    if (options.playbackLengths !== undefined) coreOptions.playbackLengths = options.playbackLengths;
    if (options.gateways !== undefined) coreOptions.gateways = options.gateways;
    this.core = new SimCore(coreOptions);
    // One subscription to the core, fanned out to every connection.
    const hub = new EventHub(this.core);
    this.#listener = new InboundListener(
      {
        host: options.host ?? DEFAULT_HOST,
        port: options.port ?? DEFAULT_PORT,
        password: options.password ?? DEFAULT_PASSWORD,
        users: options.users ?? [],
        acl: options.acl ?? undefined,
        firstCommandTimeoutMs,
        limits,
      },
      this.core,
      hub,
      knobs,
    );
    this.#outbound = new SocketOutboundConnector({ firstCommandTimeoutMs, limits }, this.core, hub, knobs);
    this.control = new WireControl(knobs, this.#listener, this.#outbound);
    this.#controlServer = options.controlPort === undefined ? undefined : new ControlServer(options.controlPort, this);
  }

  /**
   * Starts the core, the listener and the control API; resolves with the bound addresses. A call
   * while a start is under way joins it; a call once started returns the same addresses. A start
   * that fails does what stop() does, then rejects.
   */
  start(): Promise<SimulatorAddress> {
    this.#starting ??= this.#start().finally(() => (this.#starting = undefined));
    return this.#starting;
  }

  async #start(): Promise<SimulatorAddress> {
    if (!this.#started) {
      this.#started = true;
      this.core.start();
    }
    try {
      const { host, port } = await this.#listener.start();
      if (this.#controlServer === undefined) return { host, port };
      return { host, port, controlPort: await this.#controlServer.start() };
    } catch (err) {
      // Half started, the bound port would stay taken and the heartbeat timer hold the process.
      await this.#stopAll();
      throw err;
    }
  }

  /** Stops everything: connections get FreeSWITCH's shutdown notice, channels are hung up. */
  async stop(): Promise<void> {
    // A start under way finishes (or fails and cleans up) first, so nothing it binds outlives this.
    await this.#starting?.catch(() => undefined);
    await this.#stopAll();
  }

  /**
   * Back to a fresh start without closing a port: channels are hung up (SYSTEM_SHUTDOWN), the
   * core forgets everything (globals, db/hash, counters, uptime, endpoint behaviours, api latency,
   * generators) and the wire knobs are off again (reply latency, refused auth, paused events).
   * Connections stay, with their subscriptions; `dropConnections()` ends them if you want.
   */
  async reset(): Promise<void> {
    await this.#starting?.catch(() => undefined);
    await this.core.reset();
    this.control.setReplyLatency(0);
    this.control.refuseAuth(false);
    this.control.resumeEvents();
  }

  async #stopAll(): Promise<void> {
    // Like mod_event_socket's shutdown: every listener gets the notice first, then the core stops.
    await this.#controlServer?.stop();
    await this.#listener.stop();
    await this.#outbound.stop();
    await this.core.stop();
    this.#started = false;
  }

  /** The listener's address (after start: the port actually bound). */
  get address(): { host: string; port: number } {
    return this.#listener.address;
  }
}
