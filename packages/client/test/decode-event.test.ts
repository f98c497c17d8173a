// decodeEvent reads what any publisher may put on an event subject: header values other than
// strings must not reach a reader that calls string methods on them.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { decodeEvent } from '../src/index.js';

const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

void test('decodeEvent: header values are strings: numbers and booleans as text, null and objects left out', () => {
  const e = decodeEvent('freeswitch.events.channel.execute', enc({
    event_name: 'CHANNEL_EXECUTE',
    node_id: 'n1',
    timestamp: 1,
    headers: { 'Application': 'playback', 'Application-Data': null, 'Seq': 7, 'Up': true, 'Nested': { a: 1 }, 'List': ['x'] },
  }));
  assert.ok(e !== undefined);
  assert.deepEqual(e.headers, { Application: 'playback', Seq: '7', Up: 'true' });
  assert.equal(e.applicationData, undefined);
});

void test('decodeEvent: what is not an event is undefined, never a throw', () => {
  for (const bad of ['not json', 'null', '[]', '{"event_name":1,"node_id":"n","headers":{}}', '{"event_name":"X","node_id":"n","headers":null}']) {
    assert.equal(decodeEvent('s', new TextEncoder().encode(bad)), undefined, bad);
  }
});

void test('decodeEvent: a timestamp no Date can hold is 0 (no time given), so `date` is always a valid date', () => {
  for (const t of [1e300, -1e300, 8.64e18 + 1e6]) {
    const e = decodeEvent('s', enc({ event_name: 'X', node_id: 'n', timestamp: t, headers: {} }));
    assert.equal(e?.timestamp, 0, String(t));
  }
  const ok = decodeEvent('s', enc({ event_name: 'X', node_id: 'n', timestamp: 1_700_000_000_000_000, headers: {} }));
  assert.equal(ok?.date.toISOString(), '2023-11-14T22:13:20.000Z');
});
