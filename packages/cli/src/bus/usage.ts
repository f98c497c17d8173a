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
  if (e.code !== 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return message;
  const given = /^Unknown option '([^']+)'/.exec(message)?.[1];
  if (given === undefined) return message;
  const names = Object.keys(options).map((n) => `--${n}`);
  const guess = given.startsWith('--') ? closest(given, names) : undefined;
  return `unknown option ${given}${guess === undefined ? '' : ` (did you mean ${guess}?)`}`;
}
