/**
 * Where the time goes in a `--cpu-prof` profile: self time by function and by source area
 * (our packages, node internals, third-party), largest first.
 *
 *   node --conditions=source --import tsx bench/profile-summary.ts <file.cpuprofile> [top]
 */
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** Node internals, a third-party package, one of our packages, the CLI bundle, or V8's own buckets. */
function areaOf(f: Node['callFrame']): string {
  if (f.url === '') return f.functionName.startsWith('(') ? f.functionName : '(native)';
  if (f.url.startsWith('node:')) return 'node internals';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(f.url)?.[1] ?? /packages\/([^/]+)\//.exec(f.url)?.[1];
  if (pkg !== undefined) return pkg;
  return /bench\/\.build\//.test(f.url) ? 'fsbus CLI bundle' : f.url;
}

export function summarize(profile: Profile, top = 25): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const fn = new Map<string, number>();
  const area = new Map<string, number>();
  for (const [id, us] of self) {
    const f = byId.get(id)!.callFrame;
    const where = f.url.replace(/^.*\/(packages\/[^/]+\/src\/|node_modules\/)/, '$1');
    const key = `${f.functionName || '(anonymous)'} ${where}:${f.lineNumber + 1}`;
    fn.set(key, (fn.get(key) ?? 0) + us);
    area.set(areaOf(f), (area.get(areaOf(f)) ?? 0) + us);
  }
  const fmt = (m: Map<string, number>, n: number): string[] =>
    [...m].sort((x, y) => y[1] - x[1]).slice(0, n).map(([k, us]) => `${((us / total) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${k}`);
  return [`total sampled ${(total / 1000).toFixed(0)} ms over ${((profile.endTime - profile.startTime) / 1e6).toFixed(1)} s`, '', 'by area:', ...fmt(area, 12), '', 'by function (self):', ...fmt(fn, top)].join('\n');
}

const USAGE = 'usage: profile-summary.ts <file.cpuprofile> [top]';
const [file, top] = process.argv.slice(2);
if (file === '--help' || file === '-h') {
  console.log(USAGE);
} else if (file === undefined || (top !== undefined && !(Number(top) > 0))) {
  console.error(USAGE);
  process.exitCode = 2;
} else {
  try {
    console.log(summarize(JSON.parse(readFileSync(file, 'utf8')) as Profile, top === undefined ? 25 : Number(top)));
  } catch (err) {
    console.error(`profile-summary: ${file}: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  }
}
