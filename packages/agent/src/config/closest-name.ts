/**
 * The known name a misspelt one most likely meant: for env variables (unknown-env.ts) and for the
 * config file's keys (unknown-key.ts), so both kinds of typo get the same `did you mean`.
 */

/**
 * The known name `name` is a truncation of (`…_ESL_PASS` → `…_ESL_PASSWORD`, not `…_ESL_PORT`,
 * closer by edits), else the one fewest edits away, when they are few.
 */
export function closestName(name: string, known: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    if (k.startsWith(name) && (best === undefined || !best.startsWith(name) || k.length < best.length)) {
      best = k;
      bestDistance = -1;
    } else if (bestDistance >= 0) {
      const d = editDistance(name, k);
      if (d < bestDistance) {
        best = k;
        bestDistance = d;
      }
    }
  }
  if (best === undefined) return undefined;
  // Past a third of the name after its prefix, it is another name, not a typo of this one.
  const stem = name.replace(/^(FSBUS|MOD_EVENT_AGENT)_/, '').length;
  return bestDistance <= Math.max(1, Math.floor(stem / 3)) ? best : undefined;
}

/** Edits (insert, delete, substitute, swap two neighbours) from `a` to `b`. */
function editDistance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) rows[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = d;
    }
  }
  return rows[a.length]![b.length]!;
}
