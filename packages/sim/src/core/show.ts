/** show channels / calls / modules (plain and `as json`) and uuid_dump, formatted like mod_commands. */
import type { Channel } from './channel.js';
import type { EventBus, Headers } from './event-bus.js';
import { SITES } from './constants.js';
import { localStamp } from './time-format.js';
import { fsUrlEncode, serializeJson } from '@fsbus/esl';
import { MODULE_COLUMNS, moduleRows } from './show-modules.js';

const CHANNEL_COLUMNS = [
  'uuid', 'direction', 'created', 'created_epoch', 'name', 'state', 'cid_name', 'cid_num', 'ip_addr', 'dest', 'application',
  'application_data', 'dialplan', 'context', 'read_codec', 'read_rate', 'read_bit_rate', 'write_codec', 'write_rate',
  'write_bit_rate', 'secure', 'hostname', 'presence_id', 'presence_data', 'accountcode', 'callstate', 'callee_name',
  'callee_num', 'callee_direction', 'call_uuid', 'sent_callee_name', 'sent_callee_num', 'initial_cid_name',
  'initial_cid_num', 'initial_ip_addr', 'initial_dest', 'initial_dialplan', 'initial_context',
] as const;

/** The detailed_calls view's columns of each side: the channels table's but the initial_* ones. */
const DETAILED_SIDE = CHANNEL_COLUMNS.slice(0, CHANNEL_COLUMNS.indexOf('initial_cid_name'));

const CALL_SIDE = ['uuid', 'direction', 'created', 'created_epoch', 'name', 'state', 'cid_name', 'cid_num', 'ip_addr', 'dest', 'presence_id', 'presence_data', 'accountcode', 'callstate', 'callee_name', 'callee_num', 'callee_direction'] as const;

type Row = Array<[string, string]>;

const REGISTRATION_COLUMNS = ['reg_user', 'realm', 'token', 'url', 'expires', 'network_ip', 'network_port', 'network_proto', 'hostname', 'metadata'] as const;

export function channelRow(ch: Channel, hostname: string): Row {
  const p = ch.profile;
  const app = ch.appStack.at(-1);
  const flipped = ch.getVar('channel_cid_flipped') === 'yes';
  const values: Record<(typeof CHANNEL_COLUMNS)[number], string> = {
    uuid: ch.uuid,
    direction: ch.direction,
    created: localStamp(ch.createdMicros),
    created_epoch: String(Math.floor(ch.createdMicros / 1_000_000)),
    name: ch.name,
    state: ch.runningState,
    cid_name: p?.callerIdName ?? '',
    cid_num: p?.callerIdNumber ?? '',
    ip_addr: p?.networkAddr ?? '',
    dest: p?.destinationNumber ?? '',
    // The channels table is updated on CHANNEL_EXECUTE, not on completion.
    application: ch.getVar('current_application') ?? app?.name ?? '',
    application_data: ch.getVar('current_application') !== undefined ? ch.getVar('current_application_data') ?? '' : app?.data ?? '',
    dialplan: p?.dialplan ?? '',
    context: p?.context ?? '',
    read_codec: ch.readCodec ? ch.codec.name : '',
    read_rate: ch.readCodec ? ch.codec.rate : '',
    read_bit_rate: ch.readCodec ? ch.codec.bitRate : '',
    write_codec: ch.writeCodec ? ch.codec.name : '',
    write_rate: ch.writeCodec ? ch.codec.rate : '',
    write_bit_rate: ch.writeCodec ? ch.codec.bitRate : '',
    secure: '',
    hostname,
    presence_id: ch.getVar('presence_id') ?? '',
    presence_data: '',
    accountcode: ch.getVar('accountcode') ?? '',
    callstate: ch.callState,
    callee_name: p?.calleeIdName ?? '',
    callee_num: p?.calleeIdNumber ?? '',
    callee_direction: flipped ? 'RECV' : '',
    call_uuid: flipped ? ch.uuid : '',
    sent_callee_name: '',
    sent_callee_num: '',
    initial_cid_name: p?.origCallerIdName ?? '',
    initial_cid_num: p?.origCallerIdNumber ?? '',
    initial_ip_addr: p?.networkAddr ?? '',
    initial_dest: p?.destinationNumber ?? '',
    initial_dialplan: p?.dialplan ?? '',
    initial_context: p?.context ?? '',
  };
  return CHANNEL_COLUMNS.map((c) => [c, values[c]]);
}

function callRow(a: Channel, hostname: string): Row {
  const ra = new Map(channelRow(a, hostname));
  const row: Row = CALL_SIDE.map((c) => [c, ra.get(c) ?? '']);
  row.push(['call_uuid', ra.get('call_uuid') ?? ''], ['hostname', hostname], ['sent_callee_name', ''], ['sent_callee_num', '']);
  const b = a.bridgedTo !== undefined && a.bridgeActive ? a.bridgedTo : undefined;
  const rb = b ? new Map(channelRow(b, hostname)) : undefined;
  for (const c of CALL_SIDE) row.push([`b_${c}`, rb?.get(c) ?? '']);
  row.push(['b_sent_callee_name', ''], ['b_sent_callee_num', '']);
  row.push(['call_created_epoch', b ? String(Math.floor(a.createdMicros / 1_000_000)) : '']);
  return row;
}

/** A row of the `detailed_calls` view: the channel's columns but initial_*, its b-leg's, call_created_epoch. */
function detailedCallRow(a: Channel, hostname: string): Row {
  const ra = new Map(channelRow(a, hostname));
  const b = a.bridgedTo !== undefined && a.bridgeActive ? a.bridgedTo : undefined;
  const rb = b ? new Map(channelRow(b, hostname)) : undefined;
  const row: Row = DETAILED_SIDE.map((c) => [c, ra.get(c) ?? '']);
  for (const c of DETAILED_SIDE) row.push([`b_${c}`, rb?.get(c) ?? '']);
  row.push(['call_created_epoch', b ? String(Math.floor(a.createdMicros / 1_000_000)) : '']);
  return row;
}

/**
 * The rows of the `basic_calls` (or `detailed_calls`) view: one per bridged pair (the originating
 * side) and one per channel in no bridge — the calls table only links channels on CHANNEL_BRIDGE.
 */
function callRows(channels: readonly Channel[], hostname: string, row: (a: Channel, hostname: string) => Row = callRow): Row[] {
  const rows: Row[] = [];
  for (const ch of channels) {
    const isCallee = ch.bridgeActive && ch.bridgedTo !== undefined && ch.otherType === 'originator';
    if (!isCallee) rows.push(row(ch, hostname));
  }
  return rows;
}

export function formatRows(rows: readonly Row[], format: string, columns: readonly string[]): string {
  if (format === 'json') {
    if (rows.length === 0) return '{"row_count": 0}\n';
    const json = rows.map((r) => `{${r.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`);
    return `{"row_count":${rows.length},"rows":[${json.join(',')}]}`;
  }
  if (format === 'xml') {
    if (rows.length === 0) return '<result row_count="0"/>\n';
    const body = rows.map((r, i) => `  <row row_id="${i + 1}">\n${r.map(([k, v]) => `    <${k}>${xmlEscape(v)}</${k}>`).join('\n')}\n  </row>`).join('\n');
    return `<result row_count="${rows.length}">\n${body}\n</result>\n`;
  }
  if (rows.length === 0) return '\n0 total.\n';
  const head = rows[0]?.map(([k]) => k) ?? [...columns];
  return `${head.join(',')}\n${rows.map((r) => r.map(([, v]) => v).join(',')).join('\n')}\n\n${rows.length} total.\n`;
}

function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** mod_commands.c SHOW_SYNTAX (1.10.12), answered to `show` alone and to a subject it does not know. */
const SHOW_USAGE = '-USAGE: codec|endpoint|application|api|dialplan|file|timer|calls [count]|channels [count|like <match string>]|calls|detailed_calls|bridged_calls|detailed_bridged_calls|aliases|complete|chat|management|modules|nat_map|say|interfaces|interface_types|tasks|limits|status\n';

/** Subjects mod_commands matches by prefix (strncasecmp) and lists from the interfaces table by type. */
const INTERFACE_TYPE_PREFIXES = ['codec', 'dialplan', 'file', 'timer', 'chat', 'limit', 'say', 'management', 'endpoint'] as const;
const INTERFACE_COLUMNS = ['type', 'name', 'ikey'] as const;

/** Subjects FreeSWITCH answers from tables the simulator does not keep (descriptions, aliases, tasks, NAT). */
const UNMODELLED_SUBJECTS = new Set(['application', 'api', 'aliases', 'complete', 'tasks', 'nat_map']);

/** `show <what> [as json|xml|delim]`. */
export function show(args: string, channels: readonly Channel[], hostname: string): string {
  const argv = args.trim().split(/\s+/).filter((a) => a !== '');
  const what = (argv[0] ?? '').toLowerCase();
  if (what === '') return SHOW_USAGE;
  const sorted = [...channels].sort((x, y) => x.createdMicros - y.createdMicros || x.sessionId - y.sessionId);
  let asIdx = 1;
  let rows: Row[];
  let columns: readonly string[];
  if (what === 'channels' || what === 'calls') {
    if ((argv[1] ?? '').toLowerCase() === 'count') {
      const n = what === 'channels' ? sorted.length : callRows(sorted, hostname).length;
      const fmt = (argv[2] ?? '').toLowerCase() === 'as' ? (argv[3] ?? '').toLowerCase() : '';
      if (fmt === 'json') return `{"row_count":${n}}`;
      return `\n${n} total.\n`;
    }
    let list = sorted;
    if (what === 'channels' && (argv[1] ?? '').toLowerCase() === 'like' && argv[2] !== undefined) {
      const needle = argv[2];
      list = sorted.filter((c) => [c.uuid, c.name, c.profile?.callerIdName ?? '', c.profile?.callerIdNumber ?? '', c.profile?.destinationNumber ?? ''].some((f) => f.includes(needle)));
      asIdx = 3;
    }
    rows = what === 'channels' ? list.map((c) => channelRow(c, hostname)) : callRows(list, hostname);
    columns = what === 'channels' ? CHANNEL_COLUMNS : [];
  } else if (what === 'bridged_calls') {
    rows = callRows(sorted.filter((c) => c.bridgeActive), hostname);
    columns = [];
  } else if (what === 'detailed_calls' || what === 'detailed_bridged_calls') {
    const list = what === 'detailed_calls' ? sorted : sorted.filter((c) => c.bridgeActive);
    rows = callRows(list, hostname, detailedCallRow);
    columns = [];
  } else if (what === 'registrations') {
    // The core's registrations table: the simulator registers no one (user/… endpoints answer as
    // scripted, with no registration behind them), so it is always empty.
    const fmt = (argv[1] ?? '').toLowerCase() === 'count' ? (argv[2] ?? '').toLowerCase() === 'as' ? (argv[3] ?? '').toLowerCase() : '' : undefined;
    if (fmt === 'json') return '{"row_count":0}';
    if (fmt !== undefined) return '\n0 total.\n';
    rows = [];
    columns = REGISTRATION_COLUMNS;
  } else if (what.startsWith('module')) {
    // mod_commands matches the first 6 letters (`show module`, `show modules`); a word other than
    // `as` is a module name, and then a format is not read (`as` counts only as the second word).
    const named = argv[1] !== undefined && argv[1].toLowerCase() !== 'as' ? argv[1] : undefined;
    if (named !== undefined) asIdx = argv.length;
    rows = moduleRows(named);
    columns = MODULE_COLUMNS;
  } else if (INTERFACE_TYPE_PREFIXES.some((p) => what.startsWith(p))) {
    // `select type, name, ikey from interfaces where type = '<word>'`: the word as typed, a final
    // `s` dropped (`show codecs`); SQLite's `=` is case-sensitive, so `show CODEC` lists nothing.
    const word = argv[0]!;
    const type = word.endsWith('s') ? word.slice(0, -1) : word;
    rows = moduleRows().filter((r) => r[0]![1] === type).map((r) => r.slice(0, 3));
    columns = INTERFACE_COLUMNS;
  } else if (what === 'interfaces') {
    rows = moduleRows().map((r) => r.slice(0, 3));
    columns = INTERFACE_COLUMNS;
  } else if (what === 'interface_types') {
    const totals = new Map<string, number>();
    for (const r of moduleRows()) totals.set(r[0]![1], (totals.get(r[0]![1]) ?? 0) + 1);
    rows = [...totals].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([type, n]) => [['type', type], ['total', String(n)]]);
    columns = ['type', 'total'];
  } else if (UNMODELLED_SUBJECTS.has(what)) {
    return `-ERR show ${what} is not modelled by the simulator\n`;
  } else {
    // mod_commands answers any other subject with its usage (show_function's last branch).
    return SHOW_USAGE;
  }
  const fmt = (argv[asIdx] ?? '').toLowerCase() === 'as' ? (argv[asIdx + 1] ?? 'delim').toLowerCase() : 'delim';
  if (fmt !== 'delim' && fmt !== 'csv' && fmt !== 'json' && fmt !== 'xml') return `-ERR Cannot find format ${fmt}\n`;
  return formatRows(rows, fmt, columns);
}

/** CHANNEL_DATA headers of a channel (consumes an Event-Sequence like FreeSWITCH). */
export function channelDataHeaders(bus: EventBus, ch: Channel, site = SITES.UUID_DUMP): Headers {
  const h = bus.coreHeaders('CHANNEL_DATA', site);
  h.push(...ch.channelHeaders(true));
  return h;
}

/** uuid_dump output: encoded text (default), `plain` ([value] unencoded), `json`, `xml`. */
export function formatDump(headers: Headers, format: string): string {
  const f = format.toLowerCase();
  if (f === 'json') return serializeJson(headers, undefined).replace(/\n$/, '');
  if (f === 'xml') {
    return `<event>\n  <headers>\n${headers.map(([k, v]) => `    <${k}>${xmlEscape(fsUrlEncode(v))}</${k}>`).join('\n')}\n  </headers>\n</event>\n`;
  }
  const plain = f === 'plain';
  return `${headers.map(([k, v]) => {
    const val = plain ? `[${v}]` : fsUrlEncode(v);
    return `${k}: ${val === '' ? '_undef_' : val}`;
  }).join('\n')}\n\n`;
}
