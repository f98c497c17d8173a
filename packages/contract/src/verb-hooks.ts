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

/** Whether FreeSWITCH runs the variable `name`'s value, and as what; `name[n]` sets element n of `name` (switch_event_base_add_header). */
export function hookKind(name: string): HookKind | undefined {
  const lower = name.split('[', 1)[0]!.toLowerCase();
  const exact = EXACT.get(lower);
  if (exact !== undefined) return exact;
  return PREFIXES.find(([prefix]) => lower.startsWith(prefix))?.[1];
}

/** Where a variable's name ends and starts: blanks, FreeSWITCH's variable-block and list separators, quotes, `app::`/`nolocal:`. */
const NAME = /[^\s=,;{}[\]<>'"():^|\\]+/g;
/** An element index after a name (`execute_on_answer[0]=`): FreeSWITCH cuts the name at `[`. */
const INDEX = /\[[^\]=,;{}<>]*\]?/y;

/**
 * Characters where FreeSWITCH may end a value set in a block or list: `,` ({…}/[…]/<…> blocks,
 * inline dialplans), `;` (uuid_setvar_multi), a block's close, `|` (dial strings), and quotes
 * (FreeSWITCH drops them; a JSON string ends at `"`). No API or application name has one.
 */
const VALUE_ENDS = ',;}]>|\'"';

/**
 * The verbs the hook variables set in `text` as `name=value` run (`{api_on_answer=system id}`,
 * `a=b;execute_on_answer=lua x`, `set api_hangup_hook=…`, `set::api_hangup_hook=…`): `readApi`
 * reads an API's value as a command line (its wrapper chain); an app is the value's first word.
 * Where the value ends depends on what reads it (a `{…}` block ends at its matching `}` and splits
 * at unquoted, unescaped `,`; uuid_setvar_multi at `;`; `^^X` picks another separator;
 * switch_event_create_brackets, switch_separate_string), so the rest of the text is read, as is
 * and with FreeSWITCH's quote and escape removal (valueReadings), and each verb cut at the first
 * character where FreeSWITCH may have ended the value: a verb running on past one is no API anyway.
 * `spend(chars)` charges each reading to the caller's budget: false (spent) ends the reading
 * with `?` (a crafted run of hooks would otherwise read the rest of the text for each).
 */
export function hookAssignmentVerbs(text: string, readApi: (line: string) => string[], spend: (chars: number) => boolean): string[] {
  const verbs = new Set<string>();
  const ends = new Set(VALUE_ENDS);
  for (const custom of text.matchAll(/\^\^(.)/gs)) ends.add(custom[1]!);
  // A verb from its start to the first character where the value may end: none when it starts
  // with one (FreeSWITCH's value ends there: `{execute_on_answer=}` is empty).
  const cut = (verb: string): string | undefined => {
    if (verb === '?') return verb;
    const at = [...verb].findIndex((c) => ends.has(c));
    return at < 0 ? verb : at === 0 ? undefined : verb.slice(0, at);
  };
  for (const match of text.matchAll(NAME)) {
    // After `^^X` (X: the block's separator) the name starts one character later.
    const custom = match.index >= 2 && text.startsWith('^^', match.index - 2);
    const kind = hookKind(match[0]) ?? (custom ? hookKind(match[0].slice(1)) : undefined);
    if (kind === undefined) continue;
    let at = match.index + match[0].length;
    INDEX.lastIndex = at;
    if (INDEX.test(text)) at = INDEX.lastIndex;
    // FreeSWITCH drops quotes around a name (`'execute_on_answer'=…`).
    while (text[at] === ' ' || text[at] === '\t' || text[at] === "'") at++;
    if (text[at] !== '=') continue;
    const value = text.slice(at + 1);
    for (const reading of valueReadings(value)) {
      if (!spend(reading.length + 1)) {
        verbs.add('?');
        return [...verbs];
      }
      for (const verb of hookVerbs(kind, reading, readApi)) {
        const read = cut(verb);
        if (read !== undefined) verbs.add(read);
      }
    }
  }
  return [...verbs];
}

/**
 * A value as set, as FreeSWITCH may store it: as sent, and with its quotes and `\` escapes
 * removed once or twice (a `{…}` block's element is cleaned, then again when split at `=`;
 * cleanup_separated_string), the quote open or not where the value starts (a quote may open
 * before the name). Duplicates are read once.
 */
function valueReadings(value: string): Set<string> {
  const readings = new Set([value]);
  if (!/['\\]/.test(value)) return readings;
  for (const quoted of [false, true]) {
    const once = unquote(value, quoted);
    readings.add(once);
    readings.add(unquote(once, false));
  }
  return readings;
}

/** FreeSWITCH's cleanup_separated_string: `'` pairs dropped (a lone one kept), `\x` escapes resolved. */
function unquote(text: string, quoted: boolean): string {
  let out = '';
  let inside = quoted;
  const lastQuote = text.lastIndexOf("'");
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && i + 1 < text.length) {
      const e = text[i + 1]!;
      const mapped = ({ n: '\n', r: '\r', t: '\t', s: ' ' } as Record<string, string>)[e];
      // The separator escaped (`\,`, `\;`, `\=`: which one depends on the reader) is taken as any of them.
      if (mapped !== undefined || "'\"\\,;=".includes(e)) {
        out += mapped ?? e;
        i++;
        continue;
      }
    }
    if (c === "'" && (inside || i < lastQuote)) inside = !inside;
    else out += c;
  }
  return out;
}

/**
 * The verbs a hook of `kind` set to `value` runs: none for an empty one (unset; FreeSWITCH runs no
 * nameless API or app). `ARRAY::a|:b` (case-sensitive) sets a list: FreeSWITCH runs every element.
 */
export function hookVerbs(kind: HookKind, value: string, readApi: (line: string) => string[]): string[] {
  const trimmed = value.replace(/^[\s'"]*/, '');
  if (!trimmed.startsWith('ARRAY::')) return elementVerbs(kind, trimmed, readApi);
  const verbs = new Set<string>();
  for (const element of trimmed.slice('ARRAY::'.length).split('|:')) {
    for (const verb of elementVerbs(kind, element.replace(/^[\s'"]*/, ''), readApi)) verbs.add(verb);
  }
  return [...verbs];
}

function elementVerbs(kind: HookKind, trimmed: string, readApi: (line: string) => string[]): string[] {
  // The name ends at a blank, or at `:` / `::` (api_hook, execute_on_value, record_post_process_exec_api).
  const name = (trimmed.split(/[\s:]/, 1)[0] ?? '').toLowerCase();
  if (name === '') return [];
  // A name built from a variable (`${app}`, before where a block or list may end the value) runs
  // whatever the variable holds then: not read for certain.
  if (/^[^,;}\]>|'"]*\$/.test(name)) return ['?'];
  if (kind === 'app') return [name];
  // One separator goes: the API's arguments keep their own spacing (`bgapi  x` reads an empty word).
  return readApi(`${name} ${trimmed.slice(name.length).replace(/^(::?|\s)/, '')}`.trim());
}
