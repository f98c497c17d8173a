/**
 * fast-check properties of the parser: re-chunking never changes the frames; random or
 * corrupted bytes never make it throw anything but EslProtocolError (parser or decodeFrame).
 */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import { decodeFrame, encodeFrame, EslEvent, EslParser, EslProtocolError } from '../src/index.js';
import { comparable } from './support/fixtures.js';

const text = fc.string({ unit: fc.oneof(fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), fc.constantFrom('\n', '%', '+', ':')), maxLength: 40 });
const token = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,12}$/).filter((n) => n !== 'Content-Length' && n !== 'Content-Type');

const frame: fc.Arbitrary<Buffer> = fc.oneof(
  fc.constant(encodeFrame([['Content-Type', 'auth/request']])),
  text.map((t) => encodeFrame([['Content-Type', 'command/reply'], ['Reply-Text', `+OK ${t.replace(/\n/g, ' ')}`]])),
  text.map((t) => encodeFrame([['Content-Type', 'api/response']], t)),
  fc.tuple(fc.constantFrom('plain', 'json', 'xml'), fc.uniqueArray(fc.tuple(token, text), { selector: ([n]) => n, maxLength: 6 }), fc.option(text.filter((t) => t !== ''), { nil: undefined })).map(
    ([format, headers, body]) => {
      const event = new EslEvent([['Event-Name', 'CUSTOM'], ...headers], body);
      return encodeFrame([['Content-Type', `text/event-${format}`]], event.serialize(format));
    },
  ),
  text.map((t) => encodeFrame([['Content-Type', 'log/data'], ['Log-Level', '7'], ['Text-Channel', '3']], t)),
);
const stream = fc.array(frame, { minLength: 1, maxLength: 8 }).map((frames) => Buffer.concat(frames));

/** Splits `bytes` at the given fractions of its length. */
function split(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => Math.floor(c * bytes.length)))].filter((p) => p > 0 && p < bytes.length).sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let from = 0;
  for (const p of [...points, bytes.length]) {
    pieces.push(bytes.subarray(from, p));
    from = p;
  }
  return pieces;
}

function decodeStream(pieces: Buffer[]): unknown[] {
  const out: unknown[] = [];
  const parser = new EslParser((raw) => out.push(comparable(decodeFrame(raw))));
  for (const piece of pieces) parser.push(piece);
  assert.equal(parser.bufferedBytes, 0);
  return out;
}

const cuts = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 30 });

void test('property: re-chunking never changes the frames', () => {
  fc.assert(
    fc.property(stream, cuts, (bytes, at) => {
      assert.deepStrictEqual(decodeStream(split(bytes, at)), decodeStream([bytes]));
    }),
    { numRuns: 300 },
  );
});

/** Feeds `pieces`, decoding every frame; returns the error thrown, if any. */
function feed(pieces: Buffer[]): unknown {
  const parser = new EslParser((raw) => {
    try {
      decodeFrame(raw);
    } catch (err) {
      if (!(err instanceof EslProtocolError)) throw err;
    }
  });
  try {
    for (const piece of pieces) parser.push(piece);
  } catch (err) {
    return err;
  }
  return undefined;
}

function onlyProtocolErrors(err: unknown): void {
  if (err !== undefined) assert.ok(err instanceof EslProtocolError && err.code === 'FSBUS_ERR_ESL_PROTOCOL', `unexpected ${err instanceof Error ? err.stack : typeof err}`);
}

void test('property: random bytes never throw anything but EslProtocolError', () => {
  const bytes = fc.uint8Array({ maxLength: 400 }).map((a) => Buffer.from(a));
  const headerish = fc
    .array(fc.oneof(fc.constantFrom('Content-Type: ', 'text/event-plain', 'text/event-json', 'text/event-xml', 'Content-Length: ', '\n', '\n\n', ': ', '%', '12', '0', '<event>', '{"'), text), { maxLength: 30 })
    .map((parts) => Buffer.from(parts.join(''), 'utf8'));
  fc.assert(
    fc.property(fc.oneof(bytes, headerish), cuts, (input, at) => onlyProtocolErrors(feed(split(input, at)))),
    { numRuns: 1000 },
  );
});

void test('property: corrupted valid streams never throw anything but EslProtocolError', () => {
  fc.assert(
    fc.property(stream, fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }), cuts, (bytes, flips, at) => {
      const corrupt = Buffer.from(bytes);
      for (const [where, byte] of flips) corrupt[Math.min(Math.floor(where * corrupt.length), corrupt.length - 1)] = byte;
      onlyProtocolErrors(feed(split(corrupt, at)));
    }),
    { numRuns: 500 },
  );
});
