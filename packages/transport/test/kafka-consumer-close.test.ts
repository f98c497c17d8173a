// A Kafka consumer closed while it rejoins its group (a rebalance: another member just joined or
// left, as when two agents stop one after the other) must leave nothing running behind it. The
// library's close() alone left a heartbeat stall timer (10 s) and, at worst, a heartbeat loop that
// kept a test file alive to its 300 s limit. Real broker; the rejoin is caught on the library's
// own diagnostics channel, so the close lands inside it every time.
import { after, before, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { tracingChannel } from 'node:diagnostics_channel';
import { Admin } from '@platformatic/kafka';
import { startKafka, type KafkaHandle } from '@fsbus/testkit';
import { closeConsumer, ensurePromiseWithResolvers, newConsumer, type KafkaConsumer } from '../src/drivers/kafka/kafka-options.js';

ensurePromiseWithResolvers();

let kafka: KafkaHandle;
before(async () => {
  kafka = await startKafka();
});
after(() => kafka.stop());

/** The timers the library makes while `run` runs, with where each was made. */
async function libraryTimers(run: () => Promise<void>): Promise<Array<{ timer: NodeJS.Timeout; stack: string }>> {
  const made: Array<{ timer: NodeJS.Timeout; stack: string }> = [];
  const original = globalThis.setTimeout;
  globalThis.setTimeout = Object.assign((...args: Parameters<typeof setTimeout>) => {
    const timer = original(...args);
    const where: { stack?: string } = {};
    Error.captureStackTrace(where);
    if (where.stack?.includes('@platformatic/kafka') === true) made.push({ timer, stack: where.stack });
    return timer;
  }, original);
  try {
    await run();
  } finally {
    globalThis.setTimeout = original;
  }
  return made;
}

function pending(timer: NodeJS.Timeout): boolean {
  return (timer as unknown as { _destroyed: boolean })._destroyed !== true && timer.hasRef();
}

void test('kafka: a consumer closed during its group rejoin leaves no timer running', { timeout: 60_000 }, async () => {
  const topic = 'consumer-close-test';
  const admin = new Admin({ clientId: 'consumer-close-admin', bootstrapBrokers: [kafka.bootstrap] });
  await admin.createTopics({ topics: [topic], partitions: 2, replicas: 1 });
  await admin.close();
  const options = (clientId: string) => ({ clientId, bootstrapBrokers: [kafka.bootstrap], groupId: 'consumer-close', heartbeatInterval: 500, sessionTimeout: 10_000, rebalanceTimeout: 10_000 });
  const made = await libraryTimers(async () => {
    const first = newConsumer(options('first'), () => undefined);
    const firstStream = await first.consume({ topics: [topic], mode: 'latest' });
    let closedInRejoin: Promise<void> | undefined;
    const groupOps = tracingChannel<unknown, { client?: KafkaConsumer; operation?: string }>('plt:kafka:consumer:group');
    const onStart = (ctx: { client?: KafkaConsumer; operation?: string }): void => {
      if (ctx.client !== first || ctx.operation !== 'joinGroup' || closedInRejoin !== undefined) return;
      closedInRejoin = firstStream
        .close()
        .catch(() => undefined)
        .then(() => closeConsumer(first));
    };
    const hooks = { start: onStart, end: () => undefined, asyncStart: () => undefined, asyncEnd: () => undefined, error: () => undefined };
    groupOps.subscribe(hooks);
    try {
      // A second member joining makes the first one's next heartbeat answer "rebalance": it rejoins.
      const second = newConsumer(options('second'), () => undefined);
      const secondStream = await second.consume({ topics: [topic], mode: 'latest' });
      assert.ok(closedInRejoin !== undefined, 'the first consumer rejoined its group');
      await closedInRejoin;
      await secondStream.close();
      await closeConsumer(second);
    } finally {
      groupOps.unsubscribe(hooks);
    }
  });
  // What a closed consumer's last callbacks (a failed rejoin, a heartbeat answer) scheduled is known by now.
  await new Promise((resolve) => setImmediate(resolve));
  const left = made.filter((m) => pending(m.timer));
  assert.deepEqual(left.map((m) => m.stack.split('\n').slice(2, 4).join(' / ')), []);
});
