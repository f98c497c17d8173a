// NATS: an ordered replay (no durable name) that retention overtakes while it reads. The server
// goes on from the oldest message left, so the messages removed before they were sent would be
// skipped in silence; a replay that reads the whole stream tells them (a warning,
// onRetentionLoss) before the next message. Behind a narrower filter a jump in the stream sequence
// is other subjects' messages: nothing is told.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { startBrokerRelay } from '@fsbus/testkit';
import type { RetentionLoss } from '@fsbus/transport';
import { Collector, enc } from './conformance/helpers.js';
import { jetStreamServer, jsApi, natsDriver, untilStored } from './support/jetstream.js';

void test('nats replay of the whole stream overtaken by retention: the messages it skipped are told before the next one', async (t) => {
  const server = await jetStreamServer(t);
  const relay = await startBrokerRelay(server.port);
  t.after(() => relay.close());
  const { driver: publisher } = await natsDriver(t, server.url);
  await publisher.ensureStream({ name: 'RR', subjects: ['rr.>'], storage: 'memory' });
  for (let n = 1; n <= 1000; n++) publisher.publish(n % 2 === 0 ? 'rr.a' : 'rr.b', enc(String(n)));
  await untilStored(publisher, 'RR', 1000);

  const { driver: reader, log } = await natsDriver(t, `nats://127.0.0.1:${relay.port}`);
  const got = new Collector<number>();
  const told: Array<{ loss: RetentionLoss; after: number | undefined }> = [];
  let frozen!: () => void;
  const isFrozen = new Promise<void>((resolve) => (frozen = resolve));
  // The relay stops at the first message: the server has the replay's first pull only (up to 100
  // messages); what it asks for next waits in the relay while the stream loses sequences < 901.
  // A filter that covers the stream's subjects reads it whole, as none does.
  const sub = await reader.consumeDurable({ stream: 'RR', from: 'all', filter: 'rr.>', onRetentionLoss: (loss) => void told.push({ loss, after: got.items.at(-1) }) }, (m) => {
    if (got.items.length === 0) {
      relay.freeze();
      frozen();
    }
    got.push(m.sequence);
  });
  await isFrozen;
  assert.equal((await jsApi(publisher, '$JS.API.STREAM.PURGE.RR', { seq: 901 }))['purged'], 900);
  relay.thaw();

  // How much of the first pull the server sent before the purge is its own pace (on a loaded
  // machine, a few): the replay ends at the stream's last message, whatever came before.
  const sequences = await got.untilSeen((s) => s === 1000);
  const before = sequences.findIndex((s) => s >= 901);
  assert.ok(before > 0 && before <= 100, `part of the first pull came before the purge (got ${sequences.slice(0, 3).join(',')}…)`);
  assert.deepEqual(sequences.slice(0, before), Array.from({ length: before }, (_, i) => i + 1), 'gapless up to the purge');
  assert.deepEqual(sequences.slice(before), Array.from({ length: 100 }, (_, i) => 901 + i));
  assert.deepEqual(told, [{ loss: { from: before + 1, to: 900, count: 900 - before }, after: before }], 'told once, before sequence 901');
  assert.equal(log.warnings.filter((w) => /retention removed messages/.test(w)).length, 1, log.warnings.join(' | '));
  await sub.unsubscribe();
});

void test('nats replay behind a narrower filter: the other subjects\' sequences are not a loss', async (t) => {
  const server = await jetStreamServer(t);
  const { driver, log } = await natsDriver(t, server.url);
  await driver.ensureStream({ name: 'RN', subjects: ['rn.>'], storage: 'memory' });
  for (let n = 1; n <= 20; n++) driver.publish(n % 2 === 0 ? 'rn.a' : 'rn.b', enc(String(n)));
  await untilStored(driver, 'RN', 20);
  const told: RetentionLoss[] = [];
  const got = new Collector<number>();
  const sub = await driver.consumeDurable({ stream: 'RN', from: 'all', filter: 'rn.a', onRetentionLoss: (loss) => void told.push(loss) }, (m) => got.push(m.sequence));
  assert.deepEqual(await got.until(10), [2, 4, 6, 8, 10, 12, 14, 16, 18, 20]);
  assert.deepEqual(told, []);
  assert.deepEqual(log.warnings, []);
  await sub.unsubscribe();
});
