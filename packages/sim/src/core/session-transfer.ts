/**
 * switch_ivr_session_transfer: what a transfer does at once — the channel's new caller profile,
 * signal_bond cleared, CF_TRANSFER — and what it leaves to the threads that see it (the bridge's
 * end, what runs stopping), until the channel routes to where it was sent.
 */
import { randomUUID } from 'node:crypto';
import type { Channel } from './channel.js';
import { bridgePartner } from './channel.js';
import type { Executor } from './executor.js';
import { leaveBridge, peerFollows } from './bridge-end.js';

/**
 * Unset or empty, the dialplan and context are force_transfer_dialplan / force_transfer_context,
 * else the profile's (its dialplan not when `inline`), else XML and default; the extension
 * `service`. A bridge the channel is in ends once the transfer has returned: the bridge loops
 * (audio_bridge_thread) only see CF_TRANSFER on their next pass, so whatever runs the transfer
 * (the transfer application, uuid_transfer) is over first.
 */
export function sessionTransfer(x: Executor, ch: Channel, extension?: string, dialplan?: string, context?: string): void {
  const p = ch.profile;
  if (ch.isHungUp || p === undefined) return;
  let dp = dialplan || ch.getVar('force_transfer_dialplan');
  if (!dp) dp = p.dialplan.toLowerCase() === 'inline' ? undefined : p.dialplan;
  const target = { extension: extension || 'service', dialplan: dp || 'XML', context: context || ch.getVar('force_transfer_context') || p.context || 'default' };
  ch.setVar('signal_bond', undefined);
  bridgePartner(ch)?.setVar('signal_bond', undefined);
  takeNewProfile(x, ch, target);
  ch.transferTo = target;
  if (ch.bridgeActive) x.engine.defer(() => leaveForTransfer(x, ch));
  else leaveForTransfer(x, ch);
}

/**
 * switch_caller_profile_clone + switch_channel_set_caller_profile, within the transfer: events
 * show the new destination from now on, and no other leg — the clone has neither an originator
 * nor an originatee profile — until a new bridge gives it one.
 */
function takeNewProfile(x: Executor, ch: Channel, t: { extension: string; dialplan: string; context: string }): void {
  const p = ch.profile;
  if (p === undefined) return;
  const now = x.engine.now();
  p.rdnis = p.destinationNumber;
  p.destinationNumber = t.extension;
  p.dialplan = t.dialplan.toLowerCase() === 'xml' ? 'XML' : t.dialplan;
  p.context = t.context;
  p.transfer = now;
  p.profileIndex++;
  ch.otherLeg = undefined;
  // switch_ivr_session_transfer names where the call was sent, on the new profile and the channel;
  // with the new profile's own uuid (uuid_str, fresh in switch_caller_profile_dup), not the channel's.
  setTransferSource(ch, `${Math.floor(now / 1_000_000)}:${randomUUID()}:bl_xfer:${t.extension}/${t.context}/${p.dialplan}`);
}

/** `source` is the caller profile's Transfer-Source and `transfer_source`, and is pushed onto `transfer_history`. */
export function setTransferSource(ch: Channel, source: string): void {
  if (ch.profile !== undefined) ch.profile.transferSource = source;
  const history = ch.getVar('transfer_history');
  ch.setVar('transfer_history', history === undefined ? source : `${history.startsWith('ARRAY::') ? history : `ARRAY::${history}`}|:${source}`);
  ch.setVar('transfer_source', source);
}

/**
 * The bridge ends (CHANNEL_UNBRIDGE), what runs stops and returns into the extension or park that
 * routes it; with nothing under it (a transfer run by a message on a bridged leg, or nothing
 * running) it is routed from here. The leg left in the bridge follows its after-bridge rules.
 */
function leaveForTransfer(x: Executor, ch: Channel): void {
  const peer = leaveBridge(x, ch);
  for (let i = ch.appStack.length - 1; i >= 0; i--) ch.appStack[i]?.stop('transfer');
  x.engine.defer(() => {
    if (ch.appStack.length === 0) x.applyTransfer(ch);
  });
  peerFollows(x, peer, ch);
}
