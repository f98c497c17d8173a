/** fsUrlEncode / fsUrlDecode: FreeSWITCH's escaping, and a decoder that never throws. */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import { fsUrlDecode, fsUrlEncode } from '../src/index.js';

void test('encodes like switch_url_encode: unsafe ASCII, controls and non-ASCII bytes, upper-case hex', () => {
  assert.equal(fsUrlEncode('plain-Value_1.2~'), 'plain-Value_1.2~');
  assert.equal(fsUrlEncode('Sun, 22 Nov 2026 06:28:05 GMT'), 'Sun,%2022%20Nov%202026%2006%3A28%3A05%20GMT');
  assert.equal(fsUrlEncode('fd00::2'), 'fd00%3A%3A2');
  assert.equal(fsUrlEncode('a+b\n'), 'a%2Bb%0A');
  assert.equal(fsUrlEncode('é'), '%C3%A9');
  assert.equal(fsUrlEncode('tone_stream://%(100,0,600)'), 'tone_stream%3A//%25(100,0,600)');
});

void test('a literal upper-case %XX passes through the encoder (FreeSWITCH, double_encode off)', () => {
  assert.equal(fsUrlEncode('%41'), '%41');
  assert.equal(fsUrlDecode(fsUrlEncode('%41')), 'A', 'so a round trip turns it into the byte it names');
  assert.equal(fsUrlEncode('%4a'), '%254a', 'lower-case hex is escaped');
  assert.equal(fsUrlEncode('100%'), '100%25');
});

void test('decodes escapes; + is never a space; bad escapes stay literal; invalid UTF-8 becomes U+FFFD', () => {
  assert.equal(fsUrlDecode('Sun,%2022%20Nov'), 'Sun, 22 Nov');
  assert.equal(fsUrlDecode('a+b%2Bc'), 'a+b+c');
  assert.equal(fsUrlDecode('100%'), '100%');
  assert.equal(fsUrlDecode('%zz%4'), '%zz%4');
  assert.equal(fsUrlDecode('50%-%41'), '50%-A');
  assert.equal(fsUrlDecode('%c3%a9'), 'é', 'lower-case hex decodes');
  assert.equal(fsUrlDecode('%FF'), '\ufffd');
  assert.equal(fsUrlDecode('ok %E2%82 then %zz'), 'ok \ufffd then %zz');
});

void test('property: fsUrlDecode never throws, on anything', () => {
  const pieces = fc.oneof(fc.string(), fc.constantFrom('%', '%%', '%4', '%zz', '%FF', '%C3', '%c3%a9', '%E2%82', '+', '%2B'));
  fc.assert(
    fc.property(fc.array(pieces, { maxLength: 12 }), (parts) => {
      const out = fsUrlDecode(parts.join(''));
      assert.equal(typeof out, 'string');
    }),
    { numRuns: 1000 },
  );
});

void test('property: fsUrlDecode inverts fsUrlEncode (except a literal %XX, which passes through)', () => {
  const unit = fc.oneof(fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), fc.constantFrom('%', '+', ' ', '\n', ':', '%4', '%zz'));
  fc.assert(
    fc.property(fc.string({ unit, maxLength: 40 }), (value) => {
      const encoded = fsUrlEncode(value);
      if (/%[0-9A-F]{2}/.test(value)) {
        // The documented pass-through: the escape survives encoding and is decoded after.
        assert.ok(/%[0-9A-F]{2}/.test(encoded));
        return;
      }
      assert.equal(fsUrlDecode(encoded), value);
      assert.ok(/^[\x21-\x7e]*$/.test(encoded), 'encoded is printable ASCII without spaces');
      assert.ok(!/[\n\r :+]/.test(encoded));
    }),
    { numRuns: 1000 },
  );
});

void test('property: + never becomes a space; text without a valid escape is returned unchanged', () => {
  fc.assert(
    fc.property(fc.string({ unit: fc.oneof(fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), fc.constantFrom('+', '%', '%g1')) }), (value) => {
      const decoded = fsUrlDecode(value);
      const count = (text: string, re: RegExp): number => text.match(re)?.length ?? 0;
      // Every + survives, only %2B adds one; only %20 makes a space.
      assert.equal(count(decoded, /\+/g), count(value, /\+/g) + count(value, /%2B/gi));
      assert.equal(count(decoded, / /g), count(value, / /g) + count(value, /%20/g));
      if (!/%[0-9A-Fa-f]{2}/.test(value)) assert.equal(decoded, value);
    }),
    { numRuns: 1000 },
  );
});
