/**
 * The plain decoder checks for repeated header names before `forEachHeader` walks the lines
 * without a Map. FreeSWITCH events carry many names of one length that share their first,
 * middle and last characters (`variable_sip_*`, numbered `variable_*`), some their whole ending
 * (`sameShape`: the check's quick pass hashes them alike and falls back to hashing every
 * character): each must stay its own header, and a real repeat among them must still keep its
 * first position and its last value.
 */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { decodeFrame, encodeFrame, EslParser, parsePlainEvent, type EslEvent, type EslFrame } from '../src/index.js';

function plainBody(lines: ReadonlyArray<readonly [string, string]>): Buffer {
  return Buffer.from(`${lines.map(([name, value]) => `${name}: ${value}\n`).join('')}\n`, 'utf8');
}

function eventOf(body: Buffer): EslEvent {
  const frames: EslFrame[] = [];
  new EslParser((raw) => frames.push(decodeFrame(raw))).push(encodeFrame([['Content-Type', 'text/event-plain']], body));
  const frame = frames[0];
  assert.ok(frame?.kind === 'event');
  return frame.event;
}

/** What every reading must give: each name once, at its first line, with its last value. */
function expectedHeaders(lines: ReadonlyArray<readonly [string, string]>): Array<[string, string]> {
  const map = new Map<string, string>();
  for (const [name, value] of lines) map.set(name, value);
  return [...map];
}

function assertDecodes(lines: ReadonlyArray<readonly [string, string]>, label: string): void {
  const expected = expectedHeaders(lines);
  const body = plainBody(lines);
  assert.deepStrictEqual([...parsePlainEvent(body).headers], expected, `${label}: parsePlainEvent`);
  const walked: Array<[string, string]> = [];
  eventOf(body).forEachHeader((value, name) => walked.push([name, value]));
  assert.deepStrictEqual(walked, expected, `${label}: forEachHeader before the Map`);
  const event = eventOf(body);
  for (const [name, value] of expected) assert.equal(event.getHeader(name), value, `${label}: getHeader(${name})`);
  assert.deepStrictEqual([...event.headers], expected, `${label}: headers`);
}

/** Name `i` of a family whose names all have one length, first, middle and last character. */
const sameShape = (i: number): string => `variable_sim_${String(i).padStart(2, '0')}_var_x`;
const shapeOf = (n: string): string => `${n.length}${n[0]}${n[n.length >> 1]}${n.at(-1)}`;
const simVar = (i: number): string => `variable_sim_var_${String(i).padStart(2, '0')}`;

void test('names of one length and the same first, middle and last characters stay distinct headers', () => {
  const names = Array.from({ length: 90 }, (_, i) => sameShape(i + 1));
  assert.equal(new Set(names.map(shapeOf)).size, 1, 'the family really shares its shape');
  assertDecodes([['Event-Name', 'CHANNEL_CREATE'], ...names.map((n, i) => [n, `v${i}`] as const)], 'same-shape names');
  // The reviewer's names: 80 of length 19 sharing three characters, the last digit aside.
  assertDecodes([['Event-Name', 'CHANNEL_CREATE'], ...Array.from({ length: 90 }, (_, i) => [simVar(i + 1), `v${i}`] as const)], 'variable_sim_var_01..90');
});

void test('a repeated name among same-shape names keeps its first position and its last value', () => {
  const lines = Array.from({ length: 90 }, (_, i) => [sameShape(i + 1), `v${i}`] as const);
  const at = (i: number, line: readonly [string, string]) => [...lines.slice(0, i), line, ...lines.slice(i)];
  const cases: Array<[string, Array<readonly [string, string]>]> = [
    ['repeat last', [...lines, [sameShape(45), 'again']]],
    ['repeat of the first, in the middle', at(50, [sameShape(1), 'again'])],
    ['repeat right after itself', at(1, [sameShape(1), 'again'])],
    ['two repeats', [...at(30, [sameShape(89), 'once']), [sameShape(89), 'twice'], [sameShape(2), 'x']]],
  ];
  for (const [label, withRepeat] of cases) {
    const expected = expectedHeaders(withRepeat);
    assert.equal(expected.length, 90, label);
    assertDecodes(withRepeat, label);
  }
});

void test('thousands of same-shape names, with and without a repeat', () => {
  const name = (i: number): string => `variable_sip_from_user_${String(i).padStart(4, '0')}_x`;
  const lines = Array.from({ length: 3000 }, (_, i) => [name(i), `v${i}`] as const);
  assert.equal(new Set(lines.map(([n]) => shapeOf(n))).size, 1);
  assertDecodes(lines, '3000 names');
  assertDecodes([...lines, [name(1234), 'again']], '3000 names, one repeated');
});
