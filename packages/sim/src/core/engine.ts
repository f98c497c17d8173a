/**
 * The channel lifecycle: creation, state and call-state changes, answer, hangup and destroy,
 * each firing the events FreeSWITCH fires, in the order of the real captures. Work that
 * FreeSWITCH does on a channel's own thread is queued (a FIFO drained synchronously), which
 * reproduces the interleaving of the two loopback legs seen in the captures.
 */
import { randomUUID } from 'node:crypto';
import type { EventBus, Headers } from './event-bus.js';
import type { CallSite, CallState, ChannelState } from './constants.js';
import { SITES, callStateNumber } from './constants.js';
import { Channel } from './channel.js';
import { CODEC_L16 } from './channel.js';
import type { CallerProfile, Codec } from './channel.js';
import { setHangupVariables } from './hangup-variables.js';
import { LOG_SITES, TEXT_CHANNEL_ID_LOG, TEXT_CHANNEL_SESSION } from './log-sites.js';

const LOG_DEBUG = 7;
const LOG_NOTICE = 5;

export interface NewChannelSpec {
  name: string;
  direction: 'inbound' | 'outbound';
  uuid?: string;
  profile: Omit<CallerProfile, 'profileIndex' | 'profileCreated' | 'channelCreated' | 'answered' | 'progress' | 'progressMedia' | 'hangup' | 'transfer' | 'bridged'>;
  /** Read and write codec. @default CODEC_L16 (mod_loopback's) */
  codec?: Codec;
  /** The endpoint's variables from the call setup (sofia's sip_*), set after the channel's own and before its codecs. */
  vars?: ReadonlyArray<readonly [string, string]>;
}

export class Engine {
  readonly channels = new Map<string, Channel>();
  private readonly jobs: Array<() => void> = [];
  private draining = false;
  /**
   * FreeSWITCH's one session counter (session_manager.session_id): each new channel's session_id,
   * and what `status` and HEARTBEAT report; a fresh start (stop(), reset()) counts from 0 again.
   */
  sessionsSinceStartup = 0;
  stopping = false;
  /**
   * What the other leg of a bridge does once `gone` has hung up (FreeSWITCH's rules after a
   * bridge: park_after_bridge, transfer_after_bridge, hangup_after_bridge …); set by the core.
   * Unset, the other leg is hung up with the gone leg's cause.
   */
  onBridgeEnded: ((survivor: Channel, gone: Channel) => void) | undefined;
  /**
   * Runs the channel variables named `<kind>_on_…` from `prefix` on (switch_channel_execute_on /
   * switch_channel_api_on); set by the executor. Unset, they are not run.
   */
  runOn: ((ch: Channel, kind: 'execute' | 'api', prefix: string) => void) | undefined;
  peakSessions = 0;
  /** Highest count of sessions created within one second (status, HEARTBEAT). */
  peakSps = 0;
  private spsSecond = -1;
  private spsCount = 0;

  constructor(readonly bus: EventBus) {}

  now(): number {
    return this.bus.clock.nowMicros();
  }

  /**
   * switch_core_session_locate: the read lock is refused once the channel's state is CS_HANGUP or
   * later, so a channel whose hangup has begun is not found (`show channels` still lists it).
   */
  locate(uuid: string | undefined): Channel | undefined {
    const ch = uuid === undefined ? undefined : this.channels.get(uuid);
    return ch === undefined || ch.hangupStarted ? undefined : ch;
  }

  /** Queues work "on a channel thread"; runs now unless a drain is already running. */
  defer(job: () => void): void {
    this.jobs.push(job);
    if (this.draining) return;
    this.draining = true;
    try {
      for (let j = this.jobs.shift(); j !== undefined; j = this.jobs.shift()) j();
    } finally {
      this.draining = false;
    }
  }

  /** Fires a channel event: [pre] + core headers + [mid] + channel block + [post]. */
  fire(ch: Channel, name: string, site: CallSite, opts: { vars?: boolean; pre?: Headers; mid?: Headers; post?: Headers; profile?: boolean; blockCause?: boolean } = {}): void {
    const core = this.bus.coreHeaders(name, site);
    const headers: Headers = opts.pre ? [...opts.pre, ...core] : core;
    if (opts.mid) headers.push(...opts.mid);
    headers.push(...ch.channelHeaders(opts.vars ?? true, opts.profile ?? true, opts.blockCause ?? true));
    if (opts.post) headers.push(...opts.post);
    this.bus.emit(headers, undefined, { name, sequence: Number(core[12]?.[1] ?? 0) });
  }

  /** `channel`: the Text-Channel when not derived from the line (0 for SWITCH_CHANNEL_ID_LOG lines). */
  log(ch: Channel | undefined, level: number, site: CallSite, text: string, channel?: number): void {
    this.bus.log(level, site, text, ch?.uuid, false, channel);
  }

  /** Creates a channel in CS_NEW with its codecs set (two CODEC events), not yet registered as running. */
  createChannel(spec: NewChannelSpec): Channel {
    const micros = this.now();
    const ch = new Channel(spec.uuid ?? randomUUID(), spec.name, ++this.sessionsSinceStartup, micros);
    // Not `{ ...spec.profile, … }`: V8 11 (Node 20) makes that object slow to build and to read, and every channel event reads it.
    ch.profile = Object.assign({}, spec.profile, { profileIndex: 1, profileCreated: micros, channelCreated: micros, answered: 0, progress: 0, progressMedia: 0, hangup: 0, transfer: 0, bridged: 0 });
    const out = spec.direction === 'outbound';
    ch.setVar('direction', spec.direction);
    if (out) ch.setVar('is_outbound', 'true');
    ch.setVar('uuid', ch.uuid);
    ch.setVar('call_uuid', ch.uuid);
    ch.setVar('session_id', String(ch.sessionId));
    // An inbound leg is named before its codecs are set, an outbound one after.
    if (!out) ch.setVar('channel_name', ch.name);
    this.channels.set(ch.uuid, ch);
    this.peakSessions = Math.max(this.peakSessions, this.channels.size);
    const second = Math.floor(micros / 1_000_000);
    this.spsCount = second === this.spsSecond ? this.spsCount + 1 : 1;
    this.spsSecond = second;
    this.peakSps = Math.max(this.peakSps, this.spsCount);
    this.bus.log(LOG_NOTICE, LOG_SITES.NEW_CHANNEL, `New Channel ${ch.name} [${ch.uuid}]`, ch.uuid);
    for (const [k, v] of spec.vars ?? []) ch.setVar(k, v);
    const codec = spec.codec ?? CODEC_L16;
    ch.codec = codec;
    ch.readCodec = true;
    ch.setVar('read_codec', codec.name);
    ch.setVar('read_rate', codec.rate);
    this.fire(ch, 'CODEC', SITES.CODEC_READ, {
      vars: false, profile: false,
      post: [['channel-read-codec-name', codec.name], ['channel-read-codec-rate', codec.rate], ['channel-read-codec-bit-rate', codec.bitRate]],
    });
    ch.writeCodec = true;
    ch.setVar('write_codec', codec.name);
    ch.setVar('write_rate', codec.rate);
    this.fire(ch, 'CODEC', SITES.CODEC_WRITE, { vars: false, profile: false, post: [['Channel-Write-Codec-Name', codec.name], ['Channel-Write-Codec-Rate', codec.rate], ['Channel-Write-codec-bit-rate', codec.bitRate]] });
    if (out) ch.setVar('channel_name', ch.name);
    return ch;
  }

  /** origination_uuid: FreeSWITCH renames the session (CHANNEL_UUID with Old-Unique-ID). */
  changeUuid(ch: Channel, uuid: string): void {
    const old = ch.uuid;
    this.channels.delete(old);
    ch.uuid = uuid;
    this.channels.set(uuid, ch);
    ch.setVar('channel_name', ch.name);
    ch.setVar('uuid', uuid);
    ch.setVar('call_uuid', uuid);
    this.log(ch, LOG_DEBUG, LOG_SITES.SET_UUID, `${ch.name} set UUID=${uuid}`);
    this.fire(ch, 'CHANNEL_UUID', SITES.CHANNEL_UUID, { mid: [['Old-Unique-ID', old]] });
  }

  /**
   * Sets the state and the running state together (CHANNEL_STATE). `during` runs between the
   * log line and the event, as switch_channel_perform_set_running_state sets the callstate.
   */
  setRunningState(ch: Channel, state: ChannelState, during?: () => void): void {
    if (ch.destroyed) return;
    ch.state = state;
    ch.runningState = state;
    this.logRunningState(ch, LOG_SITES.RUNNING_STATE);
    during?.();
    this.fire(ch, 'CHANNEL_STATE', SITES.CHANNEL_STATE, { vars: false });
  }

  private logRunningState(ch: Channel, site: CallSite): void {
    this.log(ch, LOG_DEBUG, site, `(${ch.name}) Running State Change ${ch.runningState} (Cur ${this.channels.size} Tot ${this.sessionsSinceStartup})`, TEXT_CHANNEL_ID_LOG);
  }

  /** `site`: the call that changes it (FreeSWITCH logs the change with its caller's site). */
  setCallState(ch: Channel, cs: CallState, site: CallSite): void {
    if (ch.callState === cs) return;
    const original = ch.callState;
    ch.callState = cs;
    this.log(ch, LOG_DEBUG, site, `(${ch.name}) Callstate Change ${original} -> ${cs}`, TEXT_CHANNEL_ID_LOG);
    this.fire(ch, 'CHANNEL_CALLSTATE', SITES.CHANNEL_CALLSTATE, {
      vars: false,
      mid: [['Original-Channel-Call-State', original], ['Channel-Call-State-Number', String(callStateNumber(cs))]],
    });
  }

  /** Marks a channel answered: CHANNEL_ANSWER, then CHANNEL_CALLSTATE ACTIVE. `site`: the answering call. */
  markAnswered(ch: Channel, site: CallSite = LOG_SITES.ANSWER_APP): void {
    if (ch.answerState === 'answered' || ch.isHungUp || ch.profile === undefined) return;
    const early = ch.answerState === 'early';
    ch.answerState = 'answered';
    ch.profile.answered = this.now();
    this.log(ch, LOG_NOTICE, site, `Channel [${ch.name}] has been answered`, TEXT_CHANNEL_ID_LOG);
    this.fire(ch, 'CHANNEL_ANSWER', SITES.CHANNEL_ANSWER);
    // switch_channel_perform_mark_answered sets it before it runs what the variables name.
    ch.setVar('endpoint_disposition', 'ANSWER');
    this.runOn?.(ch, 'execute', 'execute_on_answer');
    if (!early) {
      this.runOn?.(ch, 'execute', 'execute_on_media');
      this.runOn?.(ch, 'api', 'api_on_media');
    }
    this.runOn?.(ch, 'api', 'api_on_answer');
    this.setCallState(ch, 'ACTIVE', LOG_SITES.CALLSTATE_ANSWERED);
    const w = ch.originateWaiter;
    ch.originateWaiter = undefined;
    w?.answered();
  }

  /** answer on a channel: a loopback b-leg answers its a-leg first, as mod_loopback does. */
  answer(ch: Channel): void {
    const partner = ch.loopbackPartner;
    if (partner !== undefined && partner.answerState !== 'answered') this.markAnswered(partner, LOG_SITES.ANSWER_LOOPBACK_PEER);
    this.markAnswered(ch);
  }

  preAnswer(ch: Channel): void {
    if (ch.answerState !== 'ringing' || ch.isHungUp || ch.profile === undefined) return;
    ch.answerState = 'early';
    ch.profile.progressMedia = this.now();
    const partner = ch.loopbackPartner;
    if (partner !== undefined) this.preAnswer(partner);
    // switch_channel_perform_mark_pre_answered sets it before it fires the event.
    ch.setVar('endpoint_disposition', 'EARLY MEDIA');
    this.fire(ch, 'CHANNEL_PROGRESS_MEDIA', SITES.CHANNEL_PROGRESS_MEDIA);
    this.runOn?.(ch, 'execute', 'execute_on_pre_answer');
    this.runOn?.(ch, 'execute', 'execute_on_media');
    this.runOn?.(ch, 'api', 'api_on_pre_answer');
    this.runOn?.(ch, 'api', 'api_on_media');
    this.setCallState(ch, 'EARLY', LOG_SITES.CALLSTATE_PRE_ANSWERED);
  }

  ringReady(ch: Channel): void {
    if (ch.isHungUp || ch.profile === undefined || ch.profile.progress !== 0) return;
    ch.profile.progress = this.now();
    const partner = ch.loopbackPartner;
    if (partner !== undefined) this.ringReady(partner);
    this.fire(ch, 'CHANNEL_PROGRESS', SITES.CHANNEL_PROGRESS);
    this.runOn?.(ch, 'execute', 'execute_on_ring');
    this.runOn?.(ch, 'api', 'api_on_ring');
    if (ch.answerState === 'ringing') this.setCallState(ch, ch.direction === 'outbound' ? 'RINGING' : 'RING_WAIT', LOG_SITES.CALLSTATE_RING_READY);
  }

  /** switch_channel_hangup: CHANNEL_HANGUP now, the rest on the channel's thread. `site`: the hanging-up call. */
  hangup(ch: Channel, cause: string, site: CallSite = LOG_SITES.HANGUP): void {
    if (ch.hangupStarted || ch.destroyed) return;
    ch.hangupStarted = true;
    ch.hangupCause = cause;
    ch.state = 'CS_HANGUP';
    ch.answerState = 'hangup';
    this.log(ch, LOG_NOTICE, site, `Hangup ${ch.name} [${ch.runningState}] [${cause}]`, TEXT_CHANNEL_ID_LOG);
    this.fire(ch, 'CHANNEL_HANGUP', SITES.CHANNEL_HANGUP);
    ch.digitWaiter?.();
    this.defer(() => this.runHangup(ch));
  }

  /**
   * Ends `ch`'s bridge, if it is in one: both legs leave it and the bridging leg (the `bridge`
   * application's caller, uuid_bridge's first channel) fires the one CHANNEL_UNBRIDGE, as
   * switch_ivr_multi_threaded_bridge does once its loop is over. Returns the other leg.
   */
  unbridge(ch: Channel): Channel | undefined {
    const peer = ch.bridgedTo;
    if (!ch.bridgeActive || peer === undefined) return undefined;
    ch.bridgeActive = false;
    peer.bridgeActive = false;
    const a = ch.otherType === 'originatee' ? ch : peer;
    this.fire(a, 'CHANNEL_UNBRIDGE', SITES.CHANNEL_UNBRIDGE, { mid: [['Bridge-A-Unique-ID', a.uuid], ['Bridge-B-Unique-ID', a.bridgedTo?.uuid ?? '']] });
    return peer;
  }

  private runHangup(ch: Channel): void {
    const survivor = this.unbridge(ch);
    // Unwind running applications, innermost first (park fires CHANNEL_UNPARK, …).
    for (let app = ch.appStack.at(-1); app !== undefined; app = ch.appStack.at(-1)) {
      if (app.holdsThread === true) {
        // The rest runs on the channel's thread once that application has given it back.
        ch.hangupWaiting = () => this.runHangup(ch);
        return;
      }
      const before = ch.appStack.length;
      app.stop('hangup');
      if (ch.appStack.length === before) ch.appStack.pop();
    }
    const cause = ch.hangupCause ?? 'NORMAL_CLEARING';
    this.setRunningState(ch, 'CS_HANGUP');
    // switch_core_session_hangup_state removes the media bugs first (a recording's RECORD_STOP).
    for (const bug of [...ch.mediaBugs.values()]) bug.stop(true);
    // switch_core_session_hangup_state stamps the hangup time just before the HANGUP callstate.
    if (ch.profile) ch.profile.hangup = this.now();
    this.setCallState(ch, 'HANGUP', LOG_SITES.CALLSTATE_HANGUP);
    ch.endpointOnHangup?.(ch);
    const partner = ch.loopbackPartner;
    if (partner !== undefined && !partner.hangupStarted) this.hangup(partner, cause, LOG_SITES.HANGUP_LOOPBACK_PEER);
    // The other leg is not hung up by the core: it decides on its own thread once its bridge loop ends.
    if (survivor !== undefined && !survivor.hangupStarted) {
      const onEnded = this.onBridgeEnded;
      // Without the core's rules, the other leg is hung up with this one's cause.
      if (onEnded === undefined) this.hangup(survivor, cause);
      else this.defer(() => onEnded(survivor, ch));
    }
    setHangupVariables(ch, cause, this.now());
    this.setRunningState(ch, 'CS_REPORTING');
    this.fire(ch, 'CHANNEL_HANGUP_COMPLETE', SITES.CHANNEL_HANGUP_COMPLETE, { mid: [['Hangup-Cause', cause]] });
    // A failed originate returns once the leg is through its hangup (and its partner destroyed), before its own destroy.
    const w = ch.originateWaiter;
    ch.originateWaiter = undefined;
    if (w !== undefined) this.defer(() => w.failed(cause));
    this.defer(() => {
      if (ch.holds > 0 && !this.stopping) ch.destroyPending = true;
      else this.destroy(ch);
    });
  }

  /** An application that held the channel's thread has completed: a hangup waiting for it goes on. */
  resumeHangup(ch: Channel): void {
    const waiting = ch.hangupWaiting;
    ch.hangupWaiting = undefined;
    if (waiting !== undefined) this.defer(waiting);
  }

  /** Keeps a channel from being destroyed (switch_core_session_read_lock). */
  hold(ch: Channel): void {
    ch.holds++;
  }

  release(ch: Channel): void {
    ch.holds = Math.max(0, ch.holds - 1);
    if (ch.holds === 0 && ch.destroyPending) {
      ch.destroyPending = false;
      this.defer(() => this.destroy(ch));
    }
  }

  /** Shutdown: destroy without waiting for holders, and destroy what already waits. */
  shutdown(): void {
    this.stopping = true;
    for (const ch of [...this.channels.values()]) {
      if (ch.destroyPending) {
        ch.destroyPending = false;
        this.defer(() => this.destroy(ch));
      }
    }
  }

  private destroy(ch: Channel): void {
    if (ch.destroyed) return;
    ch.state = 'CS_DESTROY';
    this.fire(ch, 'CHANNEL_DESTROY', SITES.CHANNEL_DESTROY);
    ch.runningState = 'CS_DESTROY';
    this.fire(ch, 'CHANNEL_STATE', SITES.CHANNEL_STATE, { vars: false });
    ch.destroyed = true;
    this.channels.delete(ch.uuid);
    // The session thread's last lines, then switch_core_session_destroy_state's (the session already out of the count).
    this.log(ch, LOG_NOTICE, LOG_SITES.SESSION_ENDED, `Session ${ch.sessionId} (${ch.name}) Ended`, TEXT_CHANNEL_SESSION);
    this.log(ch, LOG_NOTICE, LOG_SITES.CLOSE_CHANNEL, `Close Channel ${ch.name} [CS_DESTROY]`, TEXT_CHANNEL_ID_LOG);
    this.logRunningState(ch, LOG_SITES.DESTROY_STATE);
    ch.resolveEnded();
  }
}
