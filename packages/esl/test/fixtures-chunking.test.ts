/**
 * Every capture parses to the same frames whole, byte by byte, and split in two anywhere: at
 * every byte for the small captures; for the big ones at every byte of a window around each
 * frame boundary and each header end, plus a seeded random sample of split points.
 */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { decodeFrame } from '../src/index.js';
import { CAPTURES, comparable, fixtureBytes, frameEnds, rawFramesOf, requireFixtures, seededRandom } from './support/fixtures.js';

const SMALL = 16 * 1024;
const WINDOW = 4;
const RANDOM_SPLITS = 300;

function decodeAll(pieces: Uint8Array[]): unknown[] {
  return rawFramesOf(pieces).map((f) => comparable(decodeFrame(f)));
}

function byteByByte(bytes: Buffer): Buffer[] {
  const out = new Array<Buffer>(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = bytes.subarray(i, i + 1);
  return out;
}

for (const name of CAPTURES) {
  void test(`${name}: whole, byte by byte and split in two give the same frames`, (t) => {
    if (!requireFixtures(t)) return;
    const bytes = fixtureBytes(name);
    const whole = decodeAll([bytes]);
    assert.ok(whole.length > 0);
    assert.deepStrictEqual(decodeAll(byteByByte(bytes)), whole, 'byte by byte');

    const ends = frameEnds(bytes);
    assert.equal(ends.length, whole.length, 'frame boundaries found independently agree with the parser');
    if (bytes.length <= SMALL) {
      for (let p = 1; p < bytes.length; p++) {
        assert.deepStrictEqual(decodeAll([bytes.subarray(0, p), bytes.subarray(p)]), whole, `split at ${p}`);
      }
      return;
    }
    // Big capture: split a window of three whole frames around each point, so each split costs
    // three frames, not the whole file. The parser starts each window fresh at a frame boundary,
    // exactly as it stands there in the full stream.
    const starts = [0, ...ends.slice(0, -1)];
    const points = new Set<number>();
    for (let k = 0; k < ends.length; k++) {
      const headerEnd = bytes.indexOf('\n\n', starts[k]) + 2;
      for (const edge of [starts[k]!, headerEnd, ends[k]!]) {
        for (let d = -WINDOW; d <= WINDOW; d++) if (edge + d > 0 && edge + d < bytes.length) points.add(edge + d);
      }
    }
    const random = seededRandom(0x5eed ^ bytes.length);
    for (let i = 0; i < RANDOM_SPLITS; i++) points.add(1 + Math.floor(random() * (bytes.length - 1)));
    for (const p of points) {
      let k = ends.findIndex((end) => end > p); // frame holding byte p
      k = Math.max(k, 0);
      const first = Math.max(k - 1, 0);
      const last = Math.min(k + 1, ends.length - 1);
      const from = starts[first]!;
      const to = ends[last]!;
      const got = decodeAll([bytes.subarray(from, p), bytes.subarray(p, to)]);
      assert.deepStrictEqual(got, whole.slice(first, last + 1), `split at ${p} (frames ${first}..${last})`);
    }
  });
}
