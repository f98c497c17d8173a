import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { EslEvent } from '@fsbus/esl';
import { EventFilter, buildEventPayload, encodeEventPayload, decodeReply, encodeReply, errorReply, successReply, BusErrorCode } from '@fsbus/contract';

void test('reply envelope: first six keys exactly, then data, code, correlation_id', () => {
  const ok = successReply({ nodeId: 'n1', message: 'API command executed', data: 'UP', correlationId: 'c', timestamp: 1 });
  assert.deepEqual(Object.keys(ok), ['success', 'status', 'message', 'timestamp', 'node_id', 'data', 'correlation_id']);
  const err = errorReply({ nodeId: '', message: 'Payload too large', code: BusErrorCode.PAYLOAD_TOO_LARGE, timestamp: 2 });
  assert.equal(
    new TextDecoder().decode(encodeReply(err)),
    '{"success":false,"status":"error","message":"Payload too large","timestamp":2,"node_id":"unknown","code":"FSBUS_ERR_BUS_PAYLOAD_TOO_LARGE"}',
  );
  assert.deepEqual(decodeReply(encodeReply(ok)), ok);
  const ts = successReply({ nodeId: 'n', message: 'm' }).timestamp;
  assert.ok(Number.isSafeInteger(ts) && ts > 1_600_000_000_000_000, 'timestamp is in microseconds');
});

void test('event payload: keys, µs timestamp from Event-Date-Timestamp, uuid and body when present', () => {
  const e = new EslEvent([
    ['Event-Name', 'CHANNEL_ANSWER'],
    ['Unique-ID', 'abc'],
    ['Event-Date-Timestamp', '1733433600000000'],
  ]);
  const p = buildEventPayload(e, 'n1');
  assert.deepEqual(Object.keys(p), ['event_name', 'timestamp', 'node_id', 'uuid', 'headers']);
  assert.equal(p.timestamp, 1733433600000000);
  assert.equal(p.uuid, 'abc');
  const custom = new EslEvent([['Event-Name', 'CUSTOM'], ['Event-Subclass', 'fsbus::demo']], 'line1\nline2');
  const c = buildEventPayload(custom, 'n1');
  assert.deepEqual(Object.keys(c), ['event_name', 'timestamp', 'node_id', 'headers', 'body']);
  assert.equal(c.body, 'line1\nline2');
});

void test('encodeEventPayload writes exactly JSON.stringify(buildEventPayload), key order included', () => {
  const events = [
    new EslEvent([['Event-Name', 'CHANNEL_ANSWER'], ['Unique-ID', 'abc'], ['Event-Date-Timestamp', '1733433600000000'], ['Q', 'a "quoted" \\ value']]),
    new EslEvent([['Event-Name', 'CUSTOM'], ['Event-Subclass', 'fsbus::demo'], ['Event-Date-Timestamp', '_undef_']], 'line1\nline2'),
    new EslEvent([['Event-Name', 'HEARTBEAT'], ['Unique-ID', ''], ['Multi', 'ARRAY::a|:b']]),
  ];
  for (const e of events) {
    const expected = buildEventPayload(e, 'node "1"');
    const text = encodeEventPayload(e, 'node "1"');
    const parsed = JSON.parse(text) as typeof expected;
    if (e.getHeader('Event-Date-Timestamp') === undefined) parsed.timestamp = expected.timestamp; // both fall back to "now"
    assert.equal(JSON.stringify(parsed), JSON.stringify(expected));
  }
  // A source without getHeader/toJson (any EventSource) takes the same path.
  const bare = { name: 'API', headers: new Map([['Event-Name', 'API'], ['Event-Date-Timestamp', '5']]) };
  assert.equal(encodeEventPayload(bare, 'n'), JSON.stringify(buildEventPayload(bare, 'n')));
});

void test('filter: include/exclude, exclude wins, CUSTOM::subclass entries', () => {
  const all = new EventFilter();
  assert.equal(all.matches('HEARTBEAT'), true);
  assert.equal(all.matches('CUSTOM', 'sofia::register'), true);
  assert.deepEqual(all.plan().names, ['ALL']);

  const f = new EventFilter({ include: ['CHANNEL_CREATE', 'CHANNEL_ANSWER', 'CUSTOM::sofia::register'], exclude: ['CHANNEL_ANSWER'] });
  assert.equal(f.matches('CHANNEL_CREATE'), true);
  assert.equal(f.matches('CHANNEL_ANSWER'), false);
  assert.equal(f.matches('HEARTBEAT'), false);
  assert.equal(f.matches('CUSTOM', 'sofia::register'), true);
  assert.equal(f.matches('CUSTOM', 'sofia::unregister'), false);
  assert.deepEqual(f.plan().names, ['CHANNEL_CREATE', 'CUSTOM', 'sofia::register']);

  const noCustom = new EventFilter({ exclude: ['CUSTOM', 'HEARTBEAT'] });
  const names = noCustom.plan().names;
  assert.ok(!names.includes('ALL') && !names.includes('CUSTOM') && !names.includes('HEARTBEAT'));
  assert.ok(names.includes('CHANNEL_CREATE'));
  assert.equal(noCustom.matches('CUSTOM', 'x::y'), false);

  // Every CUSTOM wanted but some names excluded: ALL on the wire, exclusion applied locally.
  const minusHeartbeat = new EventFilter({ exclude: ['HEARTBEAT', 'CUSTOM::sofia::expire'] });
  assert.deepEqual(minusHeartbeat.plan().names, ['ALL']);
  assert.equal(minusHeartbeat.matches('HEARTBEAT'), false);
  assert.equal(minusHeartbeat.matches('CUSTOM', 'sofia::expire'), false);
  assert.equal(minusHeartbeat.matches('CUSTOM', 'sofia::register'), true);

  assert.deepEqual(new EventFilter({ exclude: ['ALL'] }).plan().names, []);
});
