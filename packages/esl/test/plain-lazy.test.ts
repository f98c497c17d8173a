/**
 * The plain event decoder reads header lines lazily (one index pass, values sliced and decoded
 * on demand, `forEachHeader` without a Map when no name repeats). These tests hold it to an
 * eager reference decoder written out plainly below — the algorithm the lazy one replaced —
 * on the real captures and on arbitrary input, including repeated names, URL-encoded values,
 * inner bodies, odd line layouts, non-ASCII and malformed bytes: same headers, same values,
 * same body, same errors.
 */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import { decodeFrame, encodeFrame, EslParser, EslProtocolError, fsUrlDecode, parsePlainEvent, UNDEF_VALUE, type EslEvent, type EslFrame } from '../src/index.js';
import { fixtureBytes, framesOf, frameSlices, requireFixtures } from './support/fixtures.js';

type Outcome = { headers: Array<[string, string]>; body: string | undefined } | { error: string };

/** The eager decoder: header block up to the first `\n\n`, every line into a Map, in order. */
function reference(buf: Buffer): Outcome {
  try {
    let text = buf.toString('utf8');
    let headerEnd: number;
    let bodyStart: number;
    if (text.length === buf.length) {
      const found = text.indexOf('\n\n');
      headerEnd = found < 0 ? text.length : found;
      bodyStart = headerEnd + 2;
    } else {
      const found = buf.indexOf('\n\n');
      const byteEnd = found < 0 ? buf.length : found;
      text = buf.toString('utf8', 0, byteEnd);
      headerEnd = text.length;
      bodyStart = byteEnd + 2;
    }
    const map = new Map<string, string>();
    for (const line of text.slice(0, headerEnd).split('\n')) {
      if (line === '') continue;
      const colon = line.indexOf(':');
      if (colon < 0) throw new EslProtocolError(`malformed header line: ${JSON.stringify(line.slice(0, 80))}`);
      map.set(line.slice(0, colon), fsUrlDecode(line.slice(colon + 1).replace(/^ +/, '')));
    }
    const declared = map.get('Content-Length');
    map.delete('Content-Length');
    if (declared !== undefined && !/^\d{1,15}$/.test(declared)) throw new EslProtocolError(`invalid Content-Length: ${JSON.stringify(declared)}`);
    const length = declared === undefined ? 0 : Number(declared);
    if (length === 0) return { headers: [...map], body: undefined };
    if (bodyStart + length > buf.length) {
      throw new EslProtocolError(`event body is ${Math.max(buf.length - bodyStart, 0)} bytes, its Content-Length says ${length}`);
    }
    return { headers: [...map], body: buf.toString('utf8', bodyStart, bodyStart + length) };
  } catch (err) {
    assert.ok(err instanceof EslProtocolError, String(err));
    return { error: err.message };
  }
}

/** parsePlainEvent's outcome, in the reference's terms. */
function eager(buf: Buffer): Outcome {
  try {
    const decoded = parsePlainEvent(buf);
    return { headers: [...decoded.headers], body: decoded.body };
  } catch (err) {
    assert.ok(err instanceof EslProtocolError, String(err));
    return { error: err.message };
  }
}

/** The event a `text/event-plain` frame with this body decodes to (lazy), or the error. */
function viaWire(body: Buffer): { event: EslEvent } | { error: string } {
  const frames: EslFrame[] = [];
  new EslParser((raw) => frames.push(decodeFrame(raw))).push(encodeFrame([['Content-Type', 'text/event-plain']], body));
  return { event: (frames[0] as { event: EslEvent }).event };
}

function decodeThroughWire(body: Buffer): { event: EslEvent } | { error: string } {
  try {
    return viaWire(body);
  } catch (err) {
    assert.ok(err instanceof EslProtocolError, String(err));
    return { error: err.message };
  }
}

const PROBES = ['Event-Name', 'Content-Length', 'A', 'a', '', ' A', 'A:', 'x\ny', 'é', 'Unique-ID'];

/** Lazy answers (fresh events: getHeader first, then forEachHeader, then the Map) against the reference. */
function assertLazyAgrees(body: Buffer, expected: Outcome, label: string): void {
  const wire = decodeThroughWire(body);
  if ('error' in expected) {
    assert.deepStrictEqual(wire, expected, `${label}: the same error`);
    return;
  }
  assert.ok('event' in wire, `${label}: decodes`);
  const map = new Map(expected.headers);
  for (const name of [...map.keys(), ...PROBES]) {
    const value = map.get(name);
    assert.equal(wire.event.getHeader(name), value === UNDEF_VALUE ? undefined : value, `${label}: getHeader(${JSON.stringify(name)})`);
  }
  const again = decodeThroughWire(body) as { event: EslEvent };
  const seen: Array<[string, string]> = [];
  again.event.forEachHeader((value, name) => seen.push([name, value]));
  assert.deepStrictEqual(seen, expected.headers, `${label}: forEachHeader before the Map`);
  assert.deepStrictEqual([...again.event.headers], expected.headers, `${label}: headers`);
  assert.equal(again.event.body, expected.body, `${label}: body`);
}

void test('captured plain events: lazy lookups, forEachHeader and headers equal the eager reference', (t) => {
  if (!requireFixtures(t)) return;
  const bodies = frameSlices(fixtureBytes('shared-plain.bin'))
    .filter((f) => f.includes('Content-Type: text/event-plain\n'))
    .map((f) => f.subarray(f.indexOf('\n\n') + 2));
  assert.equal(bodies.length, 198);
  let repeats = 0;
  let encoded = 0;
  let inner = 0;
  for (const [i, body] of bodies.entries()) {
    const expected = reference(body);
    assert.ok(!('error' in expected));
    assert.deepStrictEqual(eager(body), expected, `event ${i + 1}: parsePlainEvent`);
    assertLazyAgrees(body, expected, `event ${i + 1}`);
    const lines = body.toString('latin1', 0, body.indexOf('\n\n')).split('\n');
    if (new Set(lines.map((l) => l.slice(0, l.indexOf(':')))).size < lines.length) repeats++;
    if (lines.some((l) => l.includes('%'))) encoded++;
    if (expected.body !== undefined) inner++;
  }
  // The captures exercise what the lazy path must get right.
  assert.ok(repeats > 0 && encoded > 0 && inner > 0, `repeats ${repeats}, encoded ${encoded}, inner bodies ${inner}`);
});

void test('the captured event with a repeated Event-Name: first position, last value, also in forEachHeader', (t) => {
  if (!requireFixtures(t)) return;
  const command = framesOf(fixtureBytes('shared-plain.bin')).find((f) => f.kind === 'event' && f.event.getHeader('Event-Sequence') === '717');
  assert.ok(command?.kind === 'event');
  const pairs: Array<[string, string]> = [];
  command.event.forEachHeader((value, name) => pairs.push([name, value]));
  assert.deepStrictEqual(pairs[0], ['Event-Name', 'PRIVATE_COMMAND']);
  assert.equal(pairs.filter(([n]) => n === 'Event-Name').length, 1);
});

// Pieces that make odd layouts likely: empty lines, colons, spaces, escapes, repeats, lengths.
const piece = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      '\n',
      '\n',
      '\n\n',
      ':',
      ': ',
      '  ',
      '%',
      '%20',
      '%3A',
      '%zz',
      '%E9',
      'A',
      'a',
      'B',
      'é',
      '世',
      '\r',
      'Event-Name',
      'Event-Name: X\n',
      'Content-Length',
      'Content-Length: ',
      '0',
      '3',
      '12',
      UNDEF_VALUE,
    ),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 3 }) },
);
const odd = fc.array(piece, { maxLength: 40 }).map((pieces) => Buffer.from(pieces.join(''), 'utf8'));
// Raw bytes, invalid UTF-8 included.
const bytes = fc.uint8Array({ maxLength: 48 }).map((u) => Buffer.from(u.map((x) => [0x0a, 0x3a, 0x20, 0x25, 0x41, 0x42, 0xc3, 0xa9, 0xff, x][x % 10]!)));
// Well-formed events with repeats: lines drawn from a small set of names (some of one length
// and one ending, which the repeat check hashes alike), a body sometimes.
const line = fc.tuple(fc.constantFrom('Event-Name', 'A', 'B', 'Unique-ID', 'AbXcD', 'AyXzD', 'QAbcd', 'RAbcd', 'x'), fc.string({ maxLength: 6 }));
const formed = fc.tuple(fc.array(line, { maxLength: 12 }), fc.option(fc.string({ minLength: 1, maxLength: 20 }), { nil: undefined })).map(([lines, body]) => {
  let text = '';
  for (const [name, value] of lines) text += `${name}: ${encodeURIComponent(value)}\n`;
  if (body === undefined) return Buffer.from(text + '\n', 'utf8');
  return Buffer.from(`${text}Content-Length: ${Buffer.byteLength(body)}\n\n${body}`, 'utf8');
});

void test('property: parsePlainEvent equals the eager reference on odd text, raw bytes and repeated names', () => {
  fc.assert(
    fc.property(fc.oneof(odd, bytes, formed), (body) => {
      assert.deepStrictEqual(eager(body), reference(body));
    }),
    { numRuns: 3000 },
  );
});

void test('property: lazy lookups and forEachHeader equal the eager reference, errors included', () => {
  fc.assert(
    fc.property(fc.oneof(odd, bytes, formed), (body) => {
      assertLazyAgrees(body, reference(body), JSON.stringify(body.toString('latin1')));
    }),
    { numRuns: 1500 },
  );
});

void test('layouts at the edges of the header block', () => {
  const cases: Array<[string, Array<[string, string]>, string | undefined]> = [
    ['', [], undefined],
    ['\n', [], undefined],
    ['\n\n', [], undefined],
    ['\nA: 1\n\n', [['A', '1']], undefined],
    ['A: 1', [['A', '1']], undefined],
    ['A: 1\n', [['A', '1']], undefined],
    ['A:1\nB:   2\n\nC: 3', [['A', '1'], ['B', '2']], undefined],
    [': empty name\n\n', [['', 'empty name']], undefined],
    ['A: 1\nContent-Length: 3\nB: 2\nContent-Length: 2\n\nhi', [['A', '1'], ['B', '2']], 'hi'],
    ['A: x\nA: y\nB: z\nA: w\n\n', [['A', 'w'], ['B', 'z']], undefined],
    ['AbXcD: 1\nAyXzD: 2\n\n', [['AbXcD', '1'], ['AyXzD', '2']], undefined], // same length and sampled characters
    ['A: %E9%\nContent-Length: 4\n\n\n\n\n\n', [['A', '\uFFFD%']], '\n\n\n\n'],
  ];
  for (const [text, headers, body] of cases) {
    const buf = Buffer.from(text, 'utf8');
    assert.deepStrictEqual(reference(buf), { headers, body }, `reference of ${JSON.stringify(text)}`);
    assert.deepStrictEqual(eager(buf), { headers, body }, JSON.stringify(text));
    assertLazyAgrees(buf, { headers, body }, JSON.stringify(text));
  }
});

void test('malformed bodies give the same typed errors, lazily or not', () => {
  for (const text of ['A: 1\nno colon\n\n', 'no colon', 'A: 1\nContent-Length: x\n\n', 'Content-Length: 9\n\nshort', 'A: 1\nContent-Length: 1234567890123456\n\n']) {
    const buf = Buffer.from(text, 'utf8');
    const expected = reference(buf);
    assert.ok('error' in expected, text);
    assert.deepStrictEqual(eager(buf), expected, text);
    assert.deepStrictEqual(decodeThroughWire(buf), expected, text);
  }
});

void test('events with thousands of headers: repeats resolved however many lines there are', () => {
  for (const lines of [100, 5000]) {
    for (const repeat of [false, true]) {
      let text = '';
      for (let i = 0; i < lines; i++) text += `H-${i}: v${i}\n`;
      if (repeat) text += 'H-1: again\n';
      const buf = Buffer.from(`${text}\n`, 'utf8');
      const expected = reference(buf);
      assert.ok(!('error' in expected) && expected.headers.length === lines);
      assertLazyAgrees(buf, expected, `${lines} lines${repeat ? ', one repeated' : ''}`);
    }
  }
});
