/**
 * `${name(args)}` / `${name args}` in an expansion: FreeSWITCH (switch_channel_expand_variables,
 * switch_event_expand_headers) runs the API `name` with switch_api_execute and puts in what it
 * wrote; a command that fails there (no such API) puts in nothing, its `INVALID COMMAND!` dropped.
 */
import type { ApiHost, ApiOutcome } from './api.js';
import { SITES } from './constants.js';
import { notModelled } from './api-stock.js';
import { stripWhitespace } from './strip-whitespace.js';

/**
 * Runs one API as switch_api_execute does: what it wrote, or undefined when it failed (no such
 * API: it wrote `INVALID COMMAND!`, which an expansion drops and do_api_on logs).
 */
export type ExpansionApi = (name: string, args: string) => string | undefined;

/**
 * Whether the text between `${` and `}` calls an API, as FreeSWITCH reads it: the name ends at
 * the first blank or `(`. After a `(` the arguments end at its matching `)`; after a blank at a
 * `)` that closes a `(` of their own (`${echo a(b)c}` passes `a(b`); else at the end.
 */
export function apiReference(raw: string): { name: string; args: string } | undefined {
  const blank = raw.indexOf(' ');
  const paren = raw.indexOf('(');
  const at = blank < 0 ? paren : paren < 0 ? blank : Math.min(blank, paren);
  if (at < 0) return undefined;
  let level = raw[at] === '(' ? 1 : 0;
  let end = raw.length;
  for (let i = at + 1; i < raw.length; i++) {
    const c = raw[i];
    if (c === '(') level++;
    else if (c === ')' && level > 1) level--;
    else if (c === ')' && level === 1) {
      end = i;
      break;
    }
  }
  return { name: raw.slice(0, at), args: raw.slice(at + 1, end) };
}

/**
 * The simulator's API table for expansions (`dispatch`: undefined for a command FreeSWITCH does
 * not have). Each call fires its API event, as switch_api_execute does; a stock command the
 * simulator does not model puts in its not-modelled reply, so it does not pass unseen; a command
 * whose reply comes later (originate) cannot be waited for here and is not run.
 */
export function apiForExpansion(host: ApiHost, dispatch: (host: ApiHost, command: string, args: string) => ApiOutcome | undefined): ExpansionApi {
  return (name, args) => {
    const command = stripWhitespace(name);
    const arg = stripWhitespace(args);
    const event = host.engine.bus.coreHeaders('API', SITES.API);
    if (command !== '') event.push(['API-Command', command]);
    if (arg !== '') event.push(['API-Command-Argument', arg]);
    const out = dispatch(host, command, arg);
    host.engine.bus.emit(event);
    if (out === undefined) return undefined;
    return typeof out === 'string' ? out : notModelled(`${command} (in an expansion)`);
  };
}
