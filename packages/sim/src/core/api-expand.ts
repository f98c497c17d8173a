/**
 * `expand [uuid:<uuid> ]<command> <args>` (mod_commands' expand_function): `<args>` is expanded
 * with switch_event_expand_headers against the API event, then `<command>` runs with it. That
 * event holds the core headers, `API-Command` / `API-Command-Argument` and, with `uuid:`, the
 * channel's data. `eval` expands the same way against a CHANNEL_DATA event (eventLookup).
 */
import type { ApiHost } from './api.js';
import type { CallSite } from './constants.js';
import type { Headers } from './event-bus.js';
import { SITES } from './constants.js';
import { arrayItem, expandText } from './expand-variables.js';
import type { VariableSource } from './expand-variables.js';
import type { ExpansionApi } from './api-in-expansion.js';

/**
 * switch_event_expand_headers' source for an event of `name` created at `site`, with `extra`
 * headers and, when `uuid` finds a channel, its data (switch_channel_event_set_data): so
 * `${Unique-ID}`, `${Caller-Caller-ID-Number}`, `${variable_<name>}` (header names in any case);
 * any other name, and every `$${name}`, reads the global variables. `${Event-Sequence}` is empty
 * here. `${api args}` runs the API, as for applications (api-in-expansion.ts).
 */
export function eventLookup(host: ApiHost, name: string, site: CallSite, extra: Headers, uuid: string): VariableSource {
  const headers: Headers = host.engine.bus.coreHeaders(name, site, undefined, 0).filter(([k]) => k !== 'Event-Sequence');
  headers.push(...extra);
  const ch = uuid === '' ? undefined : host.engine.locate(uuid);
  if (ch !== undefined) headers.push(...ch.channelHeaders(true));
  const byName = new Map<string, string>();
  for (const [k, v] of headers) if (!byName.has(k.toLowerCase())) byName.set(k.toLowerCase(), v);
  return (varName, index, global) => {
    const value = global ? undefined : byName.get(varName.toLowerCase());
    // An ARRAY:: header has items; any other has none to index.
    const item = index === undefined ? value : arrayItem(value, index);
    return item ?? host.globals.get(varName);
  };
}

/** The command to run and its expanded argument, or the reply when there is nothing to run. */
export function expandCommand(host: ApiHost, args: string, api: ExpansionApi): { command: string; args: string } | string {
  const noInput = '-ERR No input\n';
  if (args === '') return noInput;
  let rest = args;
  let uuid = '';
  if (/^uuid:/i.test(args)) {
    const space = args.indexOf(' ', 5);
    if (space < 0) return noInput;
    uuid = args.slice(5, space);
    rest = args.slice(space + 1);
  }
  if (rest === '') return noInput;
  const space = rest.indexOf(' ');
  if (space < 0) return { command: rest, args: '' };
  const lookup = eventLookup(host, 'API', SITES.API, [['API-Command', 'expand'], ['API-Command-Argument', args]], uuid);
  return { command: rest.slice(0, space), args: expandText(rest.slice(space + 1), lookup, api) };
}
