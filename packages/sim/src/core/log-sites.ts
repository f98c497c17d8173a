/**
 * Where FreeSWITCH writes the channel lifecycle's log lines (Log-File, Log-Func, Log-Line), from
 * the captures and its sources. Most of these lines are written with the site of the caller
 * (switch_channel_set_callstate, switch_channel_hangup, switch_channel_mark_answered are macros
 * passing __FILE__/__FUNCTION__/__LINE__), so one message has a site per caller.
 */
import { site } from './constants.js';

export const LOG_SITES = {
  NEW_CHANNEL: site('switch_channel.c', 'switch_channel_set_name', 1142),
  SET_UUID: site('switch_core_session.c', 'switch_core_session_outgoing_channel', 641),
  RUNNING_STATE: site('switch_core_state_machine.c', 'switch_core_session_run', 581),
  DESTROY_STATE: site('switch_core_state_machine.c', 'switch_core_session_destroy_state', 735),
  /** Callstate Change, by the call that changed it. */
  CALLSTATE_ROUTING: site('switch_channel.c', 'switch_channel_perform_set_running_state', 2399),
  CALLSTATE_RING_READY: site('switch_channel.c', 'switch_channel_perform_mark_ring_ready_value', 3513),
  CALLSTATE_PRE_ANSWERED: site('switch_channel.c', 'switch_channel_perform_mark_pre_answered', 3585),
  CALLSTATE_ANSWERED: site('switch_channel.c', 'switch_channel_perform_mark_answered', 3912),
  CALLSTATE_HANGUP: site('switch_core_state_machine.c', 'switch_core_session_hangup_state', 844),
  /** "has been answered", by the answering call: the answer application, or mod_loopback for the other leg. */
  ANSWER_APP: site('mod_dptools.c', 'answer_function', 1406),
  ANSWER_LOOPBACK_PEER: site('mod_loopback.c', 'channel_receive_message', 1021),
  /** "Hangup", by the hanging-up call; HANGUP where the caller is not known from a capture. */
  HANGUP: site('switch_channel.c', 'switch_channel_perform_hangup', 3396),
  HANGUP_APP: site('mod_dptools.c', 'hangup_function', 1374),
  HANGUP_KILL: site('switch_ivr.c', 'switch_ivr_kill_uuid', 4412),
  HANGUP_MESSAGE: site('switch_ivr.c', 'switch_ivr_parse_event', 773),
  HANGUP_LOOPBACK_PEER: site('mod_loopback.c', 'channel_on_hangup', 585),
  SESSION_ENDED: site('switch_core_session.c', 'switch_core_session_thread', 1762),
  CLOSE_CHANNEL: site('switch_core_session.c', 'switch_core_session_thread', 1766),
  ORIGINATE_SUCCESS: site('switch_ivr_originate.c', 'switch_ivr_originate', 3913),
  ORIGINATE_ERROR: site('switch_ivr_originate.c', 'switch_ivr_originate', 4056),
  /** DEBUG lines as a leg's leg_timeout / leg_delay_start is read. */
  LEG_TIMEOUT: site('switch_ivr_originate.c', 'switch_ivr_originate', 3171),
  LEG_DELAY_START: site('switch_ivr_originate.c', 'switch_ivr_originate', 3189),
} as const;

/** Text-Channel of log/data: SWITCH_CHANNEL_ID_LOG (a channel's uuid as User-Data) and _SESSION. */
export const TEXT_CHANNEL_ID_LOG = 0;
export const TEXT_CHANNEL_SESSION = 3;
