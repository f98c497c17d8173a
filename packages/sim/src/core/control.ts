/** Knobs for tests, benchmarks and the demo: traffic, event injection, endpoint scripts, gateways, digits, latency. */
import { randomUUID } from 'node:crypto';
import type { Engine } from './engine.js';
import type { Executor } from './executor.js';
import type { Originator, EndpointBehavior } from './originate.js';
import type { TimerHandle } from './clock.js';
import { SITES } from './constants.js';
import { LOG_SITES } from './log-sites.js';
import type { Channel } from './channel.js';
import { CODEC_PCMU } from './channel.js';
import { SimConfigError } from '../errors.js';
import type { SofiaConfig, SofiaGateway, SofiaGatewayInfo } from './api-sofia.js';

export interface GenerateCallsOptions {
  readonly ratePerSecond: number;
  /** Stop generating after this long. @default forever (until stop()) */
  readonly durationMs?: number;
  /** Destination number dialled in context `default`. @default '7001' (answer + park) */
  readonly destination?: string;
  /** Share of calls answered (the rest ring, whatever the dialplan, and are abandoned). @default 0.8 */
  readonly answerRatio?: number;
  /** How long an answered call lasts. @default 5000 */
  readonly holdMs?: number;
}

export interface PlaceInboundCallOptions {
  /** Caller id number (the name is `Caller <from>`). @default '1000' */
  readonly from?: string;
  /** Destination number looked up in the dialplan. */
  readonly to: string;
  /** Dialplan context. @default 'default' */
  readonly context?: string;
  /**
   * Channel variables, set before CHANNEL_CREATE. A name among the sip_* variables the leg gets from
   * its INVITE (sip_network_ip, sip_user_agent, sip_from_host, …) replaces that value in place;
   * Caller-Network-Addr follows sip_network_ip, Caller-Username sip_from_user, the channel name sip_from_uri.
   */
  readonly vars?: Readonly<Record<string, string>>;
  /** The new channel's uuid (a fixed one for snapshot tests); one already in use is refused. @default a random uuid */
  readonly uuid?: string;
  /** Hang the call up `NORMAL_CLEARING` after this long. @default never (the dialplan or a client ends it) */
  readonly hangupAfterMs?: number;
}

export interface InjectEventsOptions {
  readonly name: string;
  readonly subclass?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Events per second; omitted = all at once, synchronously. */
  readonly ratePerSecond?: number;
  readonly count: number;
}

export interface StopHandle {
  stop(): void;
  /** Resolves with the number of calls/events produced, once finished or stopped. */
  readonly done: Promise<number>;
}

export interface SimControl {
  generateCalls(options: GenerateCallsOptions): StopHandle;
  injectEvents(options: InjectEventsOptions): StopHandle;
  /** One inbound `sofia/internal/…` call, as generateCalls makes them; returns its uuid. */
  placeInboundCall(options: PlaceInboundCallOptions): string;
  setEndpointBehavior(endpoint: string, behavior: EndpointBehavior): void;
  /** Forgets the behaviour scripted for `endpoint` (all of them without one); returns how many. */
  clearEndpointBehavior(endpoint?: string): number;
  /** Declares a mod_sofia gateway while running; a bad field or a name already declared throws SimConfigError. */
  addGateway(gateway: SofiaGateway): void;
  /** Takes a gateway away (new calls to it fail INVALID_GATEWAY, its legs run on); false when there was none. */
  removeGateway(name: string): boolean;
  /** The gateways, in the order declared, with mod_sofia's defaults filled in. */
  listGateways(): SofiaGatewayInfo[];
  sendDigits(uuid: string, digits: string): boolean;
  setLatency(ms: number): void;
  readonly latencyMs: number;
  hupall(cause?: string): number;
}

/** Where a simulated SIP caller is: the From host, and the INVITE's source address (its Contact, Via). */
const CALLER_HOST = '192.0.2.10';
const SIP_PORT = '5060';

/**
 * The variables sofia_handle_sip_i_invite sets from an INVITE sent by `from` at CALLER_HOST to
 * `to` at the switch's address, in its order (url_set_chanvars: user, uri, host), with `vars`
 * replacing a value in place; the rest of `vars` follows.
 */
function inviteVariables(uuid: string, from: string, to: string, switchIp: string, stamp: number, vars: Readonly<Record<string, string>>): Array<[string, string]> {
  const fromHost = vars['sip_from_host'] ?? CALLER_HOST;
  const fromUser = vars['sip_from_user'] ?? from;
  const ip = vars['sip_network_ip'] ?? CALLER_HOST;
  const list: Array<[string, string]> = [
    ['sip_from_user', fromUser], ['sip_from_uri', `${fromUser}@${fromHost}`], ['sip_from_host', fromHost],
    // A phone's Call-ID: derived from the uuid so a pinned uuid gives the same events every run.
    ['sip_call_id', `${uuid}@${ip}`],
    ['sip_local_network_addr', switchIp], ['sip_network_ip', ip], ['sip_network_port', SIP_PORT],
    ['sip_invite_stamp', String(stamp)], ['sip_received_ip', ip], ['sip_received_port', SIP_PORT], ['sip_via_protocol', 'udp'],
    ['sip_authorized', 'true'], ['sip_from_user_stripped', fromUser.replace(/^\+/, '')],
    ['sofia_profile_name', 'internal'], ['sofia_profile_url', `sip:mod_sofia@${switchIp}:${SIP_PORT}`], ['recovery_profile_name', 'internal'],
    ['sip_req_user', to], ['sip_req_uri', `${to}@${switchIp}`], ['sip_req_host', switchIp],
    ['sip_to_user', to], ['sip_to_uri', `${to}@${switchIp}`], ['sip_to_host', switchIp],
    ['sip_contact_user', fromUser], ['sip_contact_port', SIP_PORT], ['sip_contact_uri', `${fromUser}@${ip}:${SIP_PORT}`], ['sip_contact_host', ip],
    ['sip_user_agent', 'fsbus-sim'], ['sip_via_host', ip], ['sip_via_port', SIP_PORT], ['sip_via_rport', SIP_PORT],
    ['max_forwards', '70'], ['presence_id', `${fromUser}@${fromHost}`], ['endpoint_disposition', 'RECEIVED'],
  ];
  const own = new Set(list.map(([k]) => k));
  for (const pair of list) pair[1] = vars[pair[0]] ?? pair[1];
  for (const [k, v] of Object.entries(vars)) if (!own.has(k)) list.push([k, v]);
  return list;
}

const TICK_MS = 10;
const MAX_CATCH_UP_MS = 1000;

export class CoreControl implements SimControl {
  latencyMs = 0;
  private readonly handles = new Set<StopHandle>();
  /** Uuids of inbound calls placed and not yet created (creation is deferred). */
  private readonly placing = new Set<string>();

  constructor(
    private readonly engine: Engine,
    private readonly executor: Executor,
    private readonly originator: Originator,
    private readonly sofia: SofiaConfig,
  ) {}

  setLatency(ms: number): void {
    this.latencyMs = Math.max(0, ms);
  }

  setEndpointBehavior(endpoint: string, behavior: EndpointBehavior): void {
    this.originator.behaviors.set(endpoint, behavior);
  }

  clearEndpointBehavior(endpoint?: string): number {
    const behaviors = this.originator.behaviors;
    if (endpoint !== undefined) return behaviors.delete(endpoint) ? 1 : 0;
    const n = behaviors.size;
    behaviors.clear();
    return n;
  }

  addGateway(gateway: SofiaGateway): void {
    this.sofia.add(gateway);
  }

  removeGateway(name: string): boolean {
    return this.sofia.remove(name);
  }

  listGateways(): SofiaGatewayInfo[] {
    return this.sofia.list();
  }

  sendDigits(uuid: string, digits: string): boolean {
    const ch = this.engine.channels.get(uuid);
    if (ch === undefined) return false;
    this.engine.defer(() => {
      for (const d of digits) {
        this.engine.fire(ch, 'DTMF', SITES.DTMF, { post: [['DTMF-Digit', d], ['DTMF-Duration', '2000'], ['DTMF-Source', 'APP']] });
      }
      // Parked (switch_ivr_park's own loop), the channel dequeues and drops them, as for uuid_recv_dtmf.
      if (ch.appStack.at(-1)?.discardsDigits !== true) ch.digits += digits;
      ch.digitWaiter?.();
    });
    return true;
  }

  hupall(cause = 'MANAGER_REQUEST'): number {
    const all = [...this.engine.channels.values()];
    this.engine.defer(() => {
      for (const ch of all) this.engine.hangup(ch, cause);
    });
    return all.length;
  }

  /** Stops every generator and injector (SimCore.stop). */
  stopAll(): void {
    for (const h of [...this.handles]) h.stop();
  }

  /**
   * Runs `perTick(quota)` every tick with a fractional-rate accumulator. The quota follows the
   * clock, not the tick count: a tick that comes late (a busy loop at high rates) makes up for
   * the time it lost, so the offered rate holds. A stall longer than MAX_CATCH_UP_MS is not
   * made up beyond that, to bound the burst.
   */
  private ticker(rate: number, limit: number, durationMs: number | undefined, perTick: (n: number) => void): StopHandle {
    const clock = this.engine.bus.clock;
    // A run bounded in time makes exactly rate × duration items, however late its ticks come.
    if (durationMs !== undefined) limit = Math.min(limit, Math.floor((rate * durationMs) / 1000 + 1e-9));
    let produced = 0;
    let carry = 0;
    let elapsed = 0;
    let last = clock.nowMicros();
    let timer: TimerHandle | undefined;
    let finish!: (n: number) => void;
    const done = new Promise<number>((r) => (finish = r));
    const handle: StopHandle = {
      stop: () => {
        if (timer !== undefined) clock.clearTimeout(timer);
        timer = undefined;
        this.handles.delete(handle);
        finish(produced);
      },
      done,
    };
    const tick = (): void => {
      timer = undefined;
      const now = clock.nowMicros();
      const stepMs = Math.min((now - last) / 1000, MAX_CATCH_UP_MS);
      last = now;
      elapsed += stepMs;
      // Accumulate in events×1000 so a rate like 10/s gives exactly one event every 100 ms.
      carry += rate * stepMs;
      const due = Math.floor(carry / 1000 + 1e-9);
      carry -= due * 1000;
      const n = Math.min(due, limit - produced);
      if (n > 0) {
        perTick(n);
        produced += n;
      }
      if (produced >= limit || (durationMs !== undefined && elapsed >= durationMs - 1e-6)) return handle.stop();
      timer = clock.setTimeout(tick, TICK_MS);
    };
    this.handles.add(handle);
    timer = clock.setTimeout(tick, TICK_MS);
    return handle;
  }

  injectEvents(o: InjectEventsOptions): StopHandle {
    // The same pairs go into every injected event (events never mutate their pairs).
    const subclass: [string, string] | undefined = o.subclass === undefined ? undefined : ['Event-Subclass', o.subclass];
    const extra = Object.entries(o.headers ?? {});
    const fireN = (n: number): void => {
      const bus = this.engine.bus;
      for (let i = 0; i < n; i++) {
        const headers = bus.coreHeaders(o.name, SITES.INJECT);
        if (subclass !== undefined) headers.unshift(subclass);
        for (const pair of extra) headers.push(pair);
        bus.emit(headers, o.body);
      }
    };
    if (o.ratePerSecond === undefined || o.ratePerSecond <= 0) {
      fireN(o.count);
      return { stop: () => undefined, done: Promise.resolve(o.count) };
    }
    return this.ticker(o.ratePerSecond, o.count, undefined, fireN);
  }

  /**
   * A sofia inbound leg in CS_INIT, CHANNEL_CREATE fired, not yet routed: the INVITE's sip_*
   * variables and `vars` set, PCMU negotiated (two CODEC events) before it enters CS_INIT, as with
   * inbound-late-negotiation off.
   */
  private inboundLeg(uuid: string, num: string, dest: string, context: string, vars: Readonly<Record<string, string>> = {}): Channel {
    const e = this.engine;
    const list = inviteVariables(uuid, num, dest, e.bus.identity.ipv4, e.now(), vars);
    const value = new Map(list);
    const from = value.get('sip_from_user') ?? num;
    const ch = e.createChannel({
      name: `sofia/internal/${value.get('sip_from_uri') ?? ''}`,
      direction: 'inbound',
      uuid,
      codec: CODEC_PCMU,
      vars: list,
      profile: {
        direction: 'inbound', username: from, dialplan: 'XML', callerIdName: `Caller ${num}`, callerIdNumber: from, origCallerIdName: `Caller ${num}`,
        origCallerIdNumber: from, calleeIdName: '', calleeIdNumber: '', networkAddr: value.get('sip_network_ip') ?? CALLER_HOST, ani: from,
        destinationNumber: dest, source: 'mod_sofia', context,
      },
    });
    e.setRunningState(ch, 'CS_INIT');
    e.fire(ch, 'CHANNEL_CREATE', SITES.CHANNEL_CREATE);
    return ch;
  }

  placeInboundCall(o: PlaceInboundCallOptions): string {
    if (o.to === '') throw new SimConfigError("placeInboundCall: 'to' must not be empty");
    const after = o.hangupAfterMs;
    if (after !== undefined && !(Number.isFinite(after) && after >= 0)) throw new SimConfigError(`placeInboundCall: 'hangupAfterMs' must be a number >= 0, got ${after}`);
    const e = this.engine;
    const uuid = o.uuid ?? randomUUID();
    if (uuid === '') throw new SimConfigError("placeInboundCall: 'uuid' must not be empty");
    // FreeSWITCH refuses a session whose uuid exists ("Duplicate UUID!"); one placed but not yet created counts too.
    if (e.channels.has(uuid) || this.placing.has(uuid)) throw new SimConfigError(`placeInboundCall: uuid ${uuid} is already in use`);
    this.placing.add(uuid);
    e.defer(() => {
      this.placing.delete(uuid);
      const ch = this.inboundLeg(uuid, o.from ?? '1000', o.to, o.context ?? 'default', o.vars);
      if (after !== undefined) e.bus.clock.setTimeout(() => e.defer(() => e.hangup(ch, 'NORMAL_CLEARING')), after);
      this.executor.route(ch);
    });
    return uuid;
  }

  generateCalls(o: GenerateCallsOptions): StopHandle {
    const e = this.engine;
    const clock = e.bus.clock;
    const ratio = o.answerRatio ?? 0.8;
    const hold = o.holdMs ?? 5000;
    let n = 0;
    const one = (): void => {
      n++;
      const num = String(1000 + (n % 9000));
      // Evenly spread mix (Bresenham): exactly `ratio` of the calls are answered.
      const answered = Math.floor(n * ratio) > Math.floor((n - 1) * ratio);
      const ch = this.inboundLeg(randomUUID(), num, o.destination ?? '7001', 'default');
      if (answered) {
        clock.setTimeout(() => e.defer(() => e.hangup(ch, 'NORMAL_CLEARING')), hold);
        this.executor.route(ch);
        return;
      }
      // An unanswered call is scripted on the leg itself, like a no-answer endpoint: whatever the
      // dialplan holds (it may answer, or have no such extension), it rings until the caller gives
      // up, so it is not handed to the dialplan.
      ch.setVar('simulated_abandon', 'true');
      clock.setTimeout(() => e.defer(() => e.hangup(ch, 'ORIGINATOR_CANCEL')), Math.min(hold, 3000));
      e.setRunningState(ch, 'CS_ROUTING', () => e.setCallState(ch, 'RINGING', LOG_SITES.CALLSTATE_ROUTING));
      e.ringReady(ch);
    };
    return this.ticker(o.ratePerSecond, Number.POSITIVE_INFINITY, o.durationMs, (k) => e.defer(() => {
      for (let i = 0; i < k; i++) one();
    }));
  }
}
