// An item `carried` (an agent's notice Kafka put back after a lost connection) is never pushed out
// for room and does not count against the bound: the oldest of the others goes instead, handed
// back as any put-back item, and the carried one keeps its place in the order.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { Outbox, type OutboxItem } from '@fsbus/transport';

const item = (n: number, size = 1): OutboxItem => ({ subject: `s.${n}`, data: new Uint8Array(size) });

void test('a carried item put back is never pushed out for room, nor counted against the bound', () => {
  const handedBack: string[] = [];
  const box = new Outbox(2, 1 << 20, (i) => handedBack.push(i.subject));
  box.putBack([{ ...item(0), carried: true }, item(1)]);
  for (const n of [2, 3, 4]) box.push(item(n));
  assert.deepEqual(handedBack, ['s.1'], 'the put-back event handed back, not the carried notice');
  assert.equal(box.dropped, 1);
  assert.deepEqual(box.drain().map((x) => x.subject), ['s.0', 's.3', 's.4']);
});

void test('a carried item outside the byte bound; dropping the oldest skips it', () => {
  const box = new Outbox(100, 10);
  box.putBack([item(0, 4)], true);
  box.putBack([{ ...item(1, 8), carried: true }], true);
  box.push(item(2, 4));
  box.push(item(3, 4));
  box.push(item(4, 4));
  assert.deepEqual(box.drain().map((x) => x.subject), ['s.1', 's.3', 's.4']);
  // Drained: the bound is whole again.
  for (const n of [5, 6]) box.push(item(n, 5));
  assert.deepEqual(box.drain().map((x) => x.subject), ['s.5', 's.6']);
});
