import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { Outbox } from '@fsbus/transport';

const item = (n: number, size = 1) => ({ subject: `s.${n}`, data: new Uint8Array(size) });

void test('bounded by count: the oldest are dropped and counted', () => {
  const box = new Outbox(3, 1 << 20);
  for (let i = 0; i < 5; i++) assert.equal(box.push(item(i)), true);
  assert.equal(box.size, 3);
  assert.equal(box.dropped, 2);
  assert.equal(box.buffered, 5);
  assert.deepEqual(box.drain().map((x) => x.subject), ['s.2', 's.3', 's.4']);
  assert.equal(box.size, 0);
});

void test('bounded by bytes; an item larger than the bound is refused', () => {
  const box = new Outbox(100, 10);
  box.push(item(0, 4));
  box.push(item(1, 4));
  box.push(item(2, 4));
  assert.equal(box.bytes, 8);
  assert.equal(box.dropped, 1);
  assert.equal(box.push(item(3, 11)), false);
  assert.equal(box.dropped, 2);
  assert.deepEqual(box.drain().map((x) => x.subject), ['s.1', 's.2']);
});

void test('many drops keep the order and compact', () => {
  const box = new Outbox(10, 1 << 20);
  for (let i = 0; i < 5000; i++) box.push(item(i));
  assert.equal(box.dropped, 4990);
  assert.deepEqual(box.drain().map((x) => x.subject), Array.from({ length: 10 }, (_, i) => `s.${4990 + i}`));
  const zero = new Outbox(0, 100);
  assert.equal(zero.push(item(1)), false);
  box.push(item(1));
  box.discard();
  assert.equal(box.dropped, 4991);
});

void test('putBack: older messages go in front of those held, in order; over the bound the oldest go, counted', () => {
  const box = new Outbox(4, 1 << 20);
  box.push(item(3));
  box.push(item(4));
  box.putBack([item(0), item(1), item(2)]);
  assert.deepEqual(box.drain().map((x) => x.subject), ['s.1', 's.2', 's.3', 's.4']);
  assert.equal(box.dropped, 1);
  assert.equal(box.buffered, 5);
  box.putBack([]);
  assert.equal(box.size, 0);
});

void test('takeLive leaves out requests nobody waits for (settled or past their deadline) and counts them as expired', () => {
  const box = new Outbox(10, 1 << 20);
  const now = performance.now();
  box.push({ ...item(0), kind: 'request', deadline: now + 60_000 });
  box.push({ ...item(1), kind: 'request', deadline: now - 1 });
  box.push({ ...item(2), kind: 'request', deadline: now + 60_000, settled: true });
  box.push(item(3));
  assert.deepEqual(box.takeLive(now).map((x) => x.subject), ['s.0', 's.3']);
  assert.equal(box.expired, 2);
  assert.equal(box.dropped, 0);
  box.push({ ...item(4), settled: true });
  box.push(item(5));
  box.discard();
  assert.equal(box.expired, 3);
  assert.equal(box.dropped, 1);
});

void test('putBack of messages sent before: those the bound drops later are handed back (not counted by the outbox), the mark kept through a later putBack', () => {
  const handedBack: string[] = [];
  const box: Outbox = new Outbox(3, 1 << 20, (lost) => {
    // Called once the outbox is whole again: what it holds is its final content.
    handedBack.push(`${lost.subject}@${box.size}`);
    box.countDropped(lost);
  });
  box.push(item(2));
  box.putBack([item(0), item(1)]);
  assert.deepEqual(handedBack, []);
  // A flush cut short puts them back again (held before): still marked.
  box.putBack(box.drain(), true);
  box.push(item(3));
  assert.deepEqual(handedBack, ['s.0@3']);
  box.push(item(4));
  box.push(item(5));
  // s.2 was buffered, never sent: only counted.
  assert.deepEqual(handedBack, ['s.0@3', 's.1@3']);
  assert.equal(box.dropped, 3);
  assert.equal(box.buffered, 6);
  assert.deepEqual(box.drain().map((x) => x.subject), ['s.3', 's.4', 's.5']);
});

void test('putBack of messages sent before over the bound: the oldest of them handed back after the outbox is whole; discard only counts', () => {
  const handedBack: string[] = [];
  const box: Outbox = new Outbox(3, 1 << 20, (lost) => {
    handedBack.push(`${lost.subject}@${box.size}`);
    box.countDropped(lost);
  });
  box.push(item(3));
  box.push(item(4));
  box.putBack([item(0), item(1), item(2)]);
  assert.deepEqual(handedBack, ['s.0@3', 's.1@3']);
  assert.deepEqual(box.drain().map((x) => x.subject), ['s.2', 's.3', 's.4']);
  box.putBack([item(5)]);
  box.discard();
  assert.deepEqual(handedBack, ['s.0@3', 's.1@3']);
  assert.equal(box.dropped, 3);
});

// Which limit made the latest drop for room (DriverStats.bufferFullBy): the agent's "outgoing
// buffer full" line names it. It read it from the count held after the drop, wrong when both bound
// (fewer held after a drop the count started) and on Kafka, whose pending adds its send queue.
void test('fullBy: the limit that made the latest drop, not read from the count held after it', () => {
  const box = new Outbox(3, 10);
  assert.equal(box.fullBy, undefined);
  // Full by bytes.
  box.push(item(0, 4));
  box.push(item(1, 4));
  box.push(item(2, 4));
  assert.deepEqual([box.size, box.dropped, box.fullBy], [2, 1, 'bytes']);
  box.push(item(3, 1));
  assert.deepEqual([box.size, box.dropped, box.fullBy], [3, 1, 'bytes']);
  box.push(item(4, 2));
  assert.deepEqual([box.size, box.dropped, box.fullBy], [3, 2, 'messages']);
  // Both bound: the count reached, and the bytes still over after one drop (holding fewer
  // than maxMessages after): the count is named.
  box.push(item(5, 9));
  assert.deepEqual([box.size, box.dropped, box.fullBy], [1, 5, 'messages']);
  // A refused item (larger than the bound) drops nothing for room: unchanged.
  box.push(item(6, 11));
  assert.equal(box.fullBy, 'messages');
});
