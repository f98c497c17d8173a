// The NATS driver's durable consumers (nats-streams.ts): the ack-subject parser, messages held
// and not acknowledged handed back in order on unsubscribe, a bound on what is out at once, and
// a durable name refused with another filter.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { startNatsServer } from '@fsbus/testkit';
import { createDriver, TransportErrorCode, type DurableMessage } from '@fsbus/transport';
import { ackSubjectSequence } from '../src/nats/nats-streams.js';

void test('ackSubjectSequence reads the stream sequence of both ack subject forms', () => {
  assert.equal(ackSubjectSequence('$JS.ACK.EVENTS.billing.1.42.7.1700000000000000000.3'), 42);
  assert.equal(ackSubjectSequence('$JS.ACK.hub.ACCHASH.EVENTS.billing.2.42.8.1700000000000000000.3.x1'), 42);
  for (const other of [undefined, '', '_INBOX.abc', '$JS.ACK.too.short', '$JS.ACK.EVENTS.billing.1.zero.7.1.3']) {
    assert.equal(ackSubjectSequence(other), undefined, String(other));
  }
});

void test('nats durable: at most maxInFlight out; unacknowledged ones come back first and in order', async () => {
  const server = await startNatsServer({ jetstream: true });
  const driver = await createDriver('nats', { urls: [server.url] });
  try {
    await driver.connect();
    await driver.ensureStream({ name: 'DUR', subjects: ['dur.>'], storage: 'memory' });
    for (let i = 1; i <= 10; i++) driver.publish('dur.x', new TextEncoder().encode(String(i)));
    await driver.flush();
    const held: DurableMessage[] = [];
    // The same options the client passes: maxInFlight is read by this driver only.
    const options = { stream: 'DUR', durable: 'worker', filter: 'dur.x', maxInFlight: 4 };
    const first = await driver.consumeDurable(options, (m) => held.push(m));
    // With nothing acknowledged, the server stops at 4; acking two lets two more out.
    for (let i = 0; i < 200 && held.length < 4; i++) await driver.flush();
    await driver.flush();
    assert.deepEqual(held.map((m) => m.sequence), [1, 2, 3, 4]);
    held[0]!.ack();
    held[1]!.ack();
    for (let i = 0; i < 200 && held.length < 6; i++) await driver.flush();
    assert.deepEqual(held.map((m) => m.sequence), [1, 2, 3, 4, 5, 6]);
    await first.unsubscribe();

    const again: number[] = [];
    const second = await driver.consumeDurable(options, (m) => {
      again.push(m.sequence);
      m.ack();
    });
    for (let i = 0; i < 200 && again.length < 8; i++) await driver.flush();
    await second.unsubscribe();
    assert.deepEqual(again, [3, 4, 5, 6, 7, 8, 9, 10]);

    await assert.rejects(driver.consumeDurable({ ...options, filter: 'dur.y' }, () => undefined), (err: Error & { code?: string }) => {
      assert.equal(err.code, TransportErrorCode.BROKER);
      assert.match(err.message, /durable consumer 'worker' of stream DUR reads 'dur\.x', not 'dur\.y'/);
      return true;
    });
  } finally {
    await driver.close();
    await server.stop();
  }
});
