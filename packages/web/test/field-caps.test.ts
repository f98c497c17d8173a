// What a caller or a publisher controls cannot grow the dashboard's memory past its caps: channel
// rows keep at most 256 characters of a field (a SIP From of 16 KB included), the event log counts
// what its events really hold (summaries, and 2 bytes a character of text past Latin-1), and only
// a loopback address is served without auth.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { EventPayload } from '@fsbus/contract';
import { ChannelTable, EventLog, isLoopback, MAX_FIELD_CHARS, MAX_SUMMARY_CHARS, type ChannelView } from '@fsbus/web';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Heap growth (bytes) while `fn` runs, after a full collection on both sides. */
function heapGrowth(fn: () => void): number {
  gc();
  const before = process.memoryUsage().heapUsed;
  fn();
  gc();
  return process.memoryUsage().heapUsed - before;
}

const FIELD_CAP = MAX_FIELD_CHARS; // 256
const SUMMARY_CAP = MAX_SUMMARY_CHARS; // 200

/** A string of its own (as one parsed from a bus message), not one shared by every event. */
const distinct = (text: string): string => JSON.parse(JSON.stringify(text)) as string;
const long = (c: string, i: number, length = 16 * 1024): string => distinct(`${c.repeat(length - 8)}${String(i).padStart(8, '0')}`);

const ev = (name: string, uuid: string, headers: Record<string, string> = {}, nodeId = 'n1'): EventPayload => ({
  event_name: name,
  timestamp: 1_700_000_000_000_000,
  node_id: nodeId,
  uuid,
  headers: { 'Event-Name': name, 'Unique-ID': uuid, ...headers },
});

const TEXT_FIELDS = ['direction', 'caller', 'destination', 'name', 'state', 'application'] as const;

function assertCapped(row: ChannelView | undefined, what: string): void {
  assert.ok(row !== undefined, `${what}: no row`);
  for (const f of TEXT_FIELDS) assert.ok(row[f].length <= FIELD_CAP, `${what}: ${f} keeps ${row[f].length} characters`);
}

test('a channel row keeps at most 256 characters of a field (16 KB caller, destination, name), cut with "…"', () => {
  assert.equal(FIELD_CAP, 256, 'the cap docs/web.md gives');
  const t = new ChannelTable();
  t.apply(ev('CHANNEL_CREATE', 'u1', {
    'Call-Direction': long('d', 1),
    'Caller-Caller-ID-Number': long('a', 1),
    'Caller-Destination-Number': long('b', 1),
    'Channel-Name': long('c', 1),
    'Channel-Call-State': long('s', 1),
  }));
  assertCapped(t.get('u1'), 'CHANNEL_CREATE');
  const row = t.get('u1')!;
  assert.equal(row.caller, `${'a'.repeat(FIELD_CAP - 1)}…`);
  assert.equal(row.uuid, 'u1');
  t.apply(ev('CHANNEL_EXECUTE', 'u1', { Application: long('x', 2), 'Application-Data': long('y', 2), 'Caller-Destination-Number': long('e', 2) }));
  assertCapped(t.get('u1'), 'CHANNEL_EXECUTE');
  assert.ok(t.get('u1')!.destination.startsWith('eee'));
  // The same from FreeSWITCH's own listing.
  t.sync('n1', [{ uuid: 'u2', direction: long('d', 3), cid_num: long('a', 3), dest: long('b', 3), name: long('c', 3), callstate: long('s', 3), application: long('x', 3), application_data: 'y' }], 0);
  assertCapped(t.get('u2'), 'listing');
  // A cut never leaves half of a surrogate pair.
  t.apply(ev('CHANNEL_CREATE', 'u3', { 'Caller-Caller-ID-Number': `${'a'.repeat(FIELD_CAP - 2)}😀😀😀` }));
  assert.equal(t.get('u3')!.caller, `${'a'.repeat(FIELD_CAP - 2)}…`);
  assert.equal(t.get('u3')!.caller.length, FIELD_CAP - 1);
});

test('a channel uuid is never cut: up to FreeSWITCH\'s 256 characters it is kept whole, a longer one is refused; so is a node id past 128', () => {
  const t = new ChannelTable();
  const whole = 'u'.repeat(256);
  t.apply(ev('CHANNEL_CREATE', whole));
  assert.equal(t.get(whole)?.uuid, whole);
  const over = 'v'.repeat(257);
  assert.equal(t.apply(ev('CHANNEL_CREATE', over)), undefined);
  assert.deepEqual(t.sync('n1', [{ uuid: over }, { uuid: '11111111-0000-4000-8000-000000000001' }], 0).upserts.map((r) => r.uuid), ['11111111-0000-4000-8000-000000000001']);
  assert.equal(t.apply(ev('CHANNEL_CREATE', 'u2', {}, 'n'.repeat(129))), undefined);
  assert.deepEqual(t.list().map((r) => r.uuid.length), [256, 36]);
});

test('the kept rows hold only their cut text, not the 16 KB values it was cut from', () => {
  const rows = 2000;
  const t = new ChannelTable(rows);
  const grown = heapGrowth(() => {
    for (let i = 0; i < rows; i++) {
      t.apply(ev('CHANNEL_CREATE', `u${i}`, { 'Caller-Caller-ID-Number': long('a', i), 'Caller-Destination-Number': long('b', i), 'Channel-Name': long('c', i) }));
      t.apply(ev('CHANNEL_EXECUTE', `u${i}`, { Application: long('x', i), 'Application-Data': 'd' }));
    }
  });
  assert.equal(t.size, rows);
  // 2,000 rows of 4 fields of ≤ 256 two-byte characters (the "…") are ~4 MB; the values cut are 128 MB.
  assert.ok(grown < 16 * 1024 * 1024, `the table grew the heap by ${(grown / 2 ** 20).toFixed(1)} MiB`);
});

/** What a string's characters take in V8: 1 byte each, 2 if any is past U+00FF. */
const realBytes = (s: string): number => (/[^\0-\xff]/.test(s) ? 2 : 1) * s.length;

test('the event log counts the summary it keeps and 2 bytes a character of text past Latin-1', () => {
  const log = new EventLog(10, 1024 ** 3);
  for (const mark of ['', '\u202e']) {
    const e = ev('CHANNEL_EXECUTE', 'u1', { 'Channel-Name': `${mark}${long('c', 1, 25_000)}`, Application: 'playback', 'Application-Data': `${mark}${long('d', 1, 25_000)}` });
    const before = log.bytes;
    const view = log.add(e);
    let held = realBytes(view.summary) + realBytes(view.name);
    for (const [k, v] of Object.entries(e.headers)) held += realBytes(k) + realBytes(v);
    const counted = log.bytes - before;
    assert.ok(counted >= held, `counted ${counted} bytes for an event holding ${held} bytes of text (${mark === '' ? 'Latin-1' : 'with U+202E'})`);
    assert.ok(view.summary.length <= SUMMARY_CAP, `a summary of ${view.summary.length} characters`);
  }
});

test('under its byte cap the event log grows the heap by about the cap, whatever the text', () => {
  const cap = 16 * 1024 * 1024;
  for (const mark of ['', '\u202e']) {
    const log = new EventLog(2000, cap);
    const grown = heapGrowth(() => {
      for (let i = 0; i < 1000; i++) {
        log.add(ev('CHANNEL_EXECUTE', `u${i}`, { 'Channel-Name': `${mark}${long('c', i, 25_000)}`, Application: 'playback', 'Application-Data': `${mark}${long('d', i, 25_000)}` }));
      }
    });
    assert.ok(log.bytes <= cap);
    assert.ok(grown < 2 * cap, `a ${cap / 2 ** 20} MiB cap grew the heap by ${(grown / 2 ** 20).toFixed(1)} MiB (${mark === '' ? 'Latin-1' : 'with U+202E'})`);
  }
});

test('only a loopback address or localhost is loopback: 127.example.com is a name like any other', () => {
  assert.equal(isLoopback('127.example.com'), false);
  for (const host of ['127.0.0.1', '127.1.2.3', '::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', 'localhost']) assert.equal(isLoopback(host), true, host);
  for (const host of ['127.example.com', '127.0.0.1.nip.io', '127.', '0.0.0.0', '::', '192.0.2.1', 'localhost.example.com']) assert.equal(isLoopback(host), false, host);
});
