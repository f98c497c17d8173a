/**
 * `uuid_bridge <a> <b>` (switch_ivr_uuid_bridge): what the api thread does at once — each leg
 * steps to a new caller profile, holds a copy of the other's, gets a `uuid_br` transfer source —
 * and what the legs' threads do after it has returned.
 */
import { randomUUID } from 'node:crypto';
import type { Channel } from './channel.js';
import { copyForOtherLeg } from './channel.js';
import type { ApiHost } from './api.js';
import { site } from './constants.js';
import { setTransferSource } from './session-transfer.js';

const UUID_BRIDGE_EXECUTE = site('switch_ivr_bridge.c', 'uuid_bridge_on_soft_execute', 1236);

export function uuidBridge(host: ApiHost, x: Channel, y: Channel): void {
  const e = host.engine;
  const now = e.now();
  stepCallerProfile(x, now);
  stepCallerProfile(y, now);
  y.otherLeg = copyForOtherLeg(x, 'originator');
  x.otherLeg = copyForOtherLeg(y, 'originatee');
  setTransferSource(x, `${Math.floor(now / 1_000_000)}:${randomUUID()}:uuid_br:${y.uuid}`);
  setTransferSource(y, `${Math.floor(now / 1_000_000)}:${randomUUID()}:uuid_br:${x.uuid}`);
  // CF_TRANSFER and CS_HIBERNATE are all the command sets: what each leg is in (a bridge, an
  // application) ends once it has returned, on the legs' own threads.
  e.defer(() => {
    const left = [host.executor.leaveBridge(x, y), host.executor.leaveBridge(y, x)];
    for (const ch of [x, y]) {
      ch.suspended = true;
      for (let i = ch.appStack.length - 1; i >= 0; i--) ch.appStack[i]?.stop('break');
    }
    e.defer(() => join(host, x, y));
    host.executor.peerFollows(left[0], x);
    host.executor.peerFollows(left[1], y);
  });
}

/**
 * uuid_bridge_on_hibernate sets CS_RESET, uuid_bridge_on_reset CS_SOFT_EXECUTE (the second leg's
 * set by the first once it is in CS_RESET); uuid_bridge_on_soft_execute on the first fires
 * CHANNEL_EXECUTE `uuid_bridge` for both, then bridges from CS_SOFT_EXECUTE
 * (switch_ivr_multi_threaded_bridge puts the other leg in CS_EXCHANGE_MEDIA).
 */
function join(host: ApiHost, x: Channel, y: Channel): void {
  const e = host.engine;
  for (const state of ['CS_HIBERNATE', 'CS_RESET', 'CS_SOFT_EXECUTE'] as const) {
    for (const ch of [x, y]) {
      if (x.isHungUp || y.isHungUp) return;
      e.setRunningState(ch, state);
    }
  }
  for (const [ch, other] of [[x, y], [y, x]] as const) {
    e.fire(ch, 'CHANNEL_EXECUTE', UUID_BRIDGE_EXECUTE, { post: [['Application', 'uuid_bridge'], ['Application-Data', other.uuid]] });
  }
  if (x.answerState !== 'answered') e.answer(x);
  if (y.answerState !== 'answered') e.answer(y);
  e.setRunningState(y, 'CS_EXCHANGE_MEDIA');
  host.originator.link(x, y);
}

/**
 * switch_channel_step_caller_profile: a copy of the profile becomes the channel's, with the next
 * index and its own timetable (switch_channel_set_caller_profile carries over the created,
 * answered, progress and hangup times only); the copy holds no other leg's profile (uuidBridge
 * then gives each leg its copy of the other's).
 */
function stepCallerProfile(ch: Channel, now: number): void {
  const p = ch.profile;
  if (p === undefined) return;
  p.profileIndex++;
  p.profileCreated = now;
  p.transfer = 0;
  p.bridged = 0;
  p.lastHold = 0;
  p.holdAccum = 0;
}
