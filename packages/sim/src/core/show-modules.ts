/**
 * `show modules [<module>] [as json|xml|delim]`: FreeSWITCH 1.10.12 answers it from its interfaces
 * table, one row per interface a module registered (mod_commands.c show_function: `select
 * distinct type, name, ikey, filename from interfaces ... order by type,name`), and a module that
 * registered none as one `generic` row. The modules are those of a stock install (every module with
 * an API in api-stock.ts, and the API-less ones the simulator serves); `module_exists` knows the
 * same. Their APIs are the real ones (api-stock.ts); their other interfaces a subset of the real
 * ones (what the simulator serves, and the stock applications of stock-apps.ts it models), enough
 * for a client that looks for a module or an interface by name.
 */
import { STOCK_APIS_BY_MODULE } from './api-stock.js';

type Interfaces = Readonly<Partial<Record<'api' | 'application' | 'chat' | 'codec' | 'dialplan' | 'endpoint' | 'file' | 'limit' | 'timer', readonly string[]>>>;

/** Where the Debian/RPM packages install the modules (the `filename` column is the .so's path). */
const MOD_DIR = '/usr/lib/freeswitch/mod';

/** The interfaces other than APIs (those are api-stock.ts's) of the modules loaded. */
const OTHER_INTERFACES: Readonly<Record<string, Omit<Interfaces, 'api'>>> = {
  mod_db: { application: ['db', 'group'], limit: ['db'] },
  mod_dialplan_xml: { dialplan: ['XML'] },
  mod_dptools: {
    application: [
      'answer', 'bridge', 'echo', 'export', 'hangup', 'info', 'log', 'multiset', 'park', 'playback', 'pre_answer',
      'record_session', 'ring_ready', 'set', 'sleep', 'transfer', 'unset',
    ],
    chat: ['api', 'event', 'fire', 'reply', 'send', 'stop'],
    endpoint: ['error', 'group', 'pickup', 'user'],
  },
  mod_event_socket: { application: ['socket'] },
  mod_hash: { application: ['hash'], limit: ['hash'] },
  mod_local_stream: { file: ['local_stream'] },
  mod_logfile: {},
  mod_loopback: { application: ['unloop'], endpoint: ['loopback'] },
  mod_native_file: { file: ['G722', 'G729', 'GSM', 'PCMA', 'PCMU'] },
  mod_sndfile: { file: ['aiff', 'au', 'flac', 'ogg', 'r16', 'r8', 'raw', 'wav'] },
  mod_sofia: { application: ['sofia_sla', 'sofia_stir_shaken_vs'], chat: ['sip'], endpoint: ['rtp', 'sofia'] },
  mod_tone_stream: { file: ['silence_stream', 'tone_stream'] },
};

/** Every module loaded: each one with a stock API (so module_exists agrees with what answers "not modelled"), and the rest. */
const MODULE_INTERFACES: Readonly<Record<string, Interfaces>> = Object.fromEntries(
  [...new Set([...Object.keys(STOCK_APIS_BY_MODULE), ...Object.keys(OTHER_INTERFACES)])].map((ikey) => {
    const api = STOCK_APIS_BY_MODULE[ikey];
    return [ikey, { ...(api === undefined ? {} : { api }), ...OTHER_INTERFACES[ikey] }];
  }),
);

/** module_exists: a module the simulated core has loaded (the core's own modules are not `mod_` ones). */
export function moduleExists(name: string): boolean {
  return Object.hasOwn(MODULE_INTERFACES, name);
}

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
