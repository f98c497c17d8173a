// Rates count an event in the second it happened (its envelope timestamp, µs), not the second it
// arrived: a broker stall's backlog must not draw a spike. Explicit times, no clock.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import type { EventPayload } from '@fsbus/contract';
import { RateSeries } from '@fsbus/web';

const T0 = 1_700_000_000_000; // ms, a whole second
const ev = (name: string, atMs: number, uuid = `u${atMs}`): EventPayload => ({
  event_name: name,
  timestamp: atMs * 1000,
  node_id: 'n1',
  uuid,
  headers: { 'Event-Name': name, 'Unique-ID': uuid },
});

test('a backlog delivered after a 30 s stall is counted in the seconds it happened, the closed ones amended', () => {
  const r = new RateSeries(T0, 60);
  // 2 calls a second (one CHANNEL_CREATE and one CHANNEL_ANSWER each) during seconds 0..29, all arriving at once at 30.5 s.
  const arrival = T0 + 30_500;
  const closed = r.roll(arrival);
  assert.equal(closed.length, 30);
  for (let s = 0; s < 30; s++) {
    for (const k of [100, 600]) {
      r.count(ev('CHANNEL_CREATE', T0 + s * 1000 + k), arrival);
      r.count(ev('CHANNEL_ANSWER', T0 + s * 1000 + k), arrival);
    }
  }
  const amended = r.roll(T0 + 31_000);
  // The 30 stalled seconds (amended, oldest first), then second 30, closed empty.
  assert.deepEqual(amended.map((p) => p.t), [...Array.from({ length: 30 }, (_, s) => T0 + s * 1000), T0 + 30_000]);
  for (const p of amended.slice(0, 30)) assert.deepEqual({ calls: p.calls, events: p.events }, { calls: 2, events: 4 }, `second ${(p.t - T0) / 1000}`);
  assert.deepEqual(amended.at(-1), { t: T0 + 30_000, calls: 0, events: 0 }, 'no spike in the second the backlog arrived');
  assert.deepEqual(r.points().map((p) => p.events), [...Array<number>(30).fill(4), 0]);
  assert.deepEqual(r.roll(T0 + 31_500), [], 'amended seconds are handed out once');
});

test('an event older than the window is not counted; one far in the future counts on arrival; a little ahead counts now', () => {
  const r = new RateSeries(T0, 10);
  const now = T0 + 20_200;
  r.roll(now);
  r.count(ev('CHANNEL_CREATE', T0 + 5_000), now); // 15 s old, the window is 10 s
  r.count(ev('CHANNEL_CREATE', now + 3_600_000), now); // a node clock an hour ahead
  r.count(ev('CHANNEL_ANSWER', now + 900), now); // within the skew
  assert.deepEqual(r.roll(T0 + 21_000), [{ t: T0 + 20_000, calls: 1, events: 2 }]);
  assert.ok(r.points().every((p) => p.t !== T0 + 5_000 || p.events === 0));
});
