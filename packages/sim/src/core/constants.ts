/** FreeSWITCH 1.10.12 constants the core reproduces (switch_types.h, captures). */
import { hangupCauseName } from '@fsbus/esl';

/** switch_channel_state_t, in numeric order. */
export const CHANNEL_STATES = [
  'CS_NEW',
  'CS_INIT',
  'CS_ROUTING',
  'CS_SOFT_EXECUTE',
  'CS_EXECUTE',
  'CS_EXCHANGE_MEDIA',
  'CS_PARK',
  'CS_CONSUME_MEDIA',
  'CS_HIBERNATE',
  'CS_RESET',
  'CS_HANGUP',
  'CS_REPORTING',
  'CS_DESTROY',
  'CS_NONE',
] as const;
export type ChannelState = (typeof CHANNEL_STATES)[number];

export function stateNumber(state: ChannelState): number {
  return CHANNEL_STATES.indexOf(state);
}

/** switch_channel_callstate_t names. */
export const CallState = {
  DOWN: 'DOWN',
  DIALING: 'DIALING',
  RINGING: 'RINGING',
  EARLY: 'EARLY',
  ACTIVE: 'ACTIVE',
  HELD: 'HELD',
  RING_WAIT: 'RING_WAIT',
  HANGUP: 'HANGUP',
  UNHELD: 'UNHELD',
} as const;
export type CallState = (typeof CallState)[keyof typeof CallState];
const CALL_STATE_NUMBERS: Record<CallState, number> = {
  DOWN: 0, DIALING: 1, RINGING: 2, EARLY: 3, ACTIVE: 4, HELD: 5, RING_WAIT: 6, HANGUP: 7, UNHELD: 8,
};
export function callStateNumber(s: CallState): number {
  return CALL_STATE_NUMBERS[s];
}

/** A cause given by name (any case) or number, as its canonical name; unknown → undefined. */
export function normaliseCause(input: string | undefined): string | undefined {
  return input === undefined || input === '' ? undefined : hangupCauseName(input);
}

/** Where FreeSWITCH fires each event (Event-Calling-File/Function/Line-Number), from the captures. */
export interface CallSite {
  readonly file: string;
  readonly func: string;
  readonly line: number;
}
export const site = (file: string, func: string, line: number): CallSite => ({ file, func, line });

/** switch_log_level_t values the simulator writes at. */
export const LOG_ERR = 3;
export const LOG_WARNING = 4;
export const LOG_NOTICE = 5;
export const LOG_INFO = 6;
export const LOG_DEBUG = 7;

export const SITES = {
  API: site('switch_loadable_module.c', 'switch_api_execute', 2954),
  CODEC_READ: site('switch_core_codec.c', 'switch_core_session_set_read_codec', 279),
  CODEC_WRITE: site('switch_core_codec.c', 'switch_core_session_set_write_codec', 450),
  CHANNEL_UUID: site('switch_core_session.c', 'switch_core_session_set_uuid', 2051),
  CHANNEL_OUTGOING: site('switch_core_session.c', 'switch_core_session_outgoing_channel', 768),
  CHANNEL_STATE: site('switch_channel.c', 'switch_channel_perform_set_running_state', 2408),
  CHANNEL_CREATE: site('switch_core_state_machine.c', 'switch_core_session_run', 626),
  CHANNEL_ORIGINATE: site('switch_core_state_machine.c', 'switch_core_session_run', 632),
  CHANNEL_CALLSTATE: site('switch_channel.c', 'switch_channel_perform_set_callstate', 301),
  CHANNEL_EXECUTE: site('switch_core_session.c', 'switch_core_session_exec', 2944),
  CHANNEL_EXECUTE_COMPLETE: site('switch_core_session.c', 'switch_core_session_exec', 2967),
  CHANNEL_ANSWER: site('switch_channel.c', 'switch_channel_perform_mark_answered', 3846),
  CHANNEL_PROGRESS: site('switch_channel.c', 'switch_channel_perform_mark_ring_ready_value', 3528),
  CHANNEL_PROGRESS_MEDIA: site('switch_channel.c', 'switch_channel_perform_mark_pre_answered', 3560),
  CHANNEL_PARK: site('switch_ivr.c', 'switch_ivr_park', 1002),
  CHANNEL_UNPARK: site('switch_ivr.c', 'switch_ivr_park', 1213),
  CALL_UPDATE: site('switch_channel.c', 'switch_channel_flip_cid', 3277),
  CHANNEL_HANGUP: site('switch_channel.c', 'switch_channel_perform_hangup', 3445),
  CHANNEL_HANGUP_COMPLETE: site('switch_core_state_machine.c', 'switch_core_session_reporting_state', 943),
  CHANNEL_DESTROY: site('switch_core_session.c', 'switch_core_session_perform_destroy', 1584),
  CHANNEL_BRIDGE: site('switch_ivr_bridge.c', 'audio_bridge_on_exchange_media', 420),
  CHANNEL_UNBRIDGE: site('switch_ivr_bridge.c', 'audio_bridge_on_exchange_media', 598),
  PLAYBACK_START: site('switch_ivr_play_say.c', 'switch_ivr_play_file', 1646),
  PLAYBACK_STOP: site('switch_ivr_play_say.c', 'switch_ivr_play_file', 2020),
  PRIVATE_COMMAND: site('switch_ivr.c', 'switch_ivr_parse_next_event', 804),
  BROADCAST: site('switch_ivr_async.c', 'switch_ivr_broadcast', 5731),
  BACKGROUND_JOB: site('mod_event_socket.c', 'api_exec', 1572),
  SENDEVENT: site('mod_event_socket.c', 'parse_command', 2275),
  CHANNEL_DATA_OUTBOUND: site('mod_event_socket.c', 'parse_command', 2021),
  UUID_DUMP: site('mod_commands.c', 'uuid_dump_function', 6468),
  HEARTBEAT: site('switch_core.c', 'send_heartbeat', 95),
  RE_SCHEDULE: site('switch_scheduler.c', 'switch_scheduler_execute', 73),
  DTMF: site('switch_channel.c', 'switch_channel_dequeue_dtmf', 541),
  STARTUP: site('switch_core.c', 'switch_core_init_and_modload', 2524),
  MODULE_LOAD: site('switch_loadable_module.c', 'switch_loadable_module_process', 532),
  RELOADXML: site('switch_xml.c', 'switch_xml_open_root', 2409),
  INJECT: site('mod_event_socket.c', 'parse_command', 2275),
} as const;

export const FS_VERSION = '1.10.12-release+git~20240802T210227Z~a88d069d6f~64bit';
export const FS_VERSION_HUMAN = 'git a88d069 2024-08-02 21:02:27Z 64bit';
export const FS_VERSION_SHORT = '1.10.12-release';
