/**
 * The dialplan applications a stock FreeSWITCH 1.10.12 has: every SWITCH_ADD_APP of the modules
 * conf/vanilla/autoload_configs/modules.conf.xml loads (and the default build compiles). The
 * simulator runs the ones it does not model as no-ops; only a name missing here is an
 * `Invalid Application` (hangup with DESTINATION_OUT_OF_ORDER). FreeSWITCH looks names up in any
 * case (a nocase hash) and reports them as registered, so the spelling here is the canonical one.
 */
const STOCK_APPS_BY_MODULE: Readonly<Record<string, readonly string[]>> = {
  mod_dptools: [
    'acknowledge_call', 'answer', 'att_xfer', 'bgsystem', 'bind_digit_action', 'bind_meta_app', 'blind_transfer_ack',
    'block_dtmf', 'break', 'bridge', 'bridge_export', 'broadcast', 'capture', 'capture_text', 'check_acl',
    'clear_digit_action', 'clear_speech_cache', 'cng_plc', 'debug_media', 'deduplicate_dtmf', 'deflect', 'delay_echo',
    'detect_audio', 'detect_silence', 'detect_speech', 'digit_action_set_realm', 'displace_session', 'early_hangup',
    'eavesdrop', 'echo', 'enable_heartbeat', 'enable_keepalive', 'endless_playback', 'eval', 'event',
    'execute_extension', 'export', 'fax_detect', 'filter_codecs', 'flush_dtmf', 'gentones', 'hangup', 'hold', 'info',
    'intercept', 'ivr', 'jitterbuffer', 'limit', 'limit_execute', 'limit_hash', 'limit_hash_execute', 'log',
    'loop_playback', 'media_reset', 'mkdir', 'multiset', 'multiunset', 'mutex', 'native_eavesdrop', 'novideo', 'page',
    'park', 'park_state', 'phrase', 'pickup', 'play_and_detect_speech', 'play_and_get_digits', 'playback',
    'pre_answer', 'preprocess', 'presence', 'privacy', 'push', 'queue_dtmf', 'read', 'record', 'record_session',
    'record_session_mask', 'record_session_pause', 'record_session_resume', 'record_session_unmask',
    'recovery_refresh', 'redirect', 'remove_bugs', 'rename', 'respond', 'reuse_caller_profile', 'ring_ready', 'say',
    'sched_broadcast', 'sched_cancel', 'sched_hangup', 'sched_heartbeat', 'sched_transfer', 'send_display',
    'send_dtmf', 'send_info', 'session_loglevel', 'set', 'set_audio_level', 'set_global', 'set_media_stats',
    'set_mute', 'set_name', 'set_profile_var', 'set_user', 'set_zombie_exec', 'sleep', 'soft_hold', 'sound_test',
    'speak', 'start_dtmf', 'start_dtmf_generate', 'stop', 'stop_displace_session', 'stop_dtmf',
    'stop_dtmf_generate', 'stop_record_session', 'stop_tone_detect', 'stop_video_write_overlay', 'strftime',
    'system', 'three_way', 'tone_detect', 'transfer', 'transfer_vars', 'unbind_meta_app', 'unblock_dtmf', 'unhold',
    'unset', 'unshift', 'vad_test', 'verbose_events', 'video_decode', 'video_refresh', 'video_write_overlay',
    'wait_for_answer', 'wait_for_silence', 'wait_for_video_ready',
  ],
  mod_conference: ['conference', 'conference_set_auto_outcall'],
  mod_db: ['db', 'group'],
  mod_dialplan_asterisk: ['AvoidingDeadlock', 'Dial', 'Goto'],
  mod_enum: ['enum'],
  mod_esf: ['esf_page_group'],
  mod_event_socket: ['socket'],
  mod_fifo: ['fifo', 'fifo_track_call'],
  mod_fsv: ['decode_video', 'play_fsv', 'play_yuv', 'record_fsv'],
  mod_hash: ['hash'],
  mod_httapi: ['httapi'],
  mod_loopback: ['unloop'],
  mod_lua: ['lua'],
  mod_sofia: ['sofia_sla', 'sofia_stir_shaken_vs'],
  mod_spandsp: [
    'rxfax', 'spandsp_detect_tdd', 'spandsp_inject_tdd', 'spandsp_send_tdd', 'spandsp_start_dtmf',
    'spandsp_start_fax_detect', 'spandsp_start_tone_detect', 'spandsp_stop_detect_tdd', 'spandsp_stop_dtmf',
    'spandsp_stop_fax_detect', 'spandsp_stop_inject_tdd', 'spandsp_stop_tone_detect', 'stopfax', 't38_gateway', 'txfax',
  ],
  mod_valet_parking: ['valet_park'],
  mod_voicemail: ['voicemail'],
};

const BY_LOWER_NAME: ReadonlyMap<string, string> = new Map(
  Object.values(STOCK_APPS_BY_MODULE).flatMap((names) => names.map((n): [string, string] => [n.toLowerCase(), n])),
);

/** The application's registered name when a stock FreeSWITCH has it (any case), else undefined. */
export function stockApplicationName(name: string): string | undefined {
  return BY_LOWER_NAME.get(name.toLowerCase());
}

/**
 * The stock applications registered without SAF_SUPPORT_NOMEDIA (FreeSWITCH 1.10.12): before one
 * runs, switch_core_session_execute_application_get_flags makes sure the channel has media — an
 * inbound one is pre-answered.
 */
const MEDIA_APPS: ReadonlySet<string> = new Set([
  // mod_dptools
  'att_xfer', 'blind_transfer_ack', 'broadcast', 'clear_speech_cache', 'delay_echo', 'detect_audio', 'detect_silence',
  'detect_speech', 'displace_session', 'eavesdrop', 'echo', 'endless_playback', 'fax_detect', 'gentones', 'intercept',
  'ivr', 'loop_playback', 'native_eavesdrop', 'page', 'park_state', 'phrase', 'play_and_detect_speech',
  'play_and_get_digits', 'playback', 'preprocess', 'read', 'record', 'record_session', 'record_session_mask',
  'record_session_pause', 'record_session_resume', 'record_session_unmask', 'remove_bugs', 'say', 'set_audio_level',
  'set_mute', 'soft_hold', 'sound_test', 'speak', 'start_dtmf', 'start_dtmf_generate', 'stop_displace_session',
  'stop_dtmf', 'stop_dtmf_generate', 'stop_record_session', 'stop_tone_detect', 'stop_video_write_overlay', 'three_way',
  'tone_detect', 'vad_test', 'video_decode', 'video_write_overlay', 'wait_for_silence', 'wait_for_video_ready',
  // the other modules
  'conference', 'conference_set_auto_outcall', 'esf_page_group', 'fifo', 'decode_video', 'play_fsv', 'play_yuv',
  'record_fsv', 'unloop', 'sofia_sla', 'spandsp_detect_tdd', 'spandsp_inject_tdd', 'spandsp_send_tdd',
  'spandsp_start_dtmf', 'spandsp_start_fax_detect', 'spandsp_start_tone_detect', 'spandsp_stop_detect_tdd',
  'spandsp_stop_dtmf', 'spandsp_stop_fax_detect', 'spandsp_stop_inject_tdd', 'spandsp_stop_tone_detect', 'stopfax',
  't38_gateway', 'valet_park', 'voicemail',
]);

/** Whether the application (by its registered name) needs media on the channel before it runs. */
export function requiresMedia(name: string): boolean {
  return MEDIA_APPS.has(name);
}
