// Remote text made safe to print: C0/DEL/C1 and bidi controls shown as escapes, one-line or
// multi-line; JSON output with C1/DEL/bidi as \u escapes (the same value, still valid JSON).
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { terminalJson, terminalLine, terminalText } from '@fsbus/contract';

const ESC = '\x1b';
/** The review's caller number: OSC 52 (writes the clipboard), clear screen, RLO, NUL. */
const EVIL = `1000${ESC}]52;c;cm0gLXJmIH4=\x07${ESC}[2J\u202eevil\0`;
/** Every code point the helper escapes. */
const CONTROLS = [
  ...Array.from({ length: 0x20 }, (_, i) => i),
  ...Array.from({ length: 0x21 }, (_, i) => 0x7f + i),
  0x061c, 0x200e, 0x200f, 0x2028, 0x2029, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069,
].map((cp) => String.fromCodePoint(cp));
const RAW_CONTROL = /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

void test('terminalLine: ordinary text, accents, CJK and emoji come back unchanged (the same string)', () => {
  for (const s of ['', '1000', 'sofia/internal/1001@10.0.0.1', 'Zoë Ñúñez', '山田太郎', 'שלום', '📞 +33 1 23', 'a\\x1b stays']) assert.equal(terminalLine(s), s);
});

void test("terminalLine: the review's caller number is shown, escaped, on one line", () => {
  assert.equal(terminalLine(EVIL), '1000\\x1b]52;c;cm0gLXJmIH4=\\x07\\x1b[2J\\u202eevil\\x00');
  assert.equal(terminalLine('a\nb\r\nc\td'), 'a\\nb\\r\\nc\\td');
  assert.equal(terminalLine('\x7f\x80\x85\x9b\x9f'), '\\x7f\\x80\\x85\\x9b\\x9f');
  assert.equal(terminalLine('\u200e\u200f\u061c\u2028\u2029\u2066\u2069'), '\\u200e\\u200f\\u061c\\u2028\\u2029\\u2066\\u2069');
  for (const c of CONTROLS) assert.doesNotMatch(terminalLine(`x${c}y`), RAW_CONTROL, JSON.stringify(c));
});

void test('terminalText: keeps \\n, \\t and \\r\\n of multi-line output; escapes every other control', () => {
  assert.equal(terminalText('UP 0 years\n\tsessions: 3\r\nend'), 'UP 0 years\n\tsessions: 3\r\nend');
  assert.equal(terminalText(EVIL), terminalLine(EVIL));
  // A lone CR would send the cursor back over the line and overwrite it.
  assert.equal(terminalText('+OK done\rFAKE'), '+OK done\\rFAKE');
  assert.equal(terminalText('a\r\r\nb'), 'a\\r\r\nb');
  for (const c of CONTROLS.filter((ch) => ch !== '\n' && ch !== '\t' && ch !== '\r')) assert.doesNotMatch(terminalText(`x${c}y`), RAW_CONTROL, JSON.stringify(c));
});

void test('terminalJson: the same value, valid JSON, with no raw control, C1 or bidi character', () => {
  const value = { n: EVIL, c1: '\x85\x9b', del: '\x7f', bidi: '\u202e\u2066\u200f', sep: '\u2028', back: '\\\u202e', ok: 'Zoë', list: [1, null, 'x'] };
  for (const text of [terminalJson(value), terminalJson(value, 2)]) {
    // Indented JSON has its own line breaks, outside the strings.
    assert.doesNotMatch(text, /[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/);
    assert.deepEqual(JSON.parse(text), value);
  }
  assert.equal(terminalJson({ bidi: '\u202e' }), '{"bidi":"\\u202e"}');
  assert.equal(terminalJson({ ok: 'plain' }), JSON.stringify({ ok: 'plain' }));
  assert.equal(terminalJson({ a: 1 }, 2), JSON.stringify({ a: 1 }, null, 2));
  // An object with toJSON (a BusEvent) is stringified as JSON.stringify would.
  assert.equal(terminalJson({ toJSON: () => ({ x: '\x9b' }) }), '{"x":"\\u009b"}');
});
