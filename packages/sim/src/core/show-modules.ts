/**
 * `show modules [<module>] [as json|xml|delim]`: FreeSWITCH 1.10.12 answers it from its interfaces
 * table, one row per interface a module registered (mod_commands.c show_function: `select
 * distinct type, name, ikey, filename from interfaces ... order by type,name`), and a module that
 * registered none as one `generic` row. The modules are the ones `module_exists` knows (api.ts);
 * their interfaces are a subset of the real ones (what the simulator serves, and the stock
 * applications of stock-apps.ts it models), enough for a client that looks for a module or an
 * interface by name.
 */
type Interfaces = Readonly<Partial<Record<'api' | 'application' | 'chat' | 'codec' | 'dialplan' | 'endpoint' | 'file' | 'limit' | 'timer', readonly string[]>>>;

/** Where the Debian/RPM packages install the modules (the `filename` column is the .so's path). */
const MOD_DIR = '/usr/lib/freeswitch/mod';

const MODULE_INTERFACES: Readonly<Record<string, Interfaces>> = {
  mod_commands: {
    api: [
      'create_uuid', 'echo', 'eval', 'expand', 'global_getvar', 'global_setvar', 'hostname', 'hupall', 'module_exists',
      'originate', 'reloadxml', 'sched_del', 'sched_hangup', 'show', 'status', 'uptime', 'uuid_answer', 'uuid_break',
      'uuid_bridge', 'uuid_broadcast', 'uuid_dump', 'uuid_exists', 'uuid_flush_dtmf', 'uuid_getvar', 'uuid_hold',
      'uuid_kill', 'uuid_park', 'uuid_pre_answer', 'uuid_recv_dtmf', 'uuid_send_dtmf', 'uuid_setvar', 'uuid_setvar_multi',
      'uuid_transfer', 'version',
    ],
  },
  mod_console: { api: ['console'] },
  mod_db: { api: ['db', 'group'], application: ['db', 'group'], limit: ['db'] },
  mod_dialplan_xml: { dialplan: ['XML'] },
  mod_dptools: {
    api: ['strepoch', 'strftime', 'presence'],
    application: [
      'answer', 'bridge', 'echo', 'export', 'hangup', 'info', 'log', 'multiset', 'park', 'playback', 'pre_answer',
      'record_session', 'ring_ready', 'set', 'sleep', 'transfer', 'unset',
    ],
    chat: ['api', 'event', 'fire', 'reply', 'send', 'stop'],
    endpoint: ['error', 'group', 'pickup', 'user'],
  },
  mod_event_socket: { api: ['event_sink'], application: ['socket'] },
  mod_hash: { api: ['hash', 'hash_dump', 'hash_remote'], application: ['hash'], limit: ['hash'] },
  mod_local_stream: { api: ['local_stream'], file: ['local_stream'] },
  mod_logfile: {},
  mod_loopback: { application: ['unloop'], endpoint: ['loopback'] },
  mod_native_file: { file: ['G722', 'G729', 'GSM', 'PCMA', 'PCMU'] },
  mod_sndfile: { file: ['aiff', 'au', 'flac', 'ogg', 'r16', 'r8', 'raw', 'wav'] },
  mod_sofia: { api: ['sofia', 'sofia_contact', 'sofia_count_reg', 'sofia_gateway_data', 'sofia_username_of'], application: ['sofia_sla', 'sofia_stir_shaken_vs'], chat: ['sip'], endpoint: ['rtp', 'sofia'] },
  mod_tone_stream: { file: ['silence_stream', 'tone_stream'] },
  mod_xml_curl: { api: ['xml_curl'] },
};

/** Registered by the core itself at start: no .so, the path FreeSWITCH builds from an empty directory. */
const CORE_INTERFACES: Readonly<Record<string, Interfaces>> = {
  CORE_PCM_MODULE: { codec: ['G.711 alaw', 'G.711 ulaw', 'PROXY PASS-THROUGH', 'RAW Signed Linear (16 bit)'] },
  CORE_SOFTTIMER_MODULE: { timer: ['soft'] },
};

type ModuleRow = Array<[string, string]>;

function rowsOf(modules: Readonly<Record<string, Interfaces>>, filename: (ikey: string) => string): ModuleRow[] {
  const rows: ModuleRow[] = [];
  for (const [ikey, interfaces] of Object.entries(modules)) {
    const entries = Object.entries<readonly string[]>(interfaces);
    // A module that registered no interface is one `generic` row (switch_loadable_module_process).
    const named = entries.length === 0 ? [['generic', [ikey]] as const] : entries;
    for (const [type, names] of named) for (const name of names) rows.push([['type', type], ['name', name], ['ikey', ikey], ['filename', filename(ikey)]]);
  }
  // SQLite's default (BINARY) collation: byte order, upper case before lower case.
  const key = (r: ModuleRow) => `${r[0]![1]}\u0000${r[1]![1]}\u0000${r[2]![1]}`;
  return rows.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

const ALL_ROWS: readonly ModuleRow[] = rowsOf({ ...MODULE_INTERFACES, ...CORE_INTERFACES }, (ikey) => (ikey in CORE_INTERFACES ? `/${ikey}.so` : `${MOD_DIR}/${ikey}.so`));

export const MODULE_COLUMNS = ['type', 'name', 'ikey', 'filename'] as const;

/** The rows of `show modules`, or of `show modules <ikey>` (the module's own, none for an unknown one). */
export function moduleRows(ikey?: string): ModuleRow[] {
  return ALL_ROWS.filter((r) => ikey === undefined || r[2]![1] === ikey);
}
