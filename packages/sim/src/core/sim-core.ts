/**
 * SimCore: a simulated FreeSWITCH core (channels, dialplan, applications, API commands and
 * events) behind the seam the Event Socket wire layer codes against (see ./types.ts).
 */
import { hostname as osHostname } from 'node:os';
import { HANGUP_CAUSES, eventNameOf } from '@fsbus/esl';
import { randomUUID } from 'node:crypto';
import type { CoreEvent, CoreLogLine, CoreMessage, OutboundConnector, OutboundChannel } from './types.js';
import { stripWhitespace } from './strip-whitespace.js';
import type { SimClock, TimerHandle } from './clock.js';
import { RealClock } from './clock.js';
import { EventBus } from './event-bus.js';
import type { Headers } from './event-bus.js';
import { Engine } from './engine.js';
import { Executor } from './executor.js';
import { Originator } from './originate.js';
import { CoreControl } from './control.js';
import type { SimControl } from './control.js';
import { registerApps, estimateLengthMs } from './apps.js';
import { expansionApi, runApi } from './api.js';
import type { ApiHost } from './api.js';
import { DEFAULT_DIALPLAN } from './dialplan.js';
import type { StaticDialplan } from './dialplan.js';
import { createDialplanLookup } from './dialplan-lookup.js';
import { SITES, FS_VERSION } from './constants.js';
import { channelDataHeaders } from './show.js';
import { upTimeText } from './time-format.js';
import { MessageRunner } from './messages.js';
import { HangupScheduler } from './api-sched.js';
import { recordApps } from './record-session.js';
import { Stores } from './api-store.js';
import { LegHolding } from './api-hold.js';
import { schedHangupApp } from './dptools-simple.js';
import { switchTrue } from './switch-true.js';
import { cUint32, takeVarBlocks } from './originate-parse.js';
import { atoi } from './c-num.js';
import type { Channel } from './channel.js';
import { SofiaConfig } from './api-sofia.js';
import type { SofiaGateway } from './api-sofia.js';

export interface SimCoreOptions {
  /** FreeSWITCH-Hostname / Switchname. @default os.hostname() */
  nodeName?: string;
  /** Core-UUID. @default random */
  coreUuid?: string;
  /** @default '127.0.0.1' */
  ipv4?: string;
  /** @default '::1' */
  ipv6?: string;
  /** mod_xml_curl dialplan binding (POST form); without a usable document, the static dialplan. */
  xmlCurlUrl?: string;
  /** mod_xml_curl's `timeout` param, in ms. @default none (its default is 0: wait for ever) */
  xmlCurlTimeoutMs?: number;
  /** Extensions by context. @default the fixture scenario's 7001..7006 plus demo extensions */
  dialplan?: StaticDialplan;
  /** Used by the `socket` application (provided by the wire layer). */
  outbound?: OutboundConnector;
  /** HEARTBEAT / RE_SCHEDULE period. @default 20000; 0 disables */
  heartbeatIntervalMs?: number;
  /** Time source. @default real timers */
  clock?: SimClock;
  /** Length of played files that are not tone/silence streams. @default 1000 */
  playbackFileMs?: number;
  /** Per-file playback lengths (ms). */
  playbackLengths?: ReadonlyMap<string, number>;
  /**
   * mod_sofia gateways (`sofia/gateway/<name>/…`); any other gateway fails INVALID_GATEWAY. A bad
   * field throws SimConfigError. `control.addGateway`/`removeGateway` change them while running. @default none
   */
  gateways?: readonly SofiaGateway[];
}

export class SimCore {
  readonly control: SimControl;
  private readonly bus: EventBus;
  private readonly engine: Engine;
  private readonly executor: Executor;
  private readonly originator: Originator;
  private readonly ctl: CoreControl;
  private readonly messages: MessageRunner;
  private readonly clock: SimClock;
  private readonly globals = new Map<string, string>();
  private readonly scheduler: HangupScheduler;
  private readonly stores = new Stores();
  private readonly legHolding = new LegHolding();
  /** When this run began (`status`, `uptime`, HEARTBEAT): construction, then each start() after a stop(). */
  private startedMicros: number;
  /** The globals FreeSWITCH sets at startup (vars.xml / switch_core_init), put back by stop(). */
  private readonly startupGlobals: ReadonlyArray<readonly [string, string]>;
  private running = false;
  private stopped = false;
  private dialplan: StaticDialplan;
  private heartbeat: TimerHandle | undefined;
  private readonly pendingLatency = new Set<TimerHandle>();
  /** bgapi jobs queued without latency (setImmediate, not the clock). */
  private readonly pendingJobs = new Set<NodeJS.Immediate>();
  /** mod_xml_curl's dialplan binding, read at each lookup. */
  private readonly xmlCurl: { url: string | undefined; timeoutMs: number | undefined };
  private readonly sofia: SofiaConfig;

  constructor(private readonly options: SimCoreOptions = {}) {
    this.clock = options.clock ?? new RealClock();
    const host = options.nodeName ?? osHostname();
    this.bus = new EventBus({ coreUuid: options.coreUuid ?? randomUUID(), hostname: host, ipv4: options.ipv4 ?? '127.0.0.1', ipv6: options.ipv6 ?? '::1' }, this.clock);
    this.startedMicros = this.clock.nowMicros();
    this.dialplan = options.dialplan ?? DEFAULT_DIALPLAN;
    this.engine = new Engine(this.bus);
    this.xmlCurl = { url: options.xmlCurlUrl, timeoutMs: options.xmlCurlTimeoutMs };
    this.executor = new Executor(this.engine, createDialplanLookup(this.bus, this.clock, this.xmlCurl, () => this.dialplan), this.globals);
    this.engine.onBridgeEnded = (survivor, gone) => this.executor.bridgeEnded(survivor, gone);
    this.sofia = new SofiaConfig(options.gateways ?? [], () => this.bus.identity.ipv4);
    this.originator = new Originator(this.engine, this.executor, () => this.bus.identity.ipv4, this.sofia);
    this.messages = new MessageRunner(this.engine, this.executor);
    this.scheduler = new HangupScheduler(this.engine, this.clock);
    const fileMs = options.playbackFileMs ?? 1000;
    const lengths = options.playbackLengths ?? new Map<string, number>();
    registerApps({
      executor: this.executor,
      clock: this.clock,
      outbound: () => this.options.outbound,
      fileLengthMs: (p) => estimateLengthMs(p, fileMs, lengths),
      bridge: (ch, target, done, app) => this.bridgeApp(ch, target, done, app),
      outboundChannel: (ch, onConnected) => this.outboundChannel(ch, onConnected),
    });
    // The application shares the API's scheduler (switch_ivr_schedule_hangup), which AppDeps does not carry.
    this.executor.apps.set('sched_hangup', schedHangupApp(this.engine, this.scheduler));
    // The recording applications read the globals (sound_prefix, base_dir) for a relative path.
    for (const [name, impl] of recordApps({ engine: this.engine, clock: this.clock, globals: this.globals })) this.executor.apps.set(name, impl);
    this.executor.expansionApi = expansionApi(this.apiHost());
    this.ctl = new CoreControl(this.engine, this.executor, this.originator, this.sofia);
    this.control = this.ctl;
    this.startupGlobals = Object.entries({
      hostname: host, switchname: host, local_ip_v4: this.bus.identity.ipv4, local_ip_v6: this.bus.identity.ipv6, domain: this.bus.identity.ipv4,
      domain_name: this.bus.identity.ipv4, core_uuid: this.bus.identity.coreUuid, sound_prefix: '/usr/share/freeswitch/sounds/en/us/callie',
      hold_music: 'local_stream://moh', default_password: '1234', base_dir: '/usr', conf_dir: '/etc/freeswitch', log_dir: '/var/log/freeswitch',
    });
    for (const [k, v] of this.startupGlobals) this.globals.set(k, v);
  }

  start(): void {
    // A previous stop() left the engine shutting down: held channels wait for their holders again.
    this.engine.stopping = false;
    // A new process: its uptime counts from now.
    if (this.stopped) this.startedMicros = this.clock.nowMicros();
    this.stopped = false;
    this.running = true;
    const every = this.options.heartbeatIntervalMs ?? 20000;
    if (every > 0 && this.heartbeat === undefined) {
      const beat = (): void => {
        this.fireHeartbeat(every);
        this.heartbeat = this.clock.setTimeout(beat, every);
      };
      this.heartbeat = this.clock.setTimeout(beat, every);
    }
  }

  async stop(): Promise<void> {
    if (this.heartbeat !== undefined) this.clock.clearTimeout(this.heartbeat);
    this.heartbeat = undefined;
    this.ctl.stopAll();
    const all = [...this.engine.channels.values()];
    this.engine.defer(() => {
      this.engine.shutdown();
      for (const ch of all) this.engine.hangup(ch, 'SYSTEM_SHUTDOWN');
    });
    for (const t of this.pendingLatency) this.clock.clearTimeout(t);
    this.pendingLatency.clear();
    for (const i of this.pendingJobs) clearImmediate(i);
    this.pendingJobs.clear();
    this.clock.clearAll();
    // What FreeSWITCH keeps in memory does not outlive its process (mod_db's sqlite would: not modelled).
    // Endpoint behaviours, api latency and gateways added or removed at run time are the test's
    // script, not FreeSWITCH's: reset() clears them.
    this.scheduler.clear();
    this.stores.clear();
    this.legHolding.clear();
    this.globals.clear();
    for (const [k, v] of this.startupGlobals) this.globals.set(k, v);
    this.engine.sessionsSinceStartup = 0;
    this.engine.peakSessions = 0;
    this.engine.peakSps = 0;
    this.running = false;
    this.stopped = true;
    await Promise.resolve();
  }

  /**
   * Back to a freshly constructed core: what stop() forgets, plus what the test scripted (endpoint
   * behaviours, api latency, a bindXmlCurl URL, gateways added or removed, running generators). A
   * running core runs again.
   */
  async reset(): Promise<void> {
    const wasRunning = this.running;
    await this.stop();
    this.ctl.clearEndpointBehavior();
    this.ctl.setLatency(0);
    this.sofia.restore();
    this.xmlCurl.url = this.options.xmlCurlUrl;
    this.dialplan = this.options.dialplan ?? DEFAULT_DIALPLAN;
    if (wasRunning) this.start();
  }

  onEvent(listener: (e: CoreEvent) => void): () => void {
    return this.bus.onEvent(listener);
  }

  onLog(listener: (l: CoreLogLine) => void): () => void {
    return this.bus.onLog(listener);
  }

  api(command: string, args: string): Promise<string> {
    // mod_event_socket answers an empty api output with `-ERR no reply` (bgapi bodies stay empty).
    return new Promise((resolve) => this.runCommand(command, args, (reply) => this.withLatency(() => resolve(reply === '' ? '-ERR no reply\n' : reply))));
  }

  bgapi(command: string, args: string, jobUuid: string, ownerUuid?: string): void {
    // Like mod_event_socket, the job runs on its own thread: after the command/reply is sent.
    const job = (): void =>
      this.runCommand(command, args, (reply) => {
        const extra: Headers = [['Job-UUID', jobUuid]];
        // Only a listener with a session owns its jobs (mod_event_socket leaves the header out otherwise).
        if (ownerUuid !== undefined) extra.push(['Job-Owner-UUID', ownerUuid]);
        // mod_event_socket's api_exec: the command as the client wrote it (an empty one is no header).
        if (command !== '') extra.push(['Job-Command', command]);
        if (args !== '') extra.push(['Job-Command-Arg', args]);
        this.bus.fireSimple('BACKGROUND_JOB', SITES.BACKGROUND_JOB, extra, reply);
      });
    if (this.ctl.latencyMs <= 0) {
      // FreeSWITCH starts that thread at once; a 0 ms timer would wait >= 1 ms in Node (and
      // benchmarks of bgapi would measure that timer).
      const i = setImmediate(() => {
        this.pendingJobs.delete(i);
        job();
      });
      this.pendingJobs.add(i);
      return;
    }
    const t = this.clock.setTimeout(() => {
      this.pendingLatency.delete(t);
      job();
    }, this.ctl.latencyMs);
    this.pendingLatency.add(t);
  }

  sendmsg(uuid: string, message: CoreMessage): string {
    const ch = this.engine.channels.get(uuid);
    if (ch === undefined) return `-ERR invalid session id [${uuid}]`;
    return this.messages.run(ch, message, `sendmsg ${uuid}`);
  }

  sendevent(headers: ReadonlyArray<readonly [string, string]>, body: string | undefined): string {
    const eventUuid = randomUUID();
    const [first, ...rest] = headers;
    const commandValue = first?.[1] ?? 'sendevent';
    // mod_event_socket creates the event as CLONE with event_id 0 (CUSTOM) and sets event_id only
    // when switch_name_event knows the WHOLE rest of the line (leading blanks skipped): an unknown,
    // missing or two-word name leaves a CUSTOM event without a subclass.
    const known = eventNameOf(commandValue.replace(/[\r\n][\s\S]*$/, '').slice(9).replace(/^[ \t]+/, ''));
    const name = known ?? 'CUSTOM';
    const target = rest.find(([k]) => k.toLowerCase() === 'unique-id')?.[1];
    const ch = this.engine.locate(target);
    if (ch !== undefined) {
      // mod_event_socket queues an event carrying Unique-ID to that session: a message.
      const map = new Map<string, string>(rest.map(([k, v]) => [k, v]));
      this.messages.run(ch, { callCommand: map.get('call-command') ?? '', headers: map, body }, commandValue);
      return eventUuid;
    }
    // Only a recognised CUSTOM takes the client's Event-Subclass as its subclass (listed first when
    // delivered); otherwise that header stays an ordinary one, where the client sent it.
    const subclass = known === 'CUSTOM' ? rest.find(([k]) => k.toLowerCase() === 'event-subclass') : undefined;
    const out: Headers = [];
    if (subclass !== undefined) out.push(['Event-Subclass', subclass[1]]);
    out.push(['Command', commandValue]);
    for (const [k, v] of rest) if (subclass === undefined || k.toLowerCase() !== 'event-subclass') out.push([k, v]);
    out.push(['Event-UUID', eventUuid]);
    out.push(...this.bus.coreHeaders(name, SITES.SENDEVENT));
    this.engine.defer(() => this.bus.emit(out, body, { subclass: subclass?.[1] }));
    return eventUuid;
  }

  /**
   * Points mod_xml_curl's dialplan binding at `url` (undefined: the static dialplan only), as
   * editing xml_curl.conf.xml and reloading would; calls routed from now on ask it first.
   */
  bindXmlCurl(url: string | undefined): void {
    this.xmlCurl.url = url;
  }

  /** Whether switch_core_session_locate finds it: not once its hangup has begun. */
  hasChannel(uuid: string): boolean {
    return this.engine.locate(uuid) !== undefined;
  }

  holdChannel(uuid: string): (() => void) | undefined {
    const ch = this.engine.locate(uuid);
    if (ch === undefined) return undefined;
    this.engine.hold(ch);
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.engine.release(ch);
    };
  }

  channelEventHeaders(uuid: string): ReadonlyArray<readonly [string, string]> | undefined {
    const ch = this.engine.channels.get(uuid);
    return ch === undefined ? undefined : channelDataHeaders(this.bus, ch);
  }

  private runCommand(command: string, args: string, deliver: (reply: string) => void): void {
    // FreeSWITCH (switch_api_execute) creates the API event before it runs the command, so the
    // event's Event-Sequence is taken then, and fires it once the command has returned: it comes
    // after the command's own events (an originate's CHANNEL_CREATEs) and before a bgapi's
    // BACKGROUND_JOB, with a sequence number lower than theirs.
    // switch_api_execute strips both and names in the event only what is left of them.
    const cmd = stripWhitespace(command);
    const arg = stripWhitespace(args);
    const apiEvent = this.bus.coreHeaders('API', SITES.API);
    if (cmd !== '') apiEvent.push(['API-Command', cmd]);
    if (arg !== '') apiEvent.push(['API-Command-Argument', arg]);
    const done = (reply: string): void => {
      this.bus.emit(apiEvent);
      deliver(reply);
    };
    this.engine.defer(() => {
      const out = runApi(this.apiHost(), command, arg);
      if (typeof out === 'string') done(out);
      else out.run(done);
    });
  }

  private withLatency(fn: () => void): void {
    if (this.ctl.latencyMs <= 0) return fn();
    const t = this.clock.setTimeout(() => {
      this.pendingLatency.delete(t);
      fn();
    }, this.ctl.latencyMs);
    this.pendingLatency.add(t);
  }

  private apiHost(): ApiHost {
    const startedAt = (): number => this.startedMicros;
    return {
      engine: this.engine,
      executor: this.executor,
      originator: this.originator,
      globals: this.globals,
      scheduler: this.scheduler,
      stores: this.stores,
      legHolding: this.legHolding,
      hostname: this.bus.identity.hostname,
      sofia: this.sofia,
      // A getter: the expansion api keeps this host, and a restart moves the start.
      get startedMicros() {
        return startedAt();
      },
      reloadXml: () => {
        this.dialplan = this.options.dialplan ?? DEFAULT_DIALPLAN;
      },
      broadcast: (ch, app, args, holdBleg) => this.messages.broadcast(ch, app, args, holdBleg),
    };
  }

  private fireHeartbeat(every: number): void {
    const up = this.clock.nowMicros() - this.startedMicros;
    const n = this.engine.channels.size;
    this.bus.fireSimple('HEARTBEAT', SITES.HEARTBEAT, [
      ['Event-Info', 'System Ready'], ['Up-Time', upTimeText(up)], ['FreeSWITCH-Version', FS_VERSION],
      ['Uptime-msec', String(Math.floor(up / 1000))], ['Session-Count', String(n)], ['Max-Sessions', '1000'],
      ['Session-Per-Sec', '30'], ['Session-Per-Sec-Last', '0'], ['Session-Per-Sec-Max', String(this.engine.peakSps)], ['Session-Per-Sec-FiveMin', String(this.engine.peakSps)],
      ['Session-Since-Startup', String(this.engine.sessionsSinceStartup)], ['Session-Peak-Max', String(this.engine.peakSessions)],
      ['Session-Peak-FiveMin', String(this.engine.peakSessions)], ['Idle-CPU', '98.500000'],
    ]);
    this.bus.fireSimple('RE_SCHEDULE', SITES.RE_SCHEDULE, [
      ['Task-ID', '1'], ['Task-Desc', 'heartbeat'], ['Task-Group', 'core'],
      ['Task-Runtime', String(Math.floor(this.clock.nowMicros() / 1_000_000) + Math.floor(every / 1000))],
    ]);
  }

  private bridgeApp(ch: Channel, target: string, done: (r?: string) => void, app: { onStop: ((r: 'hangup' | 'break' | 'transfer') => void) | undefined; acceptsMessages: boolean }): void {
    const vars = new Map<string, string>();
    const dialling: { cancel?: () => void } = {};
    app.onStop = (reason) => {
      // The caller hung up or is being transferred while its legs ring: it is not ready, so the
      // originate ends them (ORIGINATOR_CANCEL) before the bridge returns.
      if (reason === 'hangup' || reason === 'transfer') dialling.cancel?.();
      done();
    };
    dialling.cancel = this.originator.dial(
      // mod_dptools hands switch_ivr_originate no time limit: the caller's call_timeout is its (ringTimeLimit).
      { dial: takeVarBlocks(target, vars, '<{'), vars, cidName: ch.profile?.callerIdName, cidNum: ch.profile?.callerIdNumber, timeoutSec: callTimeout(ch), caller: ch },
      (r) => {
        // mod_dptools' bridge, once the originate failed (the originate wrote originate_disposition and DIALSTATUS).
        if (!r.ok) ch.setVar('originate_failed_cause', r.cause);
        if (ch.isHungUp) {
          if (r.ok) this.engine.hangup(r.channel, 'ORIGINATOR_CANCEL');
          return;
        }
        if (!r.ok) {
          // switch_channel_handle_cause never hangs up a channel being transferred.
          if (ch.transferTo === undefined && !goesOnAfterFailure(ch, r.cause)) this.engine.hangup(ch, r.cause);
          done();
          return;
        }
        this.engine.setRunningState(r.channel, 'CS_EXCHANGE_MEDIA');
        if (ch.answerState !== 'answered') this.engine.answer(ch);
        this.originator.link(ch, r.channel);
      },
    );
  }

  private outboundChannel(ch: Channel, onConnected: () => void): OutboundChannel {
    return {
      uuid: ch.uuid,
      channelData: () => {
        const h = this.bus.coreHeaders('CHANNEL_DATA', SITES.CHANNEL_DATA_OUTBOUND);
        if (ch.profile) {
          const prof: Headers = [];
          // mod_event_socket adds the caller profile once more with the Channel- prefix first.
          for (const [k, v] of ch.channelHeaders(false)) if (k.startsWith('Caller-')) prof.push([`Channel-${k.slice(7)}`, v]);
          h.push(...prof);
        }
        h.push(...ch.channelHeaders(true));
        this.engine.defer(onConnected);
        return h;
      },
      sendmsg: (message, ran, inline) => (this.engine.channels.has(ch.uuid) ? this.messages.run(ch, message, undefined, ran, inline) : `-ERR invalid session id [${ch.uuid}]`),
      getVariable: (name) => ch.lookupVar(name),
      resume: () => ch.setVar('socket_resume', 'true'),
      ended: ch.ended,
    };
  }
}

/** switch_ivr_originate with a caller: its call_timeout (atoi into the uint32 limit) replaces what it was handed. */
function callTimeout(ch: Channel): number {
  const text = ch.getVar('call_timeout');
  return text === undefined ? 0 : cUint32(atoi(text));
}

/**
 * switch_channel_handle_cause after a failed `bridge`: whether the caller goes on with its
 * dialplan rather than being hung up with the cause. `continue_on_fail` is switch_true or a comma
 * list of causes (names in any case, or numbers); `failure_causes` lists the causes that do not go
 * on; with neither, only a call nobody answered goes on. `transfer_on_fail` is not modelled.
 */
function goesOnAfterFailure(ch: Channel, cause: string): boolean {
  if (cause === 'ATTENDED_TRANSFER') return false;
  const value = (name: string): string | undefined => {
    const v = ch.getVar(name);
    return v === '' ? undefined : v;
  };
  const continueOnFail = value('continue_on_fail');
  const failureCauses = value('failure_causes');
  if (continueOnFail === undefined && failureCauses === undefined) return cause === 'NO_ANSWER' || cause === 'NO_USER_RESPONSE' || cause === 'ORIGINATOR_CANCEL';
  const number = (HANGUP_CAUSES as Readonly<Record<string, number>>)[cause];
  const listed = (list: string): boolean => list.split(',').some((item) => {
    const word = item.trim().toUpperCase();
    return word === cause || (number !== undefined && word === String(number));
  });
  if (failureCauses !== undefined && !listed(failureCauses)) return true;
  return continueOnFail !== undefined && (switchTrue(continueOnFail) || listed(continueOnFail));
}
