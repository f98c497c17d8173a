/**
 * The verb policy (SPEC §3.3, docs/agent.md "Verb lists"): every FreeSWITCH verb a command line
 * may run — its wrappers, `json`, `${…}` expansions, broadcast apps, hook variables — read as
 * FreeSWITCH reads them, and the denylist / allowlist matched against all of them.
 * Pure: text in, the refused verb (or `?` for one that cannot be read) out.
 */
import { builtinRuns, extensionApps } from './builtin-runs.js';
import { separateArgs } from './separate-args.js';
import { hookAssignmentVerbs, hookKind, hookVerbs } from './verb-hooks.js';

export interface VerbPolicy {
  /** Verbs refused (case-insensitive): every verb the command runs, a built-in command by its name and what its fields run. */
  denylist?: readonly string[];
  /** When non-empty, only these verbs pass (case-insensitive); FreeSWITCH verbs only, never a built-in. */
  allowlist?: readonly string[];
}

/**
 * FreeSWITCH APIs that run another API given in their own arguments: how many words come before
 * it, and an optional word that may precede those (`expand uuid:<id> <cmd>`, `xml_wrap encoded <cmd>`).
 * `bgapi <cmd>`, `expand [uuid:<id>] <cmd>`, `sched_api <time> <group> <cmd>[&]`, `xml_wrap [encoded] <cmd>`.
 * `json <json>` takes the rest of the line as JSON: see jsonVerbs.
 */
const WRAPPERS: Readonly<Record<string, { skip: number; optional?: (word: string) => boolean }>> = {
  bgapi: { skip: 0 },
  expand: { skip: 0, optional: (w) => w.toLowerCase().startsWith('uuid:') },
  sched_api: { skip: 2 },
  xml_wrap: { skip: 0, optional: (w) => w.toLowerCase() === 'encoded' },
};

/** A verb that cannot be read for certain (odd spacing, a name built from variables): no list admits it. */
const UNCLEAR = '?';

/**
 * Wrappers inside wrappers (`json` → fsapi `json` → …), and hooks set by hooks (an
 * api_hangup_hook running uuid_setvar of another…), past this depth are UNCLEAR.
 */
const MAX_WRAP_DEPTH = 8;

/** `${…}` expansions read in one command; a command with more is UNCLEAR. */
const MAX_EXPANSIONS = 64;

/**
 * What a channel API of CHANNEL_RUNNERS given `args` (its words) runs besides itself:
 * `uuid_broadcast <uuid> <app>::<args> [leg]` and `sched_broadcast <time> <uuid> <app>::<args>`
 * run the application (`<app>!<cause>::…` too; a path without `::` plays a file, switch_ivr_broadcast);
 * `uuid_setvar <uuid> <name> <value>` a hook variable's API or application (verb-hooks.ts).
 */
const CHANNEL_RUNNERS = new Set(['uuid_broadcast', 'sched_broadcast', 'uuid_setvar']);

function channelVerbs(verb: string, args: readonly string[], depth: number): string[] {
  // Each reading of a level reads its arguments again: charged like the expansions and hooks.
  if (!spendReadWork(args.reduce((n, a) => n + a.length + 1, 0))) return [UNCLEAR];
  if (verb === 'uuid_broadcast' || verb === 'sched_broadcast') {
    const path = args.slice(verb === 'uuid_broadcast' ? 1 : 2).join(' ').replace(/^['"]+/, '');
    const cut = path.indexOf('::');
    if (cut < 0) return [];
    const app = asciiLower(path.slice(0, cut).split('!')[0]!.trim());
    return [/^[^\s]+$/.test(app) ? app : UNCLEAR];
  }
  if (verb === 'uuid_setvar') {
    const kind = hookKind(args[1]?.trim() ?? '');
    // The hook's API is read one level down: a hook may set another hook, and so on.
    return kind === undefined ? [] : hookVerbs(kind, args.slice(2).join(' '), (line) => chainVerbs(line, depth + 1));
  }
  return [];
}

/**
 * What FreeSWITCH's `originate <call url> <exten>|&<app>(<args>) [<dialplan>] …` given `args`
 * (its words) runs besides itself: an `&app(args)` extension runs that application on the answered
 * leg, read as the built-in's `extension` field is (builtin-runs.ts; applicationVerbs); a plain
 * extension goes to the dialplan (not read). The extension is read as originate_function reads it
 * (mod_commands: switch_separate_string at blanks, `machine` first in older versions) and as the
 * word after the endpoint in this reading of the spacing. A name built from a variable, or cut at a
 * `)` (FreeSWITCH ends the name at the first one), is UNCLEAR; the application is read one level
 * down (an expansion in its args may run another originate).
 */
function originateVerbs(args: readonly string[], depth: number): string[] {
  // The first three arguments (`machine`, the call url, the extension) are enough.
  const { args: argv, scanned } = separateArgs(args.join(' '), 3);
  // Twice: the scan, then each argument's cleanup.
  if (!spendReadWork(2 * scanned + 1)) return [UNCLEAR];
  const extensions = new Set([argv[1], args[1]]);
  if (argv[0]?.toLowerCase() === 'machine') extensions.add(argv[2]);
  const verbs: string[] = [];
  for (const extension of extensions) {
    // sched_api drops a trailing `&` (run in its own thread) from the whole command.
    for (const reading of extension === undefined ? [] : new Set([extension, extension.replace(/&$/, '')])) {
      // FreeSWITCH wants a name after the `&`: `&` alone is an extension.
      if (!reading.startsWith('&') || reading.length < 2) continue;
      for (const [app, appArgs] of extensionApps(reading)) {
        if (/[$)]/.test(app)) verbs.push(UNCLEAR);
        // Added one by one: a push(...spread) of a long list overflows the stack.
        for (const v of applicationVerbs(app, appArgs, depth + 1)) verbs.push(v);
      }
    }
  }
  return verbs;
}

/** The wrapper chain read from `words`: the leading verb, then each wrapped one. */
function wrapperChain(words: readonly string[], depth: number, verbs: Set<string>): void {
  let i = 0;
  while (i < words.length) {
    // switch_api_execute trims the name; sched_api's `&` (run in the background) is not part of it.
    const verb = words[i]!.trim().toLowerCase().replace(/&$/, '');
    // An empty word where a wrapper's command goes: FreeSWITCH may read past it, we cannot tell.
    if (verb === '') {
      if (i > 0) verbs.add(UNCLEAR);
      break;
    }
    verbs.add(verb);
    // Added one by one: a push(...spread) of a long list overflows the stack.
    if (CHANNEL_RUNNERS.has(verb)) {
      for (const v of channelVerbs(verb, words.slice(i + 1), depth)) verbs.add(v);
      break;
    }
    if (verb === 'json') {
      for (const v of jsonVerbs(words.slice(i + 1).join(' '), depth + 1)) verbs.add(v);
      break;
    }
    if (verb === 'originate') {
      if (denylistOnly !== undefined) for (const v of originateVerbs(words.slice(i + 1), depth)) denylistOnly.add(v);
      break;
    }
    const wrapper = WRAPPERS[verb];
    if (wrapper === undefined) break;
    i++;
    if (wrapper.optional !== undefined && i < words.length && wrapper.optional(words[i]!.trim())) i++;
    i += wrapper.skip;
  }
}

/**
 * The API calls `${name args}` and `${name(args)}` expansions make, as FreeSWITCH reads them
 * (switch_channel_expand_variables_check): the braces matched (nested ones included), the name
 * ending at the first blank or `(` (`${system touch x}` runs `system` as `${system(touch x)}`
 * does; `${domain}` is a variable); each as the command line it runs (`name args`: a wrapper's
 * own argument runs too, `${bgapi system id}`). A name that is not a plain word
 * (`${sys${x}tem(id)}`, expanded before it runs; `${ system(id)}`) is UNCLEAR.
 */
function expansionCalls(text: string): string[] {
  // Each is matched by a scan to its closing brace: past a bound (no real command comes close) a
  // crafted `${${${…` would cost the agent seconds of CPU; the command is refused instead.
  if (text.split('${', MAX_EXPANSIONS + 2).length > MAX_EXPANSIONS + 1) return [UNCLEAR];
  const calls: string[] = [];
  for (let at = text.indexOf('${'); at >= 0; at = text.indexOf('${', at + 2)) {
    const body = expansionBody(text, at + 2);
    // The scan, and the arguments read again as a command line: charged to the budget.
    if (!spendReadWork(body.length * 2)) return [...calls, UNCLEAR];
    const call = apiCall(body);
    if (call === undefined) continue; // a variable, not a call
    calls.push(/^[A-Za-z0-9_]+$/.test(call.name) ? `${call.name} ${call.args}`.trim() : UNCLEAR);
  }
  return calls;
}

/** The text of the `${…}` opened before `from`, up to its closing brace (or the end): FreeSWITCH's count. */
function expansionBody(text: string, from: number): string {
  let level = 1;
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (level === 1 && c === '}') return text.slice(from, i);
    // A `{` right after `${` is not counted.
    if (c === '{' && i !== from) level++;
    else if (c === '}' && level > 1) level--;
  }
  return text.slice(from);
}

/** An expansion's API name and arguments (the name ends at the first blank or `(`); undefined for a variable. */
function apiCall(body: string): { name: string; args: string } | undefined {
  const at = body.search(/[ (]/);
  if (at < 0) return undefined;
  let level = body[at] === '(' ? 1 : 0;
  let end = body.length;
  for (let i = at + 1; i < body.length; i++) {
    if (body[i] === '(') level++;
    else if (body[i] === ')' && level > 1) level--;
    else if (body[i] === ')' && level === 1) {
      end = i;
      break;
    }
  }
  return { name: body.slice(0, at), args: body.slice(at + 1, end) };
}

/**
 * The verbs the expansions in `text` run, each call read as a command line of its own (its
 * wrapper chain: the calls nested in it are among the calls of `text` already).
 */
function expansionVerbs(text: string, depth: number): string[] {
  return expansionCalls(text).flatMap((call) => (call === UNCLEAR ? [UNCLEAR] : chainVerbs(call, depth)));
}

/**
 * Every verb `api <command> <args>` may run, lowercased: the leading one, the one each wrapper runs
 * (`bgapi expand system id` → bgapi, expand, system), what `json` runs (jsonVerbs), and any API
 * called in a `${name args}` / `${name(args)}` expansion, the app uuid_broadcast runs, a hook
 * variable's API or app (verb-hooks.ts). FreeSWITCH's wrappers split their arguments at single spaces (a tab stays inside a
 * word, two spaces make an empty one, or none where a parser collapses them) where a reader would
 * split at runs of whitespace: every reading is taken, so odd spacing cannot slide a verb past the
 * lists; a verb that stays unclear is `?`, which no list admits. What an `originate` text's
 * `&app(args)` extension runs is the denylist's only (refusedVerb), not among these.
 */
export function invokedVerbs(command: string, args?: string): string[] {
  denylistOnly = undefined;
  return readVerbs(command, args);
}

function readVerbs(command: string, args: string | undefined): string[] {
  jsonReadsLeft = MAX_JSON_READS;
  readWorkLeft = MAX_READ_WORK;
  return [...verbsOf(`${command} ${args ?? ''}`.trim(), 0)];
}

/**
 * Verbs only the denylist matches, gathered by the reading under way when set: what an `originate`
 * text's `&app(args)` extension runs (originateVerbs). The allowlist does not read them, as it does
 * not read the built-in `originate`'s `extension` (refusedBuiltin): an allowlist naming `originate`
 * still admits `originate user/1000 &park()`. Set per call (the reading is synchronous).
 */
let denylistOnly: Set<string> | undefined;

/**
 * `json` arguments read in one invokedVerbs call: each of the three readings of a level reads its
 * JSON again, so nesting would cost 3^depth parses of up to the whole payload (250 ms for 13 KB
 * nested 8 deep); past the budget a `json` is UNCLEAR. Reset per call (the reading is synchronous).
 */
const MAX_JSON_READS = 24;
let jsonReadsLeft = MAX_JSON_READS;

/**
 * Characters the expansion and hook-variable readings may scan in one invokedVerbs call (8 times
 * the default payload cap): nested `${x(` over a long argument would scan the payload once per
 * level and split it three ways (63 levels of 64 KB: 0.8 s); past it the command is UNCLEAR.
 */
const MAX_READ_WORK = 1 << 19;
let readWorkLeft = MAX_READ_WORK;

function spendReadWork(chars: number): boolean {
  readWorkLeft -= chars;
  return readWorkLeft >= 0;
}

function verbsOf(text: string, depth: number): Set<string> {
  const verbs = new Set(chainVerbs(text, depth));
  for (const v of expansionVerbs(text, depth)) verbs.add(v);
  for (const v of hookAssignmentVerbs(text, (line) => chainVerbs(line, depth + 1), spendReadWork)) verbs.add(v);
  return verbs;
}

/**
 * The wrapper chain of `text` under every reading of its spacing (a reading that gives the same
 * words as another is not read again: hooks nest, and three readings a level would cost 3^depth).
 */
function chainVerbs(text: string, depth: number): string[] {
  if (depth > MAX_WRAP_DEPTH) return [UNCLEAR];
  const bySpace = text.split(' ');
  const verbs = new Set<string>();
  const seen = new Set<string>();
  for (const words of [text.split(/\s+/), bySpace, bySpace.filter((w) => w !== '')]) {
    const key = JSON.stringify(words);
    if (seen.has(key)) continue;
    seen.add(key);
    wrapperChain(words, depth, verbs);
  }
  return [...verbs];
}

/** mod_commands' JSON APIs that run nothing given in the request. */
const INERT_JSON_COMMANDS = new Set(['status', 'mediastats', 'channeldata']);

/**
 * What `json <json>` runs (mod_commands): `fsapi` runs the API `data.cmd` with `data.arg`, read
 * like any command; `execute` runs the application `data.app` on a channel (its name is a verb:
 * the `system` application runs a shell command as the API does) with `data.arg`, whose
 * expansions the channel expands (and hook variables a `set` there sets). Anything else (another module's JSON API, text cJSON
 * might read otherwise) is UNCLEAR.
 */
function jsonVerbs(text: string, depth: number): string[] {
  const json = depth > MAX_WRAP_DEPTH || --jsonReadsLeft < 0 ? undefined : readCJson(text);
  if (!(json instanceof Map)) return [UNCLEAR];
  const command = json.get('command');
  if (typeof command !== 'string') return [UNCLEAR];
  const name = asciiLower(command);
  if (INERT_JSON_COMMANDS.has(name)) return [];
  const data = json.get('data');
  if (!(data instanceof Map)) return [UNCLEAR];
  // switch_api_execute / the application skip a missing arg; any other type is a shape we do not know.
  const arg = data.get('arg') ?? '';
  if (typeof arg !== 'string') return [UNCLEAR];
  if (name === 'fsapi') {
    const cmd = data.get('cmd');
    return typeof cmd === 'string' ? [...verbsOf(`${cmd} ${arg}`.trim(), depth)] : [UNCLEAR];
  }
  if (name === 'execute') {
    const app = data.get('app');
    // JSON escapes hide a hook assignment's `=` from the reading of the raw text: read again here.
    return typeof app === 'string' ? applicationVerbs(app, arg, depth) : [UNCLEAR];
  }
  return [UNCLEAR];
}

/**
 * What the application `app` run with `arg` on a channel runs: itself (its name is a verb: the
 * `system` application runs a shell command as the API does), the expansions the channel makes
 * of its arguments, and the hook variables a `set`/`export` there sets.
 */
function applicationVerbs(app: string, arg: string, depth: number): string[] {
  // `app arg` and `app::arg` in the name pass an argument too.
  const appName = asciiLower(app.trim().split(/\s+|::/)[0] ?? '');
  const line = `${app} ${arg}`;
  const hooks = hookAssignmentVerbs(line, (l) => chainVerbs(l, depth + 1), spendReadWork);
  return [appName === '' ? UNCLEAR : appName, ...expansionVerbs(line, depth), ...hooks];
}

/**
 * What setting the channel variable `name` to `value` runs: a hook's API or application as
 * uuid_setvar's is read, as `name=value` in a `{…}` block is (a value may hold more assignments),
 * and the value's expansions.
 */
function variableVerbs(name: string, value: string, depth: number): string[] {
  if (!spendReadWork(name.length + value.length + 1)) return [UNCLEAR];
  const kind = hookKind(name.trim());
  const own = kind === undefined ? [] : hookVerbs(kind, value, (line) => chainVerbs(line, depth + 1));
  const assigned = hookAssignmentVerbs(`${name}=${value}`, (line) => chainVerbs(line, depth + 1), spendReadWork);
  return [...own, ...assigned, ...expansionVerbs(value, depth)];
}

/** FreeSWITCH's cJSON: a value, with object keys lowercased; `undefined` when not read for certain. */
type CJson = string | number | boolean | null | CJson[] | Map<string, CJson>;

/** JSON's tokens (a string with its escapes, punctuation, a bare word); request.ts reads a number as sent with it too. */
export const JSON_TOKEN = /"(?:[^"\\]|\\.)*"|[{}[\]:,]|[^\s{}[\]:,"]+/g;
/** U+0000 and lone surrogates: cJSON drops them where JSON.parse keeps them (`sys\u0000tem` is `system`). */
const CJSON_DROPS = /\0|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

const asciiLower = (s: string): string => s.replace(/[A-Z]/g, (c) => c.toLowerCase());

/**
 * JSON as FreeSWITCH's cJSON reads it: object keys match case-insensitively (ASCII) and the first
 * of a repeated key wins (JSON.parse keeps the last). Text JSON.parse refuses is not read.
 */
function readCJson(text: string): CJson | undefined {
  const tokens = text.match(JSON_TOKEN) ?? [];
  let at = 0;
  const str = (token: string): string => {
    const s = JSON.parse(token) as string;
    if (CJSON_DROPS.test(s)) throw new Error('cJSON reads this string otherwise');
    return s;
  };
  const value = (): CJson => {
    const token = tokens[at++] ?? '';
    if (token === '{') {
      const map = new Map<string, CJson>();
      for (; tokens[at] !== '}'; at += tokens[at] === ',' ? 1 : 0) {
        const key = asciiLower(str(tokens[at] ?? ''));
        at += 2; // the key and its `:`
        const v = value();
        if (!map.has(key)) map.set(key, v);
      }
      at++;
      return map;
    }
    if (token === '[') {
      const list: CJson[] = [];
      for (; tokens[at] !== ']'; at += tokens[at] === ',' ? 1 : 0) list.push(value());
      at++;
      return list;
    }
    return token.startsWith('"') ? str(token) : (JSON.parse(token) as number | boolean | null);
  };
  try {
    JSON.parse(text); // validates: the walk below trusts the tokens
    return value();
  } catch {
    // Invalid JSON, a string cJSON reads otherwise, or nesting deeper than the stack.
    return undefined;
  }
}

/** A verb list as the policy matches it: trimmed, lowercased, blanks left out; frozen. */
export function verbList(list: readonly string[]): readonly string[] {
  return Object.freeze(list.map((v) => v.trim().toLowerCase()).filter((v) => v !== ''));
}

/** verbList's of the frozen lists seen (the agent passes the same ones with every request): made once each. */
const verbLists = new WeakMap<readonly string[], readonly string[]>();
const NO_VERBS: readonly string[] = Object.freeze([]);

function lowered(list: readonly string[] | undefined): readonly string[] {
  if (list === undefined || list.length === 0) return NO_VERBS;
  // A list the caller may still change is read again each time.
  if (!Object.isFrozen(list)) return verbList(list);
  const known = verbLists.get(list);
  if (known !== undefined) return known;
  const verbs = verbList(list);
  verbLists.set(list, verbs);
  return verbs;
}

/**
 * Denylist wins; a non-empty allowlist admits only its verbs. Both apply to every verb the command
 * runs (`bgapi system …` is `system` too): a wrapper would otherwise walk any listed verb past them.
 */
export function isVerbPermitted(command: string, policy: VerbPolicy, args?: string): boolean {
  return refusedVerb(command, policy, args) === undefined;
}

/**
 * The first verb of the command line that the policy refuses (isVerbPermitted's rule), lowercased:
 * `?` for one that cannot be read; undefined when the command is permitted.
 */
export function refusedVerb(command: string, policy: VerbPolicy, args?: string): string | undefined {
  const deny = lowered(policy.denylist);
  const allow = lowered(policy.allowlist);
  // No lists (the default): nothing to read the command for, on the path of every command.
  if (deny.length === 0 && allow.length === 0) return undefined;
  const extension = (denylistOnly = deny.length === 0 ? undefined : new Set<string>());
  let verbs: string[];
  try {
    verbs = readVerbs(command, args);
  } finally {
    denylistOnly = undefined;
  }
  const refuses = (v: string): boolean => v === UNCLEAR || deny.includes(v);
  const denied = verbs.find(refuses) ?? (extension === undefined ? undefined : [...extension].find(refuses));
  if (denied !== undefined || allow.length === 0) return denied;
  return verbs.find((v) => !allow.includes(v));
}

/**
 * What the denylist refuses in a built-in command: its name when an entry names it (any case), else
 * the first verb denied of what its `fields` run (builtin-runs.ts: execute_app's application and
 * its args, variables set, originate's `&app(args)`), read as the same FreeSWITCH text is (`?` for
 * one that cannot be read); undefined when none. The allowlist is for FreeSWITCH verbs: not read here.
 */
export function refusedBuiltin(command: string, policy: VerbPolicy, fields?: Readonly<Record<string, unknown>>): string | undefined {
  const name = command.trim().toLowerCase();
  const deny = lowered(policy.denylist);
  if (deny.includes(name)) return name;
  const runs = deny.length === 0 || fields === undefined ? undefined : builtinRuns(command.trim(), fields);
  if (runs === undefined) return undefined;
  jsonReadsLeft = MAX_JSON_READS;
  readWorkLeft = MAX_READ_WORK;
  // The denylist's only: an originate text in a hook's API (`api_on_answer: originate … &app(…)`) too.
  const extension = (denylistOnly = new Set<string>());
  const refuses = (v: string): boolean => v === UNCLEAR || deny.includes(v);
  try {
    for (const [app, args] of runs.apps) {
      const denied = applicationVerbs(app, args, 0).find(refuses);
      if (denied !== undefined) return denied;
    }
    for (const [variable, value] of runs.variables) {
      const denied = variableVerbs(variable, value, 0).find(refuses);
      if (denied !== undefined) return denied;
    }
    return [...extension].find(refuses);
  } finally {
    denylistOnly = undefined;
  }
}
