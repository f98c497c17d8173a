/**
 * `${name}` expansion with the rules of FreeSWITCH 1.10.12's switch_channel_expand_variables
 * (and switch_event_expand_headers, which differs only in where a name is read):
 * - `${name}` is replaced by the value, itself expanded; an unknown name by nothing. `$${name}`
 *   is the same form (`global` tells the source which one was written).
 * - `${name:offset[:length]}` takes a part of the value (a negative offset counts from its end);
 *   `${name[i]}` the i-th item of an `ARRAY::a|:b` value. The name may hold `${…}` itself.
 * - `\$` is a literal `$` (`\$$` too), `\\` one backslash, `\'` is dropped; a `$` not followed
 *   by `{` stays.
 * - `${api args}` / `${api(args)}` (a blank or `(` in the name) runs the API `api` with `args`
 *   (both expanded first) through `api`, and puts in what it wrote (not expanded again); without
 *   `api`, nothing, as for an API FreeSWITCH does not have (api-in-expansion.ts).
 * Text without a `${` (nor an escape FreeSWITCH looks for) is returned as it is.
 */
import type { Channel } from './channel.js';
import { atoi } from './c-num.js';
import { apiReference } from './api-in-expansion.js';
import type { ExpansionApi } from './api-in-expansion.js';

/** Reads one name: `index` from `${name[i]}`, `global` for the `$${name}` form. */
export type VariableSource = (name: string, index: number | undefined, global: boolean) => string | undefined;

/** switch_channel_expand_variables_check gives up (returns its input) this deep. */
const MAX_DEPTH = 100;

/** switch_channel_expand_variables: the channel's variables, its caller profile, then the globals. */
export function expandChannelVariables(ch: Channel, text: string, globals: ReadonlyMap<string, string>, api?: ExpansionApi): string {
  return expandText(text, (name, index) => {
    const own = ch.getVar(name);
    const value = index === undefined ? own : arrayItem(own, index);
    return value ?? ch.profileVar(name) ?? globals.get(name);
  }, api);
}

export function expandText(text: string, source: VariableSource, api?: ExpansionApi, depth = 0): string {
  if (depth > MAX_DEPTH || !(/\$\\*\{/.test(text) || /\\[\\nst']/.test(text))) return text;
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '\\') {
      const next = text[i + 1];
      if (next === '$') {
        out += '$';
        i += text[i + 2] === '$' ? 3 : 2;
        continue;
      }
      if (next === "'") {
        i += 2;
        continue;
      }
      out += '\\';
      i += next === '\\' ? 2 : 1;
      continue;
    }
    if (c !== '$') {
      out += c;
      i++;
      continue;
    }
    const global = text[i + 1] === '$';
    const open = global ? i + 2 : i + 1;
    if (text[open] !== '{') {
      // `$$x` keeps one dollar: the second is the one written out.
      out += '$';
      i = open;
      continue;
    }
    const { name, end } = braced(text, open + 1);
    out += reference(name, global, source, api, depth);
    // FreeSWITCH copies the character after the closing brace as it is, unless it starts another `$`.
    i = end;
    if (i < text.length && text[i] !== '$') out += text[i++];
  }
  return out;
}

/** The name between `${` (at `start`) and its matching `}` (or the end), and where the text goes on. */
function braced(text: string, start: number): { name: string; end: number } {
  let level = 1;
  for (let j = start; j < text.length; j++) {
    const c = text[j];
    if (c === '}' && level === 1) return { name: text.slice(start, j), end: j + 1 };
    if (c === '{' && j !== start) level++;
    else if (c === '}') level--;
  }
  return { name: text.slice(start), end: text.length };
}

function reference(raw: string, global: boolean, source: VariableSource, api: ExpansionApi | undefined, depth: number): string {
  const call = apiReference(raw);
  if (call !== undefined) {
    if (api === undefined) return '';
    const command = expandText(call.name, source, api, depth + 1);
    // A failed API (switch_api_execute not SUCCESS) puts in nothing.
    return api(command, expandText(call.args, source, api, depth + 1)) ?? '';
  }
  let name = expandText(raw, source, api, depth + 1);
  let offset = 0;
  let length = 0;
  const colon = name.indexOf(':');
  if (colon >= 0) {
    const parts = name.slice(colon + 1);
    offset = atoi(parts);
    const second = parts.indexOf(':');
    if (second >= 0) length = atoi(parts.slice(second + 1));
    name = name.slice(0, colon);
  }
  let index: number | undefined;
  const bracket = name.indexOf('[');
  if (bracket >= 0 && name.includes(']', bracket)) {
    index = atoi(name.slice(bracket + 1));
    name = name.slice(0, bracket);
  }
  const found = source(name, index !== undefined && index > -1 ? index : undefined, global);
  if (found === undefined) return '';
  let value = expandText(found, source, api, depth + 1);
  if (offset > 0) value = offset > value.length ? '' : value.slice(offset);
  else if (offset < 0 && -offset <= value.length) value = value.slice(value.length + offset);
  if (length > 0 && length < value.length) value = value.slice(0, length);
  return value;
}

/** switch_event_get_header_idx on a variable: the item of an `ARRAY::` value, nothing for a plain one. */
export function arrayItem(value: string | undefined, index: number): string | undefined {
  if (value === undefined || !value.startsWith('ARRAY::')) return undefined;
  return value.slice('ARRAY::'.length).split('|:')[index];
}
