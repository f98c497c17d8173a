// RabbitMQ: a named durable consumer whose stored position retention deleted meanwhile (the
// stream's first offset moved past it; the broker then starts at the first one in silence) is
// told — a warning and onRetentionLoss, in sequences (offset + 1) — before the rest is delivered.
// Retention by size with small segments drops the oldest ones as the stream grows.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { connect, type ChannelModel } from 'amqplib';
import { startRabbitMq } from '@fsbus/testkit';
import { createDriver, type DriverLogger, type DurableMessage } from '@fsbus/transport';
import type { RetentionLoss } from '../src/driver.js';
import { streamQueue } from '../src/drivers/amqp/amqp-streams.js';
import { Collector, enc } from './conformance/helpers.js';

/** The offset of the first message a stream holds, read as any client would. */
async function firstOffset(raw: ChannelModel, queue: string): Promise<number> {
  const ch = await raw.createChannel();
  try {
    await ch.prefetch(1);
    const got = new Collector<number>();
    await ch.consume(queue, (m) => m && got.push(Number(m.properties.headers?.['x-stream-offset'])), { arguments: { 'x-stream-offset': 'first' } });
    return (await got.until(1))[0]!;
  } finally {
    await ch.close();
  }
}

/** The first offset once it is past `past`: retention runs behind the writer (read again, for up to 20 s). */
async function firstOffsetPast(raw: ChannelModel, queue: string, past: number): Promise<number> {
  const deadline = Date.now() + 20_000;
  let first = await firstOffset(raw, queue);
  while (first <= past && Date.now() < deadline) first = await firstOffset(raw, queue);
  return first;
}

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
    const kept = await firstOffsetPast(raw, streamQueue('aret', 'ARET'), position);
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

// A reader retention overtakes while it reads: RabbitMQ moves it on to the stream's first offset
// in silence. A named durable holding its one message in flight keeps the broker's reader still
// while the stream grows past its cap; once acknowledged, what retention took from ahead of it is
// told before the next message is handed over.
void test('amqp durable: a consumer overtaken by retention while it reads is told what it skipped, before the rest', async () => {
  const broker = await startRabbitMq();
  const raw = await connect(broker.url);
  const warnings: string[] = [];
  const none = (): void => undefined;
  const logger: DriverLogger = { debug: none, info: none, error: none, warn: (_fields, msg) => void warnings.push(msg ?? '') };
  const driver = await createDriver('amqp', { urls: [broker.url], namespace: 'aovr', logger });
  let sub: { unsubscribe(): Promise<void> } | undefined;
  try {
    await driver.connect();
    await driver.ensureStream({ name: 'AOVR', subjects: ['aovr.events.>'], maxBytes: 16 * 1024 });
    const body = (i: number) => enc(String(i).padEnd(1000, '.'));
    const index = (m: DurableMessage) => Number(Buffer.from(m.data).toString().replace(/\.+$/, ''));
    const publish = async (from: number, to: number): Promise<void> => {
      for (let i = from; i <= to; i++) {
        driver.publish('aovr.events.x', body(i));
        if (i % 5 === 0) await driver.flush();
      }
      await driver.flush();
    };

    await publish(1, 10);
    const losses: RetentionLoss[] = [];
    const got: Array<{ index: number; sequence: number; losses: number }> = [];
    const arrived = new Collector<DurableMessage>();
    let acking = false;
    const last = new Collector<true>();
    sub = await driver.consumeDurable({ stream: 'AOVR', durable: 'slow', maxInFlight: 1, onRetentionLoss: (l) => void losses.push(l) }, (m) => {
      got.push({ index: index(m), sequence: m.sequence, losses: losses.length });
      arrived.push(m);
      if (acking) m.ack();
      if (index(m) === 200) last.push(true);
    });
    const held = (await arrived.until(1))[0]!;
    // Held: the broker's reader waits at the first message while the stream grows past its cap.
    await publish(11, 200);
    const first = await firstOffsetPast(raw, streamQueue('aovr', 'AOVR'), held.sequence + 40);
    assert.ok(first > held.sequence + 40, `retention passed the reader (first offset ${first}, reader at ${held.sequence})`);
    acking = true;
    held.ack();
    await last.until(1);

    assert.equal(got[0]!.index, 1);
    let skipped = 0;
    for (let i = 1; i < got.length; i++) {
      const [before, now] = [got[i - 1]!, got[i]!];
      assert.ok(now.index > before.index && now.sequence > before.sequence);
      if (now.index === before.index + 1) continue;
      skipped += now.index - before.index - 1;
      const told = losses.slice(0, now.losses).find((l) => l.from === before.sequence + 1 && l.to === now.sequence - 1);
      assert.ok(told, `messages ${before.index + 1}–${now.index - 1} skipped, told before ${now.index}: ${JSON.stringify(losses)}`);
      assert.equal(told.count, told.to - told.from + 1);
    }
    assert.ok(skipped > 0, 'retention took messages from ahead of the reader');
    assert.equal(warnings.filter((w) => /retention removed/.test(w)).length, losses.length);
  } finally {
    await sub?.unsubscribe();
    await driver.close();
    await raw.close();
    await broker.stop();
  }
});
