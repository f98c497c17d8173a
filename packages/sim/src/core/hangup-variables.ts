/**
 * The variables FreeSWITCH sets when a channel reaches CS_REPORTING (hangup cause, stamps,
 * epochs, durations), in the order of the captured CHANNEL_HANGUP_COMPLETE.
 */
import { hangupCauseQ850 } from '@fsbus/esl';
import type { Channel } from './channel.js';
import { localStamp } from './time-format.js';

export function setHangupVariables(ch: Channel, cause: string, now: number): void {
  const p = ch.profile;
  const start = ch.createdMicros;
  const answered = p?.answered ?? 0;
  const progress = p?.progress ?? 0;
  const media = p?.progressMedia ?? 0;
  const bridged = p?.bridged ?? 0;
  const sec = (us: number): string => String(Math.floor(us / 1_000_000));
  const set = (k: string, v: string): void => ch.setVar(k, v);
  set('hangup_cause', cause);
  set('hangup_cause_q850', String(hangupCauseQ850(cause)));
  set('digits_dialed', 'none');
  set('start_stamp', localStamp(start));
  set('profile_start_stamp', localStamp(p?.profileCreated ?? start));
  if (answered) set('answer_stamp', localStamp(answered));
  if (bridged) set('bridge_stamp', localStamp(bridged));
  if (progress) set('progress_stamp', localStamp(progress));
  if (media) set('progress_media_stamp', localStamp(media));
  set('end_stamp', localStamp(now));
  set('start_epoch', sec(start));
  set('start_uepoch', String(start));
  set('profile_start_epoch', sec(p?.profileCreated ?? start));
  set('profile_start_uepoch', String(p?.profileCreated ?? start));
  set('answer_epoch', sec(answered));
  set('answer_uepoch', String(answered));
  set('bridge_epoch', sec(bridged));
  set('bridge_uepoch', String(bridged));
  for (const k of ['last_hold_epoch', 'last_hold_uepoch', 'hold_accum_seconds', 'hold_accum_usec', 'hold_accum_ms', 'resurrect_epoch', 'resurrect_uepoch']) set(k, '0');
  set('progress_epoch', sec(progress));
  set('progress_uepoch', String(progress));
  set('progress_media_epoch', sec(media));
  set('progress_media_uepoch', String(media));
  set('end_epoch', sec(now));
  set('end_uepoch', String(now));
  const lastApp = ch.getVar('current_application');
  if (lastApp !== undefined) set('last_app', lastApp);
  const lastArg = ch.getVar('current_application_data');
  if (lastArg !== undefined) set('last_arg', lastArg);
  if (p) set('caller_id', p.callerIdName === '' ? p.callerIdNumber : `"${p.callerIdName}" <${p.callerIdNumber}>`);
  // switch_channel_set_timestamps subtracts epochs already cut to whole seconds (tt_*) or
  // milliseconds (mtt_*), not the cut of the difference: .303 to 3.211 is 3 s, not 2.
  const span = (from: number, to: number): [number, number, number] =>
    [Math.floor(to / 1_000_000) - Math.floor(from / 1_000_000), Math.floor(to / 1000) - Math.floor(from / 1000), to - from];
  const none: [number, number, number] = [0, 0, 0];
  const since = (t: number): [number, number, number] => (t ? span(start, t) : none);
  // waitsec: bridged − created, 0 for a leg never bridged; flow_billsec (legbillsec): hungup −
  // created once answered, ring time included.
  const groups: Array<[number, number, number]> = [
    span(start, now), answered ? span(answered, now) : none, since(progress), since(answered),
    bridged > start ? span(start, bridged) : none, since(media), answered ? span(start, now) : none,
  ];
  // FreeSWITCH writes the seconds, then the milliseconds, then the microseconds group.
  const names = [
    ['duration', 'billsec', 'progresssec', 'answersec', 'waitsec', 'progress_mediasec', 'flow_billsec'],
    ['mduration', 'billmsec', 'progressmsec', 'answermsec', 'waitmsec', 'progress_mediamsec', 'flow_billmsec'],
    ['uduration', 'billusec', 'progressusec', 'answerusec', 'waitusec', 'progress_mediausec', 'flow_billusec'],
  ];
  names.forEach((row, unit) => row.forEach((k, i) => set(k, String(groups[i]?.[unit] ?? 0))));
  if (ch.name.startsWith('loopback/')) set('is_loopback', '1');
}
