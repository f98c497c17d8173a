/**
 * Parsing of originate's arguments: `<call url> <exten>|&app(args) [dialplan] [context]
 * [cid_name] [cid_num] [timeout]`, where the call url carries `{global}`, `<leg>` and
 * `[per-leg]` variable blocks (`,` separated, `\,` escaped, values may be quoted).
 */
import { switchTrue } from './switch-true.js';
import { atoi } from './c-num.js';

export interface ParsedOriginate {
  readonly vars: Map<string, string>;
  readonly endpoint: string;
  /** `&app(args)` → app set; otherwise the extension. */
  readonly app: { readonly name: string; readonly args: string } | undefined;
  readonly extension: string;
  readonly dialplan: string;
  readonly context: string;
  readonly cidName: string | undefined;
  readonly cidNum: string | undefined;
  /** The timeout position as mod_commands hands it on (atoi into a uint32; 60 without it); see ringTimeLimit. */
  readonly timeoutSec: number;
}

/** Splits on blanks outside quotes and `{}`/`[]`/`<>`/`()` groups; quotes around a whole token are dropped. */
export function splitArgs(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let depth = 0;
  let quote: string | undefined;
  let started = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] ?? '';
    if (quote !== undefined) {
      if (c === '\\' && i + 1 < text.length) {
        cur += c + (text[++i] ?? '');
        continue;
      }
      cur += c;
      if (c === quote) quote = undefined;
      continue;
    }
    if (c === "'" || c === '"') {
      quote = c;
      cur += c;
      started = true;
      continue;
    }
    if ('{[<('.includes(c)) depth++;
    if ('}]>)'.includes(c)) depth = Math.max(0, depth - 1);
    if ((c === ' ' || c === '\t') && depth === 0) {
      if (started) out.push(unquote(cur));
      cur = '';
      started = false;
      continue;
    }
    cur += c;
    started = true;
  }
  if (started) out.push(unquote(cur));
  return out;
}

function unquote(s: string): string {
  if (s.length >= 2 && (s[0] === "'" || s[0] === '"') && s[s.length - 1] === s[0]) return s.slice(1, -1);
  return s;
}

/** `a=1,b='x,y',c=p\,q` → Map; `\,` unescaped, single/double quotes around values removed. */
export function parseVarBlock(block: string, into = new Map<string, string>()): Map<string, string> {
  const parts: string[] = [];
  let cur = '';
  let quote: string | undefined;
  for (let i = 0; i < block.length; i++) {
    const c = block[i] ?? '';
    if (c === '\\' && block[i + 1] === ',') {
      cur += ',';
      i++;
      continue;
    }
    if (quote !== undefined) {
      if (c === quote) quote = undefined;
      else cur += c;
      continue;
    }
    if (c === "'" || c === '"') {
      quote = c;
      continue;
    }
    if (c === ',') {
      parts.push(cur);
      cur = '';
      continue;
    }
    cur += c;
  }
  parts.push(cur);
  for (const p of parts) {
    const eq = p.indexOf('=');
    if (eq <= 0) continue;
    into.set(p.slice(0, eq).trim(), p.slice(eq + 1));
  }
  return into;
}

/** Strips leading blocks of the given kinds (`{…}`, `<…>`, `[…]`) from a dial string into `vars`. */
export function takeVarBlocks(dial: string, vars: Map<string, string>, kinds = '{<['): string {
  let rest = dial.trim();
  for (;;) {
    const open = rest[0] ?? '';
    const close = !kinds.includes(open) ? undefined : open === '{' ? '}' : open === '<' ? '>' : open === '[' ? ']' : undefined;
    if (close === undefined) return rest;
    let depth = 0;
    let end = -1;
    for (let i = 0; i < rest.length; i++) {
      if (rest[i] === '\\') { i++; continue; }
      if (rest[i] === open) depth++;
      else if (rest[i] === close && --depth === 0) { end = i; break; }
    }
    if (end < 0) return rest;
    parseVarBlock(rest.slice(1, end), vars);
    rest = rest.slice(end + 1).trim();
  }
}

export type ParseResult = { readonly ok: true; readonly value: ParsedOriginate } | { readonly ok: false };

export function parseOriginate(args: string): ParseResult {
  const argv = splitArgs(args.trim()).map((a) => (a.toLowerCase() === 'undef' ? '' : a));
  if (argv.length < 2 || argv.length > 7) return { ok: false };
  const vars = new Map<string, string>();
  // `[…]` blocks belong to one leg of the dial string: the originator reads them per leg.
  const endpoint = takeVarBlocks(argv[0] ?? '', vars, '{<');
  const exten = argv[1] ?? '';
  let app: ParsedOriginate['app'];
  if (exten.startsWith('&') && exten.length > 1) {
    let body = exten.slice(1);
    const close = body.lastIndexOf(')');
    if (close >= 0) body = body.slice(0, close);
    const open = body.indexOf('(');
    app = open >= 0 ? { name: body.slice(0, open), args: body.slice(open + 1) } : { name: body, args: '' };
  }
  // mod_commands reads the position alone; originate_timeout is switch_ivr_originate's (ringTimeLimit).
  const timeoutText = argv[6];
  return {
    ok: true,
    value: {
      vars,
      endpoint,
      app,
      extension: app ? '' : exten,
      dialplan: argv[2] || 'XML',
      context: argv[3] || 'default',
      cidName: argv[4] || undefined,
      cidNum: argv[5] || undefined,
      timeoutSec: timeoutText !== undefined && timeoutText !== '' ? cUint32(atoi(timeoutText)) : 60,
    },
  };
}

/**
 * A dial string's failover groups (`|`) and each group's legs (`,`), split outside `{}`/`[]`
 * blocks (a `\` escapes the next character), as switch_ivr_originate separates them.
 */
export function splitDialString(dial: string): string[][] {
  const split = (text: string, sep: string): string[] => {
    const out: string[] = [];
    let cur = '';
    let depth = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text[i] ?? '';
      if (c === '\\' && i + 1 < text.length) {
        cur += c + (text[++i] ?? '');
        continue;
      }
      if (c === '{' || c === '[') depth++;
      else if ((c === '}' || c === ']') && depth > 0) depth--;
      if (c === sep && depth === 0) {
        out.push(cur);
        cur = '';
        continue;
      }
      cur += c;
    }
    out.push(cur);
    return out.map((x) => x.trim()).filter((x) => x !== '');
  };
  return split(dial, '|').map((group) => split(group, ',')).filter((legs) => legs.length > 0);
}

/** A variable FreeSWITCH reads as `switch_true(v) ? atoi(v)` when in [min, max], else `fallback`. */
function intVar(vars: ReadonlyMap<string, string>, name: string, min: number, max: number, fallback: number): number {
  const text = vars.get(name);
  if (!switchTrue(text)) return fallback;
  const n = Number.parseInt(text ?? '', 10);
  return Number.isInteger(n) && n >= min && n <= max ? n : fallback;
}

export interface OriginateRetries {
  /** originate_retries: how many attempts in all. */
  readonly attempts: number;
  /** originate_retry_sleep_ms: the pause before each retry. */
  readonly sleepMs: number;
}

/** switch_ivr_originate's retry settings (out-of-range values are ignored, as it does). */
export function originateRetries(vars: ReadonlyMap<string, string>): OriginateRetries {
  return { attempts: intVar(vars, 'originate_retries', 1, 100, 1), sleepMs: intVar(vars, 'originate_retry_sleep_ms', 500, 60_000, 1000) };
}

/** A C int stored in a uint32_t (a negative number becomes a very large one). */
export function cUint32(n: number): number {
  return n >>> 0;
}

/** SWITCH_DEFAULT_TIMEOUT: the ring time limit when none is given. */
const DEFAULT_RING_TIMEOUT_SEC = 60;

/**
 * switch_ivr_originate's ring time limit: what its caller hands it (api originate's timeout
 * position; 0 from bridge, whose caller's call_timeout replaces it), 0 meaning 60; then
 * originate_timeout above 0 in its variables (`<…>`, `{…}`, the caller's export_vars) wins.
 */
export function ringTimeLimit(handedSec: number, vars: ReadonlyMap<string, string>): number {
  const limit = handedSec <= 0 ? DEFAULT_RING_TIMEOUT_SEC : handedSec;
  const text = vars.get('originate_timeout');
  const override = text === undefined ? 0 : atoi(text);
  return override > 0 ? override : limit;
}

/** A leg's leg_timeout / leg_delay_start (switch_ivr_originate reads them from the leg, `atoi`, above 0 only). */
export function legSeconds(value: string | undefined): number {
  const n = value === undefined ? 0 : atoi(value);
  return n > 0 ? n : 0;
}
