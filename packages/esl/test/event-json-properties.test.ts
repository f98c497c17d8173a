/**
 * fast-check properties of `text/event-json` bodies as writers other than the simulator may
 * shape them — repeated names, escapes, spacing, a `_body`, damage — for the two promises the
 * relay path rests on: `toJson()` always parses to exactly `toObject()` (FreeSWITCH's own text is
 * passed through only when it is that object), and a body is refused exactly when `JSON.parse`
 * refuses it.
 */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import { decodeFrame, EslParser, EslProtocolError, type EslEvent } from '../src/index.js';
import { jsonEventSource } from '../src/event-codec.js';

// Few names, so repeats are common; values of any UTF-16, which JSON.stringify escapes as it must.
const name = fc.constantFrom('Event-Name', 'Unique-ID', 'Hangup-Cause', 'variable_x', 'a', 'Zz');
const value = fc.oneof(fc.string({ maxLength: 12 }), fc.string({ unit: 'binary', maxLength: 12 }), fc.string({ unit: fc.constantFrom('"', '\\', '/', '\n', 'é', '🎉', ':', ','), maxLength: 6 }));
const space = fc.constantFrom('', '', '', '', ' ', '\n', '\t');

/** A JSON string of `v` with every UTF-16 unit written `\uXXXX`: valid, as a writer other than V8 may escape. */
const unicodeEscaped = (v: string): string => `"${[...Array(v.length).keys()].map((i) => `\\u${v.charCodeAt(i).toString(16).padStart(4, '0')}`).join('')}"`;

const body = fc.record({
  pairs: fc.array(fc.tuple(name, value, fc.boolean()), { maxLength: 8 }),
  extra: fc.constantFrom('', '', '', ',"_body":"hi"', ',"Content-Length":"2","_body":"hi"', ',"n":5'),
  ws: fc.array(space, { minLength: 16, maxLength: 16 }),
}).map(({ pairs, extra, ws }) => {
  let k = 0;
  let spaced = false;
  const w = (): string => {
    const s = ws[k++ % ws.length]!;
    spaced ||= s !== '';
    return s;
  };
  const inner = pairs.map(([n, v, u]) => `${w()}${JSON.stringify(n)}${w()}:${w()}${u ? unicodeEscaped(v) : JSON.stringify(v)}${w()}`).join(',');
  return { pairs: pairs.map(([n, v]) => [n, v] as const), text: `{${inner}${pairs.length === 0 ? extra.replace(/^,/, '') : extra}}`, spaced, extra };
});

function wireEvent(bytes: Buffer): EslEvent {
  let event: EslEvent | undefined;
  new EslParser((raw) => {
    const frame = decodeFrame(raw);
    if (frame.kind === 'event') event = frame.event;
  }).push(Buffer.concat([Buffer.from(`Content-Length: ${bytes.length}\nContent-Type: text/event-json\n\n`), bytes]));
  assert.ok(event !== undefined);
  return event;
}

void test('property: toJson() parses to exactly toObject(), and is the text itself when the text is that object', () => {
  fc.assert(
    fc.property(body, ({ pairs, text, spaced, extra }) => {
      const out = wireEvent(Buffer.from(text)).toJson();
      const expected = wireEvent(Buffer.from(text)).toObject();
      const parsed = JSON.parse(out) as Record<string, unknown>;
      assert.deepEqual(Object.keys(parsed), Object.keys(expected));
      assert.deepEqual(parsed, expected);
      // Unrepeated names, string values, no `_body`: FreeSWITCH's text is passed through when compact.
      const unique = new Set(pairs.map(([n]) => n)).size === pairs.length;
      // Escaped as written (`\u00e9` for é, `\/`): still the object, passed through as is.
      if (unique && !spaced && extra === '') assert.equal(out, text);
      // A repeated name never reaches the bus: readers in other languages disagree on which value wins.
      if (!unique) assert.notEqual(out, text);
    }),
    { numRuns: 1000 },
  );
});

void test('property: a damaged body is refused exactly when JSON.parse refuses it', () => {
  const damage = fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('replace', 'delete', 'insert', 'truncate'));
  fc.assert(
    fc.property(body, damage, ({ text }, [at, byte, how]) => {
      const good = Buffer.from(text, 'utf8');
      const i = at % good.length;
      const bad =
        how === 'replace' ? Buffer.concat([good.subarray(0, i), Buffer.from([byte]), good.subarray(i + 1)])
        : how === 'delete' ? Buffer.concat([good.subarray(0, i), good.subarray(i + 1)])
        : how === 'insert' ? Buffer.concat([good.subarray(0, i), Buffer.from([byte]), good.subarray(i)])
        : good.subarray(0, i);
      let reference: unknown;
      try {
        reference = JSON.parse(bad.toString('utf8'));
      } catch {
        reference = undefined;
      }
      if (reference !== null && typeof reference === 'object' && !Array.isArray(reference)) {
        const event = wireEvent(bad);
        assert.deepEqual(JSON.parse(event.toJson()), event.toObject());
      } else {
        assert.throws(() => jsonEventSource(bad), EslProtocolError);
      }
    }),
    { numRuns: 1000 },
  );
});
