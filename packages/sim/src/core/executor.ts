/**
 * Runs applications on channels (CHANNEL_EXECUTE / CHANNEL_EXECUTE_COMPLETE with
 * Application-UUID), the dialplan (routing, transfers) and queued sendmsg messages, which
 * FreeSWITCH runs while the channel sits in an application that parses events (park, sleep,
 * socket, echo, bridge …) or in a bridge.
 */
import { randomUUID } from 'node:crypto';
import { runsOnHungUpChannel } from '@fsbus/esl';
import type { Channel, RunningApp } from './channel.js';
import type { Engine } from './engine.js';
import type { DialplanAction } from './dialplan.js';
import { SITES } from './constants.js';
import { requiresMedia, stockApplicationName } from './stock-apps.js';
import { LOG_SITES } from './log-sites.js';
import { expandChannelVariables } from './expand-variables.js';
import type { ExpansionApi } from './api-in-expansion.js';
import { switchTrue } from './switch-true.js';
import { bridgeEnded, leaveBridge, parkSession, peerFollows } from './bridge-end.js';
import { sessionTransfer } from './session-transfer.js';
import { apiOn, executeOn } from './execute-on.js';

export interface AppHandle extends RunningApp {
  acceptsMessages: boolean;
  holdsThread?: boolean;
  discardsDigits?: boolean;
  /** Set by the application: what to do when stopped. */
  onStop: ((reason: 'hangup' | 'break' | 'transfer') => void) | undefined;
  /** Set by an application that runs queued messages: one starts inside it (it waits meanwhile). */
  onMessageStart?: (() => void) | undefined;
  /** Set by an application that runs queued messages: none is running any more, none is waiting to. */
  onMessagesIdle?: (() => void) | undefined;
  /** Nesting depth ([depth=N] in the log). */
  readonly depth: number;
}

const GET_FLAGS = 'switch_core_session_execute_application_get_flags';

export type AppImpl = (ch: Channel, data: string, done: (response?: string) => void, app: AppHandle) => void;

/** Looks up dialplan actions for a channel (static or xml_curl); may be async. */
export type DialplanLookup = (ch: Channel) => Promise<DialplanAction[] | undefined>;

export class Executor {
  readonly apps = new Map<string, AppImpl>();
  /** Stock applications run as no-ops, each named once in a process warning. */
  private readonly warnedUnmodelled = new Set<string>();
  /** What `${name(args)}` runs (the core's API table); unset, such a reference expands to nothing. */
  expansionApi: ExpansionApi | undefined;

  constructor(
    readonly engine: Engine,
    private readonly lookup: DialplanLookup,
    /** The global variables (global_setvar): a `${name}` no channel variable has reads them. */
    private readonly globals: ReadonlyMap<string, string> = new Map(),
  ) {
    // execute_on_* / api_on_*: the engine marks channels answered, the executor runs what they name.
    engine.runOn = (ch, kind, prefix) => (kind === 'execute' ? executeOn(this, ch, prefix, this.globals) : apiOn(this, ch, prefix, this.expansionApi));
  }

  /** switch_channel_expand_variables on `ch`. */
  expand(ch: Channel, text: string): string {
    return expandChannelVariables(ch, text, this.globals, this.expansionApi);
  }

  /**
   * Executes one application, whoever asked (dialplan, sendmsg, uuid_broadcast), as
   * switch_core_session_execute_application_get_flags does; `done` gets the Application-Response,
   * and `ran` false when the application was refused (the caller stops: the dialplan, a message's
   * loops). `arg` is the argument as written: it is expanded here. `parsedDirectly`: run from a message
   * that switch_ivr_parse_event handles itself, not through switch_ivr_parse_all_events (which is
   * what adds a level to [depth=N]).
   */
  execute(ch: Channel, requested: string, arg: string, done: (response: string | undefined, ran: boolean) => void, appUuid: string = randomUUID(), parsedDirectly = false): void {
    // FreeSWITCH finds an application in any case and reports it by its registered name.
    const stock = stockApplicationName(requested);
    const name = stock ?? requested;
    const impl = this.apps.get(name) ?? (stock === undefined ? undefined : this.runUnmodelled);
    const e = this.engine;
    const zombie = ch.isHungUp;
    if (zombie && !this.runsHungUp(ch, name, requested, arg, impl !== undefined)) {
      done(undefined, false);
      return;
    }
    if (impl === undefined) {
      e.log(ch, 3, { file: 'switch_core_session.c', func: GET_FLAGS, line: 2766 }, `Invalid Application ${requested}`);
      e.hangup(ch, 'DESTINATION_OUT_OF_ORDER');
      done(undefined, false);
      return;
    }
    // A zombie exec skips the media check.
    if (!zombie && requiresMedia(name) && !this.mediaUp(ch, requested)) {
      done(undefined, false);
      return;
    }
    // switch_core_session_exec takes app_uuid_name (event-uuid-name of a sendmsg, or set by hand)
    // and clears it before anything is reported.
    const appUuidName = ch.getVar('app_uuid_name');
    if (appUuidName !== undefined) ch.setVar('app_uuid_name', undefined);
    const uuidHeaders = (): Array<[string, string]> => (appUuidName !== undefined ? [['Application-UUID', appUuid], ['Application-UUID-Name', appUuidName]] : [['Application-UUID', appUuid]]);
    // switch_core_session_exec: the argument is expanded, then its `%[…]` block read — neither
    // with app_disable_expand_variables.
    const expanding = !switchTrue(ch.getVar('app_disable_expand_variables'));
    const expanded = expanding ? this.expand(ch, arg) : arg;
    const scoped = expanding ? scopedVariables(expanded) : undefined;
    const data = scoped?.rest ?? expanded;
    // The scope holds from before CHANNEL_EXECUTE until the application returns.
    if (scoped !== undefined) ch.scopes.push(scoped.vars);
    ch.setVar('current_application_response', undefined);
    ch.setVar('current_application', name);
    ch.setVar('current_application_data', data);
    const appHeaders = (): Array<[string, string]> => (data !== '' ? [['Application', name], ['Application-Data', data]] : [['Application', name]]);
    e.fire(ch, 'CHANNEL_EXECUTE', SITES.CHANNEL_EXECUTE, { post: [...appHeaders(), ...uuidHeaders()] });
    // FreeSWITCH records the application name once more as it starts it (the captures show it after the data).
    if (data !== '') ch.setVar('current_application', name);
    const depth = parsedDirectly ? Math.max(0, ch.appStack.length - 1) : ch.appStack.length;
    e.bus.log(6, { file: 'switch_core_session.c', func: 'switch_core_session_exec', line: 2902 }, `EXECUTE [depth=${depth}] ${ch.name} ${name}(${data})`, ch.uuid, true);
    let finished = false;
    const handle = this.newHandle(name, data, appUuid, depth);
    ch.appStack.push(handle);
    const complete = (response?: string): void => {
      if (finished) return;
      finished = true;
      const i = ch.appStack.lastIndexOf(handle);
      if (i >= 0) ch.appStack.splice(i, 1);
      if (response !== undefined) ch.setVar('current_application_response', response);
      // FreeSWITCH reports the channel variable: an application run inside this one leaves its response there.
      e.fire(ch, 'CHANNEL_EXECUTE_COMPLETE', SITES.CHANNEL_EXECUTE_COMPLETE, {
        post: [...appHeaders(), ['Application-Response', ch.getVar('current_application_response') ?? '_none_'], ...uuidHeaders()],
      });
      if (scoped !== undefined) {
        const at = ch.scopes.lastIndexOf(scoped.vars);
        if (at >= 0) ch.scopes.splice(at, 1);
      }
      done(response, true);
      this.drainMessages(ch);
    };
    impl(ch, data, complete, handle);
    if (!finished && handle.acceptsMessages) this.drainMessages(ch);
  }

  /** A running application's handle; `stop` calls what the application set as its onStop. */
  newHandle(name: string, data: string, uuid: string, depth: number): AppHandle {
    const handle: AppHandle = { name, data, uuid, depth, acceptsMessages: false, onStop: undefined, stop: (reason) => handle.onStop?.(reason) };
    return handle;
  }

  /**
   * On a hung-up channel FreeSWITCH runs only applications flagged SAF_ZOMBIE_EXEC; any other is
   * refused with a debug line, an unknown one in silence — no event, no hangup cause. The line
   * shows the argument as written (not expanded yet).
   */
  private runsHungUp(ch: Channel, name: string, requested: string, arg: string, known: boolean): boolean {
    if (!known) return false;
    const zombie = runsOnHungUpChannel(name);
    const text = zombie ? `${ch.name} ZOMBIE EXEC ${requested}(${arg})` : `${ch.name} Channel is hungup and application '${requested}' does not have the zombie_exec flag.`;
    this.engine.log(ch, 7, { file: 'switch_core_session.c', func: GET_FLAGS, line: zombie ? 2749 : 2754 }, text);
    return zombie;
  }

  /**
   * An application that needs media (no SAF_SUPPORT_NOMEDIA) on a channel without it: an inbound
   * channel is pre-answered first (CHANNEL_PROGRESS_MEDIA, callstate EARLY); an outbound one
   * cannot run it — FreeSWITCH waits a moment for media from elsewhere, which in the simulator
   * nothing can bring meanwhile — and the application is skipped without an event.
   */
  private mediaUp(ch: Channel, requested: string): boolean {
    if (hasMedia(ch)) return true;
    const e = this.engine;
    if (ch.direction === 'inbound') {
      e.log(ch, 7, { file: 'switch_core_session.c', func: GET_FLAGS, line: 2791 }, `Application ${requested} Requires media! pre_answering channel ${ch.name}`);
      e.preAnswer(ch);
      if (hasMedia(ch)) return true;
      e.log(ch, 7, { file: 'switch_core_session.c', func: GET_FLAGS, line: 2794 }, "Well, that didn't work very well did it? ...");
      return false;
    }
    e.log(ch, 4, { file: 'switch_core_session.c', func: GET_FLAGS, line: 2807 }, `Cannot execute app '${requested}' media required on an outbound channel that does not have media established`);
    return false;
  }

  /**
   * A stock application the simulator does not model: it returns at once, with its
   * CHANNEL_EXECUTE / CHANNEL_EXECUTE_COMPLETE (`_none_`) like any other, and whatever it would
   * do to media or the call is left out — said once per name in a process warning.
   */
  private readonly runUnmodelled: AppImpl = (_ch, _data, done, app) => {
    if (!this.warnedUnmodelled.has(app.name)) {
      this.warnedUnmodelled.add(app.name);
      process.emitWarning(`application '${app.name}' is not modelled by the simulator: it ran as a no-op`, 'FsbusSimWarning');
    }
    done();
  };

  /** Runs actions in order; stops on hangup or transfer, and is left aside by uuid_bridge and park_after_bridge. */
  runList(ch: Channel, actions: readonly DialplanAction[], onEnd: () => void): void {
    let i = 0;
    ch.resumeDialplan = undefined;
    const next = (): void => {
      if (ch.suspended) {
        ch.resumeDialplan = next;
        return;
      }
      if (ch.isHungUp || ch.transferTo !== undefined) {
        this.routeTransfer(ch);
        return;
      }
      if (ch.parkPending) {
        ch.resumeDialplan = next;
        return;
      }
      const a = actions[i++];
      if (a === undefined) {
        onEnd();
        return;
      }
      // Continue at once on the channel's thread, as switch_core_session_run does between applications.
      this.execute(ch, a.application, a.data ?? '', (_response, ran) => {
        // switch_core_standard_on_execute returns at a refused application: the channel stays in CS_EXECUTE.
        if (ran) next();
      });
    };
    next();
  }

  /** CS_ROUTING: dialplan lookup, then CS_EXECUTE with the actions found. */
  route(ch: Channel): void {
    const e = this.engine;
    if (ch.isHungUp) return;
    // An inbound channel rings as it enters CS_ROUTING: the callstate changes between the running
    // state's log line and its CHANNEL_STATE event.
    const ringing = ch.direction === 'inbound' && ch.callState === 'DOWN';
    e.setRunningState(ch, 'CS_ROUTING', ringing ? () => e.setCallState(ch, 'RINGING', LOG_SITES.CALLSTATE_ROUTING) : undefined);
    const p = ch.profile;
    e.log(ch, 6, { file: 'mod_dialplan_xml.c', func: 'dialplan_hunt', line: 639 }, `Processing ${p?.callerIdName ?? ''} <${p?.callerIdNumber ?? ''}>->${p?.destinationNumber ?? ''} in context ${p?.context ?? ''}`);
    this.lookup(ch).then(
      (actions) => e.defer(() => this.afterLookup(ch, actions)),
      () => e.defer(() => this.afterLookup(ch, undefined)),
    );
  }

  private afterLookup(ch: Channel, actions: DialplanAction[] | undefined): void {
    const e = this.engine;
    if (ch.isHungUp) return;
    if (actions === undefined) {
      e.log(ch, 4, { file: 'switch_core_state_machine.c', func: 'switch_core_standard_on_routing', line: 266 }, `No Route, Aborting`);
      e.hangup(ch, 'NO_ROUTE_DESTINATION');
      return;
    }
    ch.hitDialplan = true;
    e.setRunningState(ch, 'CS_EXECUTE');
    ch.setVar('call_uuid', ch.getVar('call_uuid') ?? ch.uuid);
    this.runList(ch, actions, () => this.endOfDialplan(ch));
  }

  /** Extension finished without hanging up: FreeSWITCH hangs up with NORMAL_CLEARING. */
  endOfDialplan(ch: Channel): void {
    if (!ch.isHungUp) this.engine.hangup(ch, 'NORMAL_CLEARING');
  }

  /** See session-transfer.ts (sessionTransfer): uuid_transfer, the transfer application, an originate to an extension. */
  transfer(ch: Channel, extension?: string, dialplan?: string, context?: string): void {
    sessionTransfer(this, ch, extension, dialplan, context);
  }

  /** See bridge-end.ts (leaveBridge). */
  leaveBridge(ch: Channel, alsoMoving?: Channel): Channel | undefined {
    return leaveBridge(this, ch, alsoMoving);
  }

  /** See bridge-end.ts (peerFollows). */
  peerFollows(peer: Channel | undefined, gone: Channel): void {
    peerFollows(this, peer, gone);
  }

  /** See bridge-end.ts (bridgeEnded): what the leg left in a bridge does. */
  bridgeEnded(ch: Channel, gone: Channel): void {
    bridgeEnded(this, ch, gone);
  }

  /** See bridge-end.ts (parkSession): uuid_park, park_after_bridge. */
  parkSession(ch: Channel): void {
    parkSession(this, ch);
  }

  /** A park that ended for a transfer: the channel is routed there on its thread. */
  routeTransfer(ch: Channel): void {
    if (ch.transferTo !== undefined && !ch.isHungUp) this.engine.defer(() => this.applyTransfer(ch));
  }

  /** A transferred channel (its new profile already taken) routes to where it was sent. */
  applyTransfer(ch: Channel): void {
    if (ch.transferTo === undefined || ch.isHungUp) return;
    ch.transferTo = undefined;
    this.route(ch);
  }

  /** Queues sendmsg work; runs at once when the channel is in a message-parsing application. */
  queueMessage(ch: Channel, work: (done: () => void) => void): void {
    ch.messages.push(work);
    this.drainMessages(ch);
  }

  drainMessages(ch: Channel): void {
    if (ch.processingMessage || ch.messages.length === 0) return;
    // Messages are parsed by applications that wait (park, sleep, socket, bridge …), between
    // applications, and by the bridge loop of a leg bridged without one (uuid_bridge, a bridge's callee).
    const top = ch.appStack.at(-1) as AppHandle | undefined;
    if (top !== undefined && !top.acceptsMessages) return;
    // (uuid_bridge's first leg runs its bridge loop from CS_SOFT_EXECUTE.)
    if (top === undefined && ch.state !== 'CS_EXECUTE' && !((ch.state === 'CS_EXCHANGE_MEDIA' || ch.state === 'CS_SOFT_EXECUTE') && ch.bridgeActive)) return;
    const work = ch.messages.shift();
    if (work === undefined) return;
    ch.processingMessage = true;
    top?.onMessageStart?.();
    this.engine.defer(() =>
      work(() => {
        ch.processingMessage = false;
        this.drainMessages(ch);
        if (!ch.processingMessage) (ch.appStack.at(-1) as AppHandle | undefined)?.onMessagesIdle?.();
      }),
    );
  }
}

/** switch_channel_media_ready: answered or early media. */
function hasMedia(ch: Channel): boolean {
  return ch.answerState === 'answered' || ch.answerState === 'early';
}

/**
 * An application argument's leading `%[name=value,…]` (or `%<delim>[…]`): the variables scoped to
 * that one run and the argument after the block, as switch_core_session_exec reads them with
 * switch_event_create_brackets. Undefined when there is none.
 */
export function scopedVariables(data: string): { vars: Map<string, string>; rest: string } | undefined {
  if (data[0] !== '%' || (data[1] !== '[' && data[2] !== '[')) return undefined;
  const delim = data[1] === '[' ? ',' : data[1]!;
  const open = data[1] === '[' ? 1 : 2;
  let depth = 0;
  let close = -1;
  for (let i = open; i < data.length; i++) {
    if (data[i] === '[') depth++;
    else if (data[i] === ']' && --depth === 0) {
      close = i;
      break;
    }
  }
  if (close < 0) return undefined;
  const vars = new Map<string, string>();
  for (const pair of data.slice(open + 1, close).split(delim)) {
    const eq = pair.indexOf('=');
    if (eq > 0) vars.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  return { vars, rest: data.slice(close + 1) };
}
