// A Kafka gather counts senders towards `expect`, not replies (GatherOptions.replierOf): a reply
// the producer sent again (an in-flight batch after a lost connection) is not a second node.
// Real Kafka; two servers answering as one sender stand for the copy.
import { test } from 'node:test';
import { startKafka } from '@fsbus/testkit';
import type { Driver } from '@fsbus/transport';
import { openDriver } from './conformance/helpers.js';
import { assertGatherCountsSenders } from './support/gather-past-duplicate.js';

void test("kafka: a gather with expect and replierOf does not end on a sender's second reply", async () => {
  const broker = await startKafka();
  const drivers: Driver[] = [];
  const open = (): Promise<Driver> => openDriver(drivers, 'kafka', { urls: [broker.url] });
  try {
    const [a1, a2, b, client] = [await open(), await open(), await open(), await open()];
    await assertGatherCountsSenders({ a1, a2, b }, client, 'senders.broadcast');
  } finally {
    for (const d of drivers) await d.close();
    await broker.stop();
  }
});
