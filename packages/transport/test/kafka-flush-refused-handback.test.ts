// An event publish() said 'sent' for, put back in the outbox by a lost connection, that the outbox
// flush on reconnect cannot send (DriverCore.flushOutbox: rawSend throws — here the record is over
// a broker limit lowered meanwhile, learned on the reconnect) is handed back to its publisher
// (PublishOptions.onDroppedAfterSend) with its subject, and counted once. Before, it was only
// counted: its publisher took it as sent.
import { after, before, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { Admin, ConfigResourceTypes, IncrementalAlterConfigOperationTypes } from '@platformatic/kafka';
import { startKafka, type KafkaHandle } from '@fsbus/testkit';
import { createDriver } from '@fsbus/transport';
import type { DriverLogger } from '../src/driver.js';
import { baseOptions, ensurePromiseWithResolvers } from '../src/drivers/kafka/kafka-options.js';
import { Collector, enc, waitStatus } from './conformance/helpers.js';

ensurePromiseWithResolvers();

const GAVE_UP = 'kafka connection lost with requests unacknowledged';
const LIMIT = 64 * 1024;

// Stopped after the test's own after hooks: its clients close on a live broker.
let kafka: KafkaHandle;
before(async () => {
  kafka = await startKafka();
});
after(() => kafka.stop());

void test('kafka: an event put back by a lost connection that the reconnect flush cannot send is handed back to its publisher once, counted once', { timeout: 300_000 }, async (t) => {
  // After hooks run in registration order: the broker thaws before anything closes on it.
  t.after(() => kafka.resume());
  const admin = new Admin(baseOptions({ urls: [kafka.url] }, 'frh-admin'));
  t.after(() => admin.close());
  const gaveUp = new Collector<string>();
  const logger: DriverLogger = { debug() {}, info() {}, warn: (_o, msg = '') => void (msg.startsWith(GAVE_UP) && gaveUp.push(msg)), error() {} };
  // The frozen broker noticed within two liveness intervals (4 s), not the default's 20 s.
  const driver = await createDriver('kafka', { urls: [kafka.url], name: 'frh', logger, livenessIntervalMs: 2000 });
  t.after(() => driver.close());
  await driver.connect();
  driver.publish('frh.events.warm', enc('warm'));
  driver.publish('freeswitch.cmd.async.warm', enc('warm'));
  await driver.flush();

  // The broker takes less from now on; the driver learns it on its next (re)connect only.
  const { brokers } = await admin.metadata({ topics: [] });
  const resources = [...brokers.keys()].map((id) => ({ resourceType: ConfigResourceTypes.BROKER, resourceName: String(id) }));
  await admin.incrementalAlterConfigs({
    resources: resources.map((r) => ({ ...r, configs: [{ name: 'message.max.bytes', configOperation: IncrementalAlterConfigOperationTypes.SET, value: String(LIMIT) }] })),
  });
  // The alter returns once the controller committed it; the broker applies it when it replays the
  // record, a moment later (right after the alter returned, a 128 KiB record was still taken 9 times
  // in 20; frozen at once and thawed, 2 in 8). A broker frozen before it applied the limit thaws
  // still taking the event, and a reconnect reading the old limit sends it: sent, nothing to hand
  // back. So it is frozen only once it says the new limit itself (each ask is a round trip).
  const applied = async (): Promise<boolean> => {
    const described = await admin.describeConfigs({ resources: resources.map((r) => ({ ...r, configurationKeys: ['message.max.bytes'] })) });
    return described.length === resources.length && described.every((d) => d.configs.some((c) => c.name === 'message.max.bytes' && c.value === String(LIMIT)));
  };
  // Each ask is a broker round trip; bounded by the deadline, failing with what it waited for.
  const deadline = performance.now() + 60_000;
  while (!(await applied())) {
    if (performance.now() > deadline) throw new Error(`the broker never reported message.max.bytes ${LIMIT} after the alter`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  const told = new Collector<string>();
  const onDroppedAfterSend = (subject: string, data: Uint8Array): void => told.push(`${subject}:${data.byteLength}`);
  const dropped = driver.stats().dropped;
  await kafka.pause();
  // One produce to the frozen broker: given up, the command is dropped (logged: GAVE_UP) after the
  // event went back to the outbox.
  assert.equal(driver.publish('freeswitch.cmd.async.x', enc('command'), { onDroppedAfterSend }), 'sent');
  assert.equal(driver.publish('frh.events.big', new Uint8Array(2 * LIMIT), { onDroppedAfterSend }), 'sent');
  await gaveUp.until(1, 200_000);
  assert.deepEqual(told.items, ['freeswitch.cmd.async.x:7']);
  kafka.resume();
  await waitStatus(driver, 'connected', 90_000);
  // Refused by the outbox flush once the reconnect learned the limit (or, learned a moment later,
  // by the broker itself): handed back either way, once.
  // A failure says whether the event went after all (published), waits (pending) or was lost.
  await told.until(2, 90_000).catch((err: Error) => {
    throw new Error(`${err.message}: stats ${JSON.stringify(driver.stats())}, maxPayloadBytes ${String(driver.maxPayloadBytes)}`);
  });
  assert.deepEqual(told.items, ['freeswitch.cmd.async.x:7', `frh.events.big:${2 * LIMIT}`], 'the put-back event the flush could not send is handed back');
  assert.equal(driver.stats().dropped - dropped, 2, 'the command and the event, each once');
  assert.equal(driver.publish('frh.events.small', enc('after'), { onDroppedAfterSend }), 'sent');
  await driver.flush();
  assert.equal(told.items.length, 2, 'told once');
});
