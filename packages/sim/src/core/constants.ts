/** FreeSWITCH 1.10.12 constants the core reproduces (switch_types.h, captures). */

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

/** Hangup causes with their Q.850 codes (switch_channel.c CAUSE_CHART). */
export const HANGUP_CAUSES: Readonly<Record<string, number>> = {
  UNSPECIFIED: 0,
  UNALLOCATED_NUMBER: 1,
  NO_ROUTE_TRANSIT_NET: 2,
  NO_ROUTE_DESTINATION: 3,
  CHANNEL_UNACCEPTABLE: 6,
  CALL_AWARDED_DELIVERED: 7,
  NORMAL_CLEARING: 16,
  USER_BUSY: 17,
  NO_USER_RESPONSE: 18,
  NO_ANSWER: 19,
  SUBSCRIBER_ABSENT: 20,
  CALL_REJECTED: 21,
  NUMBER_CHANGED: 22,
  REDIRECTION_TO_NEW_DESTINATION: 23,
  EXCHANGE_ROUTING_ERROR: 25,
  DESTINATION_OUT_OF_ORDER: 27,
  INVALID_NUMBER_FORMAT: 28,
  FACILITY_REJECTED: 29,
  RESPONSE_TO_STATUS_ENQUIRY: 30,
  NORMAL_UNSPECIFIED: 31,
  NORMAL_CIRCUIT_CONGESTION: 34,
  NETWORK_OUT_OF_ORDER: 38,
  NORMAL_TEMPORARY_FAILURE: 41,
  SWITCH_CONGESTION: 42,
  ACCESS_INFO_DISCARDED: 43,
  REQUESTED_CHAN_UNAVAIL: 44,
  PRE_EMPTED: 45,
  FACILITY_NOT_SUBSCRIBED: 50,
  OUTGOING_CALL_BARRED: 52,
  INCOMING_CALL_BARRED: 54,
  BEARERCAPABILITY_NOTAUTH: 57,
  BEARERCAPABILITY_NOTAVAIL: 58,
  SERVICE_UNAVAILABLE: 63,
  BEARERCAPABILITY_NOTIMPL: 65,
  CHAN_NOT_IMPLEMENTED: 66,
  FACILITY_NOT_IMPLEMENTED: 69,
  SERVICE_NOT_IMPLEMENTED: 79,
  INVALID_CALL_REFERENCE: 81,
  INCOMPATIBLE_DESTINATION: 88,
  INVALID_MSG_UNSPECIFIED: 95,
  MANDATORY_IE_MISSING: 96,
  MESSAGE_TYPE_NONEXIST: 97,
  WRONG_MESSAGE: 98,
  IE_NONEXIST: 99,
  INVALID_IE_CONTENTS: 100,
  WRONG_CALL_STATE: 101,
  RECOVERY_ON_TIMER_EXPIRE: 102,
  MANDATORY_IE_LENGTH_ERROR: 103,
  PROTOCOL_ERROR: 111,
  INTERWORKING: 127,
  SUCCESS: 142,
  ORIGINATOR_CANCEL: 487,
  CRASH: 700,
  SYSTEM_SHUTDOWN: 701,
  LOSE_RACE: 702,
  MANAGER_REQUEST: 703,
  BLIND_TRANSFER: 800,
  ATTENDED_TRANSFER: 801,
  ALLOTTED_TIMEOUT: 602,
  USER_CHALLENGE: 603,
  MEDIA_TIMEOUT: 604,
  PICKED_OFF: 605,
  USER_NOT_REGISTERED: 606,
  PROGRESS_TIMEOUT: 607,
  GATEWAY_DOWN: 609,
};

/** Normalises a cause given by name or Q.850 number; unknown → undefined. */
export function normaliseCause(input: string | undefined): string | undefined {
  if (input === undefined || input === '') return undefined;
  const upper = input.toUpperCase();
  if (upper in HANGUP_CAUSES) return upper;
  if (/^\d+$/.test(input)) {
    const n = Number(input);
    for (const [name, code] of Object.entries(HANGUP_CAUSES)) if (code === n) return name;
  }
  return undefined;
}

export function q850(cause: string): number {
  return HANGUP_CAUSES[cause] ?? 0;
}

/** Where FreeSWITCH fires each event (Event-Calling-File/Function/Line-Number), from the captures. */
export interface CallSite {
  readonly file: string;
  readonly func: string;
  readonly line: number;
}
const site = (file: string, func: string, line: number): CallSite => ({ file, func, line });
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
  CHANNEL_PROGRESS_MEDIA: site('switch_channel.c', 'switch_channel_perform_mark_pre_answered', 3712),
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
