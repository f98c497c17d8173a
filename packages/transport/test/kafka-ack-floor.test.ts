// The ack floor of a durable Kafka consumer (kafka-ack-floor.ts), without a broker: what it commits
// as acknowledgements come in any order, when it holds the reader, and what it does not hand out
// twice. The broker side is kafka-durable-flow.test.ts.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { AckFloor, type FloorReader } from '../src/drivers/kafka/kafka-ack-floor.js';

/** A reader whose commits wait until the test settles them. */
function reader() {
  const commits: Array<{ offset: bigint; settle: (err?: Error) => void }> = [];
  const log: string[] = [];
  const r: FloorReader = {
    commit: (_partition, offset) =>
      new Promise<void>((resolve, reject) => {
        commits.push({ offset, settle: (err) => (err === undefined ? resolve() : reject(err)) });
      }),
    hold: () => log.push('hold'),
    release: () => log.push('release'),
  };
  return { r, commits, log };
}

const offsets = (commits: Array<{ offset: bigint }>) => commits.map((c) => Number(c.offset));
/** Lets the promise callbacks due now run (a settled commit's follow-up is a few microtasks away). */
const settled = () => new Promise((resolve) => setImmediate(resolve));

void test('kafka ack floor: commits the first offset not acknowledged, one commit at a time', async () => {
  const { r, commits } = reader();
  const floor = new AckFloor(10, r);
  const acks = new Map<number, () => void>();
  for (const o of [0, 1, 2, 4, 5]) {
    assert.ok(floor.fresh(0, BigInt(o)));
    acks.set(o, floor.handOut(0, BigInt(o)));
  }
  // 3 was filtered out: seen, never handed out.
  assert.ok(floor.fresh(0, 3n) === false);
  acks.get(1)!();
  acks.get(2)!();
  assert.deepEqual(offsets(commits), [], 'nothing below 1 and 2 is acknowledged yet');
  acks.get(0)!();
  assert.deepEqual(offsets(commits), [4], 'every offset below 4 is acknowledged (3 was never handed out)');
  acks.get(4)!();
  acks.get(4)!();
  assert.deepEqual(offsets(commits), [4], 'one commit at a time');
  commits[0]!.settle();
  await settled();
  // The landed commit is followed by the newest floor: 5, still out.
  assert.deepEqual(offsets(commits), [4, 5]);
  acks.get(5)!();
  commits[1]!.settle();
  await settled();
  assert.deepEqual(offsets(commits), [4, 5, 6], 'acknowledged while 5 was being committed: committed after it');
  commits[2]!.settle();
  await floor.idle();
  assert.equal(floor.unacked, 0);
});

void test('kafka ack floor: holds the reader at maxInFlight out, releases it as acks come', () => {
  const { r, log } = reader();
  const floor = new AckFloor(2, r);
  const a = floor.handOut(0, 0n);
  assert.deepEqual(log, []);
  const b = floor.handOut(0, 1n);
  assert.deepEqual(log, ['hold']);
  b();
  assert.deepEqual(log, ['hold', 'release']);
  // A late second ack of the same record makes no more room.
  b();
  floor.handOut(0, 2n);
  assert.deepEqual(log, ['hold', 'release', 'hold']);
  a();
  assert.deepEqual(log, ['hold', 'release', 'hold', 'release']);
});

void test('kafka ack floor: a record read again after a restart is not handed out twice; the re-read retries a failed commit', async () => {
  const { r, commits } = reader();
  const floor = new AckFloor(10, r);
  assert.ok(floor.fresh(0, 7n));
  const ack = floor.handOut(0, 7n);
  ack();
  assert.deepEqual(offsets(commits), [8]);
  commits[0]!.settle(new Error('the reader is not connected'));
  await floor.idle();
  // The reader started over from the group's committed offset: 7 again.
  assert.equal(floor.fresh(0, 7n), false);
  assert.deepEqual(offsets(commits), [8, 8], 'the floor the failed commit had is committed again');
  commits[1]!.settle();
  await floor.idle();
  assert.equal(floor.fresh(0, 7n), false);
  assert.deepEqual(offsets(commits), [8, 8], 'nothing more to commit');
  assert.ok(floor.fresh(0, 8n));
});

void test('kafka ack floor: an acknowledgement after the consumer stopped commits nothing', () => {
  const { r, commits, log } = reader();
  const floor = new AckFloor(1, r);
  const ack = floor.handOut(0, 0n);
  floor.stop();
  ack();
  assert.deepEqual(offsets(commits), []);
  assert.deepEqual(log, ['hold']);
});
