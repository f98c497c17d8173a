// nats-server restarted without its JetStream store under a running durable consumer, which is
// back before any publisher created the stream again (the publisher's reconnect goes through a
// relay that holds it): the consumer finds its stream gone, waits for it, makes the durable again
// on the new stream — same name, same filter, from its first message — and is told of the loss
// once (onStreamLost, a warn line) before anything of the new stream is delivered; no retention
// loss is invented. Before, it waited forever on a deliver subject nothing sent to.
// Real nats-server (test kit, same port, store dir wiped between halt and start).
import { strict as assert } from 'node:assert';
import { rm } from 'node:fs/promises';
import { test } from 'node:test';
import { startNatsServer } from '@fsbus/testkit';
import { createDriver, type DriverLogger, type DurableMessage } from '@fsbus/transport';
import type { RetentionLoss, StreamDataLoss } from '../src/driver.js';
import { Collector, dec, enc, waitStatus } from './conformance/helpers.js';
import { gatedRelay } from './support/gated-relay.js';

void test('nats durable: a stream lost by the server is waited for, the durable made again on the new one and the loss told once', { timeout: 60_000 }, async () => {
  const nats = await startNatsServer({ jetstream: true });
  const relay = await gatedRelay(nats.port);
  const warnings: string[] = [];
  const logger: DriverLogger = { debug: () => undefined, info: () => undefined, warn: (_f, msg) => void warnings.push(msg ?? ''), error: (_f, msg) => void warnings.push(`error: ${msg ?? ''}`) };
  const pub = await createDriver('nats', { urls: [relay.url.replace('redis:', 'nats:')] });
  const consumer = await createDriver('nats', { urls: [nats.url], logger });
  try {
    await pub.connect();
    await consumer.connect();
    await pub.ensureStream({ name: 'L', subjects: ['l.events.>'] });
    const publish = async (from: number, to: number): Promise<void> => {
      for (let i = from; i <= to; i++) pub.publish('l.events.cdr', enc(String(i)));
      await pub.flush();
    };
    const got = new Collector<string>();
    const sequences: number[] = [];
    const events: string[] = [];
    const losses: StreamDataLoss[] = [];
    const retention: RetentionLoss[] = [];
    const sub = await consumer.consumeDurable(
      { stream: 'L', durable: 'billing', filter: 'l.events.cdr', onStreamLost: (l) => void (losses.push(l), events.push('lost')), onRetentionLoss: (l) => void retention.push(l) },
      (m: DurableMessage) => {
        sequences.push(m.sequence);
        events.push(dec(m.data));
        got.push(dec(m.data));
        m.ack();
      },
    );
    await publish(1, 3);
    await got.until(3);

    relay.hold();
    await nats.halt();
    await rm(nats.storeDir!, { recursive: true, force: true });
    await waitStatus(consumer, 'reconnecting');
    await nats.start();
    // The consumer is back first: no stream yet.
    await waitStatus(consumer, 'connected');
    relay.release();
    await waitStatus(pub, 'connected');
    await publish(4, 6);
    const items = await got.until(6);
    assert.deepEqual(items, ['1', '2', '3', '4', '5', '6']);
    assert.deepEqual(sequences, [1, 2, 3, 1, 2, 3], 'the new stream from its first message');
    assert.deepEqual(events, ['1', '2', '3', 'lost', '4', '5', '6'], 'the loss told before anything of the new stream');
    assert.equal(losses.length, 1);
    assert.ok(losses[0]!.lostAt <= losses[0]!.restoredAt);
    assert.deepEqual(retention, [], 'no retention loss invented');
    assert.equal(warnings.filter((w) => /lost the stream/.test(w)).length, 1, JSON.stringify(warnings));
    assert.deepEqual(warnings.filter((w) => w.startsWith('error')), []);
    await sub.unsubscribe();
  } finally {
    await consumer.close();
    await pub.close();
    await relay.close();
    await nats.stop();
  }
});

// The same loss, but by the time the consumer is back another client has made its durable name
// on the new stream with another filter: it cannot be made again, and the caller is told
// (onFailed, with the refusal) instead of waiting on a subscription nothing will ever feed.
void test('nats durable: a lost stream whose durable name another filter took meanwhile fails the subscription (onFailed)', { timeout: 60_000 }, async () => {
  const nats = await startNatsServer({ jetstream: true });
  const relay = await gatedRelay(nats.port);
  const other = await createDriver('nats', { urls: [nats.url] });
  const consumer = await createDriver('nats', { urls: [relay.url.replace('redis:', 'nats:')] });
  try {
    await other.connect();
    await consumer.connect();
    await other.ensureStream({ name: 'L', subjects: ['l.events.>'] });
    const failed: Error[] = [];
    let told!: (err: Error) => void;
    const firstFailure = new Promise<Error>((resolve) => (told = resolve));
    const onFailed = (err: Error): void => {
      failed.push(err);
      told(err);
    };
    const sub = await consumer.consumeDurable({ stream: 'L', durable: 'billing', filter: 'l.events.cdr', onFailed }, (m: DurableMessage) => m.ack());

    relay.hold();
    await nats.halt();
    await rm(nats.storeDir!, { recursive: true, force: true });
    await waitStatus(consumer, 'reconnecting');
    await nats.start();
    await waitStatus(other, 'connected');
    await other.ensureStream({ name: 'L', subjects: ['l.events.>'] });
    const taken = await other.consumeDurable({ stream: 'L', durable: 'billing', filter: 'l.events.other' }, (m: DurableMessage) => m.ack());
    relay.release();
    await waitStatus(consumer, 'connected');
    const err = await firstFailure;
    assert.equal((err as { code?: string }).code, 'FSBUS_ERR_TRANSPORT_BROKER', err.message);
    assert.match(err.message, /billing/);
    assert.equal(failed.length, 1);
    await taken.unsubscribe();
    await sub.unsubscribe();
  } finally {
    await consumer.close();
    await other.close();
    await relay.close();
    await nats.stop();
  }
});

// The stream kept, only the consumer gone while the link was down (deleted by hand, or a server
// back without the consumer's state): it is made again where it was, and what the old one had
// sent comes again with delivery count 1 — a copy by its sequence (redelivered), so the client
// does not hand out again what its loop already handled (the acks the old one held were dropped).
void test('nats durable: a consumer made again on the same stream marks what the old one was sent as redelivered', { timeout: 60_000 }, async () => {
  const nats = await startNatsServer({ jetstream: true });
  const relay = await gatedRelay(nats.port);
  const admin = await createDriver('nats', { urls: [nats.url] });
  const consumer = await createDriver('nats', { urls: [relay.url.replace('redis:', 'nats:')] });
  try {
    await admin.connect();
    await consumer.connect();
    await admin.ensureStream({ name: 'L', subjects: ['l.events.>'] });
    const got = new Collector<DurableMessage>();
    const sub = await consumer.consumeDurable({ stream: 'L', durable: 'billing', filter: 'l.events.cdr' }, (m: DurableMessage) => {
      // 1 and 2 acknowledged; 3 held (its loop still at it) when the link goes.
      if (m.sequence < 3) m.ack();
      got.push(m);
    });
    for (const i of [1, 2, 3]) admin.publish('l.events.cdr', enc(String(i)));
    await admin.flush();
    await got.until(3);

    relay.hold();
    await nats.halt();
    await waitStatus(consumer, 'reconnecting');
    await nats.start();
    await waitStatus(admin, 'connected');
    const { jetstreamManager } = await import('@nats-io/jetstream');
    const { connect } = await import('@nats-io/transport-node');
    const nc = await connect({ servers: nats.url });
    await (await jetstreamManager(nc)).consumers.delete('L', 'billing');
    await nc.close();
    relay.release();
    const items = await got.until(4);
    const again = items[3]!;
    assert.equal(again.sequence, 3, 'made again where it was: from the message it held');
    assert.equal(again.redelivered, true, 'sent before to this consumer: a copy, whatever the delivery count');
    again.ack();
    await sub.unsubscribe();
  } finally {
    await consumer.close();
    await admin.close();
    await relay.close();
    await nats.stop();
  }
});
