/**
 * `uuid_hold [off|toggle] <uuid> [<display>]` as mod_commands' uuid_hold_function and
 * switch_ivr_hold / switch_ivr_unhold do it in FreeSWITCH 1.10.12.
 *
 * The endpoint decides the callstate: mod_sofia flags the leg as holding (CF_LEG_HOLDING), which
 * makes an answered channel HELD (UNHELD once released); mod_loopback ignores the message, so a
 * loopback leg stays ACTIVE — it can be held again and again, and `off` finds it not on hold.
 * CHANNEL_HOLD / CHANNEL_UNHOLD are fired either way. Hold music for the other leg is not simulated.
 */
import type { ApiHandler, ApiHost } from './api.js';
import type { Channel } from './channel.js';
import { LOG_WARNING, site } from './constants.js';
import { switchSeparateString } from './separate-string.js';

const HOLD_EVENT = site('switch_ivr.c', 'switch_ivr_hold', 1558);
const UNHOLD_EVENT = site('switch_ivr.c', 'switch_ivr_unhold', 1638);
const ALREADY_HELD = site('switch_ivr.c', 'switch_ivr_hold', 1538);
const NOT_HELD = site('switch_ivr.c', 'switch_ivr_unhold', 1616);
const CALLSTATE_HELD = site('switch_channel.c', 'switch_channel_set_flag_value', 1994);
const CALLSTATE_UNHELD = site('switch_channel.c', 'switch_channel_clear_flag', 2179);

/** Channels mod_sofia has flagged CF_LEG_HOLDING, in one core (SimCore owns it and forgets them at stop()). */
export class LegHolding {
  private legs = new WeakSet<Channel>();

  has(ch: Channel): boolean {
    return this.legs.has(ch);
  }

  add(ch: Channel): void {
    this.legs.add(ch);
  }

  delete(ch: Channel): boolean {
    return this.legs.delete(ch);
  }

  clear(): void {
    this.legs = new WeakSet();
  }
}

const isSofia = (ch: Channel): boolean => ch.name.startsWith('sofia/');

function hold(host: ApiHost, ch: Channel): boolean {
  const e = host.engine;
  if (ch.callState === 'HELD') {
    e.log(ch, LOG_WARNING, ALREADY_HELD, 'Call is already on hold. No need to hold again.');
    return false;
  }
  if (isSofia(ch) && !host.legHolding.has(ch)) {
    host.legHolding.add(ch);
    if (ch.answerState === 'answered') {
      e.setCallState(ch, 'HELD', CALLSTATE_HELD);
      // Stamped after the callstate event, as switch_channel_set_flag_value does.
      if (ch.profile !== undefined) ch.profile.lastHold = e.now();
    }
  }
  e.fire(ch, 'CHANNEL_HOLD', HOLD_EVENT);
  return true;
}

function unhold(host: ApiHost, ch: Channel): boolean {
  const e = host.engine;
  if (ch.callState !== 'HELD') {
    e.log(ch, LOG_WARNING, NOT_HELD, 'Call is not on hold. No need to unhold.');
    return false;
  }
  if (host.legHolding.delete(ch) && ch.answerState === 'answered') {
    e.setCallState(ch, 'UNHELD', CALLSTATE_UNHELD);
    const p = ch.profile;
    if (p?.lastHold !== undefined) p.holdAccum = (p.holdAccum ?? 0) + (e.now() - p.lastHold);
  }
  e.fire(ch, 'CHANNEL_UNHOLD', UNHOLD_EVENT);
  return true;
}

/** switch_ivr_hold_toggle_uuid: ACTIVE or UNHELD holds, HELD releases, any other callstate does nothing. */
function toggle(host: ApiHost, ch: Channel): boolean {
  if (ch.callState === 'ACTIVE' || ch.callState === 'UNHELD') return hold(host, ch);
  if (ch.callState === 'HELD') return unhold(host, ch);
  return true;
}

/** The *_uuid wrappers succeed when no channel has that uuid: mod_commands then answers +OK. */
function onChannel(host: ApiHost, uuid: string | undefined, action: (host: ApiHost, ch: Channel) => boolean): boolean {
  const ch = host.engine.locate(uuid);
  return ch === undefined ? true : action(host, ch);
}

export const uuidHold: ApiHandler = (host, args) => {
  const argv = args === '' ? [] : switchSeparateString(args, ' ', 4);
  const first = argv[0];
  // The usage goes out, then the failed status FreeSWITCH writes as for a failed hold.
  if (first === undefined || first === '') return '-USAGE: [off|toggle] <uuid> [<display>]\n-ERR Operation failed\n';
  const mode = first.toLowerCase();
  const ok = mode === 'off' ? onChannel(host, argv[1], unhold) : mode === 'toggle' ? onChannel(host, argv[1], toggle) : onChannel(host, first, hold);
  return ok ? '+OK Success\n' : '-ERR Operation failed\n';
};
