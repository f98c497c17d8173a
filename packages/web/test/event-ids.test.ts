// Event ids stay unambiguous across a restart of the dashboard server: a page holding ids of the
// old one (a paused list) must get "no longer held", never another event's detail.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import type { EventPayload } from '@fsbus/contract';
import { EventLog } from '@fsbus/web';

const ev = (name: string, uuid: string): EventPayload => ({ event_name: name, timestamp: 1_700_000_000_000_000, node_id: 'n1', uuid, headers: { 'Event-Name': name, 'Unique-ID': uuid } });

test('a log started after another (a restarted server) gives none of its ids: the old ids are not found', () => {
  const before = new EventLog();
  const old = [before.add(ev('CHANNEL_CREATE', 'a')), before.add(ev('CHANNEL_ANSWER', 'a')), before.add(ev('CHANNEL_HANGUP', 'a'))];
  const restarted = new EventLog();
  const fresh = [restarted.add(ev('CHANNEL_CREATE', 'b')), restarted.add(ev('CHANNEL_ANSWER', 'b')), restarted.add(ev('CHANNEL_HANGUP', 'b')), restarted.add(ev('CHANNEL_DESTROY', 'b'))];
  for (const o of old) assert.equal(restarted.get(o.id)?.uuid, undefined, `old id ${o.id} opened ${JSON.stringify(restarted.get(o.id)?.name)} of the restarted server`);
  assert.ok(fresh.every((f) => old.every((o) => f.id > o.id)));
  assert.deepEqual(fresh.map((f) => restarted.get(f.id)?.name), ['CHANNEL_CREATE', 'CHANNEL_ANSWER', 'CHANNEL_HANGUP', 'CHANNEL_DESTROY']);
});
