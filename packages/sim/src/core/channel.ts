/**
 * A simulated channel: FreeSWITCH's state fields, caller profile and variables (an ordered
 * map: setting a variable moves it to the end, as switch_channel_set_variable does), and the
 * channel header block every channel event carries, in FreeSWITCH's order.
 */
import type { CallState, ChannelState } from './constants.js';
import { stateNumber } from './constants.js';
import type { Headers } from './event-bus.js';

export interface CallerProfile {
  direction: 'inbound' | 'outbound';
  /** The endpoint's user (sofia: the From user): Caller-Username. */
  username?: string;
  dialplan: string;
  callerIdName: string;
  callerIdNumber: string;
  origCallerIdName: string;
  origCallerIdNumber: string;
  calleeIdName: string;
  calleeIdNumber: string;
  /** Where the call came from (sofia: the INVITE's source address): Caller-Network-Addr, the channels table's ip_addr. */
  networkAddr?: string;
  ani: string;
  destinationNumber: string;
  source: string;
  context: string;
  /** Set by a transfer: `<epoch s>:<profile uuid>:bl_xfer:<ext>/<context>/<dialplan>` (switch_ivr_session_transfer), or uuid_bridge: `…:uuid_br:<other uuid>`. */
  transferSource?: string;
  /** The destination before a transfer. */
  rdnis?: string;
  profileIndex: number;
  profileCreated: number;
  channelCreated: number;
  answered: number;
  progress: number;
  progressMedia: number;
  hangup: number;
  transfer: number;
  bridged: number;
  /** When the leg was last held (uuid_hold on an endpoint that holds): Channel-Last-Hold. */
  lastHold?: number;
  /** Microseconds spent held: Channel-Hold-Accum. */
  holdAccum?: number;
}

export type AnswerState = 'ringing' | 'early' | 'answered' | 'hangup';

/** A channel's read and write codec (the simulator gives both the same one). */
export interface Codec {
  readonly name: string;
  readonly rate: string;
  readonly bitRate: string;
}

/** What mod_loopback legs (and the endpoints the simulator does not negotiate) run: L16 at 8 kHz. */
export const CODEC_L16: Codec = { name: 'L16', rate: '8000', bitRate: '128000' };
/** G.711 µ-law, what a SIP phone offers first. */
export const CODEC_PCMU: Codec = { name: 'PCMU', rate: '8000', bitRate: '64000' };

/** The part of a running application the core needs to stop it. */
export interface RunningApp {
  readonly name: string;
  readonly data: string;
  readonly uuid: string;
  /** Stops the application now (hangup, break, transfer); it then completes. */
  stop(reason: 'hangup' | 'break' | 'transfer'): void;
  /** Whether queued sendmsg messages may run inside it (park, sleep, socket, echo …). */
  readonly acceptsMessages: boolean;
  /**
   * Set while it keeps the channel's thread to itself (a static `socket` session): a hangup's
   * state changes then wait until it has completed, as switch_core_session_run cannot reach them.
   */
  readonly holdsThread?: boolean;
  /**
   * Set while it dequeues the digits the channel receives and drops them (switch_ivr_park with no
   * input args): each still fires its DTMF event, none is left for a later reader.
   */
  readonly discardsDigits?: boolean;
}

/** A media bug on the channel (a session recording): removed by a stop or the hangup. */
export interface MediaBug {
  /** Removes it: RECORD_STOP. `hungUp`: by switch_core_session_hangup_state. */
  stop(hungUp: boolean): void;
}

export class Channel {
  uuid: string;
  name: string;
  state: ChannelState = 'CS_NEW';
  runningState: ChannelState | 'CS_NONE' = 'CS_NONE';
  callState: CallState = 'DOWN';
  answerState: AnswerState = 'ringing';
  hitDialplan = false;
  hangupCause: string | undefined;
  readCodec = false;
  writeCodec = false;
  codec: Codec = CODEC_L16;
  profile: CallerProfile | undefined;
  /** The other party of a bridge (show calls, the after-bridge rules); Other-Leg-* come from otherLeg. */
  bridgedTo: Channel | undefined;
  /** originator / originatee of the bridge. */
  otherType: 'originator' | 'originatee' | undefined;
  /** loopback partner leg. */
  loopbackPartner: Channel | undefined;
  /**
   * The originator or originatee profile of the caller profile: `Other-Type` and `Other-Leg-*`.
   * A copy made when the legs were joined (the dialled leg gets its caller's before its
   * CHANNEL_CREATE), not the other channel as it is now; a transfer's new profile has none.
   */
  otherLeg: OtherLegProfile | undefined;
  readonly variables = new Map<string, string>();
  /**
   * Variables scoped to one running application (`%[name=value]data`), innermost last: read
   * before the channel's own, gone when it returns (switch_channel_set_scope_variables).
   */
  readonly scopes: Array<ReadonlyMap<string, string>> = [];
  readonly sessionId: number;
  readonly createdMicros: number;
  /** Running applications; nested ones (sendmsg execute inside park) on top. */
  readonly appStack: RunningApp[] = [];
  /** Queued sendmsg work, run when the channel is in an application that accepts messages. */
  readonly messages: Array<(done: () => void) => void> = [];
  processingMessage = false;
  /** A hangup waiting for an application that holds the thread (RunningApp.holdsThread) to complete. */
  hangupWaiting: (() => void) | undefined;
  /** The endpoint's on_hangup state handler (mod_sofia's sofia_on_hangup), run in CS_HANGUP. */
  endpointOnHangup: ((ch: Channel) => void) | undefined;
  /** Waiting for an originate to finish (answered or failed). */
  originateWaiter: { answered(): void; failed(cause: string): void } | undefined;
  /** Parked by uuid_bridge: the dialplan stops running. */
  suspended = false;
  /**
   * The rest of the extension, left when uuid_bridge or park_after_bridge took the channel out of
   * it: FreeSWITCH keeps the caller extension, so a uuid_bridge survivor set back to CS_EXECUTE
   * goes on with it.
   */
  resumeDialplan: (() => void) | undefined;
  /** park_after_bridge: switch_ivr_park_session has set CS_PARK; what runs stops, then the channel parks. */
  parkPending = false;
  bridgeActive = false;
  /** A pending transfer (uuid_transfer / transfer app). */
  transferTo: { extension: string; dialplan: string; context: string } | undefined;
  digits = '';
  /** Session recordings by file path (switch_channel_set_private(channel, file, bug)). */
  readonly mediaBugs = new Map<string, MediaBug>();
  digitWaiter: (() => void) | undefined;
  destroyed = false;
  /** Read locks held by others (an outbound socket session): CS_DESTROY waits for them, like FreeSWITCH. */
  holds = 0;
  destroyPending = false;
  hangupStarted = false;
  /** Resolves when the channel is destroyed. */
  readonly ended: Promise<void>;
  resolveEnded!: () => void;

  constructor(uuid: string, name: string, sessionId: number, createdMicros: number) {
    this.uuid = uuid;
    this.name = name;
    this.sessionId = sessionId;
    this.createdMicros = createdMicros;
    this.ended = new Promise((r) => (this.resolveEnded = r));
  }

  setVar(name: string, value: string | undefined): void {
    this.variables.delete(name);
    if (value !== undefined && value !== '') this.variables.set(name, value);
  }

  getVar(name: string): string | undefined {
    return this.scopedVar(name) ?? this.variables.get(name);
  }

  private scopedVar(name: string): string | undefined {
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const v = this.scopes[i]?.get(name);
      if (v !== undefined) return v;
    }
    return undefined;
  }

  /** switch_channel_get_variable: scoped variables, the channel's, then the caller profile's fields. */
  lookupVar(name: string): string | undefined {
    return this.getVar(name) ?? this.profileVar(name);
  }

  /** The caller profile's fields a variable name reads when no variable has it (switch_caller_get_field_by_name). */
  profileVar(name: string): string | undefined {
    const p = this.profile;
    switch (name) {
      case 'caller_id_name': return p?.callerIdName;
      case 'caller_id_number': return p?.callerIdNumber;
      case 'callee_id_name': return p?.calleeIdName;
      case 'callee_id_number': return p?.calleeIdNumber;
      case 'destination_number': return p?.destinationNumber;
      case 'username': return p?.username;
      case 'network_addr': return p?.networkAddr;
      case 'ani': return p?.ani;
      case 'context': return p?.context;
      case 'dialplan': return p?.dialplan;
      case 'source': return p?.source;
      case 'chan_name': return this.name;
      case 'state': return this.runningState;
      default: return undefined;
    }
  }

  get direction(): 'inbound' | 'outbound' {
    return this.profile?.direction ?? (this.variables.get('direction') === 'outbound' ? 'outbound' : 'inbound');
  }

  get isHungUp(): boolean {
    return this.hangupCause !== undefined;
  }

  /** Channel-State … Caller-* … [Other-Leg-*] … [variable_*], as FreeSWITCH's switch_channel_event_set_data. */
  channelHeaders(withVariables: boolean, withProfile = true, withCause = true): Headers {
    const h: Headers = [
      ['Channel-State', this.runningState],
      ['Channel-Call-State', this.callState],
      ['Channel-State-Number', String(stateNumber(this.state))],
      ['Channel-Name', this.name],
      ['Unique-ID', this.uuid],
      ['Call-Direction', this.direction],
      ['Presence-Call-Direction', this.direction],
      // switch_channel_event_set_basic_data: an inbound leg counts as having hit the dialplan from the start.
      ['Channel-HIT-Dialplan', this.direction === 'inbound' || this.hitDialplan ? 'true' : 'false'],
    ];
    const presence = this.variables.get('presence_id');
    if (presence !== undefined) h.push(['Channel-Presence-ID', presence]);
    h.push(['Channel-Call-UUID', this.variables.get('call_uuid') ?? this.uuid]);
    h.push(['Answer-State', this.answerState]);
    if (withCause && this.hangupCause !== undefined) h.push(['Hangup-Cause', this.hangupCause]);
    const codec = this.codec;
    if (this.readCodec) {
      h.push(['Channel-Read-Codec-Name', codec.name], ['Channel-Read-Codec-Rate', codec.rate], ['Channel-Read-Codec-Bit-Rate', codec.bitRate]);
    }
    if (this.writeCodec) {
      h.push(['Channel-Write-Codec-Name', codec.name], ['Channel-Write-Codec-Rate', codec.rate], ['Channel-Write-Codec-Bit-Rate', codec.bitRate]);
    }
    if (withProfile && this.profile !== undefined) {
      pushProfile(h, 'Caller', this.profile, this.uuid, this.name);
      const other = this.otherLeg;
      if (other !== undefined) {
        h.push(['Other-Type', other.type]);
        pushProfile(h, 'Other-Leg', other.profile, other.uuid, other.channelName, true);
      }
    }
    if (withVariables) {
      // switch_channel_event_set_extended_data: scoped variables first, innermost scope first, a name once.
      const scoped = new Set<string>();
      for (let i = this.scopes.length - 1; i >= 0; i--) {
        for (const [k, v] of this.scopes[i] ?? []) {
          if (scoped.has(k)) continue;
          scoped.add(k);
          h.push([`scope_variable_${k}`, v]);
        }
      }
      for (const [k, v] of this.variables) h.push([`variable_${k}`, v]);
    }
    return h;
  }
}

/** A caller profile as another leg holds it (switch_caller_profile_dup's copy). */
export interface OtherLegProfile {
  readonly type: 'originator' | 'originatee';
  readonly profile: Readonly<CallerProfile>;
  readonly uuid: string;
  readonly channelName: string;
}

/**
 * `from`'s caller profile copied for the other leg, as switch_caller_profile_dup copies it. The
 * originator's copy gets a fresh, zeroed timetable (switch_channel_set_originator_caller_profile);
 * the originatee's keeps the times `from` had then (the copy's old_times, which
 * switch_caller_profile_event_set_data reads when there is no timetable).
 */
export function copyForOtherLeg(from: Channel, type: 'originator' | 'originatee'): OtherLegProfile | undefined {
  const p = from.profile;
  if (p === undefined) return undefined;
  const copy: CallerProfile = { ...p };
  if (type === 'originator') {
    Object.assign(copy, { profileCreated: 0, channelCreated: 0, answered: 0, progress: 0, progressMedia: 0, hangup: 0, transfer: 0, bridged: 0, lastHold: 0, holdAccum: 0 });
  }
  return { type, profile: copy, uuid: from.uuid, channelName: from.name };
}

/**
 * Caller profile headers; empty values are left out like FreeSWITCH does. A copy held as the other
 * leg's (`copied`) lacks what switch_caller_profile_dup does not copy: the profile index, the
 * transfer source, the logical direction (so `inbound`, the zero value).
 */
export function pushProfile(h: Headers, prefix: string, p: Readonly<CallerProfile>, uuid: string, channelName: string, copied = false): void {
  const add = (k: string, v: string): void => {
    if (v !== '') h.push([`${prefix}-${k}`, v]);
  };
  add('Direction', p.direction);
  add('Logical-Direction', copied ? 'inbound' : p.direction);
  add('Username', p.username ?? '');
  add('Dialplan', p.dialplan);
  add('Caller-ID-Name', p.callerIdName);
  add('Caller-ID-Number', p.callerIdNumber);
  add('Orig-Caller-ID-Name', p.origCallerIdName);
  add('Orig-Caller-ID-Number', p.origCallerIdNumber);
  add('Callee-ID-Name', p.calleeIdName);
  add('Callee-ID-Number', p.calleeIdNumber);
  add('Network-Addr', p.networkAddr ?? '');
  add('ANI', p.ani);
  add('Destination-Number', p.destinationNumber);
  add('Unique-ID', uuid);
  add('Source', p.source);
  add('Transfer-Source', copied ? '' : p.transferSource ?? '');
  add('Context', p.context);
  add('RDNIS', p.rdnis ?? '');
  add('Channel-Name', channelName);
  if (!copied) add('Profile-Index', String(p.profileIndex));
  add('Profile-Created-Time', String(p.profileCreated));
  add('Channel-Created-Time', String(p.channelCreated));
  add('Channel-Answered-Time', String(p.answered));
  add('Channel-Progress-Time', String(p.progress));
  add('Channel-Progress-Media-Time', String(p.progressMedia));
  add('Channel-Hangup-Time', String(p.hangup));
  add('Channel-Transfer-Time', String(p.transfer));
  add('Channel-Resurrect-Time', '0');
  add('Channel-Bridged-Time', String(p.bridged));
  add('Channel-Last-Hold', String(p.lastHold ?? 0));
  add('Channel-Hold-Accum', String(p.holdAccum ?? 0));
  add('Screen-Bit', 'true');
  add('Privacy-Hide-Name', 'false');
  add('Privacy-Hide-Number', 'false');
}

/** The other leg while bridged (`bridge_to`), if it can still be located; a bridge that ended leaves none. */
export function bridgePartner(ch: Channel): Channel | undefined {
  const other = ch.bridgeActive ? ch.bridgedTo : undefined;
  return other === undefined || other.hangupStarted ? undefined : other;
}
