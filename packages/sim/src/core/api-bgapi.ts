/**
 * mod_commands' `bgapi` (bgapi_function / bgapi_exec) and `msleep` (msleep_function), FreeSWITCH
 * 1.10.12. The API `bgapi` is not the Event Socket command of that name: its job fires
 * BACKGROUND_JOB from mod_commands, with no Job-Owner-UUID, and names the command as bgapi_exec
 * splits it.
 */
import { randomUUID } from 'node:crypto';
import type { ApiHandler, ApiHost, ApiOutcome } from './api.js';
import { SITES, site } from './constants.js';
import { atol } from './c-num.js';
import { stripWhitespace } from './strip-whitespace.js';

const BACKGROUND_JOB_SITE = site('mod_commands.c', 'bgapi_exec', 5396);
const INVALID_SYNTAX = '-ERR Invalid syntax\n';
/** The longest delay a Node timer takes; a longer one would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Runs a command; undefined when FreeSWITCH has no such API. */
type Dispatch = (host: ApiHost, command: string, args: string) => ApiOutcome | undefined;

/**
 * `bgapi [uuid:<job-uuid> ]<command>[ <args>]`: `+OK Job-UUID: <uuid>` at once, then the job runs
 * as another thread would, once this command has returned (its API event fired).
 */
export function bgapiApi(host: ApiHost, args: string, dispatch: Dispatch): string {
  let line: string | undefined = args;
  let jobUuid = '';
  if (/^uuid:/i.test(args)) {
    const space = args.indexOf(' ', 5);
    line = space < 0 ? undefined : args.slice(space + 1);
    // A char[37] in FreeSWITCH: a longer id overflows it, the simulator cuts it.
    if (space >= 0) jobUuid = args.slice(5, space).slice(0, 36);
  }
  if (line === undefined || line === '') return INVALID_SYNTAX;
  const uuid = jobUuid || randomUUID();
  const job = line;
  host.engine.defer(() => runJob(host, dispatch, uuid, job));
  return `+OK Job-UUID: ${uuid}\n`;
}

/** bgapi_exec: switch_api_execute (its own API event), then BACKGROUND_JOB with what it wrote. */
function runJob(host: ApiHost, dispatch: Dispatch, jobUuid: string, line: string): void {
  const space = line.indexOf(' ');
  const command = space < 0 ? line : line.slice(0, space);
  const arg = space < 0 ? undefined : line.slice(space + 1);
  const bus = host.engine.bus;
  const cmd = stripWhitespace(command);
  const stripped = stripWhitespace(arg ?? '');
  const apiEvent = bus.coreHeaders('API', SITES.API);
  if (cmd !== '') apiEvent.push(['API-Command', cmd]);
  if (stripped !== '') apiEvent.push(['API-Command-Argument', stripped]);
  const finish = (reply: string): void => {
    bus.emit(apiEvent);
    const headers: Array<[string, string]> = [['Job-UUID', jobUuid]];
    if (command !== '') headers.push(['Job-Command', command]);
    if (arg !== undefined && arg !== '') headers.push(['Job-Command-Arg', arg]);
    bus.fireSimple('BACKGROUND_JOB', BACKGROUND_JOB_SITE, headers, reply);
  };
  const out = dispatch(host, cmd, stripped);
  // switch_api_execute failed: bgapi_exec replaces what it wrote (INVALID COMMAND!).
  if (out === undefined) finish(`${command}: Command not found!\n`);
  else if (typeof out === 'string') finish(out);
  else out.run(finish);
}

/** `msleep <ms>`: `+OK` once the milliseconds (atol; none, negative: no wait) have passed. */
export const msleepApi: ApiHandler = (host, args) => {
  const ms = Math.min(atol(args), MAX_TIMER_MS);
  if (ms <= 0) return '+OK';
  const clock = host.engine.bus.clock;
  return { run: (deliver) => void clock.setTimeout(() => host.engine.defer(() => deliver('+OK')), ms) };
};
