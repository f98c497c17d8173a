// fsbus events' stderr warnings about malformed events, throttled on a clock the test drives:
// the first at once with its reason, the rest counted by subject at most once per 10 s, the total
// at the end. (The broker-backed run is in malformed-input.test.ts.)
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { ClientError, ClientErrorCode, type MalformedEvent } from '@fsbus/client';
import { MalformedWarnings } from '../src/commands/malformed-warnings.js';

const bad = (subject: string): MalformedEvent => ({
  subject,
  data: new Uint8Array(0),
  error: new ClientError(ClientErrorCode.BAD_EVENT, `events: a message on ${subject} is not an fsbus event: it is empty`),
});

void test('MalformedWarnings: one line at once, then at most one per 10 s counting by subject, and the total at close', () => {
  const lines: string[] = [];
  let now = 0;
  const w = new MalformedWarnings((l) => lines.push(l), () => now);
  w.note(bad('fs.events.a'));
  assert.deepEqual(lines, ['fsbus events: FSBUS_ERR_CLIENT_BAD_EVENT: events: a message on fs.events.a is not an fsbus event: it is empty (skipped)']);
  for (let i = 0; i < 1000; i++) w.note(bad(i % 4 === 0 ? 'fs.events.b' : 'fs.events.a'));
  now = 9_999;
  w.note(bad('fs.events.a'));
  assert.equal(lines.length, 1, 'a flood within the interval says nothing more yet');
  now = 10_000;
  w.note(bad('fs.events.b'));
  assert.deepEqual(lines.slice(1), ['fsbus events: skipped another 1002 malformed events (fs.events.b: 251, fs.events.a: 751)']);
  w.close();
  assert.deepEqual(lines.slice(2), ['fsbus events: 1003 malformed events skipped (fs.events.a: 752, fs.events.b: 251)']);
});

void test('MalformedWarnings: nothing malformed, nothing said; many subjects are named five at a time', () => {
  const quiet: string[] = [];
  new MalformedWarnings((l) => quiet.push(l), () => 0).close();
  assert.deepEqual(quiet, []);
  const lines: string[] = [];
  const w = new MalformedWarnings((l) => lines.push(l), () => 0);
  for (let i = 0; i < 7; i++) w.note(bad(`s.${i}`));
  w.close();
  assert.equal(lines.at(-1), 'fsbus events: 7 malformed events skipped (s.0: 1, s.1: 1, s.2: 1, s.3: 1, s.4: 1, and 2 on other subjects)');
});

void test('MalformedWarnings: past 100 subjects the rest are counted together, so memory stays bounded', () => {
  const lines: string[] = [];
  const w = new MalformedWarnings((l) => lines.push(l), () => 0);
  for (let i = 0; i < 250; i++) w.note(bad(`s.${i}`));
  w.close();
  assert.equal(lines.at(-1), 'fsbus events: 250 malformed events skipped (s.0: 1, s.1: 1, s.2: 1, s.3: 1, s.4: 1, and 245 on other subjects)');
});
