// RabbitMQ: a named durable consumer whose stored position retention deleted meanwhile (the
// stream's first offset moved past it; the broker then starts at the first one in silence) is
// told — a warning and onRetentionLoss, in sequences (offset + 1) — before the rest is delivered.
// Retention by size with small segments drops the oldest ones as the stream grows.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { connect } from 'amqplib';
import { startRabbitMq } from '@fsbus/testkit';
import { createDriver, type DriverLogger, type DurableMessage } from '@fsbus/transport';
import type { RetentionLoss } from '../src/driver.js';
import { streamQueue } from '../src/drivers/amqp/amqp-streams.js';
import { Collector, enc } from './conformance/helpers.js';

void test('amqp durable: a stored position retention deleted is told (warning, onRetentionLoss), then the rest is delivered', async () => {
  const broker = await startRabbitMq();
  const raw = await connect(broker.url);
  const opened: Array<{ unsubscribe(): Promise<void> }> = [];
  const warnings: Array<{ fields: Record<string, unknown>; msg: string }> = [];
  const none = (): void => undefined;
  const logger: DriverLogger = { debug: none, info: none, error: none, warn: (fields, msg) => void warnings.push({ fields: fields as Record<string, unknown>, msg: msg ?? '' }) };
  const driver = await createDriver('amqp', { urls: [broker.url], namespace: 'aret', logger });
  try {
    await driver.connect();
    await driver.ensureStream({ name: 'ARET', subjects: ['aret.events.>'], maxBytes: 64 * 1024 });
    const body = (i: number) => enc(String(i).padEnd(1000, '.'));
    /** The offset of the first message the stream holds, read as any client would. */
    const firstOffset = async (): Promise<number> => {
      const ch = await raw.createChannel();
      try {
        await ch.prefetch(1);
        const got = new Collector<number>();
        await ch.consume(streamQueue('aret', 'ARET'), (m) => m && got.push(Number(m.properties.headers?.['x-stream-offset'])), { arguments: { 'x-stream-offset': 'first' } });
        return (await got.until(1))[0]!;
      } finally {
        await ch.close();
      }
    };
    const losses: RetentionLoss[] = [];
    const options = { stream: 'ARET', durable: 'billing', onRetentionLoss: (l: RetentionLoss) => void losses.push(l) };

    // Reads and acknowledges the first three: the stored position is the offset after them.
    for (let i = 1; i <= 3; i++) driver.publish('aret.events.x', body(i));
    await driver.flush();
    const first = new Collector<DurableMessage>();
    const one = await driver.consumeDurable(options, (m) => {
      first.push(m);
      m.ack();
    });
    const read = await first.until(3);
    await one.unsubscribe();
    const position = read[2]!.sequence; // = the last offset read + 1: the next offset to read
    assert.deepEqual(losses, [], 'a new durable lost nothing');

    // Away: the stream grows past its cap in many small chunks; the oldest segments go.
    for (let i = 4; i <= 300; i++) {
      driver.publish('aret.events.x', body(i));
      if (i % 10 === 0) await driver.flush();
    }
    await driver.flush();
    let kept = await firstOffset();
    for (let i = 0; i < 100 && kept <= position; i++) kept = await firstOffset();
    assert.ok(kept > position, `retention removed the stored position (first offset ${kept})`);

    const second: Array<{ sequence: number; lossesSoFar: number }> = [];
    const got = new Collector<true>();
    const two = await driver.consumeDurable(options, (m) => {
      second.push({ sequence: m.sequence, lossesSoFar: losses.length });
      m.ack();
      got.push(true);
    });
    opened.push(two);
    await got.until(1);
    // RabbitMQ may remove another segment between the read of `kept` and the attach: the loss runs
    // from the stored position to the first offset the consumer found, at least `kept`.
    assert.equal(losses.length, 1);
    const loss: RetentionLoss = losses[0]!;
    const lastLost = loss.to;
    assert.ok(lastLost >= kept, `told up to the stream's first offset at the attach (${lastLost}, at least ${kept})`);
    assert.deepEqual(loss, { from: position + 1, to: lastLost, count: lastLost - position });
    assert.deepEqual(second[0], { sequence: lastLost + 1, lossesSoFar: 1 }, 'told before the rest is delivered');
    const warned = warnings.filter((w) => /retention removed/.test(w.msg));
    assert.equal(warned.length, 1, JSON.stringify(warnings));
    assert.equal(warned[0]?.fields['count'], lastLost - position);
  } finally {
    for (const sub of opened) await sub.unsubscribe();
    await driver.close();
    await raw.close();
    await broker.stop();
  }
});
