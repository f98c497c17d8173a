/**
 * `expand [uuid:<uuid> ]<command> <args>` (mod_commands' expand_function): `<args>` is expanded
 * with switch_event_expand_headers against the API event, then `<command>` runs with it. That
 * event holds the core headers, `API-Command` / `API-Command-Argument` and, with `uuid:`, the
 * channel's data — so `${Unique-ID}`, `${Caller-Caller-ID-Number}`, `${variable_<name>}` (header
 * names in any case); any other name, and every `$${name}`, reads the global variables.
 * `${Event-Sequence}` is empty here, and `${api args}` expands to nothing, as for applications.
 */
import type { ApiHost } from './api.js';
import type { Headers } from './event-bus.js';
import { SITES } from './constants.js';
import { expandText } from './expand-variables.js';

/** The command to run and its expanded argument, or the reply when there is nothing to run. */
export function expandCommand(host: ApiHost, args: string): { command: string; args: string } | string {
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
  const headers: Headers = host.engine.bus.coreHeaders('API', SITES.API, undefined, 0).filter(([k]) => k !== 'Event-Sequence');
  headers.push(['API-Command', 'expand'], ['API-Command-Argument', args]);
  const ch = uuid === '' ? undefined : host.engine.locate(uuid);
  if (ch !== undefined) headers.push(...ch.channelHeaders(true));
  const byName = new Map<string, string>();
  for (const [k, v] of headers) if (!byName.has(k.toLowerCase())) byName.set(k.toLowerCase(), v);
  const expanded = expandText(rest.slice(space + 1), (name, index, global) => {
    const value = global ? undefined : byName.get(name.toLowerCase());
    // An ARRAY:: header has items; any other has none to index.
    const item = index === undefined || value === undefined ? value : value.startsWith('ARRAY::') ? value.slice(7).split('|:')[index] : undefined;
    return item ?? host.globals.get(name);
  });
  return { command: rest.slice(0, space), args: expanded };
}
