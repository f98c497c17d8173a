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
  const ms = (us: number): string => String(Math.floor(us / 1000));
  const diff = (t: number): number => (t > 0 ? t - start : 0);
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
  const total = now - start;
  const bill = answered ? now - answered : 0;
  // FreeSWITCH writes the seconds, then the milliseconds, then the microseconds group.
  const groups: Array<[string, number]> = [
    ['duration', total], ['billsec', bill], ['progresssec', diff(progress)], ['answersec', diff(answered)],
    ['waitsec', diff(answered)], ['progress_mediasec', diff(media)], ['flow_billsec', bill],
  ];
  for (const [k, us] of groups) set(k, sec(us));
  const msNames = ['mduration', 'billmsec', 'progressmsec', 'answermsec', 'waitmsec', 'progress_mediamsec', 'flow_billmsec'];
  const usNames = ['uduration', 'billusec', 'progressusec', 'answerusec', 'waitusec', 'progress_mediausec', 'flow_billusec'];
  groups.forEach(([, us], i) => set(msNames[i] ?? '', ms(us)));
  groups.forEach(([, us], i) => set(usNames[i] ?? '', String(us)));
  if (ch.name.startsWith('loopback/')) set('is_loopback', '1');
}
