/**
 * How FreeSWITCH splits an API's arguments (switch_separate_string at blanks, then
 * cleanup_separated_string on each; switch_utils.c), as far as the command policy needs it:
 * what `originate`'s extension is (verb-policy.ts). Pure.
 */

/**
 * The first `max` arguments of an API as switch_separate_string splits them at `' '`
 * (switch_utils.c): a leading `^^X` splits at X instead; at a blank a run of spaces is one
 * separator and a `'` opens or closes a quote; at another character a `'` opens a quote only when
 * another follows; `\x` keeps x in the argument. Each is cleaned as cleanup_separated_string
 * cleans it. `scanned`: how many characters were read to find them (the caller's reading budget).
 */
export function separateArgs(text: string, max: number): { args: string[]; scanned: number } {
  let delim = ' ';
  let body = text;
  if (text.startsWith('^^') && text.length > 3) {
    delim = text[2]!;
    body = text.slice(3);
  }
  const parts: string[] = [];
  let start = 0;
  let quoted = false;
  let i = 0;
  for (; i < body.length && parts.length < max; i++) {
    const c = body[i];
    if (c === '\\') i++;
    else if (c === "'" && (delim === ' ' || quoted || body.includes("'", i + 1))) quoted = !quoted;
    else if (c === delim && !quoted) {
      parts.push(body.slice(start, i));
      if (delim === ' ') while (body[i + 1] === ' ') i++;
      start = i + 1;
    }
  }
  if (parts.length < max && start < body.length) parts.push(body.slice(start));
  return { args: parts.map((p) => cleanupArg(p, delim)), scanned: i };
}

/** FreeSWITCH's cleanup_separated_string: leading blanks, `'` pairs and `\x` escapes removed, trailing blanks outside quotes cut. */
function cleanupArg(text: string, delim: string): string {
  let out = '';
  let end = 0;
  let quoted = false;
  for (let i = text.search(/[^ ]|$/); i < text.length; i++) {
    const c = text[i]!;
    const e = text[i + 1];
    if (c === '\\' && e !== undefined) {
      const mapped = ({ n: '\n', r: '\r', t: '\t', s: ' ' } as Record<string, string>)[e];
      if (mapped !== undefined || e === "'" || e === '"' || e === delim || e === '\\') {
        out += mapped ?? e;
        end = out.length;
        i++;
        continue;
      }
    }
    if (c === "'" && (quoted || text.includes("'", i + 1))) {
      quoted = !quoted;
      if (quoted) end = out.length;
    } else {
      out += c;
      if (c !== ' ' || quoted) end = out.length;
    }
  }
  return out.slice(0, end);
}
