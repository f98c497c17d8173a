/**
 * One line for a bad command line: what is wrong, a guess when the user mistyped a name (an
 * option or a command), and where the full help is — not the whole help, which buried the error.
 */

/** The closest of `known` to `given` when it is close enough to be a typo (edit distance ≤ 2, or a prefix). */
export function closest(given: string, known: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = k.startsWith(given) && given.length >= 2 ? 0.5 : distance(given, k);
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.min(2, Math.floor(given.length / 2)) ? best : undefined;
}

/** Levenshtein distance, small strings only. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length]!;
}

/**
 * `err` from node:util parseArgs (or a UsageError) as one line: `unknown option --al (did you mean
 * --all?)` for an option that does not exist, the message itself otherwise.
 */
export function argumentProblem(err: unknown, options: Readonly<Record<string, unknown>>): string {
  const e = err as { code?: unknown; message?: unknown };
  const message = typeof e.message === 'string' ? e.message : String(err);
  if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    // parseArgs' three lines for `--node --json` (or a value starting with '-'), as one. A
    // negative number never gets here (withNegativeValues): the option's own check says it.
    const m = /^Option '([^']+)' argument is ambiguous\.[\s\S]*?'(--[^=']+)=/.exec(message);
    if (m !== null) return `${m[1]!} needs a value; one starting with '-' is written ${m[2]!}=-…`;
  }
  if (e.code !== 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return message;
  const given = /^Unknown option '([^']+)'/.exec(message)?.[1];
  if (given === undefined) return message;
  // No option is a digit: this is a negative number meant as an argument.
  if (/^-(\d|\.\d)/.test(given)) return `unknown option ${given} (a negative number as an argument goes after --: -- ${given})`;
  const names = Object.keys(options).map((n) => `--${n}`);
  const guess = given.startsWith('--') ? closest(given, names) : undefined;
  return `unknown option ${given}${guess === undefined ? '' : ` (did you mean ${guess}?)`}`;
}

/**
 * `args` with `--timeout -5` written `--timeout=-5` (also `-s -5`), for every option that takes a
 * value: parseArgs refuses a value starting with '-' after a space as ambiguous (three lines of
 * its own), while a negative number can only be that option's value (no flag is a digit), so the
 * option's own check can say what is wrong with it. Nothing after `--` is touched.
 */
export function withNegativeValues(args: readonly string[], options: Readonly<Record<string, { type: string; short?: string | undefined }>>): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      out.push(...args.slice(i));
      break;
    }
    const name = arg.startsWith('--') ? arg.slice(2) : /^-[^-]$/.test(arg) ? Object.keys(options).find((n) => options[n]!.short === arg.slice(1)) : undefined;
    const next = args[i + 1];
    if (name !== undefined && options[name]?.type === 'string' && next !== undefined && /^-(\d|\.\d)/.test(next)) {
      out.push(`--${name}=${next}`);
      i++;
    } else out.push(arg);
  }
  return out;
}
