// The dashboard's pure parts: channel table, event ring, rates, park view, page command checks.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import type { EventPayload } from '@fsbus/contract';
import { ChannelTable, EventLog, RateSeries, WebErrorCode, isNewCall, parkFrom, parseCommand } from '@fsbus/web';

const ev = (name: string, uuid: string | undefined, headers: Record<string, string> = {}, ts = 1_700_000_000_000_000): EventPayload => ({
  event_name: name,
  timestamp: ts,
  node_id: 'n1',
  ...(uuid === undefined ? {} : { uuid }),
  headers: { 'Event-Name': name, ...(uuid === undefined ? {} : { 'Unique-ID': uuid }), ...headers },
});

test('a channel lives from CHANNEL_CREATE to CHANNEL_HANGUP_COMPLETE, and a late event cannot bring it back', () => {
  const t = new ChannelTable();
  const created = t.apply(ev('CHANNEL_CREATE', 'u1', { 'Call-Direction': 'inbound', 'Caller-Caller-ID-Number': '1001', 'Caller-Destination-Number': '7001', 'Channel-Call-State': 'DOWN' }));
  assert.equal(created?.upserts[0]?.caller, '1001');
  t.apply(ev('CHANNEL_EXECUTE', 'u1', { Application: 'park', 'Application-Data': '' }));
  t.apply(ev('CHANNEL_ANSWER', 'u1', { 'Channel-Call-State': 'ACTIVE' }));
  assert.deepEqual({ state: t.get('u1')?.state, app: t.get('u1')?.application, dest: t.get('u1')?.destination }, { state: 'ACTIVE', app: 'park', dest: '7001' });
  assert.equal(t.apply(ev('CHANNEL_HANGUP', 'u1'))?.upserts[0]?.state, 'HANGUP');
  assert.deepEqual(t.apply(ev('CHANNEL_HANGUP_COMPLETE', 'u1'))?.removes, ['u1']);
  assert.deepEqual(t.apply(ev('CHANNEL_DESTROY', 'u1'))?.removes, []);
  assert.equal(t.apply(ev('CHANNEL_STATE', 'u1', { 'Channel-State': 'CS_EXECUTE' }))?.upserts.length, undefined);
  assert.equal(t.size, 0);
  assert.equal(t.apply(ev('HEARTBEAT', undefined)), undefined);
});

test('sync replaces a node\'s channels with FreeSWITCH\'s list but keeps channels newer than the list', () => {
  const t = new ChannelTable();
  t.apply(ev('CHANNEL_CREATE', 'gone', { 'Caller-Channel-Created-Time': '1000000' }));
  t.apply(ev('CHANNEL_CREATE', 'fresh', { 'Caller-Channel-Created-Time': String(5_000_000 * 1000) }));
  const change = t.sync('n1', [{ uuid: 'kept', direction: 'inbound', cid_num: '1002', dest: '9000', callstate: 'ACTIVE', application: 'park', created_epoch: '4' }], 4000);
  assert.deepEqual(change.removes, ['gone']);
  assert.deepEqual(t.list().map((c) => c.uuid).sort(), ['fresh', 'kept']);
  assert.equal(t.get('kept')?.created, 4000);
});

test('the channel table is bounded', () => {
  const t = new ChannelTable(3);
  for (let i = 0; i < 5; i++) t.apply(ev('CHANNEL_CREATE', `u${i}`));
  assert.deepEqual(t.list().map((c) => c.uuid), ['u2', 'u3', 'u4']);
});

test('the event log is a bounded ring with details by id and per-uuid timelines', () => {
  const log = new EventLog(3);
  const a = log.add(ev('CHANNEL_CREATE', 'u1', { 'Channel-Name': 'sofia/internal/1001' }));
  log.add(ev('CUSTOM', undefined, { 'Event-Subclass': 'sofia::register' }));
  log.add(ev('CHANNEL_HANGUP', 'u1', { 'Hangup-Cause': 'NORMAL_CLEARING' }));
  const d = log.add(ev('CHANNEL_DESTROY', 'u1'));
  assert.equal(log.get(a.id), undefined, 'the oldest fell out');
  assert.equal(log.get(d.id)?.headers['Unique-ID'], 'u1');
  assert.deepEqual(log.recent(10).map((e) => e.name), ['CUSTOM sofia::register', 'CHANNEL_HANGUP', 'CHANNEL_DESTROY']);
  assert.equal(log.recent(10)[1]?.summary, 'NORMAL_CLEARING');
  assert.deepEqual(log.timeline('u1').map((e) => e.name), ['CHANNEL_HANGUP', 'CHANNEL_DESTROY']);
});

test('rates count events and new calls per second, and fill quiet seconds with zeros', () => {
  const r = new RateSeries(10_000, 5);
  r.count(ev('CHANNEL_CREATE', 'a'), 10_100);
  r.count(ev('CHANNEL_CREATE', 'b', { 'Other-Leg-Unique-ID': 'a' }), 10_200);
  r.count(ev('CHANNEL_ANSWER', 'a'), 10_900);
  const closed = r.roll(13_000);
  assert.deepEqual(closed, [{ t: 10_000, calls: 1, events: 3 }, { t: 11_000, calls: 0, events: 0 }, { t: 12_000, calls: 0, events: 0 }]);
  r.roll(100_000);
  assert.equal(r.points().length, 5, 'bounded window');
  assert.equal(isNewCall(ev('CHANNEL_CREATE', 'c', { variable_originator: 'a' })), false);
});

test('park state is read from agent.status or dialplan.status, unavailable when neither says on/off', () => {
  assert.deepEqual(parkFrom({ available: false }), { available: false });
  assert.deepEqual(parkFrom({ enabled: true, mode: 'ringback', music_class: 'moh', autoanswer: false }), {
    available: true, enabled: true, audio: 'ringback', music_class: 'moh', auto_answer: false,
  });
  assert.deepEqual(parkFrom(undefined, { available: true, enabled: false }), { available: true, enabled: false });
});

test('the page may send only the dashboard\'s commands', () => {
  assert.deepEqual(parseCommand({ command: 'hangup', uuid: 'x', node_id: 'FS.Node-01' }), { nodeId: 'fs_node-01', body: { command: 'hangup', uuid: 'x' } });
  for (const bad of [null, [], 'x', { command: 'status' }, { command: 'system', args: 'rm -rf /' }, { command: 'hangup', node_id: 5 }]) {
    const r = parseCommand(bad);
    assert.ok('success' in r && r.success === false && r.code === WebErrorCode.BAD_REQUEST, JSON.stringify(bad));
  }
});
