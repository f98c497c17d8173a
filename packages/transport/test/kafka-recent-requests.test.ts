// What a Kafka lane remembers of the requests it ran, to skip a copy its producer sent again.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { RecentRequests } from '../src/drivers/kafka/kafka-serve.js';

void test('kafka RecentRequests: a copy before its expiry is recognised; expired entries go', () => {
  const ran = new RecentRequests();
  assert.equal(ran.firstTime('inbox a', 2_000, 1_000), true);
  assert.equal(ran.firstTime('inbox a', 2_000, 1_500), false, 'a copy while its requester waits');
  assert.equal(ran.firstTime('inbox b', 5_000, 1_500), true);
  // Past a's expiry a copy would be skipped as expired anyway: the entry is gone, b's stays.
  assert.equal(ran.firstTime('inbox c', 6_000, 2_500), true);
  assert.equal(ran.size, 2);
  assert.equal(ran.firstTime('inbox b', 5_000, 2_600), false);
});

void test('kafka RecentRequests: memory is bounded whatever the expiries (the oldest go first)', () => {
  const ran = new RecentRequests(3);
  for (const key of ['1', '2', '3', '4']) assert.equal(ran.firstTime(key, 1e15, 0), true);
  assert.equal(ran.size, 3);
  assert.equal(ran.firstTime('1', 1e15, 0), true, 'the oldest was let go');
  assert.equal(ran.firstTime('4', 1e15, 0), false);
});
