/**
 * Shared pieces of the fidelity suite: where the real FreeSWITCH captures are, and how a
 * captured value with placeholders (`<uuid>`, `<n>`, `<v>`) is matched against the simulator's.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { it } from 'node:test';
import { EslParser, fsUrlDecode, type RawFrame } from '@fsbus/esl';

const REPO_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const SET = 'real-fs-1.10.12';

/** The capture directory: $FSBUS_FIXTURES_DIR when set (the set or its parent), else ../shared/fixtures/ from the repo root. */
export function locateFixtures(): { dir: string | undefined; looked: string[] } {
  const env = process.env['FSBUS_FIXTURES_DIR'];
  const looked = env ? [join(env, SET), env] : [resolve(REPO_ROOT, '../shared/fixtures', SET)];
  return { dir: looked.find((d) => existsSync(join(d, 'command-transcript.json'))), looked };
}

/**
 * Registers the suite's tests when the captures exist. Without them the suite says so plainly:
 * a failing test under CI, a skipped one (with the reason) elsewhere — it never passes vacuously.
 */
export function withFixtures(register: (dir: string) => void): void {
  const { dir, looked } = locateFixtures();
  if (dir !== undefined) {
    register(dir);
    return;
  }
  const reason = `real FreeSWITCH captures not found (looked in ${looked.join(', ')}; set FSBUS_FIXTURES_DIR)`;
  if (process.env['CI']) void it('has the real FreeSWITCH captures', () => { throw new Error(reason); });
  else void it('fidelity against real FreeSWITCH captures', { skip: reason }, () => undefined);
}

export function readJson<T>(dir: string, name: string): T {
  return JSON.parse(readFileSync(join(dir, name), 'utf8')) as T;
}

/** Every frame of a raw capture file, in order. */
export function framesOf(data: Buffer): RawFrame[] {
  const frames: RawFrame[] = [];
  new EslParser((f) => frames.push(f)).push(data);
  return frames;
}

export function readFrames(dir: string, name: string): RawFrame[] {
  return framesOf(readFileSync(join(dir, name)));
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A regex for a captured value: placeholders stand for the values that inherently differ. */
export function capturePattern(captured: string): RegExp {
  const source = escape(captured)
    .replaceAll('<uuid>', '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}')
    .replaceAll('<n>', '\\d+')
    .replaceAll('<v>', '.+?')
    // A counted unit's plural follows its count (`1 minute`, `0 minutes`).
    .replace(/\\d\+ (year|day|hour|minute|second|millisecond|microsecond)s?/g, '\\d+ $1s?');
  return new RegExp(`^${source}$`, 's');
}

/** The header names of a plain event body, in order (the event's own Content-Length included). */
export function plainNames(body: Buffer | undefined): string[] {
  const text = body?.toString('utf8') ?? '';
  const end = text.indexOf('\n\n');
  return (end < 0 ? text : text.slice(0, end)).split('\n').filter((l) => l !== '').map((l) => l.slice(0, l.indexOf(':')));
}

/** First value of a header in a plain event body, URL-decoded. */
export function plainValue(body: Buffer | undefined, name: string): string | undefined {
  const text = body?.toString('utf8') ?? '';
  const end = text.indexOf('\n\n');
  for (const line of (end < 0 ? text : text.slice(0, end)).split('\n')) {
    if (line.startsWith(`${name}: `)) return fsUrlDecode(line.slice(name.length + 2));
  }
  return undefined;
}

/** Every header of a plain event body in order, URL-decoded (duplicates kept). */
export function plainPairs(body: Buffer | undefined): Array<[string, string]> {
  const text = body?.toString('utf8') ?? '';
  const end = text.indexOf('\n\n');
  return (end < 0 ? text : text.slice(0, end))
    .split('\n')
    .filter((l) => l.includes(': '))
    .map((l) => [l.slice(0, l.indexOf(': ')), fsUrlDecode(l.slice(l.indexOf(': ') + 2))]);
}
