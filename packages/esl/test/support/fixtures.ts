/**
 * Locates and loads the real FreeSWITCH 1.10.12 captures (`../shared/fixtures/real-fs-1.10.12`
 * beside the repo, or `FSBUS_FIXTURES_DIR`). When they are missing, fixture tests say so plainly:
 * they fail under CI (a CI run without its yardstick must not look green) and skip with the
 * reason elsewhere. Never a vacuous pass.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';
import { EslParser, decodeFrame, type EslFrame, type RawFrame } from '../../src/index.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');

/** Where the captures should be: `FSBUS_FIXTURES_DIR`, else `<repo>/../shared/fixtures/real-fs-1.10.12`. */
export const FIXTURES_DIR = process.env.FSBUS_FIXTURES_DIR ?? resolve(repoRoot, '../shared/fixtures/real-fs-1.10.12');

export const fixturesPresent = existsSync(join(FIXTURES_DIR, 'shared-plain.bin'));

export const MISSING_FIXTURES =
  `FreeSWITCH captures not found at ${FIXTURES_DIR} ` +
  '(clone the shared fixtures beside the repo as ../shared/fixtures, or set FSBUS_FIXTURES_DIR)';

/**
 * Call first in every fixture test: returns false (after skipping with the reason) when the
 * captures are absent outside CI, throws under CI.
 */
export function requireFixtures(t: TestContext): boolean {
  if (fixturesPresent) return true;
  const ci = (process.env.CI ?? '').toLowerCase();
  if (ci !== '' && ci !== '0' && ci !== 'false') throw new Error(MISSING_FIXTURES);
  t.skip(MISSING_FIXTURES);
  return false;
}

export function fixtureBytes(name: string): Buffer {
  return readFileSync(join(FIXTURES_DIR, name));
}

export function fixtureJson<T>(name: string): T {
  return JSON.parse(readFileSync(join(FIXTURES_DIR, name), 'utf8')) as T;
}

/** The event-socket captures and what they hold. */
export const CAPTURES = ['shared-plain.bin', 'shared-json.bin', 'shared-xml.bin', 'shared-log.bin', 'command-transcript.bin', 'shared-control.bin'] as const;
export type Capture = (typeof CAPTURES)[number];

/** Parses bytes pushed as the given pieces; returns the raw frames. */
export function rawFramesOf(pieces: Iterable<Uint8Array>): RawFrame[] {
  const frames: RawFrame[] = [];
  const parser = new EslParser((f) => frames.push(f));
  for (const piece of pieces) parser.push(piece);
  if (parser.bufferedBytes !== 0) throw new Error(`${parser.bufferedBytes} bytes left over after the last frame`);
  return frames;
}

export function framesOf(bytes: Buffer): EslFrame[] {
  return rawFramesOf([bytes]).map(decodeFrame);
}

/** Byte offsets where each frame of a well-formed capture ends (independent of EslParser). */
export function frameEnds(bytes: Buffer): number[] {
  const ends: number[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    const headEnd = bytes.indexOf('\n\n', pos);
    if (headEnd < 0) throw new Error(`no header end after offset ${pos}`);
    const head = bytes.toString('latin1', pos, headEnd);
    const m = /(?:^|\n)Content-Length: (\d+)(?:\n|$)/.exec(head);
    pos = headEnd + 2 + (m ? Number(m[1]) : 0);
    ends.push(pos);
  }
  return ends;
}

/** Frame byte ranges `[start, end)` of a capture, split by `frameEnds`. */
export function frameSlices(bytes: Buffer): Buffer[] {
  let start = 0;
  return frameEnds(bytes).map((end) => {
    const slice = bytes.subarray(start, end);
    start = end;
    return slice;
  });
}

/** The body of each event frame of a capture, as FreeSWITCH wrote it. */
export function eventBodies(bytes: Buffer): Buffer[] {
  return rawFramesOf([bytes])
    .filter((f) => f.headers.get('Content-Type')?.startsWith('text/event-'))
    .map((f) => f.body!);
}

/** A frame as plain data, for deep comparison (EslEvent keeps private state). */
export function comparable(frame: EslFrame): unknown {
  if (frame.kind !== 'event') return frame;
  return { kind: 'event', format: frame.format, headers: [...frame.event.headers], body: frame.event.body };
}

/** Seeded PRNG (mulberry32): reproducible samples without Math.random. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
