/**
 * Channel variables FreeSWITCH runs (src/include/switch_types.h, switch_channel.c,
 * switch_ivr_bridge.c, switch_core_state_machine.c, switch_ivr_async.c): the API or application a
 * value names is a verb of the request that sets it, for the verb policy (request.ts).
 * `api`: the value is `<api> [args]` (`<api>::args`, `<api>:args` for some readers);
 * `app`: the value is `<app> [args]` or `<app>:args` / `<app>::args` (switch_channel_execute_on_value),
 * or the application's name alone (exec_after_bridge_app, bridge_pre_execute_*app).
 */
export type HookKind = 'api' | 'app';

/**
 * switch_channel_api_on / switch_channel_execute_on run every variable whose name starts with
 * the prefix (case-insensitive): `api_on_answer_2` runs too. Module hooks (`api_on_fax_success`,
 * `execute_on_sip_reinvite`, mod_opal's `opal_*`) share the prefixes.
 */
const PREFIXES: ReadonlyArray<readonly [string, HookKind]> = [
  ['api_on_', 'api'],
  ['opal_api_on_', 'api'],
  ['api_after_bridge', 'api'],
  ['api_before_bridge', 'api'],
  ['execute_on_', 'app'],
  ['opal_execute_on_', 'app'],
  ['record_post_process_exec_app', 'app'],
];

/** Read by their exact name (switch_channel_get_variable: case-insensitive). */
const EXACT: ReadonlyMap<string, HookKind> = new Map([
  ['api_hangup_hook', 'api'],
  ['api_reporting_hook', 'api'],
  ['record_post_process_exec_api', 'api'],
  ['exec_after_bridge_app', 'app'],
  ['bridge_pre_execute_app', 'app'],
  ['bridge_pre_execute_aleg_app', 'app'],
  ['bridge_pre_execute_bleg_app', 'app'],
]);

/** Whether FreeSWITCH runs the variable `name`'s value, and as what. */
export function hookKind(name: string): HookKind | undefined {
  const lower = name.toLowerCase();
  const exact = EXACT.get(lower);
  if (exact !== undefined) return exact;
  return PREFIXES.find(([prefix]) => lower.startsWith(prefix))?.[1];
}

/** Where a variable's name ends and starts: blanks, FreeSWITCH's variable-block and list separators, quotes, `app::`/`nolocal:`. */
const NAME = /[^\s=,;{}[\]<>'"():^|\\]+/g;
/** Where a value set in a block or list ends (`{a=b,c=d}`, `a=b;c=d`, `'…'`, a JSON string). */
const VALUE_END = /[,;{}[\]<>'"]/g;

/**
 * The verbs the hook variables set in `text` as `name=value` run (`{api_on_answer=system id}`,
 * `a=b;execute_on_answer=lua x`, `set api_hangup_hook=…`, `set::api_hangup_hook=…`): `readApi`
 * reads an API's value as a command line (its wrapper chain); an app is the value's first word.
 * `spend(chars)` charges each value read to the caller's budget: false (spent) ends the reading
 * with `?` (a crafted run of hooks would otherwise read the rest of the text for each).
 */
export function hookAssignmentVerbs(text: string, readApi: (line: string) => string[], spend: (chars: number) => boolean): string[] {
  const verbs: string[] = [];
  for (const match of text.matchAll(NAME)) {
    const kind = hookKind(match[0]);
    if (kind === undefined) continue;
    let at = match.index + match[0].length;
    while (text[at] === ' ' || text[at] === '\t') at++;
    if (text[at] !== '=') continue;
    at++;
    while (at < text.length && /[\s'"]/.test(text[at]!)) at++;
    VALUE_END.lastIndex = at;
    const end = VALUE_END.exec(text)?.index ?? text.length;
    if (!spend(end - at + 1)) return [...verbs, '?'];
    verbs.push(...hookVerbs(kind, text.slice(at, end), readApi));
  }
  return verbs;
}

/** The verbs a hook of `kind` set to `value` runs: none for an empty one (unset; FreeSWITCH runs no nameless API or app). */
export function hookVerbs(kind: HookKind, value: string, readApi: (line: string) => string[]): string[] {
  const trimmed = value.replace(/^[\s'"]*/, '');
  // The name ends at a blank, or at `:` / `::` (api_hook, execute_on_value, record_post_process_exec_api).
  const name = (trimmed.split(/[\s:]/, 1)[0] ?? '').toLowerCase();
  if (name === '') return [];
  if (kind === 'app') return [name];
  // One separator goes: the API's arguments keep their own spacing (`bgapi  x` reads an empty word).
  return readApi(`${name} ${trimmed.slice(name.length).replace(/^(::?|\s)/, '')}`.trim());
}
