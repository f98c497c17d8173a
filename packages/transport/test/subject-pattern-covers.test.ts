// patternCovers: whether a pattern matches every subject another pattern (a stream's subjects)
// can match — what tells a NATS replay that it reads the whole stream.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { patternCovers, subjectMatches } from '../src/subject-pattern.js';

void test('patternCovers: the cases a stream subject meets', () => {
  const cases: Array<[string, string, boolean]> = [
    ['freeswitch.events.>', 'freeswitch.events.>', true],
    ['freeswitch.>', 'freeswitch.events.>', true],
    ['>', 'freeswitch.events.>', true],
    ['freeswitch.events.*', 'freeswitch.events.>', false],
    ['freeswitch.events.channel.>', 'freeswitch.events.>', false],
    ['a.*', 'a.*', true],
    ['a.*', 'a.b', true],
    ['a.b', 'a.*', false],
    ['a.>', 'a', false],
    ['a.*.c', 'a.*.c', true],
    ['a.*', 'a.b.c', false],
    ['a.b.c', 'a.b.c', true],
  ];
  for (const [pattern, space, covers] of cases) assert.equal(patternCovers(pattern, space), covers, `${pattern} covers ${space}`);
});

/** Every subject of 1–4 tokens over a, b, c: enough to show a subject one pattern of up to 3 tokens misses. */
const subjects = [1, 2, 3, 4].flatMap((n) => Array.from({ length: 3 ** n }, (_, i) => Array.from({ length: n }, (_, k) => 'abc'[Math.floor(i / 3 ** k) % 3]).join('.')));
/** A pattern of 1–3 tokens, `>` allowed last. */
const pattern = fc.tuple(fc.array(fc.constantFrom('a', 'b', '*'), { maxLength: 2 }), fc.constantFrom('a', 'b', '*', '>')).map(([head, tail]) => [...head, tail].join('.'));

void test('patternCovers: true exactly when no subject of the space escapes the pattern', () => {
  fc.assert(
    fc.property(pattern, pattern, (p, space) => {
      const escapes = subjects.find((s) => subjectMatches(space, s) && !subjectMatches(p, s));
      assert.equal(patternCovers(p, space), escapes === undefined, `${p} over ${space}: ${escapes ?? 'none'} escapes`);
    }),
    { numRuns: 2000 },
  );
});
