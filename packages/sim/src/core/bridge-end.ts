/**
 * What ends a bridge besides a hangup — a transfer, a park, uuid_bridge elsewhere (CF_TRANSFER on
 * a bridged leg) — and what the leg left behind does then (FreeSWITCH 1.10's after-bridge rules);
 * the park itself (switch_ivr_park_session, switch_ivr_park).
 */
import { randomUUID } from 'node:crypto';
import type { Channel } from './channel.js';
import type { AppHandle, Executor } from './executor.js';
import { SITES, normaliseCause } from './constants.js';
import { switchTrue } from './switch-true.js';

const STANDARD_PARK_SITE = { file: 'switch_core_state_machine.c', func: 'switch_core_standard_on_park', line: 403 };

/**
 * CF_TRANSFER on a bridged leg ends both legs' bridge loops: the bridge is over at once
 * (CHANNEL_UNBRIDGE). Returns the other leg, which then follows its after-bridge rules
 * (peerFollows) — unless it is `alsoMoving`, on its way too. A uuid_bridge'd leg leaves the
 * extension it was taken out of.
 */
export function leaveBridge(x: Executor, ch: Channel, alsoMoving?: Channel): Channel | undefined {
  ch.suspended = false;
  const peer = x.engine.unbridge(ch);
  return peer === alsoMoving ? undefined : peer;
}

/** The other leg of a bridge `gone` has left decides on its own thread (bridgeEnded). */
export function peerFollows(x: Executor, peer: Channel | undefined, gone: Channel): void {
  if (peer !== undefined) x.engine.defer(() => bridgeEnded(x, peer, gone));
}

/**
 * `-both` of uuid_transfer and of the transfer application: the bridged leg is transferred first,
 * then `ch`, before their bridge ends; both are on their way, so neither follows an after-bridge
 * rule (bridgeEnded).
 */
export function transferBoth(x: Executor, ch: Channel, partner: Channel, extension?: string, dialplan?: string, context?: string): void {
  x.transfer(partner, extension, dialplan, context);
  x.transfer(ch, extension, dialplan, context);
}

/**
 * A bridge has ended because `gone` left it — hung up, or transferred, parked or uuid_bridge'd
 * elsewhere (then it is alive and the cause below is NORMAL_CLEARING); `ch` decides what next, as
 * FreeSWITCH 1.10 does after switch_ivr_multi_threaded_bridge on the bridging leg (the bridge
 * application's caller, uuid_bridge's first channel) and in audio_bridge_on_exchange_media on the
 * other one: park_after_bridge parks it, transfer_after_bridge (`ext[:dialplan[:context]]`)
 * transfers it. Else the other leg is hung up (NORMAL_CLEARING), and the bridging leg is hung up
 * with `gone`'s cause only with hangup_after_bridge true (or `explicit`): otherwise the bridge
 * application returns and the dialplan or the message it ran from goes on; a uuid_bridge'd leg
 * goes back to CS_EXECUTE and the rest of its extension (none left: hung up, NORMAL_CLEARING).
 */
export function bridgeEnded(x: Executor, ch: Channel, gone: Channel): void {
  // A leg on its way elsewhere meanwhile (CF_TRANSFER) skips the rules.
  if (ch.isHungUp || ch.transferTo !== undefined || ch.parkPending) return;
  const e = x.engine;
  const cause = gone.hangupCause ?? 'NORMAL_CLEARING';
  const bridging = ch.otherType === 'originatee';
  const uuidBridged = ch.suspended;
  ch.suspended = false;
  const hup = ch.getVar('hangup_after_bridge');
  if (bridging && hup?.toLowerCase() === 'explicit') return e.hangup(ch, cause);
  if (switchTrue(ch.getVar('park_after_bridge'))) return parkSession(x, ch);
  const where = ch.getVar('transfer_after_bridge');
  if (where !== undefined) {
    ch.setVar('transfer_after_bridge', undefined);
    const [extension, dialplan, context] = where.split(':');
    return x.transfer(ch, extension, dialplan, context);
  }
  if (!bridging) return e.hangup(ch, 'NORMAL_CLEARING');
  if (switchTrue(hup)) return e.hangup(ch, cause);
  if (!uuidBridged) {
    // The bridge application returns.
    ch.appStack.findLast((app) => app.name === 'bridge')?.stop('break');
    return;
  }
  e.setRunningState(ch, 'CS_EXECUTE');
  const resume = ch.resumeDialplan;
  ch.resumeDialplan = undefined;
  if (resume !== undefined) resume();
  else x.endOfDialplan(ch);
}

/**
 * switch_ivr_park_session: CF_TRANSFER and CS_PARK, which end a bridge the channel is in and
 * what it runs as a transfer does (the extension is left); then switch_core_standard_on_park
 * parks it — CHANNEL_PARK without an application's CHANNEL_EXECUTE. As for a transfer, the bridge
 * loops only see the flag on their next pass: a bridge ends once what parked the leg has returned.
 */
export function parkSession(x: Executor, ch: Channel): void {
  ch.parkPending = true;
  if (ch.bridgeActive) x.engine.defer(() => leaveForPark(x, ch));
  else leaveForPark(x, ch);
}

function leaveForPark(x: Executor, ch: Channel): void {
  const peer = leaveBridge(x, ch);
  for (let i = ch.appStack.length - 1; i >= 0; i--) ch.appStack[i]?.stop('transfer');
  x.engine.defer(() => {
    if (!ch.parkPending) return;
    ch.parkPending = false;
    if (ch.isHungUp) return;
    x.engine.log(ch, 7, STANDARD_PARK_SITE, `${ch.name} Standard PARK`);
    x.engine.setRunningState(ch, 'CS_PARK');
    const handle = x.newHandle('park', '', randomUUID(), 0);
    ch.appStack.push(handle);
    enterPark(x, ch, handle, () => {
      const i = ch.appStack.lastIndexOf(handle);
      if (i >= 0) ch.appStack.splice(i, 1);
      x.routeTransfer(ch);
    });
  });
  peerFollows(x, peer, ch);
}

/**
 * switch_ivr_park, run by `app` (park, an async socket, the state machine's park): CHANNEL_PARK,
 * the channel's queued messages run, the digits it receives meanwhile are dropped, park_timeout (`<seconds>[:<cause>]`, consumed) hangs up when
 * it expires; CHANNEL_UNPARK and `done` once it is over. Returns what ends it early.
 */
export function enterPark(x: Executor, ch: Channel, app: AppHandle, done: () => void): () => void {
  const e = x.engine;
  const clock = e.bus.clock;
  const timeout = parkTimeout(ch.getVar('park_timeout'));
  if (timeout !== undefined) ch.setVar('park_timeout', undefined);
  e.fire(ch, 'CHANNEL_PARK', SITES.CHANNEL_PARK);
  app.acceptsMessages = true;
  // The park loop dequeues each digit (its DTMF event) and, with no input args, drops it.
  app.discardsDigits = true;
  let over = false;
  let due = false;
  const end = (cause?: string): void => {
    if (over) return;
    over = true;
    app.discardsDigits = false;
    if (timer !== undefined) clock.clearTimeout(timer);
    if (cause !== undefined) e.hangup(ch, cause);
    e.fire(ch, 'CHANNEL_UNPARK', SITES.CHANNEL_UNPARK);
    done();
  };
  // The park loop checks its timeout between the messages it runs: one still running (a
  // uuid_broadcast playback) holds the check back until it has returned.
  const expire = (): void => {
    if (ch.processingMessage) due = true;
    else end(timeout?.cause);
  };
  const timer = timeout === undefined ? undefined : clock.setTimeout(() => e.defer(expire), timeout.ms);
  app.onMessagesIdle = () => {
    if (due) end(timeout?.cause);
  };
  app.onStop = () => end();
  x.drainMessages(ch);
  return () => end();
}

/** park_timeout=<seconds>[:<cause>] as switch_ivr_park reads it (atoi; cause by name, default NORMAL_CLEARING). */
function parkTimeout(value: string | undefined): { ms: number; cause: string } | undefined {
  if (value === undefined || value === '') return undefined;
  const colon = value.indexOf(':');
  const seconds = Number.parseInt(colon < 0 ? value : value.slice(0, colon), 10);
  if (!Number.isFinite(seconds) || seconds <= 0) return undefined;
  return { ms: seconds * 1000, cause: (colon < 0 ? undefined : normaliseCause(value.slice(colon + 1))) ?? 'NORMAL_CLEARING' };
}
