/**
 * The API commands a stock FreeSWITCH 1.10.12 has: every SWITCH_ADD_API of the modules its vanilla
 * modules.conf.xml loads (and of mod_xml_curl, which the simulator loads too). A command here that
 * the simulator does not model answers `-ERR <command> is not modelled by the simulator`, so a test
 * cannot take it for a typo (FreeSWITCH's `Command not found!`) nor for a success; only a name
 * missing here is `Command not found!`. docs/sim.md lists each one's status.
 */
export const STOCK_APIS_BY_MODULE: Readonly<Record<string, readonly string[]>> = {
  mod_commands: [
    '...', 'acl', 'alias', 'banner', 'bg_spawn', 'bg_system', 'bgapi', 'break', 'coalesce', 'complete', 'cond',
    'console_complete', 'console_complete_xml', 'create_uuid', 'db_cache', 'domain_data', 'domain_exists', 'echo',
    'escape', 'eval', 'event_channel_broadcast', 'expand', 'file_exists', 'find_user_xml', 'fsctl', 'getcputime',
    'getenv', 'gethost', 'global_getvar', 'global_setvar', 'group_call', 'help', 'host_lookup', 'hostname', 'hupall',
    'in_group', 'interface_ip', 'is_lan_addr', 'json', 'limit_hash_usage', 'limit_interval_reset', 'limit_reset',
    'limit_status', 'limit_usage', 'list_users', 'load', 'log', 'md5', 'memory', 'module_exists', 'msleep', 'nat_map',
    'originate', 'pause', 'pool_stats', 'quote_shell_arg', 'reg_url', 'regex', 'reload', 'reloadacl', 'reloadxml',
    'replace', 'say_string', 'sched_api', 'sched_broadcast', 'sched_del', 'sched_hangup', 'sched_transfer', 'show',
    'shutdown', 'spawn', 'spawn_stream', 'sql_escape', 'status', 'strftime_tz', 'stun', 'switchname', 'system',
    'time_test', 'timer_test', 'tolower', 'tone_detect', 'toupper', 'unload', 'unsched_api', 'uptime', 'url_decode',
    'url_encode', 'user_data', 'user_exists', 'uuid_answer', 'uuid_audio', 'uuid_break', 'uuid_bridge',
    'uuid_broadcast', 'uuid_buglist', 'uuid_capture_text', 'uuid_chat', 'uuid_codec_debug', 'uuid_codec_param',
    'uuid_debug_media', 'uuid_deflect', 'uuid_displace', 'uuid_display', 'uuid_drop_dtmf', 'uuid_dual_transfer',
    'uuid_dump', 'uuid_early_ok', 'uuid_exists', 'uuid_fileman', 'uuid_flush_dtmf', 'uuid_getvar', 'uuid_hold',
    'uuid_jitterbuffer', 'uuid_kill', 'uuid_limit', 'uuid_limit_release', 'uuid_loglevel', 'uuid_media',
    'uuid_media_3p', 'uuid_media_params', 'uuid_media_reneg', 'uuid_outgoing_answer', 'uuid_park', 'uuid_pause',
    'uuid_phone_event', 'uuid_pre_answer', 'uuid_preprocess', 'uuid_record', 'uuid_recovery_refresh',
    'uuid_recv_dtmf', 'uuid_redirect', 'uuid_ring_ready', 'uuid_send_dtmf', 'uuid_send_info', 'uuid_send_message',
    'uuid_send_text', 'uuid_session_heartbeat', 'uuid_set_media_stats', 'uuid_setvar', 'uuid_setvar_multi',
    'uuid_simplify', 'uuid_transfer', 'uuid_video_bandwidth', 'uuid_video_bitrate', 'uuid_video_refresh',
    'uuid_xfer_zombie', 'uuid_zombie_exec', 'version', 'xml_flush_cache', 'xml_locate', 'xml_wrap',
  ],
  mod_amr: ['amr_debug'],
  mod_av: ['av'],
  mod_cdr_csv: ['cdr_csv'],
  mod_conference: ['conference'],
  mod_console: ['console'],
  mod_db: ['db', 'group'],
  mod_dptools: ['chat', 'page', 'presence', 'strepoch', 'strftime', 'strmicroepoch'],
  mod_enum: ['enum', 'enum_auto'],
  mod_event_socket: ['event_sink'],
  mod_expr: ['expr'],
  mod_fifo: ['fifo', 'fifo_add_outbound', 'fifo_check_bridge', 'fifo_member'],
  mod_hash: ['hash', 'hash_dump', 'hash_remote'],
  mod_httapi: ['httapi'],
  mod_local_stream: ['local_stream'],
  mod_lua: ['lua', 'luarun'],
  mod_opus: ['opus_debug'],
  mod_png: ['uuid_write_png'],
  mod_signalwire: ['signalwire'],
  mod_sndfile: ['sndfile_debug'],
  mod_sofia: ['rtp_test', 'sofia', 'sofia_contact', 'sofia_count_reg', 'sofia_dig', 'sofia_gateway_data', 'sofia_presence_data', 'sofia_username_of'],
  mod_spandsp: ['spandsp_start_tone_detect', 'spandsp_stop_tone_detect', 'start_tdd_detect', 'stop_tdd_detect', 'uuid_send_tdd'],
  mod_valet_parking: ['valet_info'],
  mod_verto: ['verto', 'verto_contact'],
  mod_voicemail: [
    'vm_boxcount', 'vm_delete', 'vm_fsdb_auth_login', 'vm_fsdb_msg_count', 'vm_fsdb_msg_delete', 'vm_fsdb_msg_email',
    'vm_fsdb_msg_forward', 'vm_fsdb_msg_get', 'vm_fsdb_msg_list', 'vm_fsdb_msg_purge', 'vm_fsdb_msg_save',
    'vm_fsdb_msg_undelete', 'vm_fsdb_pref_greeting_get', 'vm_fsdb_pref_greeting_set', 'vm_fsdb_pref_password_set',
    'vm_fsdb_pref_recname_set', 'vm_inject', 'vm_list', 'vm_prefs', 'vm_read', 'voicemail', 'voicemail_inject',
  ],
  mod_xml_curl: ['xml_curl'],
};

const STOCK_APIS: ReadonlySet<string> = new Set(Object.values(STOCK_APIS_BY_MODULE).flat());

/** Whether a stock FreeSWITCH has this API (`name` lower-cased: the API hash is case-insensitive). */
export function isStockApi(name: string): boolean {
  return STOCK_APIS.has(name);
}

/** The reply of a stock API the simulator does not model; `command` as the client wrote it. */
export function notModelled(command: string): string {
  return `-ERR ${command} is not modelled by the simulator\n`;
}
