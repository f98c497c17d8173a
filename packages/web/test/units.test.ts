// The dashboard's pure parts: channel table, event ring, rates, park view, page command checks.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import type { EventPayload } from '@fsbus/contract';
import { ChannelTable, EventLog, RateSeries, WebErrorCode, isNewCall, parkFrom, parseCommand, parseShowChannels, readShowChannels } from '@fsbus/web';

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

test('a re-read keeps the creation time events gave (µs), not the listing\'s whole seconds', () => {
  const t = new ChannelTable();
  t.apply(ev('CHANNEL_CREATE', 'a', { 'Caller-Channel-Created-Time': '1700000000750000' }));
  t.apply(ev('CHANNEL_CREATE', 'b', { 'Caller-Channel-Created-Time': '1700000000250000' }));
  t.sync('n1', [{ uuid: 'a', created_epoch: '1700000000' }, { uuid: 'b', created_epoch: '1700000000' }, { uuid: 'c', created_epoch: '1700000001' }], 0);
  assert.deepEqual(['a', 'b', 'c'].map((u) => t.get(u)?.created), [1_700_000_000_750, 1_700_000_000_250, 1_700_000_001_000]);
});

test('the channel table is bounded', () => {
  const t = new ChannelTable(3);
  for (let i = 0; i < 5; i++) t.apply(ev('CHANNEL_CREATE', `u${i}`));
  assert.deepEqual(t.list().map((c) => c.uuid), ['u2', 'u3', 'u4']);
});

test('a channel dropped from a full table: its later events do not bring it back while full, they do once there is room', () => {
  const t = new ChannelTable(3);
  for (const u of ['u1', 'u2', 'u3', 'u4']) t.apply(ev('CHANNEL_CREATE', u));
  assert.deepEqual([t.list().map((c) => c.uuid), t.evicted], [['u2', 'u3', 'u4'], 1]);
  // u1's answer arrives after it was dropped: nothing changes, nothing counted again.
  assert.equal(t.apply(ev('CHANNEL_ANSWER', 'u1', { 'Channel-Call-State': 'ACTIVE' })), undefined);
  assert.deepEqual([t.list().map((c) => c.uuid), t.evicted], [['u2', 'u3', 'u4'], 1]);
  // A listing naming it does not either.
  assert.deepEqual(t.sync('n1', [{ uuid: 'u1' }, { uuid: 'u2' }, { uuid: 'u3' }, { uuid: 'u4' }], Date.now()).removes, []);
  assert.deepEqual([t.list().map((c) => c.uuid), t.evicted], [['u2', 'u3', 'u4'], 1]);
  // Room again (u2 hung up): u1's next event brings it back, dropping nothing.
  t.apply(ev('CHANNEL_HANGUP_COMPLETE', 'u2'));
  assert.deepEqual(t.apply(ev('CHANNEL_EXECUTE', 'u1', { Application: 'park' }))?.removes, []);
  assert.deepEqual([t.list().map((c) => c.uuid), t.evicted], [['u3', 'u4', 'u1'], 1]);
});

test('a full table re-read keeps its newer channels: the ones it dropped do not come back (nor count again)', () => {
  const t = new ChannelTable(3);
  const at = (s: number): Record<string, string> => ({ 'Caller-Channel-Created-Time': String(s * 1_000_000 + 500_000) });
  for (let i = 1; i <= 5; i++) t.apply(ev('CHANNEL_CREATE', `u${i}`, at(1_700_000_000 + i)));
  assert.equal(t.evicted, 2);
  const listing = [1, 2, 3, 4, 5].map((i) => ({ uuid: `u${i}`, created_epoch: String(1_700_000_000 + i) }));
  const change = t.sync('n1', listing, 0);
  assert.deepEqual([t.list().map((c) => c.uuid), t.evicted, change.removes, change.upserts.map((c) => c.uuid)], [['u3', 'u4', 'u5'], 2, [], ['u3', 'u4', 'u5']]);
  // A channel newer than the oldest kept (its events missed) still comes in, dropping that one.
  const newer = t.sync('n1', [...listing, { uuid: 'u6', created_epoch: String(1_700_000_006) }], 0);
  assert.deepEqual([t.list().map((c) => c.uuid), t.evicted, newer.removes], [['u4', 'u5', 'u6'], 3, ['u3']]);
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

test('a full channel table reports the channel it drops as a removal, and counts it', () => {
  const t = new ChannelTable(2);
  t.apply(ev('CHANNEL_CREATE', 'u0'));
  t.apply(ev('CHANNEL_CREATE', 'u1'));
  // Pages drop what a change removes: without it they kept the evicted row for ever.
  assert.deepEqual(t.apply(ev('CHANNEL_CREATE', 'u2'))?.removes, ['u0']);
  assert.equal(t.evicted, 1);
  // A list longer than the table: the rows it pushes out are removals, never upserts too. (Rows
  // with no creation time are taken as started at the read: newer than the table's.)
  const change = t.sync('n1', [{ uuid: 'u1' }, { uuid: 'u2' }, { uuid: 's1' }, { uuid: 's2' }], Date.now());
  assert.deepEqual(change.removes, ['u1', 'u2']);
  assert.deepEqual(change.upserts.map((r) => r.uuid), ['s1', 's2']);
  assert.deepEqual(t.list().map((r) => r.uuid), ['s1', 's2']);
  assert.equal(t.evicted, 3);
});

// Headers as FreeSWITCH 1.10.12 sends them for `originate loopback/7001 &park()`
// (/work/shared/fixtures/real-fs-1.10.12/shared-json.bin): the two halves name each other only
// in variable_other_loopback_leg_uuid.
const LOOP_A = '11111111-0000-4000-8000-000000000001';
const LOOP_B = '4114b076-64d2-4ed8-a855-f7b501a28987';
const loopA = { 'Channel-Name': 'loopback/7001-a', 'Call-Direction': 'outbound', variable_loopback_leg: 'A', variable_other_loopback_leg_uuid: LOOP_B };
const loopB = { 'Channel-Name': 'loopback/7001-b', 'Call-Direction': 'inbound', variable_loopback_leg: 'B', variable_other_loopback_leg_uuid: LOOP_A };

test('a timeline holds the events of the other half of a loopback channel', () => {
  const log = new EventLog();
  log.add(ev('CHANNEL_CREATE', LOOP_A, loopA));
  log.add(ev('CHANNEL_CREATE', LOOP_B, loopB));
  log.add(ev('CHANNEL_EXECUTE', LOOP_B, { ...loopB, Application: 'bridge', 'Application-Data': 'user/1000' }));
  log.add(ev('CHANNEL_CREATE', 'c-leg', { 'Other-Leg-Unique-ID': LOOP_B }));
  log.add(ev('CHANNEL_CREATE', 'unrelated'));
  assert.deepEqual(log.timeline(LOOP_A).map((e) => `${e.name} ${e.uuid ?? ''}`), [`CHANNEL_CREATE ${LOOP_A}`, `CHANNEL_CREATE ${LOOP_B}`, `CHANNEL_EXECUTE ${LOOP_B}`]);
  assert.deepEqual(log.timeline(LOOP_B).map((e) => e.uuid), [LOOP_A, LOOP_B, LOOP_B, 'c-leg']);
});

test('one loopback originate is one call per second, not two', () => {
  const r = new RateSeries(10_000, 5);
  r.count(ev('CHANNEL_CREATE', LOOP_A, loopA), 10_100);
  r.count(ev('CHANNEL_CREATE', LOOP_B, loopB), 10_200);
  assert.deepEqual(r.roll(11_000), [{ t: 10_000, calls: 1, events: 2 }]);
  assert.equal(isNewCall(ev('CHANNEL_CREATE', LOOP_A, loopA)), true);
  assert.equal(isNewCall(ev('CHANNEL_CREATE', LOOP_B, loopB)), false);
});

test('the event log is bounded by bytes too: a few huge events cannot hold the heap', () => {
  const log = new EventLog(2000, 10_000);
  const big = 'x'.repeat(4000);
  const first = log.add({ ...ev('CUSTOM', undefined, { 'Event-Subclass': 'big::event' }), body: big });
  for (let i = 0; i < 10; i++) log.add({ ...ev('CUSTOM', undefined, { 'Event-Subclass': 'big::event' }), body: big });
  assert.ok(log.bytes <= 10_000, `${log.bytes} bytes kept`);
  assert.equal(log.size, 2);
  assert.equal(log.get(first.id), undefined);
  // One event over the whole bound is still kept (alone): the newest is always there.
  const huge = log.add({ ...ev('CUSTOM', undefined), body: 'y'.repeat(20_000) });
  assert.deepEqual([log.size, log.get(huge.id)?.body?.length], [1, 20_000]);
});

test('show channels as json from a rogue or broken responder: rows that are not channels are left out (not whole), rows that are not a list are no listing', () => {
  assert.deepEqual(readShowChannels('{"row_count":3,"rows":[null,{"uuid":"a"},{"uuid":7}]}'), { rows: [{ uuid: 'a' }], complete: false });
  assert.throws(() => readShowChannels('{"row_count":1,"rows":5}'), /not a show channels listing/);
  assert.deepEqual(readShowChannels('{"row_count": 0}\n'), { rows: [], complete: true });
  const t = new ChannelTable();
  t.apply(ev('CHANNEL_CREATE', 'u2', { 'Caller-Channel-Created-Time': '1000000' }));
  const listing = readShowChannels('{"row_count":2,"rows":[null,{"uuid":"u1"}]}');
  assert.deepEqual(t.sync('n1', listing.rows, Date.now(), listing.complete).removes, [], 'a listing that is not whole removes nothing');
});

test('show channels: a listing with a value broken over lines is not complete, and a table synced from it removes nothing', () => {
  const head = 'uuid,direction,created,created_epoch,name,state,application,application_data,callstate';
  const row = (uuid: string, data: string): string => `${uuid},inbound,2026-12-04 02:57:32,1796353052,sofia/internal/1001,CS_EXECUTE,playback,${data},ACTIVE`;
  const of = (...rows: string[]): string => `${head}\n${rows.join('\n')}\n\n${rows.length} total.\n`;
  assert.deepEqual(readShowChannels(of(row('u1', 'a'), row('u2', 'b, with a comma'))).complete, true);
  assert.deepEqual(readShowChannels('\n0 total.\n'), { rows: [], complete: true });
  assert.deepEqual(readShowChannels('{"row_count":1,"rows":[{"uuid":"a"}]}').complete, true);
  // Split in two short lines; in two lines the second of which has enough fields (its commas);
  // with a blank line in the value (not the end of the listing).
  for (const data of ['one\ntwo', 'one\nx,y,z,1,a,b,c,d,e,f,g', 'one\n\ntwo,three']) {
    const listing = readShowChannels(of(row('u1', 'a'), row('u2', data)));
    assert.deepEqual([listing.rows.map((r) => r['uuid']), listing.complete], [['u1'], false], JSON.stringify(data));
  }
  // `N total.` that does not match the rows, or missing (the reply was cut).
  assert.equal(readShowChannels(`${head}\n${row('u1', 'a')}\n\n2 total.\n`).complete, false);
  assert.equal(readShowChannels(`${head}\n${row('u1', 'a')}\n`).complete, false);
  const t = new ChannelTable();
  t.apply(ev('CHANNEL_CREATE', 'u2', { 'Caller-Channel-Created-Time': '1000000' }));
  const listing = readShowChannels(of(row('u1', 'a'), row('u2', 'one\ntwo')));
  assert.deepEqual(t.sync('n1', listing.rows, Date.now(), listing.complete).removes, []);
  assert.deepEqual(t.list().map((r) => r.uuid).sort(), ['u1', 'u2']);
  assert.deepEqual(t.sync('n1', readShowChannels(of(row('u1', 'a'))).rows, Date.now(), true).removes, ['u2']);
});

test('show channels: JSON, or the delimited listing (any delimiter), rows with the delimiter in a value cut to safe columns', () => {
  assert.deepEqual(parseShowChannels('{"row_count": 0}\n'), []);
  assert.deepEqual(parseShowChannels('\n0 total.\n'), []);
  assert.deepEqual(parseShowChannels('{"row_count":1,"rows":[{"uuid":"a"}]}').map((r) => r['uuid']), ['a']);
  const head = 'uuid,direction,created,created_epoch,name,state,cid_name,cid_num,dest,callstate';
  const csv = `${head}\nu1,inbound,2026-12-04 02:57:32,1796353052,sofia/internal/1001,CS_EXECUTE,Caller 1001,1001,7001,ACTIVE\n` +
    'u2,outbound,2026-12-04 02:57:33,1796353053,loopback/7008-a,CS_EXECUTE,Doe, John,1002,7008,RINGING\n\n2 total.\n';
  const rows = parseShowChannels(csv);
  assert.deepEqual(rows[0], { uuid: 'u1', direction: 'inbound', created: '2026-12-04 02:57:32', created_epoch: '1796353052', name: 'sofia/internal/1001', state: 'CS_EXECUTE', cid_name: 'Caller 1001', cid_num: '1001', dest: '7001', callstate: 'ACTIVE' });
  assert.deepEqual(rows[1], { uuid: 'u2', direction: 'outbound', created: '2026-12-04 02:57:33', created_epoch: '1796353053', name: 'loopback/7008-a', state: 'CS_EXECUTE' });
  assert.deepEqual(parseShowChannels(csv.replaceAll(',', '|').replace('Doe| John', 'Doe, John')).map((r) => r['cid_name']), ['Caller 1001', 'Doe, John']);
  // A cut row keeps what the table knew of the rest.
  const t = new ChannelTable();
  t.apply(ev('CHANNEL_CREATE', 'u2', { 'Caller-Caller-ID-Number': '1002', 'Caller-Destination-Number': '7008' }));
  t.sync('n1', rows, 0);
  assert.deepEqual([t.get('u2')?.caller, t.get('u2')?.destination, t.get('u2')?.name], ['1002', '7008', 'loopback/7008-a']);
  assert.throws(() => parseShowChannels('-ERR no reply\n'), /not a show channels listing/);
});
