/**
 * How FreeSWITCH reads the words of an API argument (switch_utils.c, switch_separate_string with
 * a blank delimiter): each word is cleaned up — leading spaces skipped, `\n \r \t \s \\ \' \"`
 * unescaped, paired single quotes dropped (their content kept as is), trailing spaces cut.
 */
const UNESCAPED: Readonly<Record<string, string>> = { n: '\n', r: '\r', t: '\t', s: ' ' };

/** cleanup_separated_string(str, delim): a char delimiter may be escaped too (`\\<delim>`). */
export function cleanupSeparatedString(str: string, delim?: string): string {
  let i = 0;
  while (str[i] === ' ') i++;
  let out = '';
  let end: number | undefined;
  let inside = false;
  for (; i < str.length; i++) {
    const c = str[i]!;
    const e = str[i + 1] ?? '';
    if (c === '\\' && (e === "'" || e === '"' || e === '\\' || (e !== '' && e === delim) || UNESCAPED[e] !== undefined)) {
      out += e === delim ? e : (UNESCAPED[e] ?? e);
      end = out.length;
      i++;
    } else if (c === "'" && (inside || str.includes("'", i + 1))) {
      inside = !inside;
      if (inside) end = out.length;
    } else {
      out += c;
      if (c !== ' ' || inside) end = out.length;
    }
  }
  return end === undefined ? out : out.slice(0, end);
}

/**
 * The first `words - 1` blank-separated words of `args` and the rest as the last (each cleaned
 * up), as switch_separate_string(args, ' ', argv, words) gives them after switch_api_execute
 * trimmed the argument. The words before the last must be plain (a uuid, a variable name): a
 * quote in them is not read as FreeSWITCH would.
 */
export function separateString(args: string, words: number): string[] {
  let rest = args.replace(/^[\r\n\t \v]+|[\r\n\t \v]+$/g, '');
  const out: string[] = [];
  while (out.length < words - 1 && rest !== '') {
    const m = /^([^ ]+) *([^]*)$/.exec(rest)!;
    out.push(cleanupSeparatedString(m[1]!));
    rest = m[2]!;
  }
  if (rest !== '') out.push(cleanupSeparatedString(rest));
  return out;
}

/**
 * switch_separate_string(buf, delim, argv, max), every word: `^^<d>` first picks another
 * delimiter; a blank one collapses runs of spaces, a char one splits at each (an empty word
 * between two); `\\x` and quoted parts do not split. Each word is then cleaned up.
 */
export function switchSeparateString(buf: string, delim: string, max = 256): string[] {
  let text = buf;
  let d = delim;
  if (text.startsWith('^^') && text.length > 3) {
    d = text[2]!;
    text = text.slice(3);
  }
  const starts: number[] = [];
  const ends: number[] = [];
  const blank = d === ' ';
  let state: 'start' | 'skip-initial' | 'find' | 'skip-ending' = 'start';
  let quoted = false;
  let i = 0;
  while (i < text.length && starts.length < max) {
    const c = text[i]!;
    if (state === 'start') {
      starts.push(i);
      ends.push(text.length);
      state = blank ? 'skip-initial' : 'find';
    } else if (state === 'skip-initial' || state === 'skip-ending') {
      if (c === ' ') i++;
      else state = state === 'skip-initial' ? 'find' : 'start';
    } else {
      if (c === '\\') i++;
      else if (c === "'" && (blank || quoted || text.includes("'", i + 1))) quoted = !quoted;
      else if (c === d && !quoted) {
        ends[ends.length - 1] = i;
        state = blank ? 'skip-ending' : 'start';
      }
      i++;
    }
  }
  return starts.map((s, k) => cleanupSeparatedString(text.slice(s, ends[k]), blank ? undefined : d));
}
