/**
 * Endpoints and originate: loopback/<ext>[/<context>] (two legs, the b-leg through the
 * dialplan), user/<n> and sofia/<profile>/<target> or sofia/gateway/<gw>/<target> of a known
 * profile or gateway (scripted answer/busy/no-answer/error after a delay), error/<cause>; plus
 * bridging two channels.
 */
import { HANGUP_CAUSES, hangupCauseQ850 } from '@fsbus/esl';
import type { Channel } from './channel.js';
import { copyForOtherLeg } from './channel.js';
import { exportedVariables } from './dptools-export.js';
import type { Engine } from './engine.js';
import type { Executor } from './executor.js';
import type { TimerHandle } from './clock.js';
import { SITES, normaliseCause } from './constants.js';
import { legSeconds, originateRetries, ringTimeLimit, splitDialString, takeVarBlocks } from './originate-parse.js';
import { switchTrue } from './switch-true.js';
import { LOG_SITES, TEXT_CHANNEL_SESSION } from './log-sites.js';
import { refuseInvite, sofiaOnHangup } from './sofia-hangup.js';
import { noteOriginateFailure, noteOriginateStart, noteOriginateSuccess } from './dial-status.js';
import type { SofiaConfig } from './api-sofia.js';

export interface EndpointBehavior {
  /** What the far end does: answer, busy (USER_BUSY), no-answer (rings until the timeout), error:<CAUSE>. */
  readonly answer: 'answer' | 'busy' | 'no-answer' | `error:${string}`;
  /** Delay before it answers / rejects, ms. @default 0 */
  readonly delayMs?: number;
}

export const DEFAULT_ENDPOINT_BEHAVIOR: EndpointBehavior = { answer: 'answer', delayMs: 0 };

/**
 * The user/ failures FreeSWITCH reaches before any session exists, so with no channel events:
 * an unregistered user's dial string is error/user_not_registered (sofia_contact), a user absent
 * from the directory fails in user_outgoing_channel. The scripted delay does not apply.
 */
const USER_FAILURES_WITHOUT_SESSION = new Set(['USER_NOT_REGISTERED', 'SUBSCRIBER_ABSENT']);

function userUnreachable(behavior: EndpointBehavior): string | undefined {
  if (!behavior.answer.startsWith('error:')) return undefined;
  const cause = normaliseCause(behavior.answer.slice(6));
  return cause !== undefined && USER_FAILURES_WITHOUT_SESSION.has(cause) ? cause : undefined;
}

export type DialResult = { readonly ok: true; readonly channel: Channel } | { readonly ok: false; readonly cause: string };

export interface DialRequest {
  readonly dial: string;
  readonly vars: ReadonlyMap<string, string>;
  readonly cidName: string | undefined;
  readonly cidNum: string | undefined;
  /** The time limit handed to switch_ivr_originate (0: none); originate_timeout may replace it (ringTimeLimit). */
  readonly timeoutSec: number;
  /** api originate (no caller session): FreeSWITCH flips the caller id once answered (CALL_UPDATE). */
  readonly flipCid?: boolean;
  /** The session dialling (the bridge application's channel); none for api originate. */
  readonly caller?: Channel;
}

/** One leg of a group: its channel, its cause once failed, its per-leg limits (seconds, 0: none), how to start it. */
interface GroupLeg {
  channel: Channel | undefined;
  cause: string | undefined;
  limitSec: number;
  delaySec: number;
  launch: () => void;
}

const CAUSE_NUMBERS: Readonly<Record<string, number>> = HANGUP_CAUSES;

/** The longest delay a timer takes (setTimeout's 32-bit signed ms). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** One dial (every attempt and group): whether it has reported, and how to cancel the group ringing now. */
interface DialRun {
  over: boolean;
  cancelGroup: (() => void) | undefined;
}

export class Originator {
  readonly behaviors = new Map<string, EndpointBehavior>();

  constructor(
    private readonly engine: Engine,
    private readonly executor: Executor,
    private readonly hostIp: () => string,
    /** mod_sofia's profiles and declared gateways: which sofia/ dial strings get a session. */
    private readonly sofia: SofiaConfig,
  ) {}

  /** The endpoint's script: the whole dial string's, else its first three segments' (`sofia/gateway/<gw>`), else two. */
  behaviorFor(endpoint: string): EndpointBehavior {
    const parts = endpoint.split('/');
    return this.behaviors.get(endpoint) ?? this.behaviors.get(parts.slice(0, 3).join('/')) ?? this.behaviors.get(parts.slice(0, 2).join('/')) ?? DEFAULT_ENDPOINT_BEHAVIOR;
  }

  /**
   * Dials; a failure that is not the ring timeout is dialled again originate_retry_sleep_ms
   * later while originate_retries allows (switch_ivr_originate stops at a timeout, and when
   * the caller is gone). Each attempt runs the whole failover list. Returns what the caller's
   * hangup or transfer calls (either makes it not ready): switch_ivr_originate's ring loop sees
   * it (IDX_CANCEL), hangs up every leg still ringing ORIGINATOR_CANCEL and fails with that
   * cause — no further group, no retry. Seen in the retry sleep instead, no leg is left and the
   * cause is the caller's hangup cause (ORIGINATOR_CANCEL when it has none: a transfer).
   */
  dial(req: DialRequest, onResult: (r: DialResult) => void): () => void {
    const { attempts, sleepMs } = originateRetries(req.vars);
    const run: DialRun = { over: false, cancelGroup: undefined };
    const finish = (r: DialResult): void => {
      if (run.over) return;
      run.over = true;
      onResult(r);
    };
    let attempt = 1;
    let retry: TimerHandle | undefined;
    const once = (): void => {
      retry = undefined;
      this.dialGroups(req, run, (r, ringTimedOut) => {
        if (r.ok || ringTimedOut || attempt >= attempts || req.caller?.isHungUp === true) return finish(r);
        attempt++;
        retry = this.engine.bus.clock.setTimeout(() => this.engine.defer(() => (req.caller?.isHungUp === true ? finish(r) : once())), sleepMs);
      });
    };
    noteOriginateStart(req.caller);
    once();
    return () => {
      if (run.over) return;
      let cause = 'ORIGINATOR_CANCEL';
      if (retry !== undefined) {
        this.engine.bus.clock.clearTimeout(retry);
        cause = req.caller?.hangupCause ?? cause;
      }
      run.cancelGroup?.();
      noteOriginateFailure(req.caller, cause);
      finish({ ok: false, cause });
    };
  }

  /**
   * switch_ivr_originate's failover loop: the `|` groups in turn, the next one only once the
   * previous failed; a group nobody answered in time ends the originate unless
   * originate_continue_on_timeout is true. Each failed group logs its closing line (not a timeout).
   */
  private dialGroups(req: DialRequest, run: DialRun, onResult: (r: DialResult, ringTimedOut: boolean) => void): void {
    const groups = splitDialString(req.dial);
    if (groups.length === 0) groups.push(['']);
    const continueOnTimeout = switchTrue(req.vars.get('originate_continue_on_timeout'));
    const tryGroup = (r: number): void => this.dialGroup(req, run, groups[r] ?? [], (res, ringTimedOut) => {
      if (!res.ok) noteOriginateFailure(req.caller, res.cause);
      // switch_ivr_originate's IDX_TIMEOUT branch sets NO_ANSWER without logging the cause.
      if (!res.ok && !ringTimedOut) this.logFailure(req, res.cause);
      const last = r + 1 >= groups.length;
      if (res.ok || last || req.caller?.isHungUp === true || (ringTimedOut && !continueOnTimeout)) return onResult(res, ringTimedOut);
      // After the failed group's legs are through (their sessions gone), as the next loop turn.
      this.engine.defer(() => {
        if (!run.over) tryGroup(r + 1);
      });
    });
    tryGroup(0);
  }

  /**
   * switch_ivr_originate's attempt at one group: every `,` leg is created, then rung at once
   * for the ring time limit. The first to answer wins and the others are hung up with LOSE_RACE
   * (NO_ANSWER when alone); when all fail the group's cause is its first leg with a session's
   * (else the last creation failure's); at the timeout the live legs end NO_ANSWER. A leg's
   * leg_timeout / leg_delay_start are check_per_channel_timeouts' (checkLegs).
   */
  private dialGroup(req: DialRequest, run: DialRun, legs: readonly string[], onResult: (r: DialResult, ringTimedOut: boolean) => void): void {
    const e = this.engine;
    const state: GroupLeg[] = [];
    let reason: string | undefined;
    let started = false;
    let settled = false;
    let ringTimedOut = false;
    let winner: Channel | undefined;
    let timer: TimerHandle | undefined;
    const live = (leg: GroupLeg): leg is GroupLeg & { channel: Channel } =>
      leg.channel !== undefined && leg.cause === undefined && !leg.channel.hangupStarted;
    const settle = (r: DialResult): void => {
      settled = true;
      if (timer !== undefined) e.bus.clock.clearTimeout(timer);
      onResult(r, ringTimedOut);
    };
    const evaluate = (): void => {
      if (settled || !started) return;
      if (winner !== undefined) {
        const a = winner;
        for (const leg of state) {
          const ch = leg.channel;
          if (ch === undefined || ch === a || leg.cause !== undefined || ch.hangupStarted) continue;
          const cause = legs.length > 1 ? 'LOSE_RACE' : 'NO_ANSWER';
          if (cause === 'LOSE_RACE') ch.setVar('group_dial_status', 'loser');
          e.hangup(ch, cause);
        }
        noteOriginateSuccess(req.caller, a);
        const success = `Originate Resulted in Success: [${a.name}] Peer UUID: ${a.uuid}`;
        e.bus.log(7, LOG_SITES.ORIGINATE_SUCCESS, success, req.caller?.uuid, false, TEXT_CHANNEL_SESSION);
        if (req.flipCid === true) this.flipCid(a);
        // switch_ivr_originate, on success: the caller holds a copy of the answered leg's profile.
        if (req.caller !== undefined && !req.caller.isHungUp) req.caller.otherLeg = copyForOtherLeg(a, 'originatee');
        return settle({ ok: true, channel: a });
      }
      if (state.some((leg) => leg.channel !== undefined && leg.cause === undefined)) return;
      const first = state.find((leg) => leg.channel !== undefined)?.cause;
      settle({ ok: false, cause: ringTimedOut ? 'NO_ANSWER' : first ?? reason ?? 'DESTINATION_OUT_OF_ORDER' });
    };
    // switch_ivr_originate takes `start` in whole epoch seconds; its checks read `now_sec - start`.
    let startSec = 0;
    /**
     * check_per_channel_timeouts: a held leg starts once `elapsed > leg_delay_start`, or at once
     * when no leg without a delay is left (the shortest delay is then skipped, and the leg
     * timeouts shortened by what is left of it); a leg up past its leg_timeout ends ALLOTTED_TIMEOUT.
     */
    const checkLegs = (): void => {
      if (settled || !started) return;
      const elapsed = Math.floor(e.now() / 1_000_000) - startSec;
      let active = 0;
      let delayed = 0;
      for (const leg of state) {
        if (!live(leg)) continue;
        if (leg.delaySec > 0) delayed++;
        else active++;
      }
      let delayedMin = 0;
      let earlyExit = 0;
      if (active === 0 && delayed > 0) {
        for (const leg of state) if (leg.channel !== undefined && leg.delaySec > 0 && (delayedMin === 0 || delayedMin > leg.delaySec)) delayedMin = leg.delaySec;
        earlyExit = (delayedMin - elapsed) >>> 0;
      }
      for (const leg of state) {
        if (leg.channel !== undefined && leg.delaySec > 0 && (elapsed > leg.delaySec || active === 0)) {
          if (active === 0) {
            if (leg.limitSec !== 0) leg.limitSec = leg.limitSec > earlyExit ? leg.limitSec - earlyExit : 1;
            leg.delaySec -= delayedMin;
          } else leg.delaySec = 0;
          if (leg.delaySec === 0 && live(leg)) leg.launch();
        }
        // An answered leg is taken before this check runs (check_channel_status).
        if (live(leg) && leg.channel !== winner && leg.channel.answerState !== 'answered' && leg.limitSec !== 0 && elapsed > leg.limitSec) {
          e.hangup(leg.channel, 'ALLOTTED_TIMEOUT');
        }
      }
    };
    for (const text of legs) {
      const leg: GroupLeg = { channel: undefined, cause: undefined, limitSec: 0, delaySec: 0, launch: () => undefined };
      const failed = (cause: string): void => {
        if (leg.cause !== undefined) return;
        leg.cause = cause;
        evaluate();
        // The next turn of the ring loop: a held leg may start now that this one is gone.
        if (perLeg) checkLegs();
      };
      const created = this.createLeg(req, text, {
        answered: (a) => e.defer(() => {
          if (a.isHungUp) return failed(a.hangupCause ?? 'NORMAL_CLEARING');
          winner ??= a;
          evaluate();
        }),
        failed,
      });
      if (typeof created === 'string') reason = created;
      else {
        const a = created.channel;
        leg.channel = a;
        leg.launch = created.launch;
        leg.limitSec = legSeconds(a.getVar('leg_timeout'));
        if (leg.limitSec > 0) this.logLeg(req, `${a.name} Setting leg timeout to ${leg.limitSec}`, LOG_SITES.LEG_TIMEOUT);
        leg.delaySec = legSeconds(a.getVar('leg_delay_start'));
        if (leg.delaySec > 0) {
          this.logLeg(req, `${a.name} Setting leg delay start to ${leg.delaySec}`, LOG_SITES.LEG_DELAY_START);
          if (leg.limitSec !== 0) leg.limitSec += leg.delaySec;
        } else created.launch();
        state.push(leg);
      }
    }
    const perLeg = state.some((leg) => leg.limitSec > 0 || leg.delaySec > 0);
    started = true;
    // The caller gone: the legs still up end ORIGINATOR_CANCEL, the group reports nothing (dial fails the originate).
    run.cancelGroup = () => {
      if (settled) return;
      settled = true;
      if (timer !== undefined) e.bus.clock.clearTimeout(timer);
      for (const leg of state) if (live(leg)) e.hangup(leg.channel, 'ORIGINATOR_CANCEL');
    };
    // The ring loop stops once `now_sec - start >= limit`: at the N-th second boundary, (N-1, N] s
    // after the dial. With per-leg limits or delays it also looks at them every second.
    const dialled = e.now();
    startSec = Math.floor(dialled / 1_000_000);
    const limitSec = ringTimeLimit(req.timeoutSec, this.originateVars(req));
    const atBoundary = (k: number): void => {
      const ms = Math.ceil(((startSec + k) * 1_000_000 - e.now()) / 1000);
      // A limit past what a timer holds (a negative one read as uint32): it rings on.
      if (ms > MAX_TIMER_MS) return;
      timer = e.bus.clock.setTimeout(() => e.defer(() => {
        if (settled) return;
        if (k < limitSec) {
          checkLegs();
          if (!settled) atBoundary(k + 1);
          return;
        }
        ringTimedOut = true;
        if (perLeg) checkLegs();
        for (const leg of state) if (live(leg)) e.hangup(leg.channel, 'NO_ANSWER');
      }), ms);
    };
    if (state.length > 0) atBoundary(perLeg ? 1 : limitSec);
    if (perLeg) checkLegs();
    evaluate();
  }

  /** The variables switch_ivr_originate reads its settings from: the caller's export_vars, then the dial string's. */
  private originateVars(req: DialRequest): ReadonlyMap<string, string> {
    if (req.caller === undefined) return req.vars;
    return new Map([...exportedVariables(req.caller), ...req.vars]);
  }

  /** switch_ivr_originate's DEBUG line for a leg's setting, on the caller's session log. */
  private logLeg(req: DialRequest, text: string, where: (typeof LOG_SITES)[keyof typeof LOG_SITES]): void {
    this.engine.bus.log(7, where, text, req.caller?.uuid, false, TEXT_CHANNEL_SESSION);
  }

  /**
   * switch_ivr_originate's closing line, on the caller's session log (no User-Data without one).
   * When the caller went away FreeSWITCH writes "Originate Cancelled by originator termination"
   * instead, at a line no capture shows: not written.
   */
  private logFailure(req: DialRequest, cause: string): void {
    if (req.caller?.isHungUp === true) return;
    // The cause's own number (802 for ALLOTTED_TIMEOUT), not its Q.850 one.
    const text = `Originate Resulted in Error Cause: ${CAUSE_NUMBERS[cause] ?? hangupCauseQ850(cause)} [${cause}]`;
    this.engine.bus.log(7, LOG_SITES.ORIGINATE_ERROR, text, req.caller?.uuid, false, TEXT_CHANNEL_SESSION);
  }

  /**
   * Creates one leg (its `[…]` variables over the originate's) and tells `on` when it is answered
   * or fails; a failure before any session exists is returned as the cause instead. `launch` runs
   * its state machine (CS_INIT on): switch_ivr_originate holds it back for leg_delay_start.
   */
  private createLeg(req: DialRequest, text: string, on: { answered(a: Channel): void; failed(cause: string): void }): { channel: Channel; launch: () => void } | string {
    const e = this.engine;
    const v = new Map(req.vars);
    const dial = takeVarBlocks(text, v, '[');
    const slash = dial.indexOf('/');
    const tech = slash < 0 ? dial : dial.slice(0, slash);
    const rest = slash < 0 ? '' : dial.slice(slash + 1);
    if (tech === 'error') return normaliseCause(rest) ?? 'DESTINATION_OUT_OF_ORDER';
    if (tech !== 'loopback' && tech !== 'user' && tech !== 'sofia') return 'CHAN_NOT_IMPLEMENTED';
    // sofia_outgoing_channel refuses an unknown gateway or profile before the session runs.
    const refused = tech === 'sofia' ? this.sofia.refusal(rest) : undefined;
    if (refused !== undefined) return refused;
    const unreachable = tech === 'user' ? userUnreachable(this.behaviorFor(dial)) : undefined;
    if (unreachable !== undefined) return unreachable;
    const cidName = v.get('origination_caller_id_name') ?? req.cidName ?? '';
    const cidNum = v.get('origination_caller_id_number') ?? req.cidNum ?? '0000000000';
    let name: string;
    let dest: string;
    let context = 'default';
    let source: string;
    if (tech === 'loopback') {
      const [ext = '', ctx] = rest.split('/');
      dest = ext;
      if (ctx !== undefined && ctx !== '') context = ctx;
      name = `loopback/${ext}-a`;
      source = 'mod_loopback';
    } else if (tech === 'user') {
      dest = rest.split('@')[0] ?? rest;
      name = `sofia/internal/${dest}@${this.hostIp()}`;
      source = 'mod_sofia';
    } else {
      const parts = rest.split('/');
      dest = (parts.slice(1).join('/').split('@')[0] ?? '') || rest;
      name = `sofia/${rest}`;
      source = 'mod_sofia';
    }
    const profile = {
      dialplan: 'xml', callerIdName: cidName, callerIdNumber: cidNum, origCallerIdName: cidName, origCallerIdNumber: cidNum,
      calleeIdName: 'Outbound Call', calleeIdNumber: dest, ani: cidNum, destinationNumber: dest, source, context,
    };
    const a = e.createChannel({ name, direction: 'outbound', profile: { direction: 'outbound', ...profile } });
    // switch_core_session_outgoing_channel puts the new leg in CS_INIT before it runs (the running state stays CS_NONE).
    a.state = 'CS_INIT';
    const presetUuid = v.get('origination_uuid');
    if (presetUuid !== undefined && presetUuid !== '' && !e.channels.has(presetUuid)) e.changeUuid(a, presetUuid);
    const caller = req.caller;
    if (caller !== undefined) {
      // Before its CHANNEL_CREATE, as switch_core_session_outgoing_channel and switch_ivr_originate
      // do: the caller's profile as originator (Other-Leg-*), the call's uuid, the originator vars.
      a.otherLeg = copyForOtherLeg(caller, 'originator');
      a.setVar('originator', caller.uuid);
      a.setVar('signal_bond', caller.uuid);
      a.setVar('call_uuid', caller.getVar('call_uuid') ?? caller.uuid);
    }
    // switch_ivr_originate: the caller's export_vars join the originate's variables (switch_channel_process_export).
    const exported = caller === undefined ? [] : exportedVariables(caller);
    for (const [k, val] of exported) a.setVar(k, val);
    for (const [k, val] of v) a.setVar(k, val);
    a.setVar('originate_early_media', 'true');
    if (caller !== undefined) a.setVar('originating_leg_uuid', caller.uuid);
    a.setVar('originate_endpoint', tech);
    e.fire(a, 'CHANNEL_OUTGOING', SITES.CHANNEL_OUTGOING, { vars: false });
    a.originateWaiter = { answered: () => on.answered(a), failed: (cause) => on.failed(cause) };
    // mod_sofia's leg: its SIP variables when it ends.
    if (tech !== 'loopback') a.endpointOnHangup = sofiaOnHangup;
    const loopbackB = tech !== 'loopback' ? undefined : (): Channel => {
      const b = e.createChannel({ name: `loopback/${dest}-b`, direction: 'inbound', profile: { direction: 'inbound', ...profile } });
      // mod_loopback hands the b leg the a leg's originate variables (__loopback_vars__).
      for (const [k, val] of exported) b.setVar(k, val);
      for (const [k, val] of v) b.setVar(k, val);
      a.setVar('other_loopback_leg_uuid', b.uuid);
      a.setVar('loopback_leg', 'A');
      b.setVar('other_loopback_leg_uuid', a.uuid);
      b.setVar('loopback_leg', 'B');
      a.loopbackPartner = b;
      b.loopbackPartner = a;
      return b;
    };
    return { channel: a, launch: () => this.launchLeg(req, a, dial, loopbackB) };
  }

  /** A created leg's state machine from CS_INIT: its events, then the far end (or the loopback b-leg's dialplan). */
  private launchLeg(req: DialRequest, a: Channel, dial: string, loopbackB: (() => Channel) | undefined): void {
    const e = this.engine;
    e.setRunningState(a, 'CS_INIT');
    const b = loopbackB?.();
    a.state = 'CS_ROUTING';
    e.fire(a, 'CHANNEL_CREATE', SITES.CHANNEL_CREATE);
    // The b-leg's thread races the a-leg's here (the captures have its CS_INIT anywhere from after the
    // a-leg's CHANNEL_CREATE to after its CS_CONSUME_MEDIA): the simulator takes the first call's order.
    if (b !== undefined) e.setRunningState(b, 'CS_INIT');
    e.fire(a, 'CHANNEL_ORIGINATE', SITES.CHANNEL_ORIGINATE);
    e.setRunningState(a, 'CS_ROUTING');
    e.setRunningState(a, 'CS_CONSUME_MEDIA');

    if (b !== undefined) {
      const leg = b;
      leg.state = 'CS_ROUTING';
      e.fire(leg, 'CHANNEL_CREATE', SITES.CHANNEL_CREATE);
      this.executor.route(leg);
      return;
    }
    this.scriptFarEnd(a, this.behaviorFor(dial), req.caller);
  }

  /** The far end of a user/ or sofia/ leg: rings, then answers or rejects as scripted. */
  private scriptFarEnd(a: Channel, behavior: EndpointBehavior, caller: Channel | undefined): void {
    const e = this.engine;
    const refuse = (cause: string): void => {
      refuseInvite(a, cause, caller);
      e.hangup(a, cause);
    };
    const act = (): void => {
      if (a.isHungUp) return;
      if (behavior.answer === 'answer') e.markAnswered(a);
      else if (behavior.answer === 'busy') refuse('USER_BUSY');
      else if (behavior.answer.startsWith('error:')) refuse(normaliseCause(behavior.answer.slice(6)) ?? 'NORMAL_TEMPORARY_FAILURE');
    };
    e.ringReady(a);
    const delay = behavior.delayMs ?? 0;
    if (behavior.answer === 'no-answer') return;
    e.bus.clock.setTimeout(() => e.defer(act), delay);
  }

  /** After answer FreeSWITCH flips the caller id of the originated leg (CALL_UPDATE). */
  private flipCid(a: Channel): void {
    const p = a.profile;
    if (p === undefined) return;
    const [name, num] = [p.callerIdName, p.callerIdNumber];
    this.engine.log(a, 6, { file: 'switch_channel.c', func: 'switch_channel_flip_cid', line: 3289 }, `${a.name} Flipping CID from "${name}" <${num}> to "${p.calleeIdName}" <${p.calleeIdNumber}>`);
    if (name !== '') a.setVar('pre_transfer_caller_id_name', name);
    a.setVar('pre_transfer_caller_id_number', num);
    p.callerIdName = p.calleeIdName;
    p.callerIdNumber = p.calleeIdNumber;
    p.calleeIdName = name;
    p.calleeIdNumber = num;
    a.setVar('channel_cid_flipped', 'yes');
    a.hitDialplan = true;
    this.engine.fire(a, 'CALL_UPDATE', SITES.CALL_UPDATE, { mid: [['Direction', 'RECV']] });
  }

  /** Links two answered channels (CHANNEL_BRIDGE on the originating side). */
  link(a: Channel, b: Channel): void {
    const e = this.engine;
    const now = e.now();
    a.bridgedTo = b;
    b.bridgedTo = a;
    a.otherType = 'originatee';
    b.otherType = 'originator';
    a.bridgeActive = true;
    b.bridgeActive = true;
    if (a.profile) a.profile.bridged = now;
    if (b.profile) b.profile.bridged = now;
    for (const [x, y] of [[a, b], [b, a]] as const) {
      x.setVar('bridge_uuid', y.uuid);
      x.setVar('signal_bond', y.uuid);
      x.setVar('last_bridge_to', y.uuid);
    }
    e.fire(a, 'CHANNEL_BRIDGE', SITES.CHANNEL_BRIDGE, { mid: [['Bridge-A-Unique-ID', a.uuid], ['Bridge-B-Unique-ID', b.uuid]] });
  }
}
