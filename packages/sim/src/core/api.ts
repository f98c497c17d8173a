/** The API commands (mod_commands texts), run against the simulated core. */
import { randomUUID } from 'node:crypto';
import type { Channel } from './channel.js';
import type { Engine } from './engine.js';
import type { Executor } from './executor.js';
import type { Originator } from './originate.js';
import { expandText } from './expand-variables.js';
import { parseOriginate } from './originate-parse.js';
import { separateString } from './separate-string.js';
import { stripWhitespace } from './strip-whitespace.js';
import { normaliseCause, site, FS_VERSION, FS_VERSION_HUMAN, FS_VERSION_SHORT } from './constants.js';
import { channelDataHeaders, formatDump, show } from './show.js';
import { moduleExists } from './show-modules.js';
import { upTimeText } from './time-format.js';
import { LOG_SITES } from './log-sites.js';
import { CALL_APIS } from './api-call.js';
import { DTMF_APIS } from './api-dtmf.js';
import { eventLookup, expandCommand } from './api-expand.js';
import { uuidHold } from './api-hold.js';
import type { LegHolding } from './api-hold.js';
import { SCHED_APIS } from './api-sched.js';
import type { HangupScheduler } from './api-sched.js';
import { isStockApi, notModelled } from './api-stock.js';
import { STORE_APIS } from './api-store.js';
import type { Stores } from './api-store.js';
import { strftimeApi } from './api-strftime.js';
import { apiForExpansion } from './api-in-expansion.js';
import { bgapiApi, msleepApi } from './api-bgapi.js';
import { uuidBridge } from './uuid-bridge.js';
import { uuidRecordApi } from './record-session.js';
import type { ExpansionApi } from './api-in-expansion.js';
import type { SofiaConfig } from './api-sofia.js';

export interface ApiHost {
  readonly engine: Engine;
  readonly executor: Executor;
  readonly originator: Originator;
  readonly globals: Map<string, string>;
  /** The core's state behind sched_* , db / hash and uuid_hold (SimCore owns it and clears it at stop()). */
  readonly scheduler: HangupScheduler;
  readonly stores: Stores;
  readonly legHolding: LegHolding;
  readonly hostname: string;
  /** mod_sofia's profiles and gateways (`sofia status`). */
  readonly sofia: SofiaConfig;
  readonly startedMicros: number;
  /** reloadxml hook (re-reads the static dialplan). */
  reloadXml(): void;
  /** Runs an application on a channel from uuid_broadcast (PRIVATE_COMMAND like FreeSWITCH); `holdBleg`: SMF_HOLD_BLEG. */
  broadcast(ch: Channel, app: string, args: string, holdBleg: boolean): void;
}

/** Where eval_function creates the event it expands against. */
const EVAL_EVENT = site('mod_commands.c', 'eval_function', 1696);

/** The simulated applications that stop on uuid_break (they test CF_BREAK in their loop). */
const BREAKABLE = new Set(['playback', 'sleep']);

/** A reply now, or a deferred one delivered synchronously when ready (so bgapi's BACKGROUND_JOB lands in FreeSWITCH's order). */
export type ApiOutcome = string | { readonly run: (deliver: (reply: string) => void) => void };

/** One API command: `args` as switch_api_execute passes it (stripped of blanks). */
export type ApiHandler = (host: ApiHost, args: string) => ApiOutcome;

/** The commands beside the core ones below, by lower-case name. */
const MORE_APIS: ReadonlyMap<string, ApiHandler> = new Map<string, ApiHandler>([
  ...CALL_APIS, ...DTMF_APIS, ...SCHED_APIS, ...STORE_APIS,
  ['uuid_hold', uuidHold],
  ['uuid_record', uuidRecordApi],
  ['strftime', strftimeApi],
  ['msleep', msleepApi],
  ['bgapi', (host, args) => bgapiApi(host, args, dispatchApi)],
  ['expand', (host, args) => {
    const inner = expandCommand(host, args, expansionApi(host));
    if (typeof inner === 'string') return inner;
    // switch_api_execute on the same stream: what an unknown command writes, then expand's own error.
    return dispatchApi(host, inner.command, stripWhitespace(inner.args)) ?? 'INVALID COMMAND!\n-ERR Cannot execute command\n';
  }],
]);

/** mod_event_socket's answer for a command no module registered. */
export function runApi(host: ApiHost, command: string, args: string): ApiOutcome {
  return dispatchApi(host, command, args) ?? `-ERR ${command} Command not found!\n`;
}

/** `${name(args)}` in an expansion runs `name` from this table (api-in-expansion.ts). */
export function expansionApi(host: ApiHost): ExpansionApi {
  return apiForExpansion(host, dispatchApi);
}

/** Runs a command; undefined when FreeSWITCH has no such API. */
function dispatchApi(host: ApiHost, command: string, args: string): ApiOutcome | undefined {
  const e = host.engine;
  // The caller has stripped the argument (switch_api_execute); the error names the raw command.
  const cmd = stripWhitespace(command);
  const a = args;
  const argv = a === '' ? [] : a.split(/\s+/);
  const chan = (uuid: string | undefined): Channel | undefined => e.locate(uuid);
  switch (cmd.toLowerCase()) {
    case 'status': return status(host);
    case 'version': return argv[0] === 'short' ? '1.10.12\n' : `FreeSWITCH Version ${FS_VERSION} (${FS_VERSION_HUMAN})\n`;
    case 'uptime': {
      const scale: Record<string, number> = { us: 1, microseconds: 1, ms: 1e3, milliseconds: 1e3, s: 1e6, seconds: 1e6, '': 1e6, m: 6e7, minutes: 6e7, h: 3.6e9, hours: 3.6e9, d: 8.64e10, days: 8.64e10 };
      const s = scale[(argv[0] ?? '').toLowerCase()];
      if (s === undefined) return '-USAGE: [us|ms|s|m|h|d|microseconds|milliseconds|seconds|minutes|hours|days]\n';
      return `${Math.floor((e.now() - host.startedMicros) / s)}\n`;
    }
    case 'create_uuid': return randomUUID();
    case 'echo': return args;
    case 'eval': {
      // eval_function: `uuid:<uuid> ` (any case) names the channel; nothing after it is no input.
      let input = a;
      let uuid = '';
      if (/^uuid:/i.test(a)) {
        const space = a.indexOf(' ', 5);
        uuid = space < 0 ? '' : a.slice(5, space);
        input = space < 0 ? '' : a.slice(space + 1);
      }
      if (input === '') return '';
      // Expanded against a CHANNEL_DATA event's headers (`${variable_<name>}`), then the globals.
      return expandText(input, eventLookup(host, 'CHANNEL_DATA', EVAL_EVENT, [], uuid), expansionApi(host));
    }
    case 'hostname': return host.hostname;
    case 'global_getvar': {
      if (a === '') return [...host.globals].map(([k, v]) => `${k}=${v}`).join('\n') + '\n';
      return host.globals.get(a) ?? '';
    }
    case 'global_setvar': {
      const i = a.indexOf('=');
      if (i <= 0) return '-USAGE: <var>=<value> [=<value2>]\n';
      host.globals.set(a.slice(0, i).trim(), a.slice(i + 1));
      return '+OK';
    }
    case 'module_exists': return moduleExists(a) ? 'true' : 'false';
    case 'reloadxml': host.reloadXml(); return '+OK [Success]\n';
    // `show status` runs the status API (mod_commands: "for those of us that keep on typing").
    case 'show': return argv[0]?.toLowerCase() === 'status' ? status(host) : show(a, [...e.channels.values()], host.hostname);
    case 'uuid_exists': return chan(argv[0]) ? 'true' : 'false';
    case 'uuid_break': {
      if (argv.length === 0) return '-USAGE: <uuid> [all]\n';
      const ch = chan(argv[0]);
      if (!ch) return '-ERR No such channel!\n';
      // CF_BREAK (or, in a broadcast, CF_STOP_BROADCAST): only what plays checks it; park does not.
      const top = ch.appStack.at(-1);
      if (top !== undefined && BREAKABLE.has(top.name)) top.stop('break');
      return '+OK\n';
    }
    case 'uuid_kill': {
      if (argv.length === 0) return '-USAGE: <uuid> [cause]\n';
      const ch = chan(argv[0]);
      if (!ch) return '-ERR No such channel!\n';
      e.hangup(ch, normaliseCause(argv[1]) ?? 'NORMAL_CLEARING', LOG_SITES.HANGUP_KILL);
      return '+OK\n';
    }
    case 'hupall': {
      const cause = normaliseCause(argv[0]) ?? 'MANAGER_REQUEST';
      // mod_commands: a variable without a value is no filter at all (`if (!val) var = NULL`).
      const value = argv[2];
      const key = value === undefined ? undefined : argv[1];
      for (const ch of [...e.channels.values()]) {
        if (key === undefined || ch.getVar(key) === value) e.hangup(ch, cause);
      }
      return key === undefined ? `+OK hangup all channels with cause ${cause}\n` : `+OK hangup all channels matching [${key}]=[${value}] with cause: ${cause}\n`;
    }
    case 'uuid_setvar': {
      // The value as FreeSWITCH reads it: unescaped, quotes dropped, ends trimmed; none unsets.
      const [uuid, name, value] = separateString(args, 3);
      if (name === undefined) return '-USAGE: <uuid> <var> [value]\n';
      const ch = chan(uuid);
      if (!ch) return '-ERR No such channel!\n';
      ch.setVar(name, value);
      return '+OK\n';
    }
    case 'uuid_setvar_multi': {
      if (argv.length < 2) return '-USAGE: <uuid> <var>=<value>;<var>=<value>...\n';
      const ch = chan(argv[0]);
      if (!ch) return '-ERR No such channel!\n';
      for (const pair of a.slice((argv[0] ?? '').length).trim().split(';')) {
        const i = pair.indexOf('=');
        if (i <= 0) return '-ERR No variable specified\n';
        ch.setVar(pair.slice(0, i), pair.slice(i + 1));
      }
      return '+OK\n';
    }
    case 'uuid_getvar': {
      if (argv.length < 2) return '-USAGE: <uuid> <var>\n';
      const ch = chan(argv[0]);
      if (!ch) return '-ERR No such channel!\n';
      return ch.lookupVar(argv[1] ?? '') ?? '_undef_';
    }
    case 'uuid_dump': {
      if (argv.length === 0) return '-USAGE: <uuid> [format]\n';
      const ch = chan(argv[0]);
      if (!ch) return '-ERR No such channel!\n';
      return formatDump(channelDataHeaders(e.bus, ch), argv[1] ?? 'txt');
    }
    case 'uuid_broadcast': {
      if (argv.length < 2) return '-USAGE: <uuid> <path> [aleg|bleg|holdb|both]\n';
      const ch = chan(argv[0]);
      if (!ch) return '-ERR invalid uuid\n';
      const path = argv[1] ?? '';
      const m = /^([\w-]+)::(.*)$/.exec(path);
      const app = m ? m[1] ?? 'playback' : 'playback';
      const appArgs = m ? (m[2] ?? '').replace(/^\s+/, '') : path;
      const legs = broadcastLegs(argv[2]);
      // switch_ivr_broadcast: the partner (signal_bond, else originate_signal_bond) first, if it is
      // there; none is no error. Then the uuid named. Each gets its own queued command.
      const partnerUuid = ch.getVar('signal_bond') ?? ch.getVar('originate_signal_bond');
      const partner = legs.bleg && partnerUuid !== undefined ? e.locate(partnerUuid) : undefined;
      if (partner !== undefined) host.broadcast(partner, app, appArgs, legs.holdb);
      if (legs.aleg) host.broadcast(ch, app, appArgs, legs.holdb);
      return '+OK Message sent\n';
    }
    case 'uuid_bridge': {
      if (argv.length < 2) return '-USAGE: <uuid> <other_uuid>\n';
      const x = chan(argv[0]);
      const y = chan(argv[1]);
      if (!x || !y || x === y) return '-ERR Invalid uuid\n';
      uuidBridge(host, x, y);
      return `+OK ${y.uuid}\n`;
    }
    case 'originate': return originateApi(host, a);
    case 'sofia': return sofia(host, a);
    default: {
      const lower = cmd.toLowerCase();
      const handler = MORE_APIS.get(lower);
      if (handler !== undefined) return handler(host, a);
      return isStockApi(lower) ? notModelled(command) : undefined;
    }
  }
}

/**
 * uuid_broadcast_function's media flags from its third word (switch_stristr: substrings, any
 * case): none is SMF_ECHO_ALEG | SMF_HOLD_BLEG; `bleg` and `holdb` undo each other, last wins.
 */
function broadcastLegs(word: string | undefined): { aleg: boolean; bleg: boolean; holdb: boolean } {
  if (word === undefined) return { aleg: true, bleg: false, holdb: true };
  const w = word.toLowerCase();
  const both = w.includes('both');
  let bleg = both;
  let holdb = false;
  if (w.includes('bleg')) bleg = true;
  if (w.includes('holdb')) {
    bleg = false;
    holdb = true;
  }
  return { aleg: both || w.includes('aleg'), bleg, holdb };
}

function status(host: ApiHost): string {
  const e = host.engine;
  const up = e.now() - host.startedMicros;
  const n = e.channels.size;
  return [
    `UP ${upTimeText(up)}`,
    `FreeSWITCH (Version ${FS_VERSION_SHORT} ${FS_VERSION_HUMAN}) is ready`,
    `${e.sessionsSinceStartup} session(s) since startup`,
    `${n} session(s) - peak ${e.peakSessions}, last 5min ${e.peakSessions} `,
    `0 session(s) per Sec out of max 30, peak ${e.peakSps}, last 5min ${e.peakSps} `,
    `1000 session(s) max`,
    `min idle cpu 0.00/98.87`,
    `Current Stack Size/Max 240K/8192K`,
    '',
  ].join('\n');
}

function sofia(host: ApiHost, args: string): string {
  const argv = args.split(/\s+/).filter((x) => x !== '');
  if (argv[0]?.toLowerCase() !== 'status') return '-ERR Usage: sofia status|xmlstatus|profile|gateway\n';
  return host.sofia.status(argv.slice(1), host.engine.channels.values());
}

/** `originate`: `+OK <uuid>\n` once answered, `-ERR <CAUSE>\n` otherwise. */
function originateApi(host: ApiHost, args: string): ApiOutcome {
  const parsed = parseOriginate(args);
  const usage = '-USAGE: <call url> <exten>|&<application_name>(<app_args>) [<dialplan>] [<context>] [<cid_name>] [<cid_num>] [<timeout_sec>]\n';
  if (!parsed.ok) return usage;
  const o = parsed.value;
  const { engine: e, executor: x } = host;
  return { run: (resolve) => {
    host.originator.dial(
      { dial: o.endpoint, vars: o.vars, cidName: o.cidName, cidNum: o.cidNum, timeoutSec: o.timeoutSec, flipCid: true },
      (r) => {
        if (!r.ok) return resolve(`-ERR ${r.cause}\n`);
        const a = r.channel;
        resolve(`+OK ${a.uuid}\n`);
        a.setVar('call_uuid', a.uuid);
        if (o.app !== undefined) {
          e.setRunningState(a, 'CS_EXECUTE');
          x.runList(a, [{ application: o.app.name, data: o.app.args }], () => x.endOfDialplan(a));
        } else {
          x.transfer(a, o.extension, o.dialplan, o.context);
        }
      },
    );
  } };
}
